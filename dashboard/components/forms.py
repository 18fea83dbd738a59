"""Form controls in the user's language (Dash's own texts are English)."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from ..i18n import t


def dropdown(**props: Any) -> dcc.Dropdown:
    """A dcc.Dropdown whose search box, buttons and messages speak the user's language."""
    labels: Any = {
        "search": t("form.search"),
        "clear_search": t("form.clear_search"),
        "clear_selection": t("form.clear_selection"),
        "no_options_found": t("form.no_options"),
        "select_all": t("form.select_all"),
        "deselect_all": t("form.deselect_all"),
        "selected_count": t("form.selected_count"),
    }
    return dcc.Dropdown(labels=labels, **props)


def feedback(control_id: str) -> html.Div:
    """Where a refused field says why, under the field (Bootstrap's invalid-feedback), in words.

    Empty until the page fills it. The page's script points the control at it (aria-describedby), since
    Dash's inputs take no aria attributes; the form's summary is what is announced, so this one is not.
    """
    return html.Div(id=f"{control_id}-error", className="invalid-feedback field-feedback")
