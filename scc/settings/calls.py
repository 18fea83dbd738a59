"""Emergency and service call lines answered at the command center."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import Code, Strict

Service = Literal["ambulance", "fire", "protection", "police"]
PhoneNumber = Annotated[str, Field(pattern=r"^[0-9][0-9 -]{1,19}$")]


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


class CallLinesFile(Strict):
    call_lines: list[CallLine] = Field(min_length=1)
