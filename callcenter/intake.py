"""Taking a call: one checked record per incident, and a repeat caller joins the open one.

The form's fields are checked here by one strict pydantic model and the rules
below it, so the intake page, the call simulator and any later API get the
same answers. A refusal names every bad field at once, each with a reason
code (`Reason`) the pages put in the user's language next to that field, and
an English detail for logs.

What a dispatcher cannot use is refused: an emergency with no district (a
unit has to be sent somewhere), and a call with neither a number to call back
nor the operator's word that the caller withheld it. A complaint and a prank
may have no district: a complaint goes to an SKPD, not a unit, and is often
about a service rather than a place (a permit not issued); a prank is closed
as it is taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from sqlalchemy import Connection, Engine, select

from scc.clock import as_utc, utcnow
from scc.settings import Settings
from scc.storage import locks
from scc.storage.callcenter import OPEN_STATUSES, Category, Priority, call_log, incident_events, incidents

from .complaints import route
from .errors import CallError
from .phone import CallerError, caller, is_withheld

# Why a field is refused. required: empty but needed; unknown: not one of the choices; too_long;
# control_chars; invalid: not that kind of value at all; place_needed: an emergency without its
# district; number_needed: no number and not marked withheld; number_and_withheld: both; not_complaint:
# an SKPD for a call that is not a complaint; category_kind: a correction that would turn an emergency
# into a complaint or a prank, or back (lifecycle.edit); the number_* ones are phone.CallerProblem's.
Reason = Literal[
    "required",
    "unknown",
    "too_long",
    "control_chars",
    "invalid",
    "place_needed",
    "number_needed",
    "number_and_withheld",
    "not_complaint",
    "category_kind",
    "number_short",
    "number_area_code",
    "number_service",
    "number_invalid",
]
# The reasons this module's validators raise as pydantic error types.
_RAISED: tuple[Reason, ...] = ("control_chars", "number_short", "number_area_code", "number_service", "number_invalid")
# Categories that may be taken without a district (the module's docstring says why).
PLACE_OPTIONAL: frozenset[Category] = frozenset({"complaint", "prank"})


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL in text, and no control character belongs in what an operator types.
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise PydanticCustomError("control_chars", "contains control characters")
    return value


Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_printable)]
Story = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_printable)]


class NewCall(BaseModel):
    """What the operator typed, in the form's order. Every field says what it is for; unknown fields are
    refused. What a field needs from the others (a district for an emergency) is checked by `check_new_call`,
    so a correction of one field (lifecycle.edit) is checked by the same model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line_code: str | None = Field(default=None, description="The line the call came in on (config/call_lines.yaml).")
    caller_number: str | None = Field(default=None, description="As the caller ID or operator gives it; E.164 after.")
    caller_withheld: bool = Field(default=False, description="The operator's word: the caller showed no number.")
    caller_name: Line = Field(default="", description="Who is calling.")
    district: str | None = Field(default=None, description="District code where help is needed.")
    village: Line = Field(default="", description="Desa or kelurahan.")
    landmark: Line = Field(default="", description="A landmark that finds the place: 'depan masjid raya'.")
    site: str | None = Field(default=None, description="A camera site at the place, when there is one.")
    category: Category | None = Field(default=None, description="What kind of emergency or request.")
    topic: str | None = Field(
        default=None,
        description="For a public-service complaint: its topic (config/complaint_topics.yaml), whose unit settles "
        "it unless skpd_code names another.",
    )
    skpd_code: str | None = Field(
        default=None, description="For a public-service complaint: the SKPD that settles it; its topic's when empty."
    )
    priority: Priority = Field(default=2, description="1: life at risk now; 2: soon; 3: can wait.")
    summary: Story = Field(default="", description="What the caller says.")
    received_at: datetime | None = Field(default=None, description="When the call rang; now when not given.")

    @model_validator(mode="before")
    @classmethod
    def _withheld_in_words(cls, data: Any) -> Any:
        # "anonim" or "private" typed (or pasted from the caller ID) says the number was withheld as
        # plainly as the form's tick does; an empty field says nothing.
        if isinstance(data, dict):
            number, ticked = data.get("caller_number"), data.get("caller_withheld")
            if isinstance(number, str) and number.strip() and is_withheld(number) and ticked in (None, False):
                return {**data, "caller_number": None, "caller_withheld": True}
        return data

    @field_validator("caller_number")
    @classmethod
    def _phone(cls, raw: str | None) -> str | None:
        if raw is None or not raw.strip():
            return None
        try:
            return caller(raw)
        except CallerError as exc:
            raise PydanticCustomError(exc.problem, str(exc)) from None

    @field_validator("line_code", "category", "district", "topic", "skpd_code", "site", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return value or None


@dataclass(frozen=True)
class Problem:
    """One refused field: `reason` for the pages to say, `detail` in English for logs and tests."""

    field: str
    reason: Reason
    detail: str
    limit: int | None = None  # the most characters, for too_long


@dataclass(frozen=True)
class Taken:
    incident_id: int
    linked: bool  # True: a repeat call, added to an incident already open
    version: int


def check_call(settings: Settings, fields: dict[str, Any]) -> NewCall:
    """Each field on its own (lifecycle.edit's check of a correction); CallError("invalid") names every
    bad one (details: `field`, the first in the form's order, and `problems`)."""
    return _checked(settings, fields, new=False)


def check_new_call(settings: Settings, fields: dict[str, Any] | NewCall) -> NewCall:
    """A call to take: its fields, and what a dispatcher needs of them together."""
    return _checked(settings, fields, new=True)


def _checked(settings: Settings, fields: dict[str, Any] | NewCall, *, new: bool) -> NewCall:
    problems: list[Problem] = []
    if isinstance(fields, NewCall):
        call = fields
    else:
        try:
            call = NewCall.model_validate(fields)
        except ValidationError as exc:
            problems = [_problem(error) for error in exc.errors()]
            call = _what_passed(fields, {p.field for p in problems})
    problems += _rules(settings, call, {p.field for p in problems}, new=new)
    if problems:
        order = list(NewCall.model_fields)
        problems.sort(key=lambda p: order.index(p.field) if p.field in order else len(order))
        message = "; ".join(f"{p.field}: {p.detail}" for p in problems)
        raise CallError("invalid", message, field=problems[0].field, problems=tuple(problems))
    return call


def _problem(error: ErrorDetails) -> Problem:
    field = str(error["loc"][0]) if error["loc"] else ""
    kind, detail = error["type"], error["msg"]
    if kind == "string_too_long":
        limit = int((error.get("ctx") or {}).get("max_length", 0))
        return Problem(field, "too_long", f"longer than {limit} characters", limit)
    if kind == "literal_error":
        return Problem(field, "unknown", f"{str(error['input'])[:40]!r} is not one of the choices")
    reason: Reason = next((r for r in _RAISED if r == kind), "invalid")
    return Problem(field, reason, detail)


def _what_passed(fields: Any, bad: set[str]) -> NewCall:
    """The fields that passed, as a NewCall, for the rules between fields (the bad ones are named already)."""
    if not isinstance(fields, dict):
        return NewCall()
    try:
        return NewCall.model_validate({k: v for k, v in fields.items() if k in NewCall.model_fields and k not in bad})
    except ValidationError:  # only if a field's check depended on another's; the named ones still stand
        return NewCall()


def _rules(settings: Settings, call: NewCall, bad: set[str], *, new: bool) -> list[Problem]:
    """What the fields need of each other; nothing about a field named bad already, nor from it."""
    out: list[Problem] = []
    if call.line_code is None:
        out.append(Problem("line_code", "required", "which line the call came in on"))
    elif call.line_code not in settings.call_line_by_code:
        out.append(Problem("line_code", "unknown", f"unknown line {call.line_code!r}"))
    if call.district is not None and call.district not in settings.district_by_code:
        out.append(Problem("district", "unknown", f"unknown district {call.district!r}"))
    elif new and call.district is None and call.category not in PLACE_OPTIONAL:
        out.append(Problem("district", "place_needed", "an emergency needs its district, to send a unit there"))
    if call.site is not None and call.site not in {c.site for c in settings.cameras}:
        out.append(Problem("site", "unknown", f"no camera site {call.site!r}"))
    if call.category is None:
        out.append(Problem("category", "required", "what kind of call it is"))
    elif call.category == "complaint":
        if call.topic is not None and call.topic not in settings.complaint_topic_by_code:
            out.append(Problem("topic", "unknown", f"unknown complaint topic {call.topic!r}"))
        elif call.topic is None and call.skpd_code is None:
            out.append(Problem("topic", "required", "a complaint needs its topic or the SKPD that settles it"))
        if call.skpd_code is not None and call.skpd_code not in settings.skpd_by_code:
            out.append(Problem("skpd_code", "unknown", f"unknown SKPD {call.skpd_code!r}"))
    else:
        for field in ("topic", "skpd_code"):
            if getattr(call, field) is not None:
                out.append(Problem(field, "not_complaint", "only a public-service complaint has a topic and an SKPD"))
    if call.received_at is not None and call.received_at.tzinfo is None:
        out.append(Problem("received_at", "invalid", "needs a time zone"))
    if "caller_withheld" not in bad:
        if new and call.caller_number is None and not call.caller_withheld:
            out.append(Problem("caller_number", "number_needed", "no number, and not marked withheld"))
        if call.caller_number is not None and call.caller_withheld:
            out.append(Problem("caller_number", "number_and_withheld", "a number, and marked withheld"))
    return [p for p in out if p.field not in bad]


def take_call(engine: Engine, settings: Settings, fields: dict[str, Any] | NewCall, *, operator: str) -> Taken:
    """Record a call. A repeat call from the same number within the policy's window joins the
    incident already open for it (a note on its timeline) instead of opening another."""
    call = check_new_call(settings, fields)
    at = as_utc(call.received_at) if call.received_at else utcnow()
    with engine.begin() as conn:
        if call.caller_number:
            # Two operators taking calls from one number at once must not both find none open.
            locks.take_turns(conn, f"caller:{call.caller_number}")
            open_one = _open_for_caller(conn, call.caller_number, at, settings.call_policy.repeat_window_min)
            if open_one is not None:
                return _link(conn, open_one, call, at, operator)
        return _open(conn, settings, call, at, operator)


def _open_for_caller(conn: Connection, number: str, at: datetime, window_min: int) -> Any:
    return conn.execute(
        select(incidents.c.id, incidents.c.version, incidents.c.status)
        .where(
            incidents.c.caller_number == number,
            incidents.c.status.in_(OPEN_STATUSES),
            incidents.c.received_at >= at - timedelta(minutes=window_min),
        )
        .order_by(incidents.c.received_at.desc())
        .limit(1)
    ).first()


def _link(conn: Connection, row: Any, call: NewCall, at: datetime, operator: str) -> Taken:
    said = " - ".join(x for x in (call.caller_name, call.summary) if x)
    conn.execute(
        incident_events.insert().values(
            incident_id=row.id, kind="call", status=row.status, at=at, operator=operator, note=said
        )
    )
    conn.execute(
        call_log.insert().values(
            at=at,
            line_code=call.line_code,
            caller_number=call.caller_number,
            district=call.district,
            outcome="answered",
            incident_id=row.id,
            source="intake",
        )
    )
    return Taken(incident_id=row.id, linked=True, version=row.version)


def _open(conn: Connection, settings: Settings, call: NewCall, at: datetime, operator: str) -> Taken:
    prank = call.category == "prank"
    status = "prank" if prank else "received"
    complaint = call.category == "complaint"
    due = at + timedelta(days=settings.call_policy.complaint_days) if complaint else None
    routing = route(settings, call.topic, call.skpd_code) if complaint else None
    incident_id = conn.execute(
        incidents.insert()
        .values(
            line_code=call.line_code,
            district=call.district,
            village=call.village,
            landmark=call.landmark,
            caller_number=call.caller_number,
            caller_name=call.caller_name,
            category=call.category,
            priority=call.priority,
            summary=call.summary,
            status=status,
            received_at=at,
            closed_at=at if prank else None,
            source="intake",
            created_by=operator,
            version=1,
            updated_at=at,
            updated_by=operator,
            topic=routing.topic if routing else None,
            skpd_code=routing.skpd_code if routing else None,
            due_at=due,
            site=call.site,
        )
        .returning(incidents.c.id)
    ).scalar_one()
    conn.execute(
        incident_events.insert().values(
            incident_id=incident_id, kind="status", status=status, at=at, operator=operator, note=""
        )
    )
    conn.execute(
        call_log.insert().values(
            at=at,
            line_code=call.line_code,
            caller_number=call.caller_number,
            district=call.district,
            outcome="answered",
            incident_id=incident_id,
            source="intake",
        )
    )
    return Taken(incident_id=int(incident_id), linked=False, version=1)
