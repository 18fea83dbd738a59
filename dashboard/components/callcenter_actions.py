"""An incident's actions panel, for operators: the unit to send, the next steps, the deliberate ends.

- The unit picker offers the suggestions of callcenter.dispatch: free units of the kinds the category
  needs, best first and preselected; free units of other kinds come after a divider, never
  preselected. When no unit of a needed kind is free, nothing is preselected and the panel says so in
  alarm style, with the busy units of that kind, nearest first, and the incidents they are out on.
- Each step is a button with its key (callcenter.js): 1 send, 2 on scene, 3 resolved, 4 close, 8 cancel,
  9 prank, N the note; Enter in the unit list sends. The keys are listed on the panel.
- Cancel and prank ask first: a box with the question, the reason (required) and Yes / No.
- The panel says where the keyboard focus goes after it is drawn (`data-focus`, a new
  `data-focus-token` each time): the next step after a step, the reason when asking, the same field
  after a note, so the operator's place never jumps to the top of the page.
"""

from __future__ import annotations

import itertools
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from callcenter import lifecycle
from callcenter.dispatch import Option, Suggestions
from scc.settings import Settings
from scc.storage.callcenter import OPEN_STATUSES, IncidentStatus

from .. import i18n
from ..i18n import t
from . import callcenter_incidents as inc
from .status import attrs, icon
from .tables import panel

MOVES: tuple[IncidentStatus, ...] = ("on_scene", "resolved", "closed", "cancelled", "prank")
ASK: tuple[IncidentStatus, ...] = ("cancelled", "prank")  # lifecycle.NEEDS_REASON, in the page's order
KEYS = {"dispatch": "1", "on_scene": "2", "resolved": "3", "closed": "4", "cancelled": "8", "prank": "9"}
# Where the keyboard goes when the panel is drawn for an incident in each status: its next step.
NEXT = {
    "received": "incident-unit",
    "dispatched": "incident-to-on_scene",
    "on_scene": "incident-to-resolved",
    "resolved": "incident-to-closed",
}
_tokens = itertools.count(1)


def focus_after(row: dict[str, Any], action: str) -> str:
    """The element an operator works on next, after `action` on this incident."""
    if action == "incident-add-note":
        return "incident-note"
    if action == "incident-save":
        return "incident-save"
    if action == "incident-release":
        return "incident-release-unit" if row["units"] else NEXT.get(row["status"], "incident-back")
    if action == "incident-dispatch" and row["status"] != "dispatched":
        return "incident-unit"  # a second unit to a scene already worked on: perhaps a third
    return NEXT.get(row["status"], "incident-back")


def controls(
    settings: Settings,
    row: dict[str, Any],
    offer: Suggestions | None,
    *,
    focus: str | None = None,
    asking: str | None = None,
    reason: str = "",
    reason_error: str | None = None,
) -> list:
    """The panel for `row`. `offer`: the dispatch suggestions (None when no unit can be sent)."""
    allowed = lifecycle.allowed_moves(row)
    focus = focus or (f"incident-reason-{asking}" if asking else NEXT.get(row["status"], "incident-back"))
    out = [{"label": inc.unit_name(settings, c), "value": c} for c in row["units"]]
    steps = html.Div(
        [
            dbc.Button(
                [t(f"incident.to_{move}"), html.Kbd(KEYS[move], className="key")],
                id=f"incident-to-{move}",
                color="danger" if move in ASK else "primary",
                outline=move in ASK,
                size="lg",
                # Always on the page, so the one callback has all its inputs; a step not allowed is not shown.
                className="" if move in allowed and not asking else "d-none",
            )
            for move in MOVES
        ],
        className="button-row incident-steps",
    )
    back = html.Div(
        [
            dbc.Label(t("incident.release_unit"), html_for="incident-release-unit"),
            html.Div(
                [
                    dbc.Select(id="incident-release-unit", options=out, value=out[0]["value"] if out else None),
                    dbc.Button(t("incident.release"), id="incident-release", color="secondary", outline=True),
                ],
                className="select-row",
            ),
        ],
        hidden=not out,
        className="control-block",
    )
    note = html.Div(
        [
            dbc.Label([t("incident.note"), " ", html.Kbd("N", className="key")], html_for="incident-note"),
            dbc.Textarea(id="incident-note", rows=2, submit_on_enter=False),
            dbc.Button(
                [t("incident.add_note"), html.Kbd("Ctrl+Enter", className="key")],
                id="incident-add-note",
                color="secondary",
                outline=True,
            ),
        ],
        className="control-block",
    )
    asks = [confirm(row, move, asking == move, reason if asking == move else "", reason_error) for move in ASK]
    body = [sender(settings, row, offer), steps, *asks, back, note, keys(), inc.edit_form(settings, row)]
    wrap = html.Div(
        body,
        id="incident-actions-wrap",
        **attrs(data_focus=focus, data_focus_token=str(next(_tokens))),
    )
    return [panel(t("incident.actions"), wrap, panel_id="incident-actions")]


def sender(settings: Settings, row: dict[str, Any], offer: Suggestions | None) -> html.Div:
    """The unit list, what it suggests and why, and the alarm when no unit of the needed kind is free."""
    if offer is None:
        return html.Div([dbc.Select(id="incident-unit", options=[]), dbc.Button(id="incident-dispatch")], hidden=True)
    options: list[dict[str, Any]] = [{"label": _option_label(o), "value": o.unit.code} for o in offer.free]
    if offer.others:
        options.append({"label": t("dispatch.other_kinds"), "value": "-", "disabled": True})
        options += [
            {"label": f"{o.unit.name} · {inc.kind_name(o.unit.kind)}", "value": o.unit.code} for o in offer.others
        ]
    pick = offer.pick
    parts: list[Any] = [
        dbc.Label(t("incident.unit"), html_for="incident-unit"),
        # With nothing to suggest the list shows its placeholder: no unit is chosen for the operator.
        dbc.Select(
            id="incident-unit",
            options=options,
            value=pick.unit.code if pick else "",
            placeholder=t("dispatch.pick_unit"),
        ),
    ]
    busy = [o for o in offer.busy if o.busy_on != row["id"]]
    kinds = ", ".join(inc.kind_name(k) for k in offer.needed)
    has_one = any(o.busy_on == row["id"] for o in offer.busy)
    if pick is None and has_one:  # this incident has its unit: no other is free, which is no alarm here
        parts.append(html.Div(t("dispatch.no_other", kinds=kinds), id="incident-pick", className="pick-note"))
    elif pick is None:
        parts.append(no_unit_alarm(kinds, offer.needed, busy))
    else:
        nearer = [o for o in busy if (o.km or 0) <= (pick.km or 0)]
        suggested = t("dispatch.suggested", what=_option_label(pick), n=pick.missions)
        parts.append(
            html.Div(
                [html.Span(suggested, className="pick-line")]
                + [html.Span(_busy_line(o, with_incident=True), className="pick-busy") for o in nearer],
                id="incident-pick",
                className="pick-note",
            )
        )
    send = dbc.Button(
        [t("incident.dispatch"), html.Kbd(KEYS["dispatch"], className="key")],
        id="incident-dispatch",
        color="primary",
        size="lg",
        className="send-button",
    )
    return html.Div([*parts, send], className="control-block sender")


def no_unit_alarm(kinds: str, needed: tuple[str, ...], busy: list[Option]) -> html.Div:
    items = [html.Li([inc.link(o.busy_on), " ", _busy_line(o)]) for o in busy if o.busy_on is not None]
    return html.Div(
        [
            html.P([icon("alarm"), html.Strong(t("dispatch.none_free", kinds=kinds))], className="alarm-title"),
            html.P(t("dispatch.none_free_hint"), className="alarm-hint"),
            html.P(t("dispatch.busy_nearest"), className="alarm-hint") if items else None,
            html.Ul(items, className="busy-list") if items else None,
        ],
        id="incident-no-unit",
        className="dispatch-alarm status-alarm",
        role="alert",
        **attrs(data_tone="alarm", data_kinds=" ".join(needed)),
    )


def _where(o: Option) -> str:
    return t("dispatch.km", km=i18n.number(o.km, digits=1)) if o.km is not None else t("dispatch.km_unknown")


def _option_label(o: Option) -> str:
    return t("dispatch.option", name=o.unit.name, where=_where(o))


def _busy_line(o: Option, *, with_incident: bool = False) -> str:
    since = i18n.when(o.since) if o.since else "-"
    key = "dispatch.busy_on" if with_incident else "dispatch.busy"
    return t(key, name=o.unit.name, incident=o.busy_on or "?", where=_where(o), since=since)


def confirm(row: dict[str, Any], move: str, open_: bool, reason: str, error: str | None) -> html.Div:
    """The question before an incident is ended for good: what happens, the reason, Yes and No."""
    field = f"incident-reason-{move}"
    return html.Div(
        [
            html.P(
                [icon("warning"), html.Strong(t(f"confirm.{move}_question", id=row["id"]))],
                className="confirm-question",
            ),
            html.P(t("confirm.units_back") if row["units"] else t("confirm.final"), className="confirm-hint"),
            dbc.Label(t("confirm.reason"), html_for=field),
            dbc.Input(id=field, value=reason, maxLength=lifecycle.REASON_MAX, autoComplete="off", type="text"),
            html.Div(error, id=f"{field}-error", className="field-error", role="alert"),
            html.Div(
                [
                    dbc.Button(
                        [t(f"confirm.{move}_yes"), html.Kbd("Enter", className="key")],
                        id=f"incident-confirm-{move}",
                        color="danger",
                        size="lg",
                    ),
                    dbc.Button(
                        [t("confirm.keep"), html.Kbd("Esc", className="key")],
                        id=f"incident-keep-{move}",
                        color="secondary",
                        outline=True,
                        size="lg",
                        className="confirm-keep",
                    ),
                ],
                className="button-row",
            ),
        ],
        id=f"incident-ask-{move}",
        className="incident-confirm",
        hidden=not open_,
        role="group",
        **attrs(aria_label=t(f"confirm.{move}_question", id=row["id"])),
    )


def keys() -> html.Div:
    """The keys of this panel, written where the operator sees them (callcenter.js listens for them)."""
    shown = [(KEYS["dispatch"], t("incident.dispatch"))]
    shown += [(KEYS[m], t(f"incident.to_{m}")) for m in MOVES]
    shown += [("N", t("incident.note")), ("Enter", t("keys.enter_unit")), ("Esc", t("keys.esc"))]
    return html.Div(
        [
            html.Span(t("keys.title"), className="keys-title"),
            html.Ul([html.Li([html.Kbd(k, className="key"), " ", what]) for k, what in shown], className="keys"),
        ],
        id="incident-keys",
        className="keys-block",
    )


def can_send(row: dict[str, Any]) -> bool:
    return row["status"] in OPEN_STATUSES and row["category"] != "complaint"
