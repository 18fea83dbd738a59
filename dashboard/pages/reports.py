"""Laporan: the daily and weekly reports, listed with their downloads, and asked for on demand.

Admins, operators and the bupati see every report; SKPD staff their own unit's weekly ones only. Admins
and operators may ask for the report of any past day or week: a request the `reports` process picks up
(dashboard/reports/), shown in the list as waiting until it is ready. The bupati only reads and downloads,
as everywhere (README, "Who sees what"). Downloads go through /reports/<id>/<file>
(dashboard/reports_routes.py), which checks the role again and audits each one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask import abort, request
from flask_login import current_user
from pydantic import StringConstraints

from scc.clock import to_wita, utcnow
from scc.storage.reports import REPORT_KINDS, ReportKind

from .. import i18n
from ..access import EVERYONE, Access
from ..components.forms import dropdown
from ..components.states import empty
from ..components.tables import panel, table
from ..context import AppContext
from ..i18n import t
from ..queries import reports as queries
from ..queries.reports import ReportRow
from ..reports import periods
from ..security import client_addr

PATH = "/reports"
ROLES = EVERYONE
ASKERS = frozenset({"admin", "operator"})
REFRESH_MS = 5_000
Short = Annotated[str, StringConstraints(max_length=40)] | None


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    settings = ctx.settings
    at = settings.app.reports.at

    def layout(**_: object) -> html.Div:
        unit = current_user.role == "skpd"
        parts: list[Any] = [
            html.Div([html.H2(t("reports.title"), className="page-title")], className="page-head"),
            html.P(t("reports.hint_unit") if unit else t("reports.hint", at=at), className="reports-hint"),
        ]
        if current_user.role in ASKERS:
            parts.append(panel(t("reports.ask.title"), ask_form(ctx), panel_id="reports-ask-panel"))
        own = current_user.skpd_code or "-" if unit else ""
        parts += [
            dcc.Interval(id="reports-tick", interval=REFRESH_MS),
            panel(
                t("reports.list.title"),
                html.Div(id="reports-list", children=listing(ctx, own)),
                panel_id="reports-panel",
                aside=whose_picker(ctx, own if unit else None),
            ),
        ]
        return html.Div(parts, className="page reports-page")

    access.page(__name__, path=PATH, roles=ROLES, order=11, title_key="reports.nav", layout=layout)

    @access.callback(
        app,
        Output("reports-list", "children"),
        Input("reports-tick", "n_intervals"),
        Input("reports-whose", "value"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None, whose: Short) -> Any:
        if current_user.role not in ROLES:
            abort(403)
        code = whose or ""
        if code and code not in settings.skpd_by_code:
            abort(400)
        if current_user.role == "skpd":
            if code and code != current_user.skpd_code:
                abort(403)  # another unit's reports, named in the request
            code = current_user.skpd_code or "-"
        return listing(ctx, code)

    @access.callback(
        app,
        Output("reports-asked", "children"),
        Input("reports-go", "n_clicks"),
        State("reports-kind", "value"),
        State("reports-day", "value"),
        State("reports-unit", "value"),
        roles=ASKERS,
        prevent_initial_call=True,
    )
    def ask(n: int | None, kind: Short, day: Short, unit: Short) -> Any:
        if current_user.role not in ASKERS:
            abort(403)
        if not n:
            raise PreventUpdate
        try:
            picked = date.fromisoformat(day or "")
        except ValueError:
            return html.Span(t("reports.ask.bad"), className="text-warning")
        if kind not in REPORT_KINDS or (kind == "unit" and unit not in settings.skpd_by_code):
            return html.Span(t("reports.ask.bad"), className="text-warning")
        chosen: ReportKind = "daily" if kind == "daily" else "weekly" if kind == "weekly" else "unit"
        first = picked if chosen == "daily" else periods.monday_of(picked)
        start, end = periods.span(chosen, first)
        if end > utcnow():
            return html.Span(t("reports.ask.future"), className="text-warning")
        code = unit or "" if chosen == "unit" else ""
        verdict, _ = queries.ask(
            ctx.engine, chosen, first, start, end, current_user.username, code, client_addr(request)
        )
        what = describe(ctx, chosen, start, code)
        key = "reports.ask.queued" if verdict == "queued" else "reports.ask.exists"
        return html.Span(t(key, what=what), className="text-success")


def ask_form(ctx: AppContext) -> html.Div:
    yesterday = to_wita(utcnow()).date() - timedelta(days=1)
    return html.Div(
        [
            html.Div(
                [
                    html.Label(t("reports.ask.kind"), htmlFor="reports-kind", className="picker-label"),
                    dropdown(
                        id="reports-kind",
                        options=[{"label": t(f"reports.kind.{k}"), "value": k} for k in REPORT_KINDS],
                        value="daily",
                        clearable=False,
                        className="picker",
                    ),
                ],
                className="picker-row",
            ),
            html.Div(
                [
                    html.Label(t("reports.ask.day"), htmlFor="reports-day", className="picker-label"),
                    dbc.Input(id="reports-day", type="date", value=yesterday.isoformat(), max=yesterday.isoformat()),
                ],
                className="picker-row",
            ),
            html.Div(
                [
                    html.Label(t("reports.ask.unit"), htmlFor="reports-unit", className="picker-label"),
                    dropdown(
                        id="reports-unit",
                        options=[{"label": f"{u.short} - {u.name}", "value": u.code} for u in ctx.settings.skpd],
                        className="picker",
                    ),
                ],
                className="picker-row",
            ),
            html.Button(t("reports.ask.go"), id="reports-go", className="btn btn-primary"),
            html.Div(id="reports-asked", role="status"),
        ],
        className="reports-ask",
    )


def label(ctx: AppContext, kind: ReportKind, code: str) -> str:
    if kind == "unit":
        unit = ctx.settings.skpd_by_code.get(code)
        return f"{t('reports.kind.unit')} {unit.short if unit else code}"
    return t(f"reports.kind.{kind}")


def describe(ctx: AppContext, kind: ReportKind, start: datetime, code: str) -> str:
    return f"{label(ctx, kind, code)} {i18n.date(start)}"


def whose_picker(ctx: AppContext, own: str | None) -> html.Div:
    """Whose reports the list shows: the regency's (daily and weekly), or one unit's weekly ones; SKPD staff
    their own unit's, the picker showing it and fixed (the refresh takes the unit from the account anyway)."""
    units = [u for u in ctx.settings.skpd if own is None or u.code == own]
    options = [] if own is not None else [{"label": t("reports.whose.regency"), "value": ""}]
    options += [{"label": f"{u.short} - {u.name}", "value": u.code} for u in units]
    picker = dropdown(
        id="reports-whose", options=options, value=own or "", clearable=False, disabled=own is not None,
        className="picker",
    )  # fmt: skip
    return html.Div(
        [html.Label(t("reports.whose.label"), htmlFor="reports-whose", className="picker-label"), picker],
        className="picker-row reports-whose",
    )


def listing(ctx: AppContext, code: str) -> Any:
    """The reports of the regency (`code` ''), or of one unit, newest first."""
    rows: list[ReportRow] = queries.listing(ctx.engine, code)
    if not rows:
        return empty("reports.list.empty_title", "reports.list.empty_hint")
    headers = [t(f"reports.list.{k}") for k in ("kind", "period", "status", "made", "by", "files")]
    body = []
    for r in rows:
        last = r.period_end - timedelta(days=1)
        period = i18n.date(r.period_start) if r.kind == "daily" else f"{i18n.date(r.period_start)} - {i18n.date(last)}"
        names = r.files if r.status == "ready" else []
        links = [html.A(n.rsplit(".", 1)[-1].upper(), href=f"/reports/{r.id}/{n}", className="me-2") for n in names]
        status = t(f"reports.status.{r.status}")
        body.append(
            [
                label(ctx, r.kind, r.skpd_code),
                period,
                html.Span(status, title=r.error or "", className="text-danger" if r.status == "failed" else ""),
                i18n.datetime_wita(r.made_at) if r.made_at else "-",
                r.requested_by or t("reports.list.schedule"),
                html.Span(links),
            ]
        )
    return table(headers, body, "reports-table")
