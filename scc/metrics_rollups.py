"""The arithmetic of the metric roll-ups, in one place: an hour's figures from its readings, a day's from
its hours. Housekeeping (scc.housekeeping) applies it to stored rows; the year benchmark's builder
(benchmarks/year_data.py) to the readings it makes, and a test holds the two equal.

A bucket keeps count, sum, min, max and its last reading (with that reading's time): a gauge's mean, a
counter's day total and a flag's share of time up all follow from them. Readings and buckets are taken
in time order whatever order they come in, so the sums are the same float whoever computes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Figures:
    n: int
    total: float
    low: float
    high: float
    last_value: float
    last_ts: datetime

    def row(self) -> dict[str, object]:
        return dict(n=self.n, total=self.total, low=self.low, high=self.high, last_value=self.last_value,
                    last_ts=self.last_ts)  # fmt: skip


def of_readings(readings: Iterable[tuple[datetime, float]]) -> Figures:
    """One bucket from its (time, value) readings; at least one. The last is the latest (the larger value
    on a tie of times, which one series cannot have: one reading per unit, metric and time)."""
    ordered = sorted(readings)
    if not ordered:
        raise ValueError("a bucket needs at least one reading")
    values = [v for _, v in ordered]
    last_ts, last_value = ordered[-1]
    return Figures(len(values), sum(values), min(values), max(values), last_value, last_ts)


def of_buckets(buckets: Iterable[Figures]) -> Figures:
    """A longer bucket (a day) from the buckets inside it (its hours); at least one."""
    ordered = sorted(buckets, key=lambda b: b.last_ts)
    if not ordered:
        raise ValueError("a bucket needs at least one bucket inside it")
    newest = ordered[-1]
    return Figures(
        sum(b.n for b in ordered),
        sum(b.total for b in ordered),
        min(b.low for b in ordered),
        max(b.high for b in ordered),
        newest.last_value,
        newest.last_ts,
    )
