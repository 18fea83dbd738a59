"""My account: every signed-in user changes their own password here."""

from __future__ import annotations

from typing import Annotated

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask_login import current_user
from pydantic import StringConstraints

from scc import users
from scc.users import MAX_PASSWORD, UserError

from ..access import EVERYONE, Access
from ..context import AppContext
from ..i18n import t

PATH = "/account"
Password = Annotated[str, StringConstraints(max_length=MAX_PASSWORD)] | None


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_: object) -> html.Div:
        field = {"type": "password", "maxLength": MAX_PASSWORD, "className": "mb-3", "debounce": False}
        return html.Div(
            [
                html.H2(t("account.title"), className="page-title"),
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.H3(t("account.change_password"), className="h5 mb-3"),
                            dbc.Label(t("account.current"), html_for="account-current"),
                            dcc.Input(id="account-current", autoComplete="current-password", **field),
                            dbc.Label(t("account.new"), html_for="account-new"),
                            dcc.Input(
                                id="account-new", autoComplete="new-password", minLength=users.MIN_PASSWORD, **field
                            ),
                            dbc.Label(t("account.repeat"), html_for="account-repeat"),
                            dcc.Input(id="account-repeat", autoComplete="new-password", **field),
                            dbc.Button(t("account.submit"), id="account-submit", color="primary", className="d-block"),
                            html.Div(id="account-result", className="mt-3", role="status"),
                        ]
                    ),
                    className="account-card",
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
            users.change_own_password(
                ctx.engine, current_user.username, current or "", new or "", keep_session=current_user.sid
            )
        except UserError as exc:
            return dbc.Alert(t("error." + exc.code, **exc.params), color="danger", id="account-error"), "", "", ""
        return dbc.Alert(t("account.changed"), color="success", id="account-done"), "", "", ""
