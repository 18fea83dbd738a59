"""The call center's configuration: the lines it answers, the units it dispatches, its rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import Code, Strict

Service = Literal["ambulance", "fire", "protection", "police"]
PhoneNumber = Annotated[str, Field(pattern=r"^[0-9][0-9 -]{1,19}$")]
UnitKind = Literal["ambulance", "fire_truck", "protection_team", "police_patrol"]


class CallLine(Strict):
    code: Code = Field(description="Short code, e.g. 'psc-119'.")
    name: str = Field(min_length=1, description="Name shown to operators (Indonesian).")
    service: Service = Field(description="Which kind of responder the line reaches.")
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
    kind: UnitKind = Field(description="What the unit is.")
    line: Code = Field(description="The call line whose incidents it serves first (a code in call_lines).")
    district: Code | None = Field(default=None, description="Home district; null for regency-wide units.")
    base: str = Field(min_length=1, description="Where the unit waits between calls.")
    estimate: bool = Field(default=False, description="True where the unit is not from the source documents.")


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


class CallLinesFile(Strict):
    call_lines: list[CallLine] = Field(min_length=1, description="The numbers the command center answers.")
    units: list[ResponseUnit] = Field(default_factory=list, description="The units operators dispatch.")
    policy: CallPolicy = Field(default_factory=CallPolicy, description="Rules of the call center.")
