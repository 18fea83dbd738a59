"""The SKPD metric catalog: what each unit may publish, and what is valid."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from .base import Code, MetricKey, ShortText, Strict, Text

Unit = Literal["count", "percent", "idr", "days", "people", "beds", "flag", "idr_per_kg", "idr_per_litre", "minutes"]


class MetricSpec(Strict):
    key: MetricKey = Field(description="Key used in MQTT payloads.")
    name: Text = Field(description="Label in both languages.")
    short: ShortText = Field(
        description="Label on a unit's tile, in both languages; unique among the metrics of one SKPD."
    )
    unit: Unit = Field(description="Unit of the value.")
    kind: Literal["gauge", "counter", "flag"] = Field(description="Level, running total, or 0/1 flag.")
    min: float = Field(description="Smallest valid value.")
    max: float = Field(description="Largest valid value.")
    interval_s: int = Field(gt=0, description="Expected seconds between reports; later ones count as late.")
    target: float | None = Field(default=None, description="Goal or quota, where one exists.")
    estimate: bool = Field(default=True, description="True where range, interval or target are our estimates.")
    from_calls: Literal["calls_today", "minutes_to_scene_today"] | None = Field(
        default=None,
        description=(
            "A figure the call center keeps itself, over the lines the SKPD runs (call_lines.yaml `skpd`): "
            "calls since midnight WITA, or the mean minutes from the call to a unit on scene of today's "
            "emergencies. The dashboard shows the call center's own figure and the unit does not publish it, "
            "so a figure shown on the call center's pages and on the unit's card is one."
        ),
    )

    @model_validator(mode="after")
    def _range(self) -> MetricSpec:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Metric(MetricSpec):
    skpd: Code = Field(description="The only SKPD allowed to publish this metric.")


class MetricsFile(Strict):
    common: list[MetricSpec] = Field(default_factory=list, description="Metrics every SKPD reports.")
    metrics: list[Metric] = Field(default_factory=list, description="Metrics owned by one SKPD.")


def shortest_interval(metrics: Iterable[Metric], unit: str) -> timedelta:
    """The shortest reporting interval of what `unit` publishes itself (not what the call center counts for
    it), an hour if it publishes nothing: the wall calls a unit late, and an alert calls it silent, after
    some number of these."""
    intervals = [m.interval_s for m in metrics if m.skpd == unit and m.from_calls is None]
    return timedelta(seconds=min(intervals, default=3600))
