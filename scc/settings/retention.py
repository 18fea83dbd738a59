"""How long each table keeps its rows (config/retention.yaml), checked against the schema at load."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from .base import Strict

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


class RetentionFile(Strict):
    tables: dict[str, TablePolicy] = Field(min_length=1, description="Every table of the schema, by name.")
