"""A metric over time, as the metrics pages chart it: its line over 24 hours to a year (WITA times), the
share of time a unit's flags were up, and the range tabs above them. Drawn on the shared layout of charts.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from scc.clock import to_wita, utcnow
from scc.settings.metrics import Metric

from .. import i18n
from ..i18n import t
from ..queries.metrics import RANGES, SPANS, Point, Range
from .charts import ACCENT, SECOND, TARGET, axis, base_layout
from .metrics_figures import PREFIXED, amount, amounts, unit_text
from .status import attrs

RANGE_KEYS: dict[Range, str] = {"24h": "range.24h", "7d": "range.7d", "30d": "range.30d", "1y": "range.1y"}


def _window(range_: Range) -> list[str]:
    """The whole range on the time axis (WITA), however few points there are: a daily figure in a
    day's chart is one point in its place, not a lone dot spread over a made-up axis."""
    now = utcnow()
    return [_local(now - SPANS[range_].length), _local(now)]


@lru_cache(maxsize=8192)
def _local(moment: datetime) -> str:
    """A point's time on the axis, WITA. Kept: a chart's past points are the same on every draw."""
    return to_wita(moment).strftime("%Y-%m-%d %H:%M")


def _tick_format(range_: Range) -> tuple[str, str]:
    """(axis ticks, hover) formats in WITA: hours for a day, days beyond."""
    hour = "%H.%M" if i18n.current_language() == "id" else "%H:%M"
    if range_ == "24h":
        return hour, f"%d/%m {hour} WITA"
    if range_ == "7d":
        return "%d/%m", f"%d/%m {hour} WITA"
    return "%d/%m" if range_ == "30d" else "%m/%Y", "%d/%m/%Y"


def _scale(values: Sequence[float]) -> tuple[float, str]:
    """Big amounts (rupiah) on an axis in millions or billions, named the reader's way (`jt`, `M`; `M`, `B`)."""
    top = max((abs(v) for v in values), default=0.0)
    for size in (1e9, 1e6):
        if top >= size:
            return size, i18n.figure(size).lstrip("1").strip()
    return 1.0, ""


def percents(values: Sequence[float]) -> list[str]:
    """Shares of time up as the hover and the summary write them: `97 %`."""
    lang = i18n.current_language()
    return [i18n.number(v, lang, digits=0) + " %" for v in values]


def history(metric: Metric, points: Sequence[Point], range_: Range) -> dict[str, Any]:
    """One metric over a range: a line of its buckets; a flag as the share of time up (%), a target dashed."""
    tick, hover = _tick_format(range_)
    x = [_local(p.at) for p in points]
    share = metric.kind == "flag" or metric.unit == "percent"
    size, symbol = (1.0, "") if share else _scale([p.value for p in points] + [metric.target or 0.0])
    y = [p.value / size for p in points]
    words = percents([p.value for p in points]) if metric.kind == "flag" else amounts(metric, [p.value for p in points])
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": y,
            "text": words,
            "line": {"color": ACCENT, "width": 3},
            "marker": {"size": 6 if len(points) > 40 else 8, "color": ACCENT},
            "hovertemplate": f"%{{x|{hover}}}<br>%{{text}}<extra></extra>",
        }
    ]
    if metric.target is not None and x:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": _window(range_),
                "y": [metric.target / size] * 2,
                "line": {"color": TARGET, "width": 2, "dash": "dash"},
                "hovertemplate": f"{t('metrics.target')}: {amount(metric, metric.target, short=False)}<extra></extra>",
            }
        )
    if share:
        yaxis = axis(range=[0, 105], ticksuffix=" %")
    else:
        unit = unit_text(metric.unit)
        suffix = f" {symbol}" if symbol else ""
        prefix = f"{unit} " if metric.unit in PREFIXED else ""
        yaxis = axis(rangemode="tozero", tickprefix=prefix, ticksuffix=suffix, tickformat=",~f")
    return {
        "data": traces,
        "layout": base_layout(xaxis=axis(type="date", tickformat=tick, nticks=8, range=_window(range_)), yaxis=yaxis),
    }


def range_tabs(path: str, current: Range, tabs_id: str) -> html.Nav:
    """24 jam · 7 hari · 30 hari · 1 tahun: links, so each range has its own address."""
    return html.Nav(
        [
            dbc.NavLink(t(RANGE_KEYS[r]), href=f"{path}?range={r}", active=r == current, id=f"{tabs_id}-{r}")
            for r in RANGES
        ],
        className="nav nav-tabs scc-tabs range-tabs",
        id=tabs_id,
        **attrs(aria_label=t("range.label")),
    )


def shares(lines: Sequence[tuple[str, Sequence[Point]]], range_: Range) -> dict[str, Any]:
    """Flags (service up, website up) as the share of each bucket they were up, one line each, with a legend."""
    tick, hover = _tick_format(range_)
    data = []
    for (label, points), colour in zip(lines, (ACCENT, SECOND, TARGET), strict=False):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": label,
                "x": [_local(p.at) for p in points],
                "y": [p.value for p in points],
                "text": percents([p.value for p in points]),
                "line": {"color": colour, "width": 3},
                "marker": {"size": 6 if len(points) > 40 else 8, "color": colour},
                "hovertemplate": f"{label}<br>%{{x|{hover}}}<br>%{{text}}<extra></extra>",
            }
        )
    return {
        "data": data,
        "layout": base_layout(
            showlegend=True,
            legend={"orientation": "h", "y": 1.14, "x": 0, "font": {"size": 16}},
            margin={"l": 70, "r": 16, "t": 36, "b": 44},
            xaxis=axis(type="date", tickformat=tick, nticks=8, range=_window(range_)),
            yaxis=axis(range=[0, 105], ticksuffix=" %"),
        ),
    }
