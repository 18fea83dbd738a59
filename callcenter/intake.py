"""Taking a call: one checked record per incident, and a repeat caller joins the open one.

The form's fields are checked here by one strict pydantic model, so the intake
page, the call simulator and any later API get the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator
from sqlalchemy import Connection, Engine, select

from scc.clock import as_utc, utcnow
from scc.settings import Settings
from scc.storage.calls import OPEN_STATUSES, Category, Priority, call_log, incident_events, incidents

from .errors import CallError
from .phone import PhoneError, normalise


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL in text, and no control character belongs in what an operator types.
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise ValueError("contains control characters")
    return value


Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_printable)]
Story = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_printable)]


class NewCall(BaseModel):
    """What the operator typed. Every field says what it is for; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line_code: str = Field(description="The line the call came in on (a code of config/call_lines.yaml).")
    caller_number: str | None = Field(default=None, description="As the caller ID or operator gives it.")
    caller_name: Line = Field(default="", description="Who is calling.")
    district: str | None = Field(default=None, description="District code where help is needed.")
    village: Line = Field(default="", description="Desa or kelurahan.")
    landmark: Line = Field(default="", description="A landmark that finds the place: 'depan masjid raya'.")
    category: Category = Field(description="What kind of emergency or request.")
    priority: Priority = Field(default=2, description="1: life at risk now; 2: soon; 3: can wait.")
    summary: Story = Field(default="", description="What the caller says.")
    skpd_code: str | None = Field(default=None, description="For a public-service complaint: the SKPD that owns it.")
    site: str | None = Field(default=None, description="A camera site at the place, when there is one.")
    received_at: datetime | None = Field(default=None, description="When the call rang; now when not given.")

    @field_validator("caller_number")
    @classmethod
    def _phone(cls, raw: str | None) -> str | None:
        try:
            return normalise(raw)
        except PhoneError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("district", "skpd_code", "site", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return value or None


@dataclass(frozen=True)
class Taken:
    incident_id: int
    linked: bool  # True: a repeat call, added to an incident already open
    version: int


def check_call(settings: Settings, fields: dict[str, Any]) -> NewCall:
    """The form's fields as a NewCall, or CallError("invalid", field=...) naming the first bad field."""
    try:
        call = NewCall.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        raise CallError("invalid", f"{field}: {first['msg'].removeprefix('Value error, ')}", field=field) from None
    return references_known(settings, call)


def references_known(settings: Settings, call: NewCall) -> NewCall:
    if call.line_code not in settings.call_line_by_code:
        raise CallError("invalid", f"line_code: unknown line {call.line_code!r}", field="line_code")
    if call.district is not None and call.district not in settings.district_by_code:
        raise CallError("invalid", f"district: unknown district {call.district!r}", field="district")
    if call.category == "complaint":
        if call.skpd_code is None:
            raise CallError("invalid", "skpd_code: a complaint goes to the SKPD that owns it", field="skpd_code")
        if call.skpd_code not in settings.skpd_by_code:
            raise CallError("invalid", f"skpd_code: unknown SKPD {call.skpd_code!r}", field="skpd_code")
    elif call.skpd_code is not None:
        raise CallError("invalid", "skpd_code: only a public-service complaint is routed to an SKPD", field="skpd_code")
    if call.site is not None and call.site not in {c.site for c in settings.cameras}:
        raise CallError("invalid", f"site: no camera site {call.site!r}", field="site")
    if call.received_at is not None and call.received_at.tzinfo is None:
        raise CallError("invalid", "received_at: needs a time zone", field="received_at")
    return call


def take_call(engine: Engine, settings: Settings, fields: dict[str, Any] | NewCall, *, operator: str) -> Taken:
    """Record a call. A repeat call from the same number within the policy's window joins the
    incident already open for it (a note on its timeline) instead of opening another."""
    call = references_known(settings, fields) if isinstance(fields, NewCall) else check_call(settings, fields)
    at = as_utc(call.received_at) if call.received_at else utcnow()
    with engine.begin() as conn:
        if call.caller_number:
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
    due = at + timedelta(days=settings.call_policy.complaint_days) if call.category == "complaint" else None
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
            skpd_code=call.skpd_code,
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
