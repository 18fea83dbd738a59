"""The frame around every page: navigation for the user's role, clock, language, sign-out."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from ..access import Access
from ..i18n import t


def navbar(access: Access) -> dbc.Navbar:
    links = []
    if current_user.is_authenticated:
        for path in access.pages_for(current_user.role):
            links.append(dbc.NavItem(dbc.NavLink(t(access.titles[path]), href=path, active="exact",
                                                 id=f"nav-{path.strip('/') or 'overview'}")))
    right = []
    if current_user.is_authenticated:
        right = [
            html.Span(id="wita-clock", className="navbar-text me-3 font-monospace"),
            html.Span(f"{current_user.full_name} · {t('role.' + current_user.role)}"
                      + (f" · {current_user.skpd_code}" if current_user.skpd_code else ""),
                      className="navbar-text me-3", id="whoami"),
            html.Form([html.Button("ID", name="lang", value="id", className="btn btn-sm btn-outline-light",
                                   id="lang-id"),
                       html.Button("EN", name="lang", value="en", className="btn btn-sm btn-outline-light ms-1",
                                   id="lang-en")],
                      action="/language", method="POST", className="d-inline me-3"),
            html.Form(html.Button(t("nav.logout"), className="btn btn-sm btn-light", id="logout"),
                      action="/logout", method="POST", className="d-inline"),
        ]
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("Soppeng Command Center", href="/"),
        dbc.Nav(links, navbar=True, className="me-auto"),
        html.Div(right, className="d-flex align-items-center"),
    ], fluid=True), color="dark", dark=True, className="mb-3")


def layout(access: Access):
    return html.Div([
        navbar(access),
        dbc.Container(dash.page_container, fluid=True),
        dcc.Interval(id="wita-tick", interval=1000),
    ])
