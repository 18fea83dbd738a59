"""The alerts page's parts: the alerts in sight, the history, the silences, and the forms of those who act.

Every state and severity is an icon and a word (components.status); times are WITA. Whoever may not act is
given no form at all, not a hidden one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from scc.settings import Settings
from scc.settings.alerts import Rule

from .. import i18n
from ..i18n import t
from ..queries.alerts import RANGES, STATE_FILTERS, AlertView, SilenceView
from .cameras_tiles import link_label
from .forms import dropdown
from .states import empty
from .status import badge, pill
from .tables import panel, table

SILENCE_SPANS = ("30m", "1h", "4h", "1d", "7d")
SEVERITY_FILTERS = ("any", "critical", "warning", "info")


def rule_of(settings: Settings, rule_id: str) -> Rule | None:
    """The rule of alerts.yaml with this id; None for one no longer there."""
    return next((r for r in settings.alerts.rules if r.id == rule_id), None)


def rule_name(settings: Settings, rule_id: str) -> str:
    """A rule in words, in the page's language; a rule no longer in alerts.yaml by its id."""
    found = rule_of(settings, rule_id)
    if found is None:
        return rule_id
    return found.name.en if i18n.current_language() == "en" else found.name.id


# Kinds whose subject is an incident's id (a complaint is an incident too), or a unit's code.
INCIDENT_KINDS = frozenset({"incident_not_dispatched", "incident_on_scene", "complaint_overdue"})
UNIT_KINDS = frozenset({"unit_silent", "metric_threshold", "service_down", "unit_rejections"})


def subject_name(settings: Settings, kind: str, subject: str) -> str:
    """What an alert is about, as the wall names it: a camera's name, a link, a unit's short name, an
    incident's number; a subject no longer in config by its id."""
    if kind == "camera_down":
        camera = settings.camera_by_id.get(subject)
        return subject if camera is None else camera.name
    if kind == "uplink_down":
        return t("alerts.subject.uplink", name=link_label(subject))
    if kind in INCIDENT_KINDS:
        return t("alerts.subject.incident", id=subject)
    if kind in UNIT_KINDS:
        unit = settings.skpd_by_code.get(subject)
        return subject if unit is None else unit.short
    if kind == "disk_full":
        return t("alerts.subject.disk")
    return subject


def silenced_subject(settings: Settings, s: SilenceView) -> str:
    if s.subject is None:
        return t("alerts.every_subject")
    rule = rule_of(settings, s.rule)
    return s.subject if rule is None else subject_name(settings, rule.kind, s.subject)


# A row's own "acknowledge" button: it picks that alert in the form, where the note goes.
ACK_ROW = "alerts-ack-row"


def acknowledged(a: AlertView, can_act: bool = False) -> Any:
    if a.acknowledged_at is None:
        waiting = pill(t("alerts.not_acknowledged"), "warning", size="sm")
        if not can_act:
            return waiting
        pick = dbc.Button(
            t("alerts.ack_button"), id={"type": ACK_ROW, "id": a.id}, color="primary", size="sm", className="ms-2"
        )
        return html.Span([waiting, pick], className="alerts-ack-row")
    note = f" · {a.acknowledged_note}" if a.acknowledged_note else ""
    return html.Span(f"{a.acknowledged_by}, {i18n.when(a.acknowledged_at)}{note}", className="alerts-ack")


def open_table(settings: Settings, found: Sequence[AlertView], now: datetime, can_act: bool = False) -> Any:
    """The alerts in sight; `can_act`: each one not yet acknowledged has its own button to pick it."""
    if not found:
        return empty("alerts.none_title", "alerts.none_hint")
    headers = [t(f"alerts.col.{c}") for c in ("id", "severity", "rule", "subject", "since", "state", "ack", "silenced")]
    rows = [
        [
            f"#{a.id}",
            badge("alert_severity", a.severity, size="sm"),
            rule_name(settings, a.rule),
            subject_name(settings, a.kind, a.subject),
            html.Span(
                [
                    html.Span(i18n.when(a.started_at), className="alerts-when"),
                    html.Br(),
                    html.Span(i18n.age(a.started_at, now=now), className="alerts-when"),
                ]
            ),
            badge("alert", a.state, size="sm"),
            acknowledged(a, can_act),
            pill(t("admin.yes"), "unknown", size="sm") if a.silenced else t("admin.no"),
        ]
        for a in found
    ]
    return table(headers, rows, "alerts-open-table")


def history_table(settings: Settings, found: Sequence[AlertView]) -> Any:
    if not found:
        return empty("alerts.history_none_title", "alerts.history_none_hint")
    headers = [t(f"alerts.col.{c}") for c in ("id", "severity", "rule", "subject", "since", "ended", "state", "ack")]
    rows = [
        [
            f"#{a.id}",
            badge("alert_severity", a.severity, size="sm"),
            rule_name(settings, a.rule),
            subject_name(settings, a.kind, a.subject),
            i18n.datetime_wita(a.started_at),
            i18n.datetime_wita(a.ended_at) if a.ended_at else t("alerts.still_open"),
            badge("alert", a.state, size="sm"),
            acknowledged(a),
        ]
        for a in found
    ]
    return table(headers, rows, "alerts-history-table")


def silences_table(settings: Settings, found: Sequence[SilenceView], now: datetime) -> Any:
    if not found:
        return html.P(t("alerts.silences_none"), className="text-muted mb-0")
    headers = [t(f"alerts.col.{c}") for c in ("id", "rule", "subject", "until", "reason", "by")]
    rows = [
        [
            f"#{s.id}",
            rule_name(settings, s.rule),
            silenced_subject(settings, s),
            i18n.datetime_wita(s.ends_at) if s.in_force(now) else t("alerts.silence_over"),
            s.reason,
            s.created_by,
        ]
        for s in found
    ]
    return table(headers, rows, "alerts-silences-table")


def ack_options(settings: Settings, found: Sequence[AlertView]) -> list[dict[str, Any]]:
    return [
        {
            "label": f"#{a.id} · {t(f'alert_severity.{a.severity}')} · {rule_name(settings, a.rule)} · "
            f"{subject_name(settings, a.kind, a.subject)}",
            "value": a.id,
        }
        for a in found
        if not a.acknowledged
    ]


def lift_options(settings: Settings, found: Sequence[SilenceView], now: datetime) -> list[dict[str, Any]]:
    return [
        {"label": f"#{s.id} · {rule_name(settings, s.rule)} · {silenced_subject(settings, s)}", "value": s.id}
        for s in found
        if s.in_force(now)
    ]


def ack_form() -> html.Section:
    return panel(
        t("alerts.ack_title"),
        html.Div(
            [
                dbc.Label(t("alerts.ack_pick"), html_for="alerts-ack-pick"),
                dropdown(id="alerts-ack-pick", options=[], clearable=False),
                dbc.Label(t("alerts.ack_note"), html_for="alerts-ack-note", className="mt-2"),
                dbc.Input(id="alerts-ack-note", maxLength=500, type="text"),
                dbc.Button(t("alerts.ack_button"), id="alerts-ack", color="primary", size="lg", className="mt-2"),
                html.Div(id="alerts-ack-message", role="status", className="mt-2"),
            ],
            className="alerts-form",
        ),
        panel_id="alerts-ack-panel",
    )


def silence_form(settings: Settings) -> html.Section:
    rules = [{"label": rule_name(settings, r.id), "value": r.id} for r in settings.alerts.rules]
    spans = [{"label": t(f"alerts.span.{s}"), "value": s} for s in SILENCE_SPANS]
    return panel(
        t("alerts.silence_title"),
        html.Div(
            [
                dbc.Label(t("alerts.silence_rule"), html_for="alerts-silence-rule"),
                dropdown(id="alerts-silence-rule", options=rules, clearable=False),
                dbc.Label(t("alerts.silence_subject"), html_for="alerts-silence-subject", className="mt-2"),
                dbc.Input(id="alerts-silence-subject", maxLength=120, type="text"),
                dbc.Label(t("alerts.silence_for"), html_for="alerts-silence-for", className="mt-2"),
                dropdown(id="alerts-silence-for", options=spans, value="1h", clearable=False),
                dbc.Label(t("alerts.silence_reason"), html_for="alerts-silence-reason", className="mt-2"),
                dbc.Input(id="alerts-silence-reason", maxLength=500, type="text"),
                dbc.Button(t("alerts.silence_button"), id="alerts-silence", color="secondary", className="mt-2"),
                html.Div(id="alerts-silence-message", role="status", className="mt-2"),
                html.Hr(),
                dbc.Label(t("alerts.lift_pick"), html_for="alerts-lift-pick"),
                dropdown(id="alerts-lift-pick", options=[], clearable=False),
                dbc.Button(t("alerts.lift_button"), id="alerts-lift", color="secondary", className="mt-2"),
                html.Div(id="alerts-lift-message", role="status", className="mt-2"),
            ],
            className="alerts-form",
        ),
        panel_id="alerts-silence-panel",
    )


def history_filters() -> html.Div:
    def pick(name: str, values: Sequence[str], value: str) -> html.Div:
        options = [{"label": t(f"alerts.filter.{name}.{v}"), "value": v} for v in values]
        return html.Div(
            [
                dbc.Label(t(f"alerts.filter.{name}"), html_for=f"alerts-{name}"),
                dropdown(id=f"alerts-{name}", options=options, value=value, clearable=False),
            ],
            className="alerts-filter",
        )

    return html.Div(
        [
            pick("state", STATE_FILTERS, "any"),
            pick("severity", SEVERITY_FILTERS, "any"),
            pick("range", RANGES, "24h"),
        ],
        className="alerts-filters",
    )


def message(key: str, color: str, **values: object) -> dbc.Alert:
    return dbc.Alert(t(key, **values), color=color, className="mb-0")


def refused(why: str, detail: str) -> dbc.Alert:
    """A refusal in the page's language, with the service's own reason after it (in English) for the record."""
    return dbc.Alert(
        [html.Strong(t(f"alerts.why.{why}")), " ", html.Small(detail, lang="en")], color="danger", className="mb-0"
    )


def interval(ms: int) -> dcc.Interval:
    return dcc.Interval(id="alerts-tick", interval=ms)
