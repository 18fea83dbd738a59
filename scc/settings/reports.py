"""When the `reports` process makes the daily and weekly reports, where it keeps them and for how long
(docs/design.md §3.10)."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import Field, PositiveInt, model_validator

from .base import Strict, TimeOfDay


class ReportsConfig(Strict):
    scheduled: bool = Field(
        default=True,
        description="Make the daily report every morning and the weekly ones every Monday (false: only those asked "
        "for on the Reports page).",
    )
    at: TimeOfDay = Field(
        default="07:00",
        description="The WITA time (HH:MM, in quotes) at which the day before's report is made, and on Mondays the "
        "week before's (the regency's and each unit's); a machine off then makes them as soon as it starts.",
    )
    dir: Path = Field(
        default=Path("reports"),
        description="Where the report files go, one folder per report; a relative path is in the data directory.",
    )
    keep_days: PositiveInt = Field(
        default=400,
        description="A report whose period ended longer ago than this many days is deleted, its files with its row "
        "(the figures stay in the database as their own tables keep them, and a report can be made again).",
    )
    catch_up_days: PositiveInt = Field(
        default=14,
        description="At start, the scheduled reports missed within this many days (the PC was off at `at`) are "
        "made; older ones only when asked for.",
    )
    schedule_after_s: float = Field(
        default=60,
        ge=0,
        le=3600,
        description="Seconds after the process starts before it makes the scheduled reports due (those missed "
        "included), so the processes started with it write first (the demo's weeks of past calls); a report "
        "asked for on the page is made at once.",
    )
    poll_s: float = Field(
        default=5, gt=0, le=300, description="Seconds between two looks for a report asked for on the page."
    )

    @model_validator(mode="after")
    def _caught_up_reports_are_kept(self) -> ReportsConfig:
        if self.catch_up_days >= self.keep_days:
            raise ValueError("catch_up_days must be less than keep_days: a report caught up would be deleted at once")
        return self

    @property
    def time_of_day(self) -> time:
        return time.fromisoformat(self.at)
