"""How long each table keeps its rows, and the nightly backup with its archives (config/retention.yaml),
checked against the schema at load."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from .base import Strict

Keep = Literal["forever", "state", "days", "owner"]
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class TablePolicy(Strict):
    keep: Keep = Field(
        description="forever: public records, never deleted; state: one row per thing, replaced; days: rows "
        "older than `days` go; owner: the process that writes them removes them (named in `why`)."
    )
    days: PositiveInt | None = Field(default=None, description="For keep: days, how many days rows are kept.")
    by: str | None = Field(default=None, description="For keep: days, the time column that dates a row.")
    rollup: str | None = Field(
        default=None, description="The table a row is rolled up into before it may go (kept by its own policy)."
    )
    max_bytes_per_unit: PositiveInt | None = Field(
        default=None, description="Rejected messages: at most this many payload bytes per unit, the oldest go first."
    )
    why: str = Field(min_length=1, description="Whose rows these are and why they are kept so long.")

    @model_validator(mode="after")
    def _days_need_a_date(self) -> TablePolicy:
        if self.keep == "days" and (self.days is None or self.by is None):
            raise ValueError("keep: days needs `days` and `by` (the time column that dates a row)")
        if self.keep != "days" and (self.days is not None or self.by is not None or self.rollup is not None):
            raise ValueError(f"keep: {self.keep} takes no `days`, `by` or `rollup`")
        return self


class BackupPolicy(Strict):
    """The backup housekeeping takes every night, and how long its archives are kept."""

    nightly: bool = Field(default=True, description="Take a backup every night (false: only `scc backup` by hand).")
    dir: Path = Field(
        default=Path("backups"),
        description="Where the archives go (`scc backup` too, unless given --to); a relative path is in the data "
        "directory. Copy them off the machine: there they share the database's disk.",
    )
    at: str = Field(
        default="02:00",
        description="The WITA time (HH:MM, in quotes) from which the night's backup is taken; a machine off then "
        "takes it at the first pass after.",
    )
    keep_days: PositiveInt = Field(default=14, description="An archive older than this many days goes...")
    keep_count: PositiveInt = Field(
        default=7, description="...but the newest this many always stay, however old (a machine off for weeks)."
    )

    @field_validator("at", mode="before")
    @classmethod
    def _a_time_of_day(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads an unquoted 22:30 as 1350
            raise ValueError(f'write the time in quotes, as "{value // 60:02d}:{value % 60:02d}"')
        if isinstance(value, str) and not _TIME.match(value):
            raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)")
        return value

    @property
    def time_of_day(self) -> time:
        hour, minute = self.at.split(":")
        return time(int(hour), int(minute))


class RetentionFile(Strict):
    tables: dict[str, TablePolicy] = Field(min_length=1, description="Every table of the schema, by name.")
    backups: BackupPolicy = Field(default_factory=BackupPolicy, description="The nightly backup and its archives.")
