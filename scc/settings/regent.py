"""The bupati's desk (config/regent.yaml): the services he follows, how a week of each is one figure, and
which way is better.

The catalog (metrics.yaml) says what a unit reports; this file says how the regent reads it. A counter that
starts again each day is summed over the week; a running total over the year or a programme, or a target,
is its last reading; a level (attendance, a queue) is the mean of the days its office was open.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import MetricKey, Strict

Weekly = Literal["sum", "last", "mean"]
Better = Literal["higher", "lower", "neither"]


class DeskService(Strict):
    metric: MetricKey = Field(description="A metric of one unit in metrics.yaml (not a common one).")
    week: Weekly = Field(
        description=(
            "How seven days make one figure: `sum` of the days' totals (a counter that starts again each day), "
            "the `last` reading (a running total over the year or a programme), the `mean` of the days the "
            "office was open (a level)."
        )
    )
    better: Better = Field(description="Which way the figure should go; `neither` for a load, such as patients.")
    target_metric: MetricKey | None = Field(
        default=None,
        description="A metric of the same unit whose newest reading is this figure's target (PBB's year target).",
    )
    target: float | None = Field(
        default=None,
        gt=0,
        description="The target where neither the catalog nor a target metric gives one; our estimate.",
    )


class RegentFile(Strict):
    services: list[DeskService] = Field(min_length=1, description="The services on the bupati's desk, in his order.")
    steady_percent: float = Field(
        default=2.0,
        ge=0,
        le=50,
        description="A week within this share (%) of the week before reads 'tetap' (steady), not up or down.",
    )
    compliance_good_percent: float = Field(
        default=95.0,
        gt=0,
        le=100,
        description="A unit that sent at least this share of its expected reports this week is on time.",
    )
