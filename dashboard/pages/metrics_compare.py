"""SKPD comparisons: targets reached, services and websites up by district, each unit's uptime.

- Targets: every metric with a goal in the catalog (Kartu Macca cards against
  the quota of 13,161), every `<x>_target` metric against its unit's `<x>_...`
  figure (PBB collected against the PBB target), and percentages (civil-servant
  attendance, bed occupancy) against 100: progress bars with the numbers.
- By district: the share of units whose service and website are up now.
- By unit: the share of the chosen range (24 h to a year) each unit's service
  was up, worst first; and which units' websites are down now, by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from flask import abort

from .. import i18n
from ..access import STAFF, Access
from ..components import charts, metrics_charts, status
from ..components.metrics_figures import amount, metrics_tabs, name, progress
from ..components.states import empty
from ..components.status import attrs
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t
from ..queries import metrics_probes as probes
from ..queries.metrics import RANGES, Range, UnitReport, uptime_by_unit

PATH = "/metrics/compare"
REFRESH_MS = 60_000


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**query: Any):
        range_ = pick_range(query.get("range"))
        return html.Div(
            [
                html.Div(
                    [
                        html.H2(t("compare.title"), className="page-title"),
                        metrics_tabs(PATH),
                        metrics_charts.range_tabs(PATH, range_, "compare-range"),
                    ],
                    className="page-head",
                ),
                dcc.Store(id="compare-which", data={"range": range_}),
                dcc.Interval(id="compare-tick", interval=REFRESH_MS),
                html.Div(id="compare-body", className="metrics compare", children=body(ctx, range_)),
            ],
            className="page wall-page fit-screen",
        )

    access.page(__name__, path=PATH, roles=STAFF, order=4, title_key="compare.title", layout=layout, nav=False)

    @access.callback(
        app,
        Output("compare-body", "children"),
        Input("compare-tick", "n_intervals"),
        State("compare-which", "data"),
        roles=STAFF,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None, which: dict[str, str] | None):
        range_ = (which or {}).get("range")
        if range_ not in RANGES:
            abort(400)
        return body(ctx, pick_range(range_))


def pick_range(value: object) -> Range:
    return next((r for r in RANGES if r == value), "24h")


def body(ctx: AppContext, range_: Range) -> list:
    reports, _ = probes.regency(ctx.engine, ctx.settings)  # a unit's website judged by its probe if it has one
    items = [progress(*goal[:4], item_id=goal[4], freshness=goal[5]) for goal in goals(reports)]
    top = panel(
        t("compare.targets"),
        html.Div(items, className="progress-grid", id="compare-targets")
        if items
        else empty("compare.no_targets_title", "compare.no_targets_hint"),
        panel_id="compare-targets-panel",
    )
    return [
        top,
        html.Div(
            [
                panel(t("compare.by_district"), district_chart(ctx, reports), panel_id="compare-districts"),
                panel(
                    t("compare.uptime", range=t(metrics_charts.RANGE_KEYS[range_])),
                    uptime_chart(ctx, reports, range_),
                    panel_id="compare-uptime",
                ),
                websites_down(reports),
            ],
            className="compare-main grow",
        ),
    ]


Goal = tuple[str, float | None, float, str, str, str]


def goals(reports: list[UnitReport]) -> Iterator[Goal]:
    """(label, value, goal, the numbers in words, id, freshness) of every figure with something to reach."""
    for r in reports:
        for latest in r.latest.values():
            m = latest.metric
            label = f"{r.skpd.short} · {name(m)}"
            if m.target is not None:  # a goal in the catalog: Kartu Macca's quota
                text = t(
                    "compare.of", value=amount(m, latest.value, short=False), goal=amount(m, m.target, short=False)
                )
                yield label, latest.value, m.target, text, f"goal-{m.key}", latest.freshness
            elif m.key.endswith("_target"):  # a goal the unit reports: paddare_pbb_target for paddare_pbb_*
                stem = m.key.removesuffix("target")
                for other in r.latest.values():
                    o = other.metric
                    if not o.key.startswith(stem) or o.key == m.key or o.kind == "flag":
                        continue
                    text = t("compare.of", value=amount(o, other.value), goal=amount(m, latest.value))
                    label = f"{r.skpd.short} · {name(o)}"
                    yield label, other.value, latest.value or 0.0, text, f"goal-{o.key}", other.freshness
            elif m.unit == "percent" and m.kind == "gauge":  # a share: attendance, bed occupancy
                text = "-" if latest.value is None else i18n.number(latest.value, digits=1) + " %"
                yield label, latest.value, 100.0, text, f"goal-{m.key}", latest.freshness


def district_chart(ctx: AppContext, reports: list[UnitReport]) -> object:
    districts = ctx.settings.districts
    series, texts = [], []
    for key, label, colour in (
        ("service_up", t("metrics.services_up"), charts.ACCENT),
        ("website_up", t("metrics.websites_up"), charts.SECOND),
    ):
        shares, words = [], []
        for d in districts:
            flags = [r.latest[key].value for r in reports if r.skpd.district == d.code and key in r.latest]
            up = sum(1 for v in flags if v is not None and v >= 0.5)
            known = sum(1 for v in flags if v is not None)
            shares.append(100.0 * up / len(flags) if known else None)
            words.append(f"{up}/{len(flags)}" if known else t("compare.no_report"))
        series.append((label, shares, colour))
        texts.append(words)
    figure = charts.bars([d.name for d in districts], series, texts=texts, legend=True, horizontal=True)
    summary = "; ".join(
        f"{d.name}: " + ", ".join(f"{s[0]} {w[i]}" for s, w in zip(series, texts, strict=True))
        for i, d in enumerate(districts)
    )
    return charts.graph(figure, graph_id="chart-districts", summary=summary)


def uptime_chart(ctx: AppContext, reports: list[UnitReport], range_: Range) -> object:
    uptime = uptime_by_unit(ctx.engine, ctx.settings, "service_up", range_)
    if not uptime:
        return empty("chart.empty_title", "chart.empty_hint")
    short = {r.skpd.code: r.skpd.short for r in reports}
    ranked = sorted(uptime.items(), key=lambda item: (item[1], item[0]))
    values = [v for _, v in ranked]
    figure = charts.bars(
        [short.get(code, code) for code, _ in ranked],
        [(t("metrics.services_up"), values, charts.ACCENT)],
        tick_angle=-60,
    )
    silent = len(reports) - len(uptime)
    note = html.P(t("compare.uptime_silent", n=silent), className="chart-how") if silent else None
    summary = ", ".join(f"{short.get(c, c)} {i18n.number(v, digits=0)} %" for c, v in ranked)
    return [note, charts.graph(figure, graph_id="chart-uptime", summary=summary)]


def websites_down(reports: list[UnitReport]) -> html.Section:
    """The units whose website is down now (or never said), by name: the 2018 study's "19 of 38 inactive", today."""
    flagged = [(r, r.latest["website_up"].value) for r in reports if "website_up" in r.latest]
    down = [(r, value) for r, value in flagged if value is None or value < 0.5]
    down.sort(key=lambda pair: (pair[1] is None, pair[0].skpd.number))  # down first, then never reported
    items = [site_chip(r, value) for r, value in down]
    return panel(
        t("compare.sites_down", n=sum(1 for _, v in down if v is not None), total=len(flagged)),
        html.Ul(items, className="cam-board sites-down", id="compare-sites-down")
        if items
        else empty("compare.all_sites_up", "compare.all_sites_up_hint"),
        panel_id="compare-sites",
        fit=True,
    )


def site_chip(report: UnitReport, value: float | None) -> html.Li:
    tone = "unknown" if value is None else "alarm"
    return html.Li(
        dcc.Link(
            [
                status.icon(tone, "cam-icon"),
                html.Span(report.skpd.short, className="cam-name", title=report.skpd.name),
                html.Span(t("metric.nodata") if value is None else t("compare.site_down"), className="cam-state"),
            ],
            href=f"/metrics/{report.skpd.code}",
            className="chip-link",
        ),
        className=f"cam-chip fit-item tone-{tone}",
        **attrs(data_skpd=report.skpd.code),
    )
