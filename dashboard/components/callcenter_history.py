"""How the history shows: the search form, and each closed incident or complaint as a row that opens."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

import dash_bootstrap_components as dbc
from dash import dcc, html

from callcenter import phone

from .. import i18n
from ..context import AppContext
from ..i18n import t
from ..queries.callcenter_complaints import settlement_note
from ..queries.callcenter_history import COUNT_CAP, Found
from . import callcenter_cases, labels
from .callcenter_cases import Cell
from .callcenter_complaints import ANY, topic_name
from .callcenter_incidents import category, category_options, place, unit_name
from .states import empty

GRID = "history-grid"
COLUMNS = ("col_id", "col_state", "col_category", "col_received", "col_place", "col_caller", "col_unit")


def skpd_short(ctx: AppContext, code: str | None) -> str:
    return labels.skpd(ctx.settings, code)


def _field(label: str, control_id: str, control: Any, hint: str = "") -> html.Div:
    parts: list[Any] = [dbc.Label(label, html_for=control_id, className="filter-label"), control]
    if hint:
        parts.append(html.Div(hint, className="filter-hint"))
    return html.Div(parts, className="filter")


def _select(control_id: str, options: list[dict[str, str]], value: str = ANY, disabled: bool = False) -> dbc.Select:
    return dbc.Select(id=control_id, options=options, value=value, disabled=disabled, className="filter-select")


def _text(control_id: str, placeholder: str, mode: Literal["numeric", "tel"], value: str = "") -> dcc.Input:
    # Dates are typed too (23/11/2026): a browser's date picker speaks the browser's language, not the user's.
    return dcc.Input(
        id=control_id,
        type="text",
        inputMode=mode,
        value=value,
        placeholder=placeholder,
        maxLength=40,
        autoComplete="off",
        className="form-control filter-input",
    )


def form(ctx: AppContext, since: str, until: str, own: str | None) -> html.Div:
    """Number, caller, district, category, unit, SKPD and dates; SKPD staff: their unit's complaints, fixed."""
    s = ctx.settings
    anything = [{"label": t("history.any"), "value": ANY}]
    categories = anything + category_options()
    units = anything + [{"label": u.name, "value": u.code} for u in s.response_units]
    skpds = anything + [{"label": u.short, "value": u.code} for u in s.skpd]
    if own is not None:
        categories = [{"label": category("complaint"), "value": "complaint"}]
        units = [{"label": t("history.no_unit"), "value": ANY}]
        skpds = [{"label": labels.skpd(s, own), "value": own}]
    return html.Div(
        [
            _field(
                t("history.number"),
                "history-number",
                _text("history-number", "1234", "numeric"),
            ),
            _field(
                t("history.caller"),
                "history-caller",
                _text("history-caller", "0812-3456-7890", "tel"),
            ),
            _field(
                t("history.district"),
                "history-district",
                _select("history-district", anything + [{"label": d.name, "value": d.code} for d in s.districts]),
            ),
            _field(
                t("history.category"),
                "history-category",
                _select("history-category", categories, "complaint" if own else ANY, disabled=own is not None),
            ),
            _field(t("history.unit"), "history-unit", _select("history-unit", units, disabled=own is not None)),
            _field(
                t("history.skpd"), "history-skpd", _select("history-skpd", skpds, own or ANY, disabled=own is not None)
            ),
            _field(
                t("history.from"),
                "history-from",
                _text("history-from", t("history.date_format"), "numeric", since),
            ),
            _field(
                t("history.to"),
                "history-to",
                _text("history-to", t("history.date_format"), "numeric", until),
            ),
            dbc.Button(t("history.search"), id="history-search", color="primary", size="lg", className="filter-go"),
        ],
        className="filter-bar history-form",
        role="search",
    )


def total_text(found: Found) -> str:
    if found.capped:
        return t("history.found_capped", n=i18n.number(COUNT_CAP, digits=0))
    return t("history.found", n=i18n.number(found.total, digits=0))


def rows(ctx: AppContext, found: Found) -> Any:
    if not found.rows:
        return empty("history.none_title", "history.none_hint")
    heads = [t(f"history.{c}") for c in COLUMNS]

    def draw(r: dict[str, Any]) -> html.Li:
        return callcenter_cases.row("history", r["id"], heads, cells(ctx, r), grid=GRID)

    items = [callcenter_cases.kept(ctx.engine, "history", r, partial(draw, r)) for r in found.rows]
    return [callcenter_cases.heads(heads, GRID), callcenter_cases.rows(items, "history-rows")]


def _caller(r: dict[str, Any]) -> str:
    number = phone.display(r.get("caller_number")) or t("incident.withheld")
    return f"{r['caller_name']} · {number}" if r.get("caller_name") else number


def _who(ctx: AppContext, r: dict[str, Any]) -> Any:
    if r["category"] == "complaint":
        return labels.skpd(ctx.settings, r.get("skpd_code"))
    if not r["units"]:
        return html.Span(t("board.no_unit"), className="muted")
    return ", ".join(unit_name(ctx.settings, u) for u in r["units"])


def _who_cell(ctx: AppContext, r: dict[str, Any]) -> Cell:
    if r["category"] != "complaint" and not r["units"]:
        word = t("board.no_unit")
        return Cell(word, html.Span(word, className="muted"))
    return Cell(_who(ctx, r))


def cells(ctx: AppContext, r: dict[str, Any]) -> list[Cell]:
    return [
        Cell(f"#{r['id']}"),
        callcenter_cases.badge("incident", r["status"]),
        Cell(category(r["category"])),
        callcenter_cases.when(r["received_at"]),
        Cell(place(ctx.settings, r)),
        Cell(_caller(r)),
        _who_cell(ctx, r),
    ]


def body(ctx: AppContext, r: dict[str, Any], links: bool) -> list[Any]:
    """What a row opens to: the facts, a complaint's settlement note, the exchange, the incident's page."""
    events = r["exchange"]
    pairs: list[tuple[str, Any]] = [
        (t("calls.line"), labels.call_line(ctx.settings, r["line_code"])),
        (t("history.col_caller"), _caller(r)),
        (t("board.place"), place(ctx.settings, r) + (f" · {r['landmark']}" if r.get("landmark") else "")),
        (t("intake.summary"), r.get("summary")),
        (t("history.col_unit"), _who(ctx, r)),
        (t("incident.received_at"), i18n.datetime_wita(r["received_at"])),
        (t("incident.ended_at"), i18n.datetime_wita(r.get("closed_at"))),
        (t("incident.taken_by"), r.get("created_by")),
    ]
    if r["category"] == "complaint":
        pairs.insert(4, (t("complaints.topic"), topic_name(ctx.settings, r.get("topic"))))
    top: list[Any] = [callcenter_cases.facts(pairs)]
    if r["category"] == "complaint":
        top.append(callcenter_cases.settlement(settlement_note(events), f"history-settlement-{r['id']}"))
    parts: list[Any] = [
        html.Div(top, className="case-top"),
        html.H5(t("complaints.exchange"), className="exchange-title"),
        callcenter_cases.exchange(ctx.settings, events, f"history-exchange-{r['id']}"),
    ]
    if links:
        parts.append(
            dcc.Link(t("history.open_incident", number=r["id"]), href=f"/calls/{r['id']}", className="case-link")
        )
    return parts
