"""Calls: the call lines the center answers, and the recorded incidents."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import dash
from dash import Input, Output, dcc, html

from .. import i18n
from ..access import STAFF, Access
from ..context import AppContext
from ..queries.calls import recent_incidents
from ..components.states import empty
from ..components.tables import badge, table
from ..i18n import t

PATH = "/calls"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return html.Div([
            html.H2(t("calls.title"), className="h4"),
            dcc.Interval(id="calls-tick", interval=ctx.settings.app.web.refresh_s * 1000),
            dbc.Row([
                dbc.Col(dbc.Card([dbc.CardHeader(t("calls.recent")),
                                  dbc.CardBody(id="calls-body", children=incidents(ctx))]), lg=8),
                dbc.Col(dbc.Card([dbc.CardHeader(t("calls.lines")), dbc.CardBody(lines(ctx))]), lg=4),
            ], className="g-3"),
        ])

    access.page(__name__, path=PATH, roles=STAFF, order=2, title_key="nav.calls", layout=layout)

    @access.callback(app, Output("calls-body", "children"), Input("calls-tick", "n_intervals"),
                     roles=STAFF, prevent_initial_call=True)
    def refresh(_n):
        return incidents(ctx)


def incidents(ctx: AppContext):
    rows = recent_incidents(ctx.engine)
    if not rows:
        return empty("calls.empty_title", "calls.empty_hint")
    lines_by_code = {line.code: line.name for line in ctx.settings.call_lines}
    return table(
        [t("calls.received"), t("calls.line"), t("calls.district"), t("calls.status"), t("calls.summary")],
        [[i18n.datetime_wita(r["received_at"]), lines_by_code.get(r["line_code"], r["line_code"]),
          r["district"] or "-", badge(t("incident." + r["status"]), r["status"]), r["summary"]] for r in rows])


def lines(ctx: AppContext):
    return table(
        [t("calls.line"), t("calls.numbers")],
        [[line.name, ", ".join(line.numbers) or t("calls.no_number")] for line in ctx.settings.call_lines],
        table_id="call-lines")
