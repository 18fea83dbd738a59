"""What a page shows when there is nothing yet, nothing for this user, or no such page."""

from __future__ import annotations

from dash import html

from ..i18n import t
from .status import attrs, icon


def empty(title_key: str, hint_key: str) -> html.Div:
    """An empty state that says what is missing and why, not a placeholder."""
    return html.Div(
        [
            icon("unknown", "empty-icon"),
            html.Div([html.P(t(title_key), className="empty-title"), html.P(t(hint_key), className="empty-hint")]),
        ],
        className="empty-state",
        role="status",
    )


def _problem(code: str, title: str, body: str, cls: str) -> html.Div:
    """A whole-page message (403, 404) inside the shell: big code, what happened, the way back."""
    return html.Div(
        html.Section(
            [
                html.Div(
                    [
                        icon("alarm" if code == "403" else "unknown", "problem-icon"),
                        html.Span(code, className="problem-code"),
                    ],
                    className="problem-mark",
                    **attrs(aria_hidden="true"),
                ),
                html.Div(
                    [
                        html.H2(title, className="page-title problem-title"),
                        html.P(body, className="problem-body"),
                        # A full page load: the server sends "/" on to the role's own home page.
                        html.A(t("forbidden.home"), href="/", className="btn btn-primary btn-lg problem-home"),
                    ]
                ),
            ],
            className=f"problem {cls}",
            role="alert" if code == "403" else None,
        ),
        className="page problem-page",
    )


def forbidden() -> html.Div:
    return _problem("403", t("forbidden.title"), t("forbidden.body"), "forbidden")


def not_found() -> html.Div:
    return _problem("404", t("notfound.title"), t("notfound.body"), "not-found")
