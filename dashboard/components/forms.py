"""Form controls in the user's language (Dash's own texts are English)."""

from __future__ import annotations

from typing import Any

from dash import dcc

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
