"""How an incident's parts show on the call-center pages: its number, priority, category, place, units.

Priority and "overdue" are statuses like any other: icon and word, never colour alone.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from callcenter import phone
from scc.clock import as_utc, utcnow
from scc.settings import Settings
from scc.storage.calls import CATEGORIES, OPEN_STATUSES, PRIORITIES

from .. import i18n
from ..i18n import t
from . import labels, status
from .status import Tone, attrs, pill
from .tables import table

PRIORITY_TONE: dict[int, Tone] = {1: "alarm", 2: "warning", 3: "unknown"}


def link(incident_id: int) -> dcc.Link:
    return dcc.Link(f"#{incident_id}", href=f"/calls/{incident_id}", className="incident-link")


def category(value: str | None) -> str:
    return t(f"incident.cat_{value}") if value in CATEGORIES else (value or "-")


def category_options() -> list[dict[str, str]]:
    return [{"label": category(c), "value": c} for c in CATEGORIES]


def priority(value: int | None) -> html.Span:
    level = value if value in PRIORITIES else 2
    return pill(t(f"incident.prio_{level}"), PRIORITY_TONE[level], status=f"p{level}")


def parse_priority(value: object) -> object:
    """A priority as a select or radio sends it ("1" or 1) as the number; anything else as it came, to be refused."""
    return int(str(value)) if str(value) in ("1", "2", "3") else value


def priority_options() -> list[dict[str, Any]]:
    return [{"label": t(f"incident.prio_{p}_long"), "value": p} for p in PRIORITIES]


def overdue_mark() -> html.Span:
    """A complaint past its SKPD's deadline and still open: red, and says so."""
    return pill(t("incident.overdue"), "alarm", status="overdue")


def place(settings: Settings, row: dict[str, Any]) -> str:
    district = labels.district(settings, row.get("district")) if row.get("district") else ""
    return " / ".join(x for x in (district, row.get("village") or "") if x) or "-"


def unit_name(settings: Settings, code: str | None) -> str:
    unit = settings.unit_by_code.get(code or "")
    return unit.name if unit else (code or "-")


def units(settings: Settings, codes: list[str]) -> Any:
    if not codes:
        return html.Span(t("board.no_unit"), className="muted")
    return ", ".join(unit_name(settings, c) for c in codes)


def age(row: dict[str, Any]) -> html.Span:
    return html.Span(
        i18n.age(row["received_at"], short=True), title=i18n.datetime_wita(row["received_at"]), className="age"
    )


def free_busy(incident_id: int | None) -> html.Span:
    """A unit's state: free (ok) or out (warning), with the incident it is on."""
    if incident_id is None:
        return pill(t("board.unit_free"), "ok", status="free")
    return html.Span(
        [pill(t("board.unit_busy"), "warning", status="busy"), " ", link(incident_id)], className="unit-busy"
    )


def line_options(settings: Settings) -> list[dict[str, str]]:
    return [{"label": labels.call_line(settings, line.code), "value": line.code} for line in settings.call_lines]


def district_options(settings: Settings) -> list[dict[str, str]]:
    return [{"label": d.name, "value": d.code} for d in settings.districts]


def skpd_options(settings: Settings) -> list[dict[str, str]]:
    return [{"label": f"{s.short} - {s.name}", "value": s.code} for s in settings.skpd]


def site_options(settings: Settings) -> list[dict[str, str]]:
    sites = sorted({c.site for c in settings.cameras if c.status == "active"})
    return [{"label": s, "value": s} for s in sites]


def blank(label_key: str) -> list[dict[str, str]]:
    """The first choice of a native select: nothing picked yet."""
    return [{"label": t(label_key), "value": ""}]


def field_error(field_id: str) -> html.Div:
    return html.Div(id=f"{field_id}-error", className="field-error", role="alert", **attrs(aria_live="polite"))


# -- the incident page's parts -------------------------------------------------------------------


def heading(row: dict[str, Any]) -> html.Div:
    parts: list[Any] = [
        html.H2(
            [f"#{row['id']} · ", category(row["category"])],
            className="page-title incident-title",
            id="incident-title",
        ),
        status.badge("incident", row["status"], size="lg"),
        priority(row["priority"]),
    ]
    if _overdue(row):
        parts.append(overdue_mark())
    return html.Div(parts, className="incident-head", id="incident-head")


def _overdue(row: dict[str, Any]) -> bool:
    return bool(row.get("due_at")) and row["status"] in OPEN_STATUSES and as_utc(row["due_at"]) < utcnow()


def details(settings: Settings, row: dict[str, Any]) -> html.Dl:
    facts: list[tuple[str, Any]] = [
        (t("calls.line"), labels.call_line(settings, row["line_code"])),
        (t("intake.number"), phone.display(row["caller_number"]) or t("incident.withheld")),
        (t("intake.name"), row["caller_name"] or "-"),
        (t("board.place"), place(settings, row)),
        (t("intake.landmark"), row["landmark"] or "-"),
        (t("intake.summary"), row["summary"] or "-"),
        (t("board.units_out"), units(settings, row["units"])),
        (t("incident.received_at"), i18n.datetime_wita(row["received_at"])),
    ]
    for key, column in (("dispatched", "dispatched_at"), ("on_scene", "on_scene_at"), ("resolved", "resolved_at")):
        if row.get(column):
            facts.append((t(f"incident.{key}"), i18n.datetime_wita(row[column])))
    if row.get("closed_at"):
        facts.append((t("incident.ended_at"), i18n.datetime_wita(row["closed_at"])))
    if row.get("skpd_code"):
        facts.append(("SKPD", labels.skpd(settings, row["skpd_code"])))
        facts.append((t("incident.due_at"), i18n.datetime_wita(row["due_at"])))
    facts.append((t("incident.taken_by"), row["created_by"]))
    if row.get("updated_by") and row.get("updated_at"):
        facts.append((t("incident.changed"), f"{row['updated_by']} · {i18n.datetime_wita(row['updated_at'])}"))
    return html.Dl(
        [part for label, value in facts for part in (html.Dt(label), html.Dd(value))], className="incident-facts"
    )


def scene_cameras(settings: Settings, row: dict[str, Any]) -> html.Div:
    """The cameras at the incident's site, one click from the camera page.

    Seam for attaching a snapshot: the camera workers do not store snapshots yet. When they do, a
    query (dashboard.queries.cameras) gives a camera's newest one, and this section shows an
    "attach" button per camera whose callback (admin/operator) calls the service that adds an
    incident_events row of kind "snapshot" (the column exists). Until then it says so, and offers
    no button that could not work.
    """
    site = row.get("site")
    if not site:
        return html.Div(html.P(t("incident.no_site"), className="muted"), id="incident-no-site")
    cams = [c for c in settings.cameras if c.site == site and c.status == "active"]
    items = [
        html.Li(dcc.Link(c.name, href="/cameras", className="camera-link", id=f"incident-cam-{c.id}")) for c in cams
    ]
    return html.Div(
        [
            html.P([html.Strong(site)], className="scene-site"),
            html.Ul(items, className="scene-cameras") if items else html.P(t("incident.no_cameras"), className="muted"),
            html.P(t("incident.no_snapshot"), className="muted", id="incident-no-snapshot"),
        ]
    )


def timeline_table(settings: Settings, events: list[dict[str, Any]]) -> Any:
    def what(e: dict[str, Any]) -> Any:
        if e["kind"] == "unit":
            word = t("incident.unit_back") if e["note"] == "released" else t("incident.unit_sent")
            return f"{word}: {unit_name(settings, e['unit_code'])}"
        if e["kind"] == "snapshot":
            return e["snapshot"] or "-"
        return e["note"] or ""

    rows = [
        [
            html.Span(i18n.when(e["at"]), title=i18n.datetime_wita(e["at"]), className="event-time"),
            e["operator"],
            t(f"incident.kind_{e['kind']}"),
            status.badge("incident", e["status"]),
            what(e),
        ]
        for e in events
    ]
    return table(
        [t("incident.when"), t("incident.operator"), t("incident.kind"), t("calls.status"), t("incident.what")],
        rows,
        table_id="incident-events",
    )


def edit_form(settings: Settings, row: dict[str, Any]) -> html.Details:
    """Corrections to what was taken down; saved under the version check like every step."""

    def select(field: str, options: list[dict[str, Any]], value: Any) -> Any:
        return dbc.Select(id=f"edit-{field}", options=options, value=value)

    def text(field: str, value: str, area: bool = False) -> Any:
        return (
            dbc.Textarea(id=f"edit-{field}", value=value, rows=2)
            if area
            else dbc.Input(id=f"edit-{field}", value=value)
        )

    fields = [
        (
            "district",
            select("district", blank("intake.pick_district") + district_options(settings), row["district"] or ""),
        ),
        ("village", text("village", row["village"])),
        ("landmark", text("landmark", row["landmark"])),
        ("caller_name", text("caller_name", row["caller_name"])),
        ("category", select("category", category_options(), row["category"])),
        ("priority", select("priority", priority_options(), row["priority"])),
        ("summary", text("summary", row["summary"], area=True)),
        ("site", select("site", blank("intake.no_site") + site_options(settings), row["site"] or "")),
    ]
    return html.Details(
        [
            html.Summary(t("incident.edit"), className="edit-summary"),
            html.Div(
                [
                    html.Div([dbc.Label(t(f"incident.field_{name}"), html_for=f"edit-{name}"), control])
                    for name, control in fields
                ],
                className="edit-fields",
            ),
            dbc.Button(t("incident.save"), id="incident-save", color="primary"),
        ],
        className="incident-edit",
        id="incident-edit",
    )
