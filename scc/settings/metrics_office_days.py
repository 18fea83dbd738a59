"""When the regency's offices work: the days SKPD figures tied to office work are made, and the holidays.

Regional government offices in Indonesia work five days, Monday to Friday; they close on Saturday,
Sunday and the national public holidays. A unit that never closes (the RSUD) keeps no office days;
nor do the call lines, whose figures the call center counts itself (a metric's `from_calls`).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from .base import Code, Strict
from .metrics import Metric

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday()'s order


class Holiday(Strict):
    day: date = Field(description="The day, in WITA (YYYY-MM-DD).")
    name: str = Field(min_length=1, description="Its name in Bahasa Indonesia.")
    estimate: bool = Field(
        default=False,
        description="True where the day is our reckoning (a lunar date not yet fixed by the ministers' joint decree).",
    )


class OfficeCalendar(Strict):
    office_days: list[Weekday] = Field(
        min_length=1, description="Weekdays the offices open (regional government: Monday to Friday)."
    )
    always_open_units: list[Code] = Field(
        default_factory=list, description="SKPD (codes in skpd.yaml) that never close: every figure of theirs."
    )
    holidays: list[Holiday] = Field(
        default_factory=list, description="National public holidays, on which offices close (one entry per day)."
    )

    @model_validator(mode="after")
    def _once_each(self) -> OfficeCalendar:
        for name, values in (
            ("office_days", self.office_days),
            ("always_open_units", self.always_open_units),
            ("holidays", [h.day for h in self.holidays]),
        ):
            seen = set()
            for value in values:
                if value in seen:
                    raise ValueError(f"{name}: {value} is listed twice")
                seen.add(value)
        return self

    def office_day(self, day: date) -> bool:
        """Whether offices open on `day` (a WITA date)."""
        return WEEKDAYS[day.weekday()] in self.office_days and day not in self._holidays

    def keeps_office_days(self, metric: Metric) -> bool:
        """Whether `metric` rests when the offices close."""
        return metric.skpd not in self.always_open_units

    @property
    def _holidays(self) -> frozenset[date]:
        return frozenset(h.day for h in self.holidays)
