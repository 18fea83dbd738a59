"""Overview: the video wall's summary of cameras, calls and SKPD services."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import dash
from dash import Input, Output, dcc, html

from .. import i18n
from ..access import STAFF, Access
from ..context import AppContext
from ..queries.overview import overview
from ..components.states import empty
from ..components.tables import badge, kpi, table
from ..i18n import t

PATH = "/"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return html.Div([
            html.H2(t("overview.title"), className="h4"),
            dcc.Interval(id="overview-tick", interval=ctx.settings.app.web.refresh_s * 1000),
            html.Div(id="overview-body", children=body(overview(ctx.engine, ctx.settings))),
        ])

    access.page(__name__, path=PATH, roles=STAFF, order=0, title_key="nav.overview", layout=layout)

    @access.callback(app, Output("overview-body", "children"), Input("overview-tick", "n_intervals"),
                     roles=STAFF, prevent_initial_call=True)
    def refresh(_n):
        return body(overview(ctx.engine, ctx.settings))


def body(data: dict) -> list:
    cams, calls, skpd = data["cameras"], data["calls"], data["skpd"]
    online = cams.get("online", 0)
    cards = dbc.Row([
        dbc.Col(kpi("kpi-cameras", t("overview.cameras_online"), f"{online} / {cams['total']}",
                    t("overview.cameras_hint", nodata=cams.get("nodata", 0), planned=cams["planned"]),
                    "success" if online == cams["total"] else "warning"), md=3),
        dbc.Col(kpi("kpi-calls-open", t("overview.calls_open"), i18n.number(calls["open"], digits=0),
                    t("overview.calls_hint", n=i18n.number(calls["last_24h"], digits=0)), "danger"), md=3),
        dbc.Col(kpi("kpi-skpd", t("overview.skpd_online"), f"{skpd['online']} / {skpd['total']}",
                    t("overview.skpd_hint", silent=skpd["silent"]), "primary"), md=3),
        dbc.Col(kpi("kpi-problems", t("overview.camera_problems"),
                    i18n.number(len(data["problem_cameras"]), digits=0), t("overview.problems_hint"),
                    "secondary"), md=3),
    ], className="g-3 mb-3")
    if data["incidents"]:
        calls_block = table(
            [t("calls.received"), t("calls.line"), t("calls.status"), t("calls.summary")],
            [[i18n.datetime_wita(r["received_at"]), r["line_code"], badge(t("incident." + r["status"]), r["status"]),
              r["summary"]] for r in data["incidents"]])
    else:
        calls_block = empty("calls.empty_title", "calls.empty_hint")
    if data["problem_cameras"]:
        cams_block = table([t("cameras.name"), t("cameras.status"), t("cameras.last_error")],
                           [[c.name, badge(t("camera." + c.status), c.status), c.last_error or "-"]
                            for c in data["problem_cameras"]])
    elif cams.get("nodata", 0) == cams["total"]:
        cams_block = empty("cameras.empty_title", "cameras.empty_hint")
    else:
        cams_block = html.P(t("overview.all_cameras_ok"), className="text-success mb-0")
    return [cards, dbc.Row([
        dbc.Col(dbc.Card([dbc.CardHeader(t("overview.latest_calls")), dbc.CardBody(calls_block)]), md=7),
        dbc.Col(dbc.Card([dbc.CardHeader(t("overview.camera_problems")), dbc.CardBody(cams_block)]), md=5),
    ], className="g-3")]
