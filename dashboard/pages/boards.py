"""The public boards' page: a unit's display links and its announcement (docs/design.md §3.9).

An admin manages every unit with a board (config/boards.yaml); a unit's SKPD staff only their own, which
every callback takes from `current_user.skpd_code` (another unit named in a request: 403). The bupati and
the operators have no control here and cannot open the page. A new link is shown once, in full, to whoever
made it: only its hash is kept (scc/boards.py), like a password the admin page shows once. Every write is
audited by scc.boards.
"""

from __future__ import annotations

from typing import Annotated, Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask import abort, request
from flask_login import current_user
from pydantic import StringConstraints

from scc import boards
from scc.boards import MAX_LABEL, BoardError

from ..access import Access
from ..components.forms import dropdown
from ..components.states import empty
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t, when
from ..queries import boards as board_queries

PATH = "/boards"
ROLES = frozenset({"admin", "skpd"})
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL * 4)] | None
Notice = Annotated[str, StringConstraints(max_length=4000)] | None
Unit = Annotated[str, StringConstraints(max_length=40)] | None


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    settings = ctx.settings
    codes = [b.skpd for b in settings.boards.boards]

    def layout(**_: object) -> html.Div:
        own = current_user.skpd_code if current_user.role == "skpd" else None
        units = [settings.skpd_by_code[c] for c in codes if own is None or c == own]
        if own is not None and not units:
            return html.Div(
                [html.H2(t("boards.title"), className="page-title"), empty("boards.none", "boards.none_hint")]
            )
        picker = dropdown(
            id="boards-unit",
            options=[{"label": f"{s.short} - {s.name}", "value": s.code} for s in units],
            value=units[0].code if own or len(units) == 1 else None,
            clearable=False,
            disabled=own is not None,
            placeholder=t("boards.pick"),
            className="picker",
        )
        return html.Div(
            [
                html.Div(
                    [
                        html.H2(t("boards.title"), className="page-title"),
                        html.Div(
                            [html.Label(t("boards.unit"), htmlFor="boards-unit", className="picker-label"), picker],
                            className="picker-row",
                        ),
                    ],
                    className="page-head",
                ),
                html.P(t("boards.intro"), className="form-hint"),
                html.Div(id="boards-body"),
            ],
            className="page boards-page",
        )

    access.page(__name__, path=PATH, roles=ROLES, order=10, title_key="boards.nav", layout=layout)

    def which_unit(code: str | None) -> str | None:
        """The unit a request may manage: an SKPD's own whatever the request says (another: 403)."""
        if code is None:
            return current_user.skpd_code if current_user.role == "skpd" else None
        if not boards.may_manage(current_user.role, current_user.skpd_code, code):
            abort(403)
        if code not in codes:
            abort(400)
        return code

    def actor() -> boards.Actor:
        return boards.Actor(current_user.username, current_user.role, current_user.skpd_code, request.remote_addr)

    @access.callback(app, Output("boards-body", "children"), Input("boards-unit", "value"), roles=ROLES)
    def show(code: Unit) -> Any:
        unit = which_unit(code)
        if unit is None or unit not in codes:
            return empty("boards.pick_title", "boards.pick_hint")
        return body(ctx, unit)

    @access.callback(
        app,
        Output("boards-notice-result", "children"),
        Input("boards-notice-save", "n_clicks"),
        State("boards-unit", "value"),
        State("boards-notice-text", "value"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def save_notice(_n: int | None, code: Unit, text: Notice) -> Any:
        unit = which_unit(code)
        if unit is None:
            return dbc.Alert(t("boards.pick_title"), color="warning")
        try:
            stored = boards.set_announcement(ctx.engine, settings, unit, text or "", actor())
        except BoardError as exc:
            return dbc.Alert(t("boards.error." + exc.code, **exc.params), color="danger", id="boards-error")
        return dbc.Alert(t("boards.notice_saved" if stored else "boards.notice_cleared"), color="success",
                         id="boards-notice-saved")  # fmt: skip

    @access.callback(
        app,
        Output("boards-link-result", "children"),
        Output("boards-links", "children"),
        Input("boards-link-create", "n_clicks"),
        State("boards-unit", "value"),
        State("boards-link-label", "value"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def create(_n: int | None, code: Unit, label: Label) -> Any:
        unit = which_unit(code)
        if unit is None:
            return dbc.Alert(t("boards.pick_title"), color="warning"), dash.no_update
        try:
            _id, token = boards.create_link(ctx.engine, settings, unit, label or "", actor())
        except BoardError as exc:
            return dbc.Alert(t("boards.error." + exc.code, **exc.params), color="danger", id="boards-error"), links(
                ctx, unit
            )
        url = f"{request.host_url.rstrip('/')}/board/{token}"
        shown = dbc.Alert(
            [html.Div(t("boards.created")), html.Code(url, id="boards-new-link", className="boards-url")],
            color="success",
        )
        return shown, links(ctx, unit)

    @access.callback(
        app,
        Output("boards-link-result", "children", allow_duplicate=True),
        Output("boards-links", "children", allow_duplicate=True),
        Input("boards-revoke", "n_clicks"),
        State("boards-unit", "value"),
        State("boards-revoke-pick", "value"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def revoke(_n: int | None, code: Unit, link_id: int | None) -> Any:
        unit = which_unit(code)
        if unit is None or link_id is None:
            return dbc.Alert(t("boards.revoke_pick"), color="warning"), dash.no_update
        try:
            done = boards.revoke_link(ctx.engine, settings, link_id, actor())
        except BoardError as exc:
            return dbc.Alert(t("boards.error." + exc.code, **exc.params), color="danger", id="boards-error"), links(
                ctx, unit
            )
        message = t("boards.revoked" if done else "boards.revoked_already")
        return dbc.Alert(message, color="success", id="boards-revoked"), links(ctx, unit)


def body(ctx: AppContext, unit: str) -> html.Div:
    settings = ctx.settings
    notice = board_queries.announcement(ctx.engine, unit)
    limit = settings.boards.announcement_chars
    announce = panel(
        t("boards.notice"),
        [
            dbc.Label(t("boards.notice_label"), html_for="boards-notice-text"),
            html.P(t("boards.notice_hint", n=limit), className="form-hint"),
            dcc.Textarea(
                id="boards-notice-text",
                value=notice[0] if notice else "",
                maxLength=limit,
                rows=3,
                className="form-control mb-2",
            ),
            dbc.Button(t("boards.notice_save"), id="boards-notice-save", color="primary"),
            html.Div(id="boards-notice-result", className="mt-2", role="status"),
        ],
    )
    make = panel(
        t("boards.links"),
        [
            html.P(t("boards.links_hint", s=settings.boards.refresh_s), className="form-hint"),
            html.Div(
                [
                    dbc.Label(t("boards.label"), html_for="boards-link-label"),
                    dcc.Input(id="boards-link-label", maxLength=MAX_LABEL, className="form-control mb-2"),
                    dbc.Button(t("boards.create"), id="boards-link-create", color="primary"),
                ]
            ),
            html.Div(id="boards-link-result", className="mt-2", role="status"),
            html.Div(links(ctx, unit), id="boards-links", className="mt-3"),
        ],
    )
    return html.Div([announce, make], className="boards-body")


def links(ctx: AppContext, unit: str) -> html.Div:
    rows = board_queries.links(ctx.engine, [unit])
    if not rows:
        return empty("boards.no_links", "boards.no_links_hint")
    live = [r for r in rows if r.revoked_at is None]
    table = dbc.Table(
        [
            html.Thead(html.Tr([html.Th(t(f"boards.col.{c}")) for c in ("label", "made", "seen", "state")])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(r.label),
                            html.Td(f"{when(r.created_at)} · {r.created_by}"),
                            html.Td(when(r.last_seen_at) if r.last_seen_at else t("boards.never_seen")),
                            html.Td(
                                t("boards.state_live")
                                if r.revoked_at is None
                                else t("boards.state_revoked", at=when(r.revoked_at), by=r.revoked_by or "-")
                            ),
                        ]
                    )
                    for r in rows
                ]
            ),
        ],
        className="table-sm",
        id="boards-link-table",
    )
    revoke = html.Div(
        [
            dbc.Label(t("boards.revoke_label"), html_for="boards-revoke-pick"),
            dropdown(
                id="boards-revoke-pick",
                options=[{"label": f"{r.label} ({when(r.created_at)})", "value": r.id} for r in live],
                placeholder=t("boards.revoke_pick"),
                className="picker mb-2",
            ),
            dbc.Button(t("boards.revoke"), id="boards-revoke", color="danger", disabled=not live),
        ]
    )
    return html.Div([table, revoke])
