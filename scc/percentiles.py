"""Percentiles of measured figures (response times, request times), with one convention everywhere.

`q` runs 0..100 as in "p95"; the values may come in any order; a percentile of no values is None, so
an empty sample can never pass for a figure of 0. Between two ranks the value is interpolated
linearly (Hyndman and Fan's type 7, numpy's default "linear"), so small samples such as a quiet
day's handful of incidents still give a p90 that moves with every case instead of jumping by rank.
"""

from __future__ import annotations

from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0..100) of `values`, or None when there are none."""
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {q}")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
