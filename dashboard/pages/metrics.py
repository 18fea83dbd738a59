"""SKPD metrics: each unit's latest figures against the catalog.

SKPD staff see only their own unit: the selector is fixed for them, and the
callback refuses any other unit even if the request is forged.
"""

from __future__ import annotations

import dash
from dash import Input, Output, dcc, html
from flask import abort
from flask_login import current_user

from .. import i18n
from ..access import EVERYONE, Access
from ..context import AppContext
from ..queries.metrics import latest_metrics
from ..components.states import empty
from ..components.tables import badge, table
from ..i18n import t

PATH = "/metrics"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        own = current_user.skpd_code if current_user.role == "skpd" else None
        units = [s for s in ctx.settings.skpd if own is None or s.code == own]
        return html.Div([
            html.H2(t("metrics.title"), className="h4"),
            dcc.Interval(id="metrics-tick", interval=ctx.settings.app.web.refresh_s * 1000),
            dcc.Dropdown(id="metrics-skpd", options=[{"label": f"{s.short} - {s.name}", "value": s.code}
                                                     for s in units],
                         value=units[0].code, clearable=False, disabled=own is not None,
                         className="mb-3", style={"maxWidth": "640px"}),
            html.Div(id="metrics-body"),
        ])

    access.page(__name__, path=PATH, roles=EVERYONE, order=3, title_key="nav.metrics", layout=layout)

    @access.callback(app, Output("metrics-body", "children"), Input("metrics-skpd", "value"),
                     Input("metrics-tick", "n_intervals"), roles=EVERYONE)
    def refresh(code, _n):
        if code not in ctx.settings.skpd_by_code:
            abort(400)
        if current_user.role == "skpd" and code != current_user.skpd_code:
            abort(403)
        return body(ctx, code)


def body(ctx: AppContext, code: str):
    rows = latest_metrics(ctx.engine, ctx.settings, code)
    out = []
    if all(r["status"] == "nodata" for r in rows):
        out.append(empty("metrics.empty_title", "metrics.empty_hint"))
    lang = i18n.current_language()
    out.append(table(
        [t("metrics.metric"), t("metrics.value"), t("metrics.target"), t("metrics.at"), t("metrics.status")],
        [[getattr(r["metric"].name, lang),
          f"{i18n.number(r['value'])} {t('unit.' + r['metric'].unit)}" if r["value"] is not None else "-",
          i18n.number(r["metric"].target, digits=0), i18n.datetime_wita(r["ts"]),
          badge(t("metric." + r["status"]), r["status"])] for r in rows],
        table_id="metrics-table"))
    return out
