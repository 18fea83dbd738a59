"""How an incident's parts show on the call-center pages: its number, priority, category, place, units,
its clocks, and how many units of each kind are free.

Priority, "overdue", a clock past its target and a kind with no unit free are statuses like any other:
icon and word (or icon and a title), never colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from callcenter import phone
from scc.clock import as_utc, utcnow
from scc.settings import Settings
from scc.storage.callcenter import CATEGORIES, OPEN_STATUSES, PRIORITIES

from .. import i18n
from ..i18n import t
from ..queries.callcenter import KindCount
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


def kind_name(kind: str) -> str:
    return t(f"kind.{kind}")


def kind_counts(counts: Sequence[KindCount], list_id: str) -> html.Ul:
    """Free units per kind, "Ambulans 0/2": a kind with none free is an alarm, and says so in words."""
    items = []
    for k in counts:
        tone: Tone = "ok" if k.free else "alarm"
        parts: list[Any] = [
            status.icon(tone),
            html.Span(kind_name(k.kind), className="kind-name"),
            html.Span(f"{k.free}/{k.total}", className="kind-count"),
        ]
        if not k.free:
            parts.append(html.Span(t("kind.all_out"), className="kind-word"))
        items.append(
            html.Li(
                parts,
                className=f"kind-chip status status-{tone}",
                **attrs(data_kind=k.kind, data_free=str(k.free), data_total=str(k.total), data_tone=tone),
            )
        )
    return html.Ul(items, className="kind-chips", id=list_id)


# -- clocks: how long since the call and since the current step, against the priority's targets --------


@dataclass(frozen=True)
class Clock:
    """A running clock. `warn_s`/`alarm_s` are in its own seconds (None: nothing to judge it by)."""

    since: datetime
    warn_s: float | None = None
    alarm_s: float | None = None
    target: str = ""  # "dispatch" or "on_scene": what it races
    target_s: int = 0  # that target, in seconds from the call


def clocks(settings: Settings, row: dict[str, Any]) -> tuple[Clock | None, Clock | None]:
    """(since the call, since the current step) of an open incident. An incident waiting for a unit races
    its priority's dispatch target; one with a unit on the way races the on-scene target, counted from the
    call on both clocks, so that they turn at the same moment. On scene and later nothing is raced: the
    clocks only count. A complaint runs on its SKPD's days (overdue), not on these clocks."""
    if row["status"] not in OPEN_STATUSES:
        return None, None
    received = as_utc(row["received_at"])
    target = settings.call_policy.target(row["priority"]) if row["category"] != "complaint" else None
    share = settings.call_policy.warn_share
    step_at = {"dispatched": row.get("dispatched_at"), "on_scene": row.get("on_scene_at")}.get(row["status"])
    step = as_utc(step_at) if step_at else None
    if target is None or row["status"] == "on_scene":
        return Clock(received), Clock(step) if step else None
    what, limit = ("dispatch", target.dispatch_s) if row["status"] == "received" else ("on_scene", target.on_scene_s)
    call = Clock(received, share * limit, limit, what, limit)
    if step is None:
        return call, None
    offset = (step - received).total_seconds()
    return call, Clock(step, share * limit - offset, limit - offset, what, limit)


def clock_text(seconds: float) -> str:
    """`4:07`, `1:04:07`: minutes and seconds, as callcenter.js keeps counting them in the browser."""
    s = int(max(seconds, 0))
    hours, rest = divmod(s, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def clock_tone(clock: Clock, elapsed: float) -> Tone | str:
    if clock.alarm_s is not None and elapsed >= clock.alarm_s:
        return "alarm"
    if clock.warn_s is not None and elapsed >= clock.warn_s:
        return "warning"
    return "ok" if clock.alarm_s is not None else "none"


def timer(clock: Clock, now: datetime, timer_id: str | None = None) -> html.Span:
    """A clock that callcenter.js keeps running between the page's refreshes: it counts from the seconds the
    server saw (not the browser's own clock, which may be wrong) and changes tone at the same thresholds.
    A day and more is said in words and no longer counted."""
    elapsed = max((now - clock.since).total_seconds(), 0.0)
    tone = clock_tone(clock, elapsed)
    title = t(f"timer.target_{clock.target}", target=clock_text(clock.target_s)) if clock.target else ""
    if elapsed >= 86_400:
        return html.Span(i18n.age(clock.since, now=now), className="timer tone-none", **attrs(data_tone="none"))
    data = attrs(data_elapsed=str(int(elapsed)), data_tone=tone)
    if clock.alarm_s is not None and clock.warn_s is not None:
        data.update(attrs(data_warn=str(int(clock.warn_s)), data_alarm=str(int(clock.alarm_s))))
    named: dict[str, Any] = {"id": timer_id} if timer_id else {}
    return html.Span(
        [status.icon(tone), html.Span(clock_text(elapsed), className="timer-text")],
        className=f"timer tone-{tone}",
        title=title,
        **named,
        **data,
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
