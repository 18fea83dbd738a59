"""Pieces the call center's figures pages share: their tabs, the range picker, trend arrows, the charts.

A trend is an arrow AND a word ("▲ naik 12", "▼ lebih cepat 1,5 menit"), so
it reads without colour; for response times the word says whether that is
faster or slower, since a rise there is bad news and a rise in calls is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from babel.numbers import format_decimal
from dash import dcc, html
from flask_login import current_user

from scc.settings import Settings

from .. import i18n
from ..i18n import t
from ..queries.callcenter_stats import WINDOWS, Window
from . import charts, labels
from .status import attrs

TABS = (
    ("/calls", "kpi.tab_board", frozenset({"admin", "operator", "viewer"})),
    ("/calls/kpi", "kpi.tab_kpi", frozenset({"admin", "operator", "viewer"})),
    ("/calls/map", "kpi.tab_map", frozenset({"admin", "operator", "viewer"})),
    ("/calls/import", "kpi.tab_import", frozenset({"admin", "operator"})),
)
MISSED_COLOURS = {"abandoned": "#fbbf24", "unanswered": "#ff7b72"}
WINDOW_KEYS: dict[Window, str] = {"today": "kpi.window_today", "7d": "kpi.window_7d", "30d": "kpi.window_30d"}
OUTCOME_KEYS = {"abandoned": "kpi.outcome_abandoned", "unanswered": "kpi.outcome_unanswered"}


def tabs(current: str) -> html.Nav:
    """The call center's pages this user may open, as links."""
    return html.Nav(
        [
            dcc.Link(
                t(key),
                href=path,
                className="nav-link" + (" active" if path == current else ""),
                id=f"calls-tab-{path.strip('/').replace('/', '-')}",
            )
            for path, key, roles in TABS
            if current_user.role in roles
        ],
        className="nav nav-tabs scc-tabs calls-tabs",
        **attrs(aria_label=t("kpi.tabs")),
    )


def range_page(path: str, prefix: str, title_key: str, window: Window, refresh_ms: int) -> html.Div:
    """The frame of a page that shows one range of the call center's history (KPIs, map): title, tabs,
    the range picker, and `<prefix>-body` that its callback fills every `refresh_ms`."""
    return html.Div(
        [
            html.Div(
                [html.H2(t(title_key), className="page-title"), tabs(path), window_picker(f"{prefix}-window", window)],
                className="page-head",
            ),
            dcc.Interval(id=f"{prefix}-tick", interval=refresh_ms),
            html.Div(id=f"{prefix}-body", className=f"{prefix}-page grow"),
        ],
        className="page wall-page fit-screen calls-stats",
    )


def pick_window(value: object) -> Window:
    return next((w for w in WINDOWS if w == value), "today")


def window_picker(picker_id: str, value: Window) -> html.Div:
    return html.Div(
        [
            html.Span(t("kpi.range"), className="picker-label", id=f"{picker_id}-label"),
            html.Div(
                dbc.RadioItems(
                    id=picker_id,
                    options=[{"label": t(WINDOW_KEYS[w]), "value": w} for w in WINDOWS],
                    value=value,
                    inline=True,
                    className="btn-group window-picker",
                    inputClassName="btn-check",
                    labelClassName="btn btn-outline-info",
                    labelCheckedClassName="active",
                ),
                role="radiogroup",
                **attrs(aria_labelledby=f"{picker_id}-label"),
            ),
        ],
        className="picker-row",
    )


def minutes(value: float | None) -> str:
    """Minutes with one decimal always (`3,0`, `12,5`), so a column of them lines up."""
    return "-" if value is None else format_decimal(value, format="#,##0.0", locale=i18n.current_language())


def trend(
    now: float | None, before: float | None, *, time: bool = False, trend_id: str | None = None, short: bool = False
) -> html.Span:
    """How `now` compares with the previous period: arrow, word, amount (and the previous figure)."""
    named: dict[str, Any] = {"id": trend_id} if trend_id else {}
    if now is None or before is None:
        return html.Span(t("kpi.no_previous" if short else "kpi.no_comparison"), className="trend trend-none", **named)
    diff = now - before
    shown = minutes(abs(diff)) + " " + t("kpi.min") if time else i18n.number(abs(diff), digits=0)
    if abs(diff) < (0.05 if time else 0.5):
        arrow, word, cls = "●", t("kpi.same"), "trend-same"
    elif diff > 0:
        arrow, word, cls = "▲", t("kpi.slower" if time else "kpi.up"), "trend-worse" if time else "trend-up"
    else:
        arrow, word, cls = "▼", t("kpi.faster" if time else "kpi.down"), "trend-better" if time else "trend-down"
    was = minutes(before) + " " + t("kpi.min") if time else i18n.number(before, digits=0)
    parts = [
        html.Span(arrow, className="trend-arrow", **attrs(aria_hidden="true")),
        html.Span(word, className="trend-word"),
    ]
    if not short:  # a table's cell says which way; the amounts are in the cards and the title
        parts.append(html.Span(shown if cls != "trend-same" else "", className="trend-amount"))
        parts.append(html.Span(t("kpi.was", value=was), className="trend-was"))
    return html.Span(
        parts,
        title=f"{word} {shown} ({t('kpi.was', value=was)})",
        className=f"trend {cls}",
        **named,
    )


def trend_card(card_id: str, label: str, value: str, now: float | None, before: float | None, *, time: bool = False):
    return html.Section(
        [
            html.H3(label, className="kpi-label"),
            html.Div(value, className="trend-value"),
            trend(now, before, time=time, trend_id=f"{card_id}-trend"),
        ],
        id=card_id,
        className="trend-card",
    )


def line_name(settings: Settings, code: str) -> str:
    """A line as short as a chart's axis needs: `Damkar Citta`, `PSC 119`, `P2TP2A`, `Polres 110`."""
    line = settings.call_line_by_code.get(code)
    if line is None or line.service == "fire":
        return labels.call_line(settings, code)
    return " ".join(
        p.upper() if len(p) <= 3 or any(c.isdigit() for c in p) else p.capitalize() for p in code.split("-")
    )


def _names(settings: Settings, codes: Iterable[str | None], kind: str) -> list[str]:
    if kind == "line":
        return [line_name(settings, c) if c else t("kpi.unknown") for c in codes]
    return [labels.district(settings, c) if c else t("kpi.unknown") for c in codes]


def ordered(configured: Sequence[str], seen: Iterable[str | None]) -> list[str | None]:
    """Every configured code in config order, then any other seen in the data (a None last)."""
    extra = sorted({c for c in seen if c is not None and c not in configured})
    out: list[str | None] = [*configured, *extra]
    return [*out, None] if None in set(seen) else out


def counts_chart(
    settings: Settings, counts: dict[str | None, int], configured: Sequence[str], kind: str, graph_id: str
) -> html.Figure:
    codes = ordered(configured, counts)
    names = _names(settings, codes, kind)
    values = [float(counts.get(c, 0)) for c in codes]
    figure = charts.bars(names, [(t("kpi.calls"), values, charts.ACCENT)], percent=False, horizontal=True)
    compact(figure)
    summary = "; ".join(f"{n}: {i18n.number(v, digits=0)}" for n, v in zip(names, values, strict=True))
    return charts.graph(figure, graph_id=graph_id, summary=summary)


def missed_legend() -> html.Span:
    """The stacked bars' colours with their words, in the panel's head (the chart keeps its height)."""
    return html.Span(
        [
            part
            for outcome, colour in MISSED_COLOURS.items()
            for part in (
                html.Span(className="legend-swatch", style={"background": colour}, **attrs(aria_hidden="true")),
                html.Span(t(OUTCOME_KEYS[outcome]), className="legend-word"),
            )
        ],
        className="missed-legend",
    )


def compact(figure: dict[str, Any]) -> None:
    """Every category named, in a size that lets eleven lines share a third of the screen's height."""
    layout = figure["layout"]
    layout["yaxis"]["tickfont"] = {"color": charts.TEXT, "size": 14}
    layout["yaxis"]["dtick"] = 1
    layout["xaxis"]["tickfont"] = {"color": charts.MUTED, "size": 13}
    layout["bargap"] = 0.2
    layout["margin"].update(t=layout["margin"].get("t", 24), b=30, r=30)
    for trace in figure["data"]:
        trace["textfont"] = {"color": charts.TEXT, "size": 13}
    whole_numbers(figure, "xaxis")


def whole_numbers(figure: dict[str, Any], axis: str) -> None:
    """Counts on an axis step by whole calls: no `0,5` call when there are only a couple."""
    top = max(
        (sum(v) for v in zip(*(tr["x" if axis == "xaxis" else "y"] for tr in figure["data"]), strict=True)), default=0
    )
    if top <= 5:
        figure["layout"][axis]["dtick"] = 1


def hours_chart(by_hour: Sequence[int], graph_id: str) -> html.Figure:
    hours = [f"{h:02d}" for h in range(24)]
    figure = charts.bars(hours, [(t("kpi.calls"), [float(v) for v in by_hour], charts.ACCENT)], percent=False)
    for trace in figure["data"]:
        trace["textfont"] = {"color": charts.TEXT, "size": 12}
        trace["text"] = [text if value else "" for text, value in zip(trace["text"], trace["y"], strict=True)]
    whole_numbers(figure, "yaxis")
    figure["layout"]["bargap"] = 0.15
    figure["layout"]["margin"] = {"l": 50, "r": 10, "t": 24, "b": 40}
    busiest = max(range(24), key=lambda h: by_hour[h]) if any(by_hour) else None
    summary = t("kpi.hours_summary", hour=f"{busiest:02d}") if busiest is not None else t("kpi.no_calls")
    return charts.graph(figure, graph_id=graph_id, summary=summary)


def missed_chart(
    settings: Settings, outcomes: dict[str | None, dict[str, int]], configured: Sequence[str], graph_id: str
) -> html.Figure:
    codes = ordered(configured, outcomes)
    names = _names(settings, codes, "line")
    series: list[tuple[str, Sequence[float | None], str]] = [
        (t(OUTCOME_KEYS[o]), [float(outcomes.get(c, {}).get(o, 0)) for c in codes], colour)
        for o, colour in MISSED_COLOURS.items()
    ]
    figure = charts.bars(names, series, percent=False, horizontal=True)
    compact(figure)
    figure["layout"]["barmode"] = "stack"
    totals = [sum(values) for values in zip(*(s[1] for s in series), strict=True)]
    for trace in figure["data"]:
        trace["textposition"] = "none"  # a slice too thin for its number; the bar's total is written at its end
        trace["hovertemplate"] = f"%{{y}}<br>{trace['name']}: %{{x:,.0f}}<extra></extra>"
    figure["data"][-1]["text"] = [i18n.number(v, digits=0) if v else "" for v in totals]
    figure["data"][-1]["textposition"] = "outside"
    total = sum(totals)
    return charts.graph(figure, graph_id=graph_id, summary=t("kpi.missed_summary", n=i18n.number(total, digits=0)))


def response_rows(
    settings: Settings, times: dict, previous: dict, configured: Sequence[str], kind: str
) -> list[list[Any]]:
    """Table rows: name, incidents, dispatch p50/p90, on scene p50/p90 (minutes), the p50 to scene's trend."""
    codes = [c for c in ordered(configured, times) if c in times or c in configured]
    rows = []
    for code, name in zip(codes, _names(settings, codes, kind), strict=True):
        now = times.get(code)
        before = previous.get(code)
        if now is None:
            rows.append([name, "0", "-", "-", "-", "-", trend(None, None, short=True)])
            continue
        rows.append(
            [
                name,
                i18n.number(now.incidents, digits=0),
                minutes(now.dispatch_p50),
                minutes(now.dispatch_p90),
                minutes(now.scene_p50),
                minutes(now.scene_p90),
                trend(now.scene_p50, before.scene_p50 if before else None, time=True, short=True),
            ]
        )
    return rows
