"""Administration: users, configuration summary, refused access and the audit log, health."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from flask_login import current_user

from scc import users
from scc.users import ROLES, UserError

from .. import i18n
from ..access import ADMIN, Access
from ..components.forms import dropdown
from ..components.metrics_publishing import rejections_table
from ..components.states import empty
from ..components.status import attrs, badge, yes_no
from ..components.tables import panel, table
from ..context import AppContext
from ..i18n import t
from ..queries import platform
from ..queries.metrics_received import rejections

PATH = "/admin"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(tab: str = "users", **_):
        """One section at a time, chosen by `?tab=`: links, so each section has its own address."""
        sections = {
            "users": (t("admin.users"), lambda: users_tab(ctx)),
            "config": (t("admin.config"), lambda: config_tab(ctx)),
            "audit": (t("admin.audit"), lambda: audit_tab(ctx)),
            "health": (t("admin.health"), lambda: html.Div(health_table(ctx), id="admin-health", className="pt-3")),
            "rejected": (t("admin.rejected"), lambda: rejected_tab(ctx)),
        }
        current = tab if isinstance(tab, str) and tab in sections else "users"
        return html.Div(
            [
                html.H2(t("admin.title"), className="page-title"),
                html.Nav(
                    [
                        dbc.NavLink(label, href=f"{PATH}?tab={key}", active=key == current, id=f"admin-tab-{key}")
                        for key, (label, _) in sections.items()
                    ],
                    className="nav nav-tabs scc-tabs",
                    id="admin-tabs",
                    **attrs(aria_label=t("admin.sections")),
                ),
                sections[current][1](),
            ],
            className="page admin-page",
        )

    access.page(__name__, path=PATH, roles=ADMIN, order=6, title_key="nav.admin", layout=layout)

    @access.callback(app, Output("admin-rejected", "children"), Input("rejected-unit", "value"), roles=ADMIN)
    def rejected_for(code: str | None):
        """Every unit's refused messages, or one unit's; a message naming no known unit shows under all."""
        if code is not None and code not in ctx.settings.skpd_by_code:
            return rejected_list(ctx, None)
        return rejected_list(ctx, code)

    @access.callback(
        app,
        Output("admin-result", "children"),
        Output("admin-users", "children"),
        Input("admin-create", "n_clicks"),
        State("new-username", "value"),
        State("new-fullname", "value"),
        State("new-role", "value"),
        State("new-skpd", "value"),
        roles=ADMIN,
        prevent_initial_call=True,
    )
    def create(_n: int | None, username: str | None, full_name: str | None, role: str | None, skpd_code: str | None):
        try:
            user, password = users.create_user(
                ctx.engine,
                username=(username or "").strip().lower(),
                role=role or "",
                skpd_code=skpd_code if role == "skpd" else None,
                full_name=full_name or "",
                language=ctx.settings.app.language,
                actor=current_user.username,
                known_skpd=set(ctx.settings.skpd_by_code),
            )
        except UserError as exc:
            return dbc.Alert(t("error." + exc.code, **exc.params), color="danger"), user_list(ctx)
        return (
            dbc.Alert(
                [t("admin.created", user=user.username), html.Code(password, id="new-password")], color="success"
            ),
            user_list(ctx),
        )

    @access.callback(
        app,
        Output("admin-result", "children", allow_duplicate=True),
        Output("admin-users", "children", allow_duplicate=True),
        Input("admin-disable", "n_clicks"),
        Input("admin-enable", "n_clicks"),
        Input("admin-reset", "n_clicks"),
        Input("admin-kiosk-save", "n_clicks"),
        State("target-user", "value"),
        State("admin-kiosk", "value"),
        roles=ADMIN,
        prevent_initial_call=True,
    )
    def change(
        _d: int | None, _e: int | None, _r: int | None, _k: int | None, username: str | None, kiosk: bool | None
    ):
        from dash import ctx as dash_ctx

        action = dash_ctx.triggered_id
        try:
            if not username:
                raise UserError("pick_user", "pick a user first")
            if action == "admin-reset":
                password = users.reset_password(ctx.engine, username, actor=current_user.username)
                message: object = [t("admin.reset_done", user=username), html.Code(password, id="reset-password")]
            elif action == "admin-kiosk-save":
                users.set_kiosk(ctx.engine, username, bool(kiosk), actor=current_user.username)
                message = t("admin.kiosk_on", user=username) if kiosk else t("admin.kiosk_off", user=username)
            else:
                users.set_active(ctx.engine, username, action == "admin-enable", actor=current_user.username)
                message = t("admin.saved")
        except UserError as exc:
            return dbc.Alert(t("error." + exc.code, **exc.params), color="danger"), user_list(ctx)
        return dbc.Alert(message, color="success"), user_list(ctx)

    @access.callback(
        app, Output("admin-kiosk", "value"), Input("target-user", "value"), roles=ADMIN, prevent_initial_call=True
    )
    def show_kiosk(username: str | None) -> bool:
        """The switch shows the picked user's own setting, so saving changes only what the admin changed."""
        user = users.get_by_username(ctx.engine, username) if username else None
        return bool(user and user.kiosk)


def users_tab(ctx: AppContext):
    role_options = [{"label": t("role." + r), "value": r} for r in ROLES]
    skpd_options = [{"label": f"{s.short} - {s.name}", "value": s.code} for s in ctx.settings.skpd]
    user_options = [{"label": u.username, "value": u.username} for u in platform.user_list(ctx.engine)]
    form = html.Div(
        [
            html.H3(t("admin.add_user"), className="form-title"),
            dbc.Label(t("login.username"), html_for="new-username"),
            dbc.Input(id="new-username", className="mb-2"),
            dbc.Label(t("admin.full_name"), html_for="new-fullname"),
            dbc.Input(id="new-fullname", className="mb-2"),
            dbc.Label(t("admin.role"), html_for="new-role"),
            dropdown(id="new-role", options=role_options, className="mb-2"),
            dbc.Label(t("admin.skpd_hint"), html_for="new-skpd"),
            dropdown(id="new-skpd", options=skpd_options, className="mb-3"),
            dbc.Button(t("admin.create"), id="admin-create", color="primary"),
            html.Hr(),
            html.H3(t("admin.change_user"), className="form-title"),
            dbc.Label(t("admin.pick_user"), html_for="target-user"),
            dropdown(id="target-user", options=user_options, className="mb-3"),
            html.Div(
                [
                    dbc.Button(t("admin.disable"), id="admin-disable", color="danger", outline=True),
                    dbc.Button(t("admin.enable"), id="admin-enable", color="success", outline=True),
                    dbc.Button(t("admin.reset"), id="admin-reset", color="secondary", outline=True),
                ],
                className="button-row mb-3",
            ),
            html.Div(
                [
                    dbc.Switch(id="admin-kiosk", label=t("admin.kiosk"), value=False, className="kiosk-switch"),
                    dbc.Button(t("admin.kiosk_save"), id="admin-kiosk-save", color="primary", outline=True),
                ],
                className="kiosk-row",
            ),
            html.Div(id="admin-result", className="mt-3", role="status"),
        ],
        className="admin-form",
    )
    return html.Div(
        [
            panel(t("admin.users"), html.Div(user_list(ctx), id="admin-users"), className="admin-users"),
            panel(t("admin.user_form"), form, className="admin-form-panel"),
        ],
        className="admin-grid pt-3",
    )


def user_list(ctx: AppContext):
    return table(
        [
            t("login.username"),
            t("admin.full_name"),
            t("admin.role"),
            "SKPD",
            t("admin.language"),
            t("admin.kiosk_short"),
            t("admin.active"),
        ],
        [
            [
                u.username,
                u.full_name,
                t("role." + u.role),
                u.skpd_code or "-",
                u.language.upper(),
                t("admin.yes") if u.kiosk else t("admin.no"),
                yes_no(u.active),
            ]
            for u in platform.user_list(ctx.engine)
        ],
        table_id="users-table",
    )


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


def audit_tab(ctx: AppContext):
    refused = html.Div(
        [refusals_table(ctx), html.P(t("admin.refusals_note"), className="text-muted small mt-2 mb-0")],
        id="admin-refusals",
    )
    return html.Div(
        [
            panel(t("admin.refusals"), refused, className="mb-3"),
            panel(t("admin.audit"), html.Div(audit_table(ctx), id="admin-audit")),
        ],
        className="pt-3",
    )


def refusals_table(ctx: AppContext):
    """Who the broker and the web sign-in turned away: one row per account (per address when unknown)."""
    rows = platform.refusal_list(ctx.engine)
    if not rows:
        return empty("admin.refusals_none_title", "admin.refusals_none_hint")
    return table(
        [
            t("admin.refusals_channel"),
            t("admin.refusals_account"),
            t("admin.refusals_kind"),
            t("admin.refusals_reason"),
            t("admin.refusals_attempts"),
            t("admin.refusals_first"),
            t("admin.refusals_last"),
            t("admin.refusals_detail"),
        ],
        [
            [
                t("refusal_channel." + r.channel),
                r.account or f"{t('admin.refusals_unknown')} ({r.source})",
                t("refusal_kind." + r.kind),
                t("refusal_reason." + r.reason),
                i18n.number(r.attempts, digits=0),
                i18n.datetime_wita(r.first_at),
                i18n.datetime_wita(r.last_at),
                r.detail or "-",
            ]
            for r in rows
        ],
        table_id="refusals-table",
        numeric=(4,),
    )


def audit_table(ctx: AppContext):
    return table(
        [t("admin.when"), t("admin.who"), t("admin.action"), t("admin.target"), t("admin.from")],
        [
            [i18n.datetime_wita(r["at"]), r["actor"], r["action"], r["target"], r["remote_addr"] or "-"]
            for r in platform.audit_entries(ctx.engine)
        ],
        table_id="audit-table",
    )


def health_table(ctx: AppContext):
    return table(
        [
            t("admin.component"),
            t("cameras.status"),
            t("admin.restarts"),
            "PID",
            t("admin.heartbeat"),
            t("admin.backlog"),
            t("admin.detail"),
        ],
        [
            [
                r.name,
                badge("health", r.status),
                i18n.number(r.restarts, digits=0),
                r.pid or "-",
                i18n.datetime_wita(r.beat_at),
                i18n.number(r.backlog, digits=0),
                r.detail or r.last_exit,
            ]
            for r in platform.components(ctx.engine)
        ],
        table_id="health-table",
        numeric=(2, 5),
    )


def rejected_tab(ctx: AppContext):
    options = [{"label": f"{s.short} - {s.name}", "value": s.code} for s in ctx.settings.skpd]
    return html.Div(
        [
            html.Div(
                [
                    html.Label(t("admin.rejected_unit"), htmlFor="rejected-unit", className="picker-label"),
                    dropdown(id="rejected-unit", options=options, placeholder=t("metrics.all"), className="picker"),
                ],
                className="picker-row mb-3",
            ),
            html.Div(id="admin-rejected"),
        ],
        className="pt-3",
    )


def rejected_list(ctx: AppContext, code: str | None):
    rows = rejections(ctx.engine, code)
    if not rows:
        return empty("admin.rejected_none_title", "admin.rejected_none_hint")
    return rejections_table(ctx.settings, rows, table_id="rejected-table", show_unit=True)
