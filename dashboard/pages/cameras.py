"""Cameras: every configured camera with its live state from storage."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import dash
from dash import Input, Output, dcc, html

from .. import i18n
from ..access import STAFF, Access
from ..context import AppContext
from ..queries.cameras import cameras
from ..components.states import empty
from ..components.tables import badge, table
from ..i18n import t

PATH = "/cameras"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return html.Div([
            html.H2(t("cameras.title"), className="h4"),
            dcc.Interval(id="cameras-tick", interval=ctx.settings.app.web.refresh_s * 1000),
            html.Div(id="cameras-body", children=body(ctx)),
        ])

    access.page(__name__, path=PATH, roles=STAFF, order=1, title_key="nav.cameras", layout=layout)

    @access.callback(app, Output("cameras-body", "children"), Input("cameras-tick", "n_intervals"),
                     roles=STAFF, prevent_initial_call=True)
    def refresh(_n):
        return body(ctx)


def body(ctx: AppContext) -> list:
    rows = cameras(ctx.engine, ctx.settings)
    active = [c for c in rows if not c.planned]
    planned = [c for c in rows if c.planned]
    district = ctx.settings.district_by_code
    skpd = ctx.settings.skpd_by_code
    out = []
    if all(c.status == "nodata" for c in active):
        out.append(empty("cameras.empty_title", "cameras.empty_hint"))
    out.append(dbc.Card([
        dbc.CardHeader(t("cameras.active", n=len(active))),
        dbc.CardBody(table(
            [t("cameras.name"), t("cameras.skpd"), t("cameras.link"), t("cameras.status"),
             t("cameras.last_frame"), t("cameras.fps"), t("cameras.reconnects")],
            [[c.name, skpd[c.skpd].short, t("link." + c.link),
              badge(t("camera." + c.status), c.status), i18n.datetime_wita(c.last_frame_at),
              i18n.number(c.fps), i18n.number(c.reconnects, digits=0)] for c in active],
            table_id="cameras-table")),
    ], className="mb-3"))
    out.append(dbc.Card([
        dbc.CardHeader(t("cameras.planned", n=len(planned))),
        dbc.CardBody(table([t("cameras.name"), t("cameras.district"), t("cameras.skpd")],
                           [[c.name, district[c.district].name, skpd[c.skpd].short] for c in planned])),
    ]))
    return out
