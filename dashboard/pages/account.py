"""My account: every signed-in user changes their own password here, and chooses whether their screens sound a
tone for critical alerts.

The sound's feed, what the alert bar of every page hands alerts_sound.js (components.alerts_bar), is filled
here too: whether a screen sounds is this page's setting, unless that browser chose for itself (`?sound=`).
"""

from __future__ import annotations

from typing import Annotated

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask import request
from flask_login import current_user
from pydantic import StringConstraints

from scc import signin, users
from scc.users import MAX_PASSWORD, UserError

from ..access import EVERYONE, Access
from ..context import AppContext
from ..i18n import t
from ..security import client_addr

PATH = "/account"
Password = Annotated[str, StringConstraints(max_length=MAX_PASSWORD)] | None


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_: object) -> html.Div:
        return html.Div(
            [
                html.H2(t("account.title"), className="page-title"),
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.H3(t("account.change_password"), className="h5 mb-3"),
                            dbc.Label(t("account.current"), html_for="account-current"),
                            _password("account-current", "current-password"),
                            dbc.Label(t("account.new"), html_for="account-new"),
                            _password("account-new", "new-password", min_length=users.MIN_PASSWORD),
                            dbc.Label(t("account.repeat"), html_for="account-repeat"),
                            _password("account-repeat", "new-password"),
                            dbc.Button(t("account.submit"), id="account-submit", color="primary", className="d-block"),
                            html.Div(id="account-result", className="mt-3", role="status"),
                        ]
                    ),
                    className="account-card",
                ),
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.H3(t("account.sound_title"), className="h5 mb-3"),
                            dbc.Switch(
                                id="account-sound",
                                label=t("account.sound"),
                                value=bool(current_user.user.alert_sound),
                                className="mb-2",
                            ),
                            html.P(t("account.sound_hint"), className="mb-0"),
                            html.Div(id="account-sound-result", role="status"),
                        ]
                    ),
                    className="account-card mt-3",
                ),
            ]
        )

    access.page(__name__, path=PATH, roles=EVERYONE, order=90, title_key="nav.account", layout=layout, nav=False)

    @access.callback(
        app,
        Output("account-result", "children"),
        Output("account-current", "value"),
        Output("account-new", "value"),
        Output("account-repeat", "value"),
        Input("account-submit", "n_clicks"),
        State("account-current", "value"),
        State("account-new", "value"),
        State("account-repeat", "value"),
        roles=EVERYONE,
        prevent_initial_call=True,
    )
    def change(_n: int | None, current: Password, new: Password, repeat: Password) -> tuple[object, str, str, str]:
        try:
            if (new or "") != (repeat or ""):
                raise UserError("password_mismatch", "the two new passwords differ")
            auth = ctx.settings.app.auth
            signin.change_own_password(
                ctx.engine,
                current_user.username,
                current or "",
                new or "",
                keep_session=current_user.sid,
                remote_addr=client_addr(request),
                max_failures=auth.max_failures,
                window_s=auth.window_s,
            )
        except UserError as exc:
            return dbc.Alert(t("error." + exc.code, **exc.params), color="danger", id="account-error"), "", "", ""
        return dbc.Alert(t("account.changed"), color="success", id="account-done"), "", "", ""

    @access.callback(
        app,
        Output("account-sound-result", "children"),
        Input("account-sound", "value"),
        roles=EVERYONE,
        prevent_initial_call=True,
    )
    def sound(on: bool | None) -> object:
        users.set_alert_sound(ctx.engine, current_user.username, bool(on), actor=current_user.username)
        return html.Span(t("account.sound_on" if on else "account.sound_off"), id="account-sound-saved")


def _password(input_id: str, autocomplete: str, min_length: int = 0) -> dcc.Input:
    return dcc.Input(
        id=input_id,
        type="password",
        autoComplete=autocomplete,
        maxLength=MAX_PASSWORD,
        minLength=min_length,
        className="form-control mb-3",
    )
