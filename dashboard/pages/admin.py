"""Administration: users, configuration summary, audit log, health."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask_login import current_user

from scc import users
from scc.users import ROLES, UserError

from .. import i18n
from ..access import ADMIN, Access
from ..context import AppContext
from ..queries import platform
from ..components.tables import badge, table
from ..i18n import t

PATH = "/admin"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return html.Div([
            html.H2(t("admin.title"), className="h4"),
            dbc.Tabs([
                dbc.Tab(users_tab(ctx), label=t("admin.users"), tab_id="users"),
                dbc.Tab(config_tab(ctx), label=t("admin.config"), tab_id="config"),
                dbc.Tab(html.Div(audit_table(ctx), id="admin-audit", className="pt-3"),
                        label=t("admin.audit"), tab_id="audit"),
                dbc.Tab(html.Div(health_table(ctx), id="admin-health", className="pt-3"),
                        label=t("admin.health"), tab_id="health"),
            ], id="admin-tabs", active_tab="users"),
        ])

    access.page(__name__, path=PATH, roles=ADMIN, order=4, title_key="nav.admin", layout=layout)

    @access.callback(app, Output("admin-result", "children"), Output("admin-users", "children"),
                     Input("admin-create", "n_clicks"),
                     State("new-username", "value"), State("new-fullname", "value"), State("new-role", "value"),
                     State("new-skpd", "value"), roles=ADMIN, prevent_initial_call=True)
    def create(_n, username, full_name, role, skpd_code):
        try:
            user, password = users.create_user(
                ctx.engine, username=(username or "").strip().lower(), role=role or "",
                skpd_code=skpd_code if role == "skpd" else None, full_name=full_name or "",
                language=ctx.settings.app.language, actor=current_user.username,
                known_skpd=set(ctx.settings.skpd_by_code))
        except UserError as exc:
            return dbc.Alert(t("error." + exc.code, **exc.params), color="danger"), user_list(ctx)
        return (dbc.Alert([t("admin.created", user=user.username), html.Code(password, id="new-password")],
                          color="success"), user_list(ctx))

    @access.callback(app, Output("admin-result", "children", allow_duplicate=True),
                     Output("admin-users", "children", allow_duplicate=True),
                     Input("admin-disable", "n_clicks"), Input("admin-enable", "n_clicks"),
                     Input("admin-reset", "n_clicks"), State("target-user", "value"),
                     roles=ADMIN, prevent_initial_call=True)
    def change(_d, _e, _r, username):
        from dash import ctx as dash_ctx
        action = dash_ctx.triggered_id
        try:
            if not username:
                raise UserError("pick_user", "pick a user first")
            if action == "admin-reset":
                password = users.reset_password(ctx.engine, username, actor=current_user.username)
                message = [t("admin.reset_done", user=username), html.Code(password, id="reset-password")]
            else:
                users.set_active(ctx.engine, username, action == "admin-enable", actor=current_user.username)
                message = t("admin.saved")
        except UserError as exc:
            return dbc.Alert(t("error." + exc.code, **exc.params), color="danger"), user_list(ctx)
        return dbc.Alert(message, color="success"), user_list(ctx)


def users_tab(ctx: AppContext):
    role_options = [{"label": t("role." + r), "value": r} for r in ROLES]
    skpd_options = [{"label": f"{s.short} - {s.name}", "value": s.code} for s in ctx.settings.skpd]
    user_options = [{"label": u.username, "value": u.username} for u in platform.user_list(ctx.engine)]
    form = dbc.Card(dbc.CardBody([
        html.H3(t("admin.add_user"), className="h6"),
        dbc.Input(id="new-username", placeholder=t("login.username"), className="mb-2"),
        dbc.Input(id="new-fullname", placeholder=t("admin.full_name"), className="mb-2"),
        dcc.Dropdown(id="new-role", options=role_options, placeholder=t("admin.role"), className="mb-2"),
        dcc.Dropdown(id="new-skpd", options=skpd_options, placeholder=t("admin.skpd_hint"), className="mb-2"),
        dbc.Button(t("admin.create"), id="admin-create", color="primary", size="sm"),
        html.Hr(),
        html.H3(t("admin.change_user"), className="h6"),
        dcc.Dropdown(id="target-user", options=user_options, className="mb-2"),
        dbc.ButtonGroup([
            dbc.Button(t("admin.disable"), id="admin-disable", color="danger", outline=True, size="sm"),
            dbc.Button(t("admin.enable"), id="admin-enable", color="success", outline=True, size="sm"),
            dbc.Button(t("admin.reset"), id="admin-reset", color="secondary", outline=True, size="sm"),
        ]),
        html.Div(id="admin-result", className="mt-3"),
    ]))
    return dbc.Row([dbc.Col(html.Div(user_list(ctx), id="admin-users"), lg=8), dbc.Col(form, lg=4)],
                   className="g-3 pt-3")


def user_list(ctx: AppContext):
    return table(
        [t("login.username"), t("admin.full_name"), t("admin.role"), "SKPD", t("admin.language"), t("admin.active")],
        [[u.username, u.full_name, t("role." + u.role), u.skpd_code or "-", u.language.upper(),
          badge(t("admin.yes") if u.active else t("admin.no"), "ok" if u.active else "stopped")]
         for u in platform.user_list(ctx.engine)], table_id="users-table")


def config_tab(ctx: AppContext):
    s = ctx.settings
    active = sum(1 for c in s.cameras if c.status == "active")
    rows = [
        [t("admin.config_dir"), str(s.config_dir)],
        [t("admin.database"), platform.database_location(s)],
        [t("admin.districts"), i18n.number(len(s.districts), digits=0)],
        ["SKPD", i18n.number(len(s.skpd), digits=0)],
        [t("admin.cameras"), t("admin.cameras_count", active=active, planned=len(s.cameras) - active)],
        [t("admin.call_lines"), i18n.number(len(s.call_lines), digits=0)],
        [t("admin.metrics"), i18n.number(len(s.metrics), digits=0)],
        [t("admin.estimates"), i18n.number(sum(1 for m in s.metrics if m.estimate), digits=0)],
    ]
    return html.Div(table([t("admin.setting"), t("admin.value")], rows, table_id="config-table"), className="pt-3")


def audit_table(ctx: AppContext):
    return table([t("admin.when"), t("admin.who"), t("admin.action"), t("admin.target"), t("admin.from")],
                 [[i18n.datetime_wita(r["at"]), r["actor"], r["action"], r["target"], r["remote_addr"] or "-"]
                  for r in platform.audit_entries(ctx.engine)], table_id="audit-table")


def health_table(ctx: AppContext):
    return table([t("admin.component"), t("cameras.status"), t("admin.restarts"), "PID", t("admin.heartbeat"),
                  t("admin.backlog"), t("admin.detail")],
                 [[r.name, badge(t("health." + r.status), r.status), i18n.number(r.restarts, digits=0),
                   r.pid or "-", i18n.datetime_wita(r.beat_at), i18n.number(r.backlog, digits=0),
                   r.detail or r.last_exit] for r in platform.components(ctx.engine)], table_id="health-table")
