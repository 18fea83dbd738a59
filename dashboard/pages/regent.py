"""The bupati's desk: his home page. Is the regency served better or worse than last week, which unit is
behind, what needs him? One screen on the wall, his laptop and (scrolling) a tablet; read-only for all.

Four panels: the call lines today against the same weekday before; services against their targets with
eight weeks; the units' league (reports owed this week, a public service down, complaints past their
deadline); the cameras, links and critical alerts. Every panel says how old its figures are.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
from babel.dates import format_datetime
from dash import Input, Output, dcc, html

from scc.clock import WITA

from .. import i18n
from ..access import STAFF, Access
from ..components import labels, metrics_figures, regent
from ..components.status import Tone, attrs, pill
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t
from ..queries.regent import Desk, LineDesk, desk
from ..queries.regent_units import Service, trend_of

PATH = "/bupati"
REFRESH_MS = 60_000  # the desk's figures move by the minute at most
LEAGUE_ROWS = 10  # the worst ten: the rest are fine or a click away on the units' page
FRESH = timedelta(minutes=5)  # a call-center or camera figure read longer ago than this is stale


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_: Any):
        return html.Div(
            [
                html.H2(t("regent.title"), className="page-title"),
                dcc.Interval(id="regent-tick", interval=REFRESH_MS),
                html.Div(id="regent-body", className="regent", children=body(ctx)),
            ],
            className="page regent-page",
        )

    access.page(
        __name__,
        path=PATH,
        roles=STAFF,
        order=1,
        title_key="regent.title",
        layout=layout,
        nav=("viewer", "admin"),
        home_of=("viewer",),
    )

    @access.callback(
        app,
        Output("regent-body", "children"),
        Input("regent-tick", "n_intervals"),
        roles=STAFF,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None):
        return body(ctx)


def body(ctx: AppContext) -> list:
    d = desk(ctx.engine, ctx.settings)
    return [
        html.Div(
            [
                html.Div([calls_panel(ctx, d), districts_panel(ctx, d)], className="regent-col"),
                html.Div([services_panel(ctx, d)], className="regent-col"),
                html.Div([league_panel(ctx, d), eyes_panel(d)], className="regent-col"),
            ],
            className="regent-grid",
        )
    ]


def _head(headers: list[str], numeric: set[int]) -> html.Thead:
    return html.Thead(html.Tr([html.Th(h, className="num" if i in numeric else None) for i, h in enumerate(headers)]))


def calls_panel(ctx: AppContext, d: Desk) -> html.Section:
    steady = ctx.settings.regent.steady_percent
    rows = [_line_row(ctx, line, steady) for line in d.lines]
    table = html.Table(
        [
            _head(
                [
                    t("regent.line"),
                    t("regent.today"),
                    t("regent.last_week"),
                    t("regent.four_weeks"),
                    t("regent.scene"),
                    t("regent.in_time"),
                ],
                {1, 2, 3, 4, 5},
            ),
            html.Tbody(rows),
        ],
        className="scc-table regent-table",
        id="regent-lines",
    )
    return panel(
        t("regent.calls_title"),
        table,
        panel_id="regent-calls",
        aside=regent.age(d.at, FRESH),
    )


def _line_row(ctx: AppContext, line: LineDesk, steady: float) -> html.Tr:
    scene = line.scene_p50
    kept, n = line.in_time
    direction = trend_of(line.calls.today, line.calls.four_weeks, steady)
    faster = trend_of(scene.today, scene.four_weeks, steady)
    return html.Tr(
        [
            html.Th(labels.call_line(ctx.settings, line.code), scope="row"),
            *regent.compared(line.calls, direction),
            html.Td(
                [
                    t(
                        "regent.p50_p90",
                        p50=i18n.number(scene.today, digits=0),
                        p90=i18n.number(line.scene_p90.today, digits=0),
                    ),
                    regent.arrow(faster, "lower", i18n.number(scene.four_weeks, digits=0)),
                ]
                if scene.today is not None
                else "-",
                className="num",
            ),
            html.Td(
                t("regent.in_time_of", kept=kept, n=n) if n else "-",
                className="num",
                **attrs(data_tone=_in_time_tone(kept, n)),
            ),
        ],
        **attrs(data_line=line.code, data_trend=direction or "none", data_scene_trend=faster or "none"),
    )


def _in_time_tone(kept: int, n: int) -> Tone:
    if not n:
        return "unknown"
    return "ok" if kept == n else "warning" if kept / n >= 0.8 else "alarm"


def districts_panel(ctx: AppContext, d: Desk) -> html.Section:
    steady = ctx.settings.regent.steady_percent
    chips = []
    for district in ctx.settings.districts:
        c = d.districts[district.code]
        direction = trend_of(c.today, c.four_weeks, steady)
        chips.append(
            html.Li(
                [
                    html.Span(district.short, className="chip-name"),
                    html.Div(
                        [
                            html.Span(i18n.number(c.today, digits=0), className="chip-value"),
                            regent.trend(direction, "lower"),
                        ],
                        className="chip-line",
                    ),
                    html.Span(t("regent.vs_four_weeks", n=i18n.number(c.four_weeks, digits=1)), className="chip-hint"),
                ],
                className="regent-chip",
                **attrs(data_district=district.code),
            )
        )
    return panel(
        t("regent.districts_title"),
        html.Ul(chips, className="regent-chips"),
        panel_id="regent-districts",
        aside=regent.age(d.at, FRESH),
    )


def services_panel(ctx: AppContext, d: Desk) -> html.Section:
    rows = [_service_row(s) for s in d.services]
    return panel(
        t("regent.services_title"),
        html.Table(
            [
                _head(
                    [t("regent.service"), t("regent.week"), t("regent.target"), t("regent.weeks8")],
                    {1, 2},
                ),
                html.Tbody(rows),
            ],
            className="scc-table regent-table",
            id="regent-services",
        ),
        panel_id="regent-services-panel",
        className="grow",
    )


def _service_row(s: Service) -> html.Tr:
    m = s.metric
    value = metrics_figures.amount(m, s.value)
    name = metrics_figures.name(m, short=True)
    stale_after = timedelta(seconds=2 * m.interval_s)
    spark_words = t(
        "regent.spark_alt",
        name=name,
        first=metrics_figures.amount(m, next((v for v in s.weeks if v is not None), None)),
        last=metrics_figures.amount(m, s.weeks[-1]),
    )
    return html.Tr(
        [
            html.Th([html.Div(name), regent.age(s.as_of, stale_after)], scope="row"),
            html.Td(
                [
                    html.Div(value, className="regent-today" + (" stale" if s.stale else "")),
                    regent.trend(s.trend, s.better),
                ],
                className="num",
            ),
            html.Td(_target(s), className="num"),
            html.Td(regent.sparkline(s.weeks, spark_words)),
        ],
        **attrs(data_metric=m.key, data_trend=s.trend or "none", data_stale="true" if s.stale else "false"),
    )


def _target(s: Service) -> Any:
    """The target, and under it how far the figure is from it, in words and shape."""
    if s.target is None:
        return html.Span(t("regent.no_target"), className="muted")
    m = s.metric
    target = metrics_figures.amount(m, s.target)
    if s.value is None:
        return target
    met = s.value >= s.target if s.better != "lower" else s.value <= s.target
    if s.week == "last":  # progress towards a total: the share, and what is left
        head = t("regent.share_of", share=i18n.number(s.value / s.target * 100.0, digits=1), target=target)
        words = t("regent.met") if met else t("regent.gap", gap=metrics_figures.amount(m, s.target - s.value))
    else:
        head, words = target, t("regent.met" if met else "regent.not_met")
    return html.Div([html.Div(head), pill(words, "ok" if met else "warning")])


def league_panel(ctx: AppContext, d: Desk) -> html.Section:
    good = ctx.settings.regent.compliance_good_percent / 100.0
    rows = []
    for u in d.league[:LEAGUE_ROWS]:
        share = u.compliance
        tone: Tone = "unknown" if share is None else "ok" if share >= good else "warning" if share >= 0.5 else "alarm"
        rows.append(
            html.Tr(
                [
                    html.Th(labels.skpd(ctx.settings, u.code), scope="row"),
                    html.Td(
                        pill("-" if share is None else i18n.number(share * 100.0, digits=0) + " %", tone),
                        className="num",
                    ),
                    html.Td(pill(t("regent.down"), "alarm") if u.service_down else pill(t("regent.up"), "ok")),
                    html.Td(pill(i18n.number(u.overdue, digits=0), "alarm" if u.overdue else "ok"), className="num"),
                ],
                **attrs(data_unit=u.code),
            )
        )
    behind = sum(
        1 for u in d.league if (u.compliance is not None and u.compliance < good) or u.service_down or u.overdue
    )
    return panel(
        t("regent.league_title"),
        html.Table(
            [
                _head(
                    [t("regent.unit"), t("regent.compliance"), t("regent.service_state"), t("regent.overdue")], {1, 3}
                ),
                html.Tbody(rows),
            ],
            className="scc-table regent-table",
            id="regent-league",
        ),
        panel_id="regent-league-panel",
        aside=html.Span(
            [
                t("regent.league_aside", behind=behind, n=len(d.league), since=_weekday(d.compliance_since)),
                regent.age(d.probes_at, FRESH),
            ],
            className="panel-aside",
        ),
        className="grow",
    )


def _weekday(moment: Any) -> str:
    """Monday 00.00 WITA as its short weekday name: the league's reports are counted from then."""
    return format_datetime(moment, "EEE", tzinfo=WITA, locale=i18n.current_language())


def eyes_panel(d: Desk) -> html.Section:
    e = d.eyes
    cams: Tone = "ok" if e.cameras_up == e.cameras else "warning" if e.cameras_up >= e.cameras * 0.8 else "alarm"
    links: Tone = "ok" if e.links_up == e.links else "alarm"
    alarms: Tone = "alarm" if e.critical else "ok"
    oldest = t("regent.oldest", age=i18n.age(e.oldest_critical, short=True)) if e.oldest_critical else ""
    return panel(
        t("regent.eyes_title"),
        html.Ul(
            [
                _eye("regent-eye-cameras", t("regent.cameras"), f"{e.cameras_up} / {e.cameras}", cams),
                _eye("regent-eye-links", t("regent.links"), f"{e.links_up} / {e.links}", links),
                _eye("regent-eye-alerts", t("regent.critical"), i18n.number(e.critical, digits=0), alarms, oldest),
            ],
            className="regent-eyes",
        ),
        panel_id="regent-eyes",
        aside=regent.age(d.at, FRESH),
    )


def _eye(eye_id: str, label: str, value: str, tone: Tone, hint: str = "") -> html.Li:
    return html.Li(
        [
            html.Span(label, className="eye-label"),
            html.Span(value, className="eye-value"),
            pill(t("tone." + tone), tone),
            html.Span(hint, className="eye-hint") if hint else None,
        ],
        id=eye_id,
        className=f"regent-eye tone-{tone}",
        **attrs(data_tone=tone),
    )
