"""Panels, tables and figures: light for a modest PC, readable on a video wall from across the room.

A panel may be told to fit: in kiosk mode (and on the overview, on a large
screen) its body takes the height left on the screen and scc.js hides the rows
that do not fit instead of letting the page scroll. The panel's foot is the way
to them: a button ("+12 lainnya") that opens the list to scroll, or on the wall,
where nobody clicks, a pager that turns by itself ("1–8 dari 50").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component

from ..i18n import t
from .status import Tone, attrs, badge, pill

__all__ = ["badge", "fit_more", "kpi", "panel", "table"]


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], table_id: str | None = None, *, numeric: Sequence[int] = ()
) -> dbc.Table:
    """A plain table; each row may be hidden by a fitting panel. `numeric`: columns aligned right."""

    def cell(i: int, value: Any, tag: Any) -> Any:
        return tag(value, className="num") if i in numeric else tag(value)

    head = html.Thead(html.Tr([cell(i, h, html.Th) for i, h in enumerate(headers)]))
    body = html.Tbody([html.Tr([cell(i, c, html.Td) for i, c in enumerate(row)], className="fit-item") for row in rows])
    kwargs = {"id": table_id} if table_id else {}
    return dbc.Table([head, body], className="scc-table mb-0", **kwargs)


def panel(
    title: str,
    body: Any,
    *,
    panel_id: str | None = None,
    fit: bool = False,
    extra: int = 0,
    aside: Any = None,
    className: str = "",
) -> html.Section:
    """A titled block. `fit`: cut to the screen with "+N more" (N counts `extra` rows not even sent)."""
    parts: list[Any] = [
        html.Header(
            [html.H3(title, className="panel-title"), aside]
            if aside is not None
            else html.H3(title, className="panel-title"),
            className="panel-head",
        ),
        html.Div(body, className="panel-body" + (" fit" if fit else "")),
    ]
    if fit:
        parts.append(fit_more(extra))
    named: dict[str, Any] = {"id": panel_id} if panel_id else {}
    return html.Section(parts, className=f"panel {className}".strip(), **named)


def fit_more(extra: int = 0) -> html.Div:
    """The foot of a fitting panel, filled by scc.js with its words in the page's language."""
    return html.Div(
        className="fit-more",
        **attrs(
            data_more=t("common.more"),
            data_less=t("common.less"),
            data_page=t("common.page_of"),
            data_extra=str(extra),
            aria_live="polite",
        ),
    )


def kpi(card_id: str, label: str, value: str, hint: str | Component, tone: Tone | None) -> html.Section:
    """A headline figure: its label, the number (large, in the tone's colour) with the tone in a word, a hint.
    A figure that judges nothing (calls in 24 hours) has no tone."""
    return html.Section(
        [
            html.H3(label, className="kpi-label"),
            html.Div(value, className="kpi-value"),
            html.Div([pill(t("tone." + tone), tone) if tone else None, html.Span(hint)], className="kpi-foot"),
        ],
        id=card_id,
        className=f"kpi tone-{tone or 'none'}",
        **attrs(data_tone=tone or "none"),
    )
