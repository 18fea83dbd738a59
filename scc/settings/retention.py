"""How long each table keeps its rows, and the nightly backup with its archives (config/retention.yaml),
checked against the schema at load."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from .base import Strict, TimeOfDay

Keep = Literal["forever", "state", "days", "owner"]


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
    at: TimeOfDay = Field(
        default="02:00",
        description="The WITA time (HH:MM, in quotes) from which the night's backup is taken; a machine off then "
        "takes it at the first pass after.",
    )
    keep_days: PositiveInt = Field(default=14, description="An archive older than this many days goes...")
    keep_count: PositiveInt = Field(
        default=7, description="...but the newest this many always stay, however old (a machine off for weeks)."
    )

    @property
    def time_of_day(self) -> time:
        return time.fromisoformat(self.at)


class RetentionFile(Strict):
    tables: dict[str, TablePolicy] = Field(min_length=1, description="Every table of the schema, by name.")
    backups: BackupPolicy = Field(default_factory=BackupPolicy, description="The nightly backup and its archives.")
