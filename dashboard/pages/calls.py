"""Calls: the recorded incidents, and the call lines the center answers."""

from __future__ import annotations

import dash
from dash import Input, Output, dcc, html

from .. import i18n
from ..access import STAFF, Access
from ..components import labels, status
from ..components.states import empty
from ..components.tables import kpi, panel, table
from ..context import AppContext
from ..i18n import t
from ..queries.calls import incident_counts, recent_incidents

PATH = "/calls"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return html.Div(
            [
                html.H2(t("calls.title"), className="page-title"),
                dcc.Interval(id="calls-tick", interval=ctx.settings.app.web.refresh_s * 1000),
                html.Div(id="calls-body", className="calls", children=body(ctx)),
            ],
            className="page wall-page",
        )

    access.page(__name__, path=PATH, roles=STAFF, order=2, title_key="nav.calls", layout=layout)

    @access.callback(
        app,
        Output("calls-body", "children"),
        Input("calls-tick", "n_intervals"),
        roles=STAFF,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None):
        return body(ctx)


def body(ctx: AppContext) -> list:
    rows = recent_incidents(ctx.engine)
    counts = incident_counts(ctx.engine)
    figures = html.Div(
        [
            kpi(
                "calls-open",
                t("overview.calls_open"),
                i18n.number(counts["open"], digits=0),
                t("calls.open_hint"),
                status.open_incidents_tone(counts["open"], [r["status"] for r in rows]),
            ),
            kpi(
                "calls-day",
                t("calls.last_24h"),
                i18n.number(counts["last_24h"], digits=0),
                t("calls.day_hint"),
                None,
            ),
        ],
        className="kpis kpis-stack",
    )
    return [
        html.Div(
            [
                panel(t("calls.recent"), incidents(ctx, rows), panel_id="calls-recent", fit=True),
                html.Div(
                    [figures, panel(t("calls.lines"), lines(ctx), panel_id="calls-lines", fit=True)],
                    className="calls-side",
                ),
            ],
            className="calls-main grow",
        )
    ]


def incidents(ctx: AppContext, rows: list[dict]):
    if not rows:
        return empty("calls.empty_title", "calls.empty_hint")
    return table(
        [t("calls.received"), t("calls.status"), t("calls.line"), t("calls.district"), t("calls.summary")],
        [
            [
                i18n.when(r["received_at"]),
                status.badge("incident", r["status"]),
                labels.call_line(ctx.settings, r["line_code"]),
                labels.district(ctx.settings, r["district"]),
                r["summary"],
            ]
            for r in rows
        ],
        table_id="calls-table",
    )


def lines(ctx: AppContext):
    return html.Ul(
        [
            html.Li(
                [
                    html.Div(labels.call_line(ctx.settings, line.code), className="line-name", title=line.name),
                    html.Div(
                        ", ".join(line.numbers) or t("calls.no_number"),
                        className="line-numbers" + ("" if line.numbers else " line-none"),
                    ),
                ],
                className="line-item fit-item",
            )
            for line in ctx.settings.call_lines
        ],
        className="line-list",
        id="call-lines",
    )
