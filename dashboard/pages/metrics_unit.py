"""One SKPD's page: each of its metrics over 24 hours, 7 days, 30 days or a year, as charts.

`/metrics/<code>?range=7d`: the unit is in the path, the range in the query
string, so every view has its own address (a tile of the grid links here).
Staff may open any unit; SKPD staff only their own (another unit's page is a
403, an unknown code a 404, in the status and on the page).

History comes aggregated from the database (dashboard.queries.metrics.series):
one point per hour for a day, per three hours for a week, per day beyond; a
gauge's mean, a counter's highest running total, a flag's share of time up.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from flask import abort
from flask_login import current_user

from ..access import EVERYONE, Access
from ..components import charts, metrics_charts, metrics_probes, status
from ..components.metrics_figures import name, state_line, value_view
from ..components.states import empty
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t
from ..queries import metrics_probes as probes
from ..queries.metrics import RANGES, SPANS, Latest, Point, Range, UnitReport, series
from ..queries.metrics_probes import UnitService

PATH = "/metrics/<code>"
REFRESH_MS = 60_000  # a chart of hours or days needs no redraw every few seconds
BUCKET_WORDS = {3600: "bucket.hour", 3 * 3600: "bucket.3hours", 86400: "bucket.day"}


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def allow(code: str | None = None) -> bool | None:
        """Any unit for staff; only their own for SKPD staff; None (404) for a code that is no unit."""
        if not isinstance(code, str) or code not in ctx.settings.skpd_by_code:
            return None
        return current_user.role != "skpd" or code == current_user.skpd_code

    def layout(code: str | None = None, **query: Any):
        range_ = pick_range(query.get("range"))
        report, service = probes.unit(ctx.engine, ctx.settings, str(code))  # allow() answered 404 for no unit
        back = ("/metrics/own", "metrics.back_own") if current_user.role == "skpd" else ("/metrics", "metrics.back")
        return html.Div(
            [
                html.Div(
                    [
                        html.Div(
                            [
                                dcc.Link(["← ", t(back[1])], href=back[0], className="back-link", id="unit-back"),
                                html.H2(
                                    [report.skpd.short, html.Span(" · " + report.skpd.name, className="title-sub")],
                                    className="page-title",
                                    id="unit-title",
                                ),
                            ],
                            className="title-block",
                        ),
                        html.Div(id="unit-state", children=state_line(report), className="unit-state-big"),
                        metrics_charts.range_tabs(f"/metrics/{code}", range_, "unit-range"),
                    ],
                    className="page-head",
                ),
                dcc.Store(id="unit-which", data={"code": code, "range": range_}),
                dcc.Interval(id="unit-tick", interval=REFRESH_MS),
                html.Div(id="unit-body", className="metrics unit-page", children=body(ctx, report, service, range_)),
            ],
            className="page wall-page fit-screen",
        )

    access.page(
        __name__, path=PATH, roles=EVERYONE, order=80, title_key="nav.metrics", layout=layout, nav=False, allow=allow
    )

    @access.callback(
        app,
        Output("unit-body", "children"),
        Output("unit-state", "children"),
        Input("unit-tick", "n_intervals"),
        State("unit-which", "data"),
        roles=EVERYONE,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None, which: dict[str, str] | None):
        which = which or {}
        verdict = allow(which.get("code"))
        if verdict is None or which.get("range") not in RANGES:
            abort(400)
        if not verdict:
            abort(403)  # an SKPD's staff asking for another unit's figures
        report, service = probes.unit(ctx.engine, ctx.settings, which["code"])
        return body(ctx, report, service, pick_range(which["range"])), state_line(report)


def pick_range(value: object) -> Range:
    for r in RANGES:
        if value == r:
            return r
    return "24h"


def body(ctx: AppContext, report: UnitReport, service: UnitService | None, range_: Range) -> list:
    points = series(ctx.engine, ctx.settings, report.skpd.code, range_)
    own = [x for x in report.latest.values() if x.metric.kind != "flag"]
    # A probed unit's website is its service panel's: the simulated figure's history would contradict it.
    flags = [
        x
        for x in report.latest.values()
        if x.metric.kind == "flag" and not (service is not None and x.metric.key == probes.WEBSITE)
    ]
    blocks = [chart_panel(x, points.get(x.metric.key, []), range_) for x in own]
    if flags:
        blocks.append(availability_panel(flags, points, range_))
    blocks.append(metrics_probes.service_panel(service))
    silent = [empty("metrics.empty_title", "metrics.empty_hint")] if report.state == "never" else []
    return [*silent, html.Div(blocks, className=f"chart-grid charts-{min(len(blocks), 8)} grow", id="unit-charts")]


def _how(kind: str, range_: Range) -> str:
    return t("agg." + kind, bucket=t(BUCKET_WORDS[SPANS[range_].bucket_s]))


def _summary(label: str, range_: Range, values: list[str]) -> str:
    """What a screen reader hears of a chart: its points' count and the newest, as the hover writes them."""
    if not values:
        return t("chart.summary_empty", name=label, range=t(metrics_charts.RANGE_KEYS[range_]))
    return t("chart.summary", name=label, range=t(metrics_charts.RANGE_KEYS[range_]), n=len(values), last=values[-1])


def chart_panel(latest: Latest, points: list[Point], range_: Range) -> html.Section:
    metric = latest.metric
    label = name(metric)
    graph_id = f"chart-{metric.key}"
    if points:
        figure = metrics_charts.history(metric, points, range_)
        content: object = charts.graph(
            figure, graph_id=graph_id, summary=_summary(label, range_, figure["data"][0]["text"])
        )
    else:
        content = empty("chart.empty_title", "chart.empty_hint")
    return panel(
        label,
        [
            html.Div(
                [
                    value_view(latest, "metric-value chart-value"),
                    html.Span(_how(metric.kind, range_), className="chart-how"),
                ],
                className="chart-top",
            ),
            content,
        ],
        panel_id=f"panel-{metric.key}",
        aside=status.badge("metric", latest.freshness),
        className="chart-panel",
    )


def availability_panel(flags: list[Latest], points: dict[str, list[Point]], range_: Range) -> html.Section:
    """Service and website up in one chart: the share of each bucket they were up."""
    lines = [(name(x.metric), points.get(x.metric.key, [])) for x in flags]
    now = html.Div(
        [
            html.Span([html.Span(name(x.metric) + ": ", className="flag-name"), value_view(x)], className="flag-now")
            for x in flags
        ],
        className="chart-top flags-now",
    )
    if any(p for _, p in lines):
        figure = metrics_charts.shares(lines, range_)
        summary = "; ".join(_summary(trace["name"], range_, trace["text"]) for trace in figure["data"])
        content: object = charts.graph(figure, graph_id="chart-availability", summary=summary)
    else:
        content = empty("chart.empty_title", "chart.empty_hint")
    return panel(
        t("metrics.availability"),
        [now, html.Span(_how("flag", range_), className="chart-how"), content],
        panel_id="panel-availability",
        className="chart-panel",
    )
