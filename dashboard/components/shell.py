"""The frame around every page: wordmark, navigation for the user's role, clock, language, account, sign-out.

Kiosk mode (a wall display): `?kiosk=1` on any page, kept for the browser
session (scc.js; `?kiosk=0` leaves it), or always for a user an admin made a
wall account (`current_user.kiosk`). The frame then keeps only the wordmark, the
alert bar and the clock, and every wall page fits the screen without scrolling.

The alert bar (components.alerts_bar) is on every page, under the header; on the
wall it sits in the header itself.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from ..access import Access
from ..i18n import current_language, t
from .alerts_bar import shell_part as alerts_bar
from .status import attrs, icon

FAVICON = '<link rel="icon" type="image/svg+xml" href="/assets/favicon.svg">'
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


def wordmark() -> html.A:
    return html.A(
        [
            html.Img(src="/assets/favicon.svg", alt="", className="brand-mark"),
            html.Span(
                [html.Span("Soppeng", className="brand-name"), " ", html.Span("Command Center", className="brand-sub")],
                className="brand-text",
            ),
        ],
        href="/",
        className="brand",
        id="brand",
        **attrs(aria_label="Soppeng Command Center"),
    )


def navigation(access: Access) -> html.Nav:
    links = [
        dbc.NavLink(
            t(access.titles[path]),
            href=path,
            active="exact" if path == "/" else "partial",  # a page's sub-pages (/metrics/compare) mark it too
            id=f"nav-{path.strip('/').replace('/', '-') or 'overview'}",
        )
        for path in access.nav_for(current_user.role)  # the account page is reached from the user menu
    ]
    return html.Nav(links, className="scc-nav", id="scc-nav", **attrs(aria_label=t("shell.navigation")))


def language_switch() -> html.Form:
    active = current_language()
    buttons = []
    for lang in ("id", "en"):
        on = lang == active
        buttons.append(
            html.Button(
                [icon("check", "lang-check"), lang.upper()],
                name="lang",
                value=lang,
                id=f"lang-{lang}",
                type="submit",
                title=LANGUAGE_NAMES[lang],
                className="lang-btn" + (" active" if on else ""),
                lang=lang,
                **attrs(
                    aria_pressed="true" if on else "false",
                    aria_label=LANGUAGE_NAMES[lang] + (f" ({t('shell.language_active')})" if on else ""),
                ),
            )
        )
    return html.Form(
        buttons,
        action="/language",
        method="POST",
        className="lang-switch",
        role="group",
        **attrs(aria_label=t("shell.language")),
    )


def clock() -> html.Div:
    """Date and time in WITA, in the page's language: drawn by scc.js every second."""
    return html.Div(id="wita-clock", className="clock", role="timer", **attrs(aria_live="off"))


def topbar(access: Access) -> html.Header:
    user = current_user
    role = t("role." + user.role) + (f" · {user.skpd_code.upper()}" if user.skpd_code else "")
    # Who is signed in is the way to their account, as in Grafana's profile menu: one control, not a name
    # beside an "Account" button, so that the navigation keeps its room.
    who = html.Span(
        [html.Span(user.full_name, className="whoami-name"), html.Span(role, className="whoami-role")],
        className="whoami",
        id="whoami",
    )
    tools = html.Div(
        [
            language_switch(),
            dbc.NavLink(
                [icon("user"), html.Span(t("nav.account") + ": ", className="visually-hidden"), who],
                href="/account",
                active="exact",
                id="account-link",
                className="tool-link account-link",
            ),
            html.Form(
                html.Button(
                    [icon("signout"), t("nav.logout")], id="logout", type="submit", className="tool-link tool-button"
                ),
                action="/logout",
                method="POST",
                className="d-inline",
            ),
        ],
        className="tools",
    )
    return html.Header([wordmark(), navigation(access), tools, clock()], className="scc-top", id="scc-top")


def layout(access: Access) -> html.Div:
    if not current_user.is_authenticated:  # the guard sends these to /login; nothing to show meanwhile
        return html.Div(dash.page_container)
    return html.Div(
        [
            html.A(t("shell.skip"), href="#main", className="skip-link"),
            topbar(access),
            alerts_bar(),
            html.Main(dash.page_container, id="main", className="scc-main", tabIndex="-1"),
            dcc.Interval(id="wita-tick", interval=1000),
        ],
        className="shell" + (" kiosk-user" if current_user.kiosk else ""),
        id="shell",
    )
