"""The call center's figures, the bupati's view: calls, response times, missed calls, and the trend.

`/calls/kpi?range=7d`: today, 7 or 30 WITA days, each compared with the same
length of time just as many days before. Calls per line, district and hour
come from the call log (every call taken at the intake and every imported
one); response times (p50, p90, in minutes) from the incidents' timestamps;
abandoned and unanswered calls only exist in imported PBX logs, and the page
says so. One screen at 1920x1080: the lists are cut to fit, never scrolled.
"""

from __future__ import annotations

import dash
from dash import Input, Output, html

from .. import i18n
from ..access import STAFF, Access
from ..components import callcenter_charts
from ..components.tables import panel, table
from ..context import AppContext
from ..i18n import t
from ..queries.callcenter_kpi import Kpi, kpi
from ..queries.callcenter_stats import Window

PATH = "/calls/kpi"
ROLES = STAFF
REFRESH_MS = 60_000


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**query: object):
        window = callcenter_charts.pick_window(query.get("range"))
        return callcenter_charts.range_page(PATH, "kpi", "kpi.title", window, REFRESH_MS)

    access.page(__name__, path=PATH, roles=ROLES, order=21, title_key="kpi.nav", layout=layout, nav=False)

    @access.callback(
        app, Output("kpi-body", "children"), Input("kpi-window", "value"), Input("kpi-tick", "n_intervals"), roles=ROLES
    )
    def show(window: Window | None, _n: int | None):
        return body(ctx, kpi(ctx.engine, window or "today"))


def body(ctx: AppContext, report: Kpi) -> list:
    settings = ctx.settings
    lines = [line.code for line in settings.call_lines]
    districts = [d.code for d in settings.districts]
    calls, before = report.calls, report.previous_calls
    trends = html.Div(
        [
            callcenter_charts.trend_card("kpi-calls", t("kpi.card_calls"), n(calls.total), calls.total, before.total),
            callcenter_charts.trend_card(
                "kpi-missed", t("kpi.card_missed"), n(calls.missed), calls.missed, before.missed
            ),
            callcenter_charts.trend_card(
                "kpi-incidents",
                t("kpi.card_incidents"),
                n(report.overall.incidents),
                report.overall.incidents,
                report.previous_overall.incidents,
            ),
            callcenter_charts.trend_card(
                "kpi-dispatch",
                t("kpi.card_dispatch"),
                mins(report.overall.dispatch_p50),
                report.overall.dispatch_p50,
                report.previous_overall.dispatch_p50,
                time=True,
            ),
            callcenter_charts.trend_card(
                "kpi-scene",
                t("kpi.card_scene"),
                mins(report.overall.scene_p50),
                report.overall.scene_p50,
                report.previous_overall.scene_p50,
                time=True,
            ),
        ],
        className="trend-strip",
        id="kpi-trends",
    )
    chart_panels = html.Div(
        [
            panel(
                t("kpi.per_line"),
                callcenter_charts.counts_chart(settings, calls.by_line, lines, "line", "kpi-chart-line"),
                panel_id="kpi-per-line",
                className="chart-panel",
            ),
            panel(
                t("kpi.per_district"),
                callcenter_charts.counts_chart(
                    settings, calls.by_district, districts, "district", "kpi-chart-district"
                ),
                panel_id="kpi-per-district",
                className="chart-panel",
            ),
            panel(
                t("kpi.per_hour"),
                callcenter_charts.hours_chart(calls.by_hour, "kpi-chart-hour"),
                panel_id="kpi-per-hour",
                className="chart-panel",
            ),
            panel(
                t("kpi.missed"),
                [
                    callcenter_charts.missed_legend(),
                    callcenter_charts.missed_chart(settings, calls.outcomes_by_line, lines, "kpi-chart-missed"),
                ],
                panel_id="kpi-missed-panel",
                aside=html.Span(t("kpi.missed_source"), className="panel-aside"),
                className="chart-panel",
            ),
        ],
        className="kpi-charts",
    )
    headers = [
        "",
        t("kpi.col_incidents"),
        t("kpi.col_dispatch_p50"),
        t("kpi.col_dispatch_p90"),
        t("kpi.col_scene_p50"),
        t("kpi.col_scene_p90"),
        t("kpi.col_trend"),
    ]
    by_district = callcenter_charts.response_rows(
        settings, report.by_district, report.previous_by_district, districts, "district"
    )
    by_line = callcenter_charts.response_rows(settings, report.by_line, report.previous_by_line, lines, "line")
    tables = html.Div(
        [
            panel(
                t("kpi.times_district"),
                table(
                    [t("kpi.col_district"), *headers[1:]], by_district, "kpi-times-district", numeric=(1, 2, 3, 4, 5)
                ),
                panel_id="kpi-times-district-panel",
                fit=True,
            ),
            panel(
                t("kpi.times_line"),
                table([t("kpi.col_line"), *headers[1:]], by_line, "kpi-times-line", numeric=(1, 2, 3, 4, 5)),
                panel_id="kpi-times-line-panel",
                fit=True,
            ),
        ],
        className="kpi-tables",
    )
    period = t(
        "kpi.period",
        since=i18n.datetime_wita(report.current.since),
        until=i18n.datetime_wita(report.current.until),
        before=i18n.datetime_wita(report.previous.since),
    )
    line = [period, " · ", t("kpi.minutes_hint")]
    return [html.P(line, className="kpi-period", id="kpi-period"), trends, chart_panels, tables]


def n(value: float) -> str:
    return i18n.number(value, digits=0)


def mins(value: float | None) -> str:
    return "-" if value is None else callcenter_charts.minutes(value) + " " + t("kpi.min")
