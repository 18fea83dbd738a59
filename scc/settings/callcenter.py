"""The call center's configuration: the lines it answers, the units it dispatches, its rules."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from scc.storage.callcenter import Category, Priority

from . import checks
from .base import Code, ShortName, Strict

Service = Literal["ambulance", "fire", "protection", "police"]
PhoneNumber = Annotated[str, Field(pattern=r"^[0-9][0-9 -]{1,19}$")]
# What a unit is. The source documents name no rescue unit (BPBD is listed as an SKPD, with no team,
# vehicle or number), so there is no "rescue" kind: a kind is added here when a unit of it exists.
UnitKind = Literal["ambulance", "fire_truck", "protection_team", "police_patrol"]
UNIT_KINDS: tuple[UnitKind, ...] = get_args(UnitKind)
Reach = Literal["district", "regency"]


class CallLine(Strict):
    code: Code = Field(description="Short code, e.g. 'psc-119'.")
    name: str = Field(min_length=1, description="Name shown to operators (Indonesian).")
    short: ShortName = Field(description="Name on the board and in lists, e.g. 'Damkar Citta'; unique.")
    service: Service = Field(description="Which kind of responder the line reaches.")
    category: Category = Field(
        description="What a call on this line usually is (psc-119: medical); the intake form starts with it "
        "when the line is picked, and the operator may change it."
    )
    skpd: Code | None = Field(default=None, description="Owning SKPD; null for non-regency services (police).")
    district: Code | None = Field(default=None, description="District served; null when regency-wide.")
    numbers: list[PhoneNumber] = Field(
        default_factory=list, description="Published numbers; empty when none is listed."
    )
    note: str | None = Field(default=None, description="Remark for operators.")
    estimate: bool = Field(default=False, description="True where the number is not from the source documents.")


class ResponseUnit(Strict):
    """One thing that can be sent out: an ambulance, a district's fire truck, a team."""

    code: Code = Field(description="Stable unit code, e.g. 'truk-citta'.")
    name: str = Field(min_length=1, description="Name shown to operators (Indonesian).")
    short: ShortName = Field(description="Name on the board's unit list, e.g. 'Truk Citta'; unique.")
    kind: UnitKind = Field(description="What the unit is; policy.needs says which categories it answers.")
    line: Code = Field(description="The call line whose incidents it serves first (a code in call_lines).")
    district: Code = Field(
        description="Where it waits between calls: its own district's post, or for a regency-wide unit the "
        "district its base stands in (lalabata for Watansoppeng). Nearness is measured from there."
    )
    reach: Reach = Field(
        default="district",
        description="'district': one district's own unit; 'regency': serves the whole regency from its base.",
    )
    base: str = Field(min_length=1, description="Where the unit waits between calls, in words.")
    estimate: bool = Field(default=False, description="True where the unit is not from the source documents.")


class PriorityTarget(Strict):
    """How fast an incident of one priority must move: the clocks on the board and the incident page."""

    priority: Priority = Field(description="1, 2 or 3, each listed once.")
    dispatch_s: int = Field(ge=10, le=24 * 3600, description="Seconds from the call to the first unit sent.")
    on_scene_s: int = Field(ge=60, le=48 * 3600, description="Seconds from the call to a unit on scene.")


class CallPolicy(Strict):
    repeat_window_min: int = Field(
        default=30,
        ge=1,
        le=24 * 60,
        description="A second call from the same number within this many minutes joins its open incident.",
    )
    complaint_days: int = Field(
        default=3, ge=1, le=30, description="Days an SKPD has to settle a public-service complaint (Jakarta's rule)."
    )
    needs: dict[str, list[UnitKind]] = Field(
        default_factory=dict,
        description="Incident category -> the kinds of unit that answer it, the usual one first. Every "
        "emergency category is listed; a complaint and a prank send no unit and are not.",
    )
    targets: list[PriorityTarget] = Field(
        default_factory=list, description="Per priority: the dispatch and on-scene targets the clocks run against."
    )
    warn_share: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="A clock turns to warning at this share of its target, and to alarm when the target passes.",
    )

    def target(self, priority: int) -> PriorityTarget | None:
        return next((t for t in self.targets if t.priority == priority), None)


class CallLinesFile(Strict):
    call_lines: list[CallLine] = Field(min_length=1, description="The numbers the command center answers.")
    units: list[ResponseUnit] = Field(default_factory=list, description="The units operators dispatch.")
    policy: CallPolicy = Field(default_factory=CallPolicy, description="Rules of the call center.")

    @model_validator(mode="after")
    def _dispatch_fits_the_units(self) -> CallLinesFile:
        # Checked here rather than among the loader's cross-checks because it reads this file alone; the
        # problems are raised with their own key paths, so each names its line like any other.
        found = [*checks.needs_name_known_categories_and_units(self.policy.needs, self.units)]
        found += checks.targets_cover_every_priority(self.policy.targets)
        if found:
            raise ValidationError.from_exception_data(
                type(self).__name__, [_problem(loc, message) for loc, message in found]
            )
        return self


def _problem(loc: tuple[str | int, ...], message: str) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("call_lines", message), loc=loc, input=None)
