"""The SKPD figures the call center keeps itself (`from_calls` in the metric catalog), read from its own
tables by its own queries: PSC 119's calls today on Dinkes' card are the count on the call center's
board, not a second number the unit publishes.

A figure counts the call lines the unit runs (config/call_lines.yaml `skpd`): the calls since
midnight WITA (the board's count), or the mean minutes from the call to a unit on scene of the
emergencies received today (timed as the KPI page times them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine

from scc.settings import Settings
from scc.settings.metrics import Metric

from . import callcenter, callcenter_stats


def lines_of(settings: Settings, code: str) -> list[str]:
    """The call lines an SKPD runs."""
    return [line.code for line in settings.call_lines if line.skpd == code]


def latest(engine: Engine, settings: Settings, metrics: Iterable[Metric], now: datetime) -> dict[str, float | None]:
    """Metric key -> the figure now, for each metric of `metrics` the call center keeps (None: none yet)."""
    wanted = [m for m in metrics if m.from_calls is not None]
    today = callcenter.today_by_line(engine, now) if any(m.from_calls == "calls_today" for m in wanted) else {}
    out: dict[str, float | None] = {}
    for m in wanted:
        lines = lines_of(settings, m.skpd)
        if m.from_calls == "calls_today":
            out[m.key] = float(sum(today.get(line, 0) for line in lines))
        else:
            mean = callcenter_stats.mean_minutes_to_scene(engine, lines, "today", now)
            out[m.key] = round(mean, 1) if mean is not None else None
    return out
