"""Plain HTML tables: light for a modest PC, readable on a video wall."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], table_id: str | None = None) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(h) for h in headers]))
    body = html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows])
    kwargs = {"id": table_id} if table_id else {}
    return dbc.Table([head, body], striped=True, hover=True, size="sm", className="mb-0", **kwargs)


def badge(text: str, status: str) -> dbc.Badge:
    colors = {"online": "success", "up": "success", "ok": "success", "stale": "warning", "late": "warning",
              "restarting": "warning", "starting": "info", "offline": "danger", "error": "danger",
              "failed": "danger", "down": "danger", "nodata": "secondary", "stopped": "secondary",
              "planned": "light"}
    return dbc.Badge(text, color=colors.get(status, "secondary"), className=f"status status-{status}")


def kpi(card_id: str, label: str, value: str, hint: str = "", color: str = "primary") -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.Div(label, className="kpi-label text-muted"),
        html.Div(value, className=f"kpi-value text-{color}"),
        html.Div(hint, className="kpi-hint small text-muted"),
    ]), id=card_id, className="kpi h-100")
