"""How complaints show: their counts, the filter bar, each complaint as a row that opens, its state in words.

A complaint's state is an icon and a word, never colour alone: open, overdue
("lewat tenggat", red), settled and waiting to be closed, closed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from callcenter import phone
from scc.settings import Settings
from scc.storage.callcenter import FINAL_STATUSES

from .. import i18n
from ..context import AppContext
from ..i18n import t
from ..queries.callcenter_complaints import AGES, STATES, Filters, Listing, counts, exchange, per_unit, settlement_note
from . import callcenter_cases, labels
from .callcenter_cases import Cell
from .forms import dropdown
from .states import empty
from .status import pill
from .tables import kpi, table

ANY = "all"  # a picker's "any" (a select shows an empty value as nothing at all)
CLOSE = "complaint-close"  # the pattern id of a row's close button: {"type": CLOSE, "id": <incident>}
GRID = "complaint-grid"
COLUMNS = ("col_id", "col_state", "col_summary", "col_skpd", "col_place", "col_received", "col_due")


def filters(settings: Settings, unit: str | None, district: str | None, state: str | None, age: str | None) -> Filters:
    """The filters as the pickers send them ("" is any); ValueError for a value no picker offers."""
    unit = None if unit in (None, "", ANY) else unit
    district = None if district in (None, "", ANY) else district
    if unit is not None and unit not in settings.skpd_by_code:
        raise ValueError(f"unit {unit!r}")
    if district is not None and district not in settings.district_by_code:
        raise ValueError(f"district {district!r}")
    chosen_state = next((s for s in STATES if s == (state or "active")), None)
    chosen_age = next((a for a in AGES if a == (age or "any")), None)
    if chosen_state is None or chosen_age is None:
        raise ValueError(f"state {state!r} or age {age!r}")
    return Filters(skpd=unit, district=district, state=chosen_state, age=chosen_age)


def state(row: dict[str, Any]) -> Cell:
    """A complaint's state in a word and an icon: open, overdue (red), settled, closed."""
    if row.get("overdue"):
        return callcenter_cases.state(t("complaints.overdue"), "alarm", "overdue")
    if row["status"] == "received":
        return callcenter_cases.state(t("complaints.open"), "warning", "open")
    if row["status"] == "resolved":
        return callcenter_cases.state(t("complaints.state_resolved"), "ok", "resolved")
    return callcenter_cases.badge("incident", row["status"])


def place(ctx: AppContext, row: dict[str, Any]) -> str:
    parts = [row.get("village") or "", labels.district(ctx.settings, row.get("district"))]
    text = ", ".join(p for p in parts if p and p != "-") or "-"
    return text + (f" · {row['landmark']}" if row.get("landmark") else "")


def topic_name(settings: Settings, code: str | None) -> str | None:
    found = settings.complaint_topic_by_code.get(code or "")
    if found is None:
        return None
    return found.name.en if i18n.current_language() == "en" else found.name.id


def counts_strip(ctx: AppContext, skpd_code: str | None = None) -> html.Div:
    """Open, overdue and settled-not-closed complaints: the complaints' own counts, not the board's."""
    c = counts(ctx.engine, skpd_code)
    return html.Div(
        [
            kpi(
                "complaints-open",
                t("complaints.kpi_open"),
                i18n.number(c.open, digits=0),
                t("complaints.kpi_open_hint"),
                "warning" if c.open else "ok",
            ),
            kpi(
                "complaints-overdue",
                t("complaints.kpi_overdue"),
                i18n.number(c.overdue, digits=0),
                t("complaints.kpi_overdue_hint"),
                "alarm" if c.overdue else "ok",
            ),
            kpi(
                "complaints-resolved",
                t("complaints.kpi_resolved"),
                i18n.number(c.resolved, digits=0),
                t("complaints.kpi_resolved_hint"),
                None,
            ),
        ],
        className="kpis complaints-kpis",
    )


def unit_table(ctx: AppContext) -> Any:
    """Per SKPD with a complaint not yet closed: open, overdue, waiting to be closed; the most overdue first."""
    units = per_unit(ctx.engine)
    if not units:
        return empty("complaints.none_title", "complaints.none_all_hint")
    order = sorted(units, key=lambda code: (-units[code].overdue, -units[code].open, labels.skpd(ctx.settings, code)))
    rows = [
        [
            html.Span(labels.skpd(ctx.settings, code), title=skpd_name(ctx.settings, code)),
            i18n.number(units[code].open, digits=0),
            pill(i18n.number(units[code].overdue, digits=0), "alarm" if units[code].overdue else "ok"),
            i18n.number(units[code].resolved, digits=0),
        ]
        for code in order
    ]
    heads = [
        t("complaints.col_skpd"),
        t("complaints.col_open"),
        t("complaints.col_overdue"),
        t("complaints.col_resolved"),
    ]
    return table(heads, rows, "complaints-summary", numeric=(1, 2, 3))


def skpd_name(settings: Settings, code: str | None) -> str:
    found = settings.skpd_by_code.get(code or "")
    return found.name if found else (code or "-")


def _select(control_id: str, label: str, options: list[dict[str, str]], value: str, disabled: bool = False) -> Any:
    return html.Div(
        [
            dbc.Label(label, html_for=control_id, className="filter-label"),
            dbc.Select(id=control_id, options=options, value=value, disabled=disabled, className="filter-select"),
        ],
        className="filter",
    )


def filter_bar(ctx: AppContext, chosen: Filters, own_unit: str | None = None) -> html.Div:
    """Unit, district, state and age; SKPD staff see their own unit, fixed."""
    s = ctx.settings
    units = [{"label": t("complaints.any_unit"), "value": ANY}] + [{"label": u.short, "value": u.code} for u in s.skpd]
    if own_unit is not None:
        units = [{"label": labels.skpd(s, own_unit), "value": own_unit}]
    districts = [{"label": t("complaints.any_district"), "value": ANY}] + [
        {"label": d.name, "value": d.code} for d in s.districts
    ]
    states = [{"label": t(f"complaints.state_{v}"), "value": v} for v in STATES]
    ages = [{"label": t(f"complaints.age_{v}"), "value": v} for v in AGES]
    return html.Div(
        [
            _select(
                "complaints-unit",
                t("complaints.filter_unit"),
                units,
                own_unit or chosen.skpd or ANY,
                own_unit is not None,
            ),
            _select("complaints-district", t("complaints.filter_district"), districts, chosen.district or ANY),
            _select("complaints-state", t("complaints.filter_state"), states, chosen.state),
            _select("complaints-age", t("complaints.filter_age"), ages, chosen.age),
            dbc.Button(t("complaints.reload"), id="complaints-reload", color="secondary", className="filter-reload"),
        ],
        className="filter-bar",
        role="search",
    )


def rows(ctx: AppContext, found: Listing) -> Any:
    if not found.rows:
        return empty("complaints.none_title", "complaints.none_filtered_hint")
    heads = [t(f"complaints.{c}") for c in COLUMNS]

    def draw(r: dict[str, Any]) -> html.Li:
        return callcenter_cases.row("complaint", r["id"], heads, cells(ctx, r), grid=GRID, late=bool(r.get("overdue")))

    items = [callcenter_cases.kept(ctx.engine, "complaint", r, partial(draw, r)) for r in found.rows]
    return [callcenter_cases.heads(heads, GRID), callcenter_cases.rows(items, "complaints-rows")]


def cells(ctx: AppContext, r: dict[str, Any]) -> list[Cell]:
    topic, summary = topic_name(ctx.settings, r.get("topic")), r["summary"] or "-"
    return [
        Cell(f"#{r['id']}"),
        state(r),
        Cell(f"{topic}: {summary}", [html.Strong(topic, className="case-topic"), summary]) if topic else Cell(summary),
        Cell(labels.skpd(ctx.settings, r["skpd_code"]), title=skpd_name(ctx.settings, r["skpd_code"])),
        Cell(place(ctx, r)),
        callcenter_cases.when(r["received_at"]),
        callcenter_cases.when(r["due_at"]),
    ]


def body(ctx: AppContext, r: dict[str, Any], closer: bool) -> list[Any]:
    """What a row opens to: the facts, the unit's settlement note, the exchange, and for an operator the
    close button of a settled complaint."""
    events = r["exchange"]
    facts = callcenter_cases.facts(
        [
            (t("intake.name"), r.get("caller_name")),
            (t("intake.number"), phone.display(r.get("caller_number")) or t("incident.withheld")),
            (t("complaints.col_place"), place(ctx, r)),
            (t("complaints.topic"), topic_name(ctx.settings, r.get("topic"))),
            (t("complaints.col_skpd"), skpd_name(ctx.settings, r["skpd_code"])),
            (t("incident.received_at"), i18n.datetime_wita(r["received_at"])),
            (t("complaints.col_due"), i18n.datetime_wita(r["due_at"])),
            (t("incident.ended_at"), i18n.datetime_wita(r["closed_at"]) if r["status"] in FINAL_STATUSES else None),
        ]
    )
    parts: list[Any] = [
        html.Div([facts, callcenter_cases.settlement(settlement_note(events), f"complaint-settlement-{r['id']}")],
                 className="case-top"),
        html.H5(t("complaints.exchange"), className="exchange-title"),
        callcenter_cases.exchange(ctx.settings, events, f"complaint-exchange-{r['id']}"),
    ]  # fmt: skip
    if closer and r["status"] == "resolved":
        parts.append(
            dbc.Button(
                t("complaints.close_this", number=r["id"]),
                id={"type": CLOSE, "id": r["id"]},
                color="primary",
                size="lg",
                className="case-close",
            )
        )
    return parts


def work_panel(options: list[dict[str, Any]]) -> html.Section:
    """An SKPD's desk: pick one of its open complaints, read it, add a note or settle it with one."""
    form = html.Div(
        [
            html.Label(t("complaints.pick"), htmlFor="complaint-pick", className="picker-label"),
            dropdown(
                id="complaint-pick",
                options=options,
                placeholder=t("complaints.pick_placeholder"),
                className="picker complaint-picker",
            ),
            html.Div(id="complaint-detail", className="complaint-detail"),
            html.Label(t("complaints.note"), htmlFor="complaint-note", className="field-name"),
            dcc.Textarea(id="complaint-note", maxLength=2000, className="form-control complaint-note"),
            html.Div(
                [
                    dbc.Button(t("complaints.reply"), id="complaint-reply", color="secondary", size="lg"),
                    dbc.Button(t("complaints.settle"), id="complaint-settle", color="primary", size="lg"),
                ],
                className="button-row",
            ),
            html.Div(id="complaint-message", className="mt-3", role="status"),
            dcc.Store(id="complaint-version"),
        ],
        className="complaint-form",
    )
    return html.Section(
        [html.H3(t("complaints.work"), className="panel-title"), form],
        className="panel complaint-work",
        id="complaint-work-panel",
    )


def detail(ctx: AppContext, row: dict[str, Any], own: str | None) -> html.Div:
    """The complaint an SKPD picked to work on: its state, deadline, place and the exchange so far."""
    events = exchange(ctx.engine, row["id"], own)
    return html.Div(
        [
            html.H4([f"#{row['id']} ", row["summary"] or "-"], className="form-title", id="complaint-title"),
            html.P(
                [state(row).shown, " ", t("complaints.due_at", due=i18n.datetime_wita(row.get("due_at")))],
                id="complaint-state",
            ),
            html.P(place(ctx, row), className="field-hint"),
            callcenter_cases.exchange(ctx.settings, events, "complaint-timeline") if events else None,
        ]
    )
