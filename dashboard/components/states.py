"""What a page shows when there is nothing yet, or nothing for this user."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from ..i18n import t


def empty(title_key: str, hint_key: str) -> dbc.Alert:
    """An empty state that says what is missing and why, not a placeholder."""
    return dbc.Alert([html.H5(t(title_key), className="alert-heading mb-1"), html.P(t(hint_key), className="mb-0")],
                     color="secondary", className="empty-state")


def forbidden() -> dbc.Alert:
    return dbc.Alert([html.H5(t("forbidden.title"), className="alert-heading"), html.P(t("forbidden.body"))],
                     color="danger", className="forbidden")
