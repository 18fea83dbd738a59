"""`/alerts`: what needs someone now, then what happened, and for those who act: acknowledge, silence, lift.

Open alerts first (the most severe, then the oldest: scc.alerts.queries.in_sight), each with its rule in
words, its subject, since when, its state, who acknowledged it and when with their note, and whether a
silence covers it; then the history, filtered by state, severity and time range. Operators and admins
acknowledge with a note, silence a rule for a subject (or all of its subjects) for a set time with a reason,
and lift a silence. Each user is shown the rules routed to their role (scc.alerts.routing): SKPD staff
see and acknowledge those about their own unit only (an alert's `skpd_code`, the unit always taken from
their session); the bupati (viewer) sees every alert and is given no control. Every change goes through
scc.alerts.service, which audits it.

The alert bar of every page is filled here too (components.alerts_bar): it is the same capability.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import dash
from dash import ALL, Input, Output, State, dcc, html
from dash.development.base_component import Component
from flask import abort, request
from flask_login import current_user
from pydantic import StringConstraints

from scc.alerts import service
from scc.alerts.routing import Audience, audience
from scc.alerts.service import Refused
from scc.clock import utcnow

from ..access import EVERYONE, Access
from ..components import alerts_bar
from ..components import alerts_page as parts
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t
from ..queries.alerts import Range, SeverityFilter, StateFilter, get, history_of, in_sight_of, silences, summary_of

PATH = "/alerts"
ROLES = EVERYONE
ACKNOWLEDGERS = frozenset({"admin", "operator", "skpd"})
SILENCERS = frozenset({"admin", "operator"})
REFRESH_MS = 10_000
SPANS = {"30m": timedelta(minutes=30), "1h": timedelta(hours=1), "4h": timedelta(hours=4)}
SPANS |= {"1d": timedelta(days=1), "7d": timedelta(days=7)}
Note = Annotated[str, StringConstraints(max_length=service.NOTE_MAX)] | None
Reason = Annotated[str, StringConstraints(max_length=service.REASON_MAX)] | None
Choice = Annotated[str, StringConstraints(max_length=120)] | None


def shown(ctx: AppContext) -> Audience:
    """The alerts the signed-in user is shown: the rules routed to their role, SKPD staff only their unit's."""
    if current_user.role == "skpd" and not current_user.skpd_code:
        abort(403)
    return audience(ctx.settings, current_user.role, current_user.skpd_code)


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_: object) -> html.Div:
        return page(ctx)

    # Not in the navigation bar: every page's alert bar leads here.
    access.page(__name__, path=PATH, roles=ROLES, order=80, title_key="alerts.nav", layout=layout, nav=False)

    @access.callback(
        app,
        Output("alerts-bar", "children"),
        Output("alerts-bar", "className"),
        Output("alerts-sound", "data-on"),
        Output("alerts-sound", "data-due"),
        Input("alerts-bar-tick", "n_intervals"),
        roles=EVERYONE,
    )
    def bar(_n: int | None) -> tuple[object, str, str, str]:
        """The bar and, beside it, the sound's feed: one read of the alerts in sight for both."""
        found = in_sight_of(ctx.engine, shown(ctx))
        seen = summary_of(found)
        # The session's user row is read afresh on every request, so a change on the account page reaches
        # every screen of the account at its next tick.
        on = alerts_bar.sounds(current_user.user.alert_sound, request.cookies.get(alerts_bar.DISPLAY_COOKIE))
        due = alerts_bar.tones_due(found) if on else ""
        return alerts_bar.contents(seen), alerts_bar.tone_class(seen), "1" if on else "0", due

    @access.callback(
        app,
        Output("alerts-open", "children"),
        Input("alerts-tick", "n_intervals"),
        Input("alerts-changed", "data"),
        roles=ROLES,
    )
    def refresh(_n: int | None, _changed: int | None):
        can_act = current_user.role in ACKNOWLEDGERS
        return parts.open_table(ctx.settings, in_sight_of(ctx.engine, shown(ctx)), utcnow(), can_act)

    @access.callback(
        app,
        Output("alerts-ack-pick", "value"),
        Input({"type": parts.ACK_ROW, "id": ALL}, "n_clicks"),
        roles=ACKNOWLEDGERS,
        prevent_initial_call=True,
    )
    def pick_row(clicks: list[int | None]):
        picked = dash.ctx.triggered_id
        # A table redrawn by its timer "triggers" with its new buttons unclicked: only a click picks.
        if not isinstance(picked, dict) or not any(clicks or []):
            return dash.no_update
        return picked["id"]

    @access.callback(
        app,
        Output("alerts-history", "children"),
        Input("alerts-state", "value"),
        Input("alerts-severity", "value"),
        Input("alerts-range", "value"),
        Input("alerts-tick", "n_intervals"),
        Input("alerts-changed", "data"),
        roles=ROLES,
    )
    def history(
        state: StateFilter | None,
        severity: SeverityFilter | None,
        span: Range | None,
        _n: int | None,
        _changed: int | None,
    ):
        found = history_of(
            ctx.engine, span=span or "24h", state=state or "any", severity=severity or "any", audience=shown(ctx)
        )
        return parts.history_table(ctx.settings, found)

    @access.callback(
        app,
        Output("alerts-ack-pick", "options"),
        Input("alerts-tick", "n_intervals"),
        Input("alerts-changed", "data"),
        roles=ACKNOWLEDGERS,
    )
    def choices(_n: int | None, _changed: int | None):
        return parts.ack_options(ctx.settings, in_sight_of(ctx.engine, shown(ctx)))

    @access.callback(
        app,
        Output("alerts-ack-message", "children"),
        Output("alerts-changed", "data"),
        Output("alerts-ack-note", "value"),
        Input("alerts-ack", "n_clicks"),
        State("alerts-ack-pick", "value"),
        State("alerts-ack-note", "value"),
        State("alerts-changed", "data"),
        roles=ACKNOWLEDGERS,
        prevent_initial_call=True,
    )
    def acknowledge(_clicks: int | None, alert_id: int | None, note: Note, changed: int | None):
        if current_user.role not in ACKNOWLEDGERS:
            abort(403)
        if alert_id is None:
            return parts.message("alerts.ack_pick_first", "warning"), dash.no_update, dash.no_update
        found = get(ctx.engine, alert_id)
        if found is None or not shown(ctx).sees(found.rule, found.skpd_code):
            abort(403)  # not an alert shown to this user (or none at all): one answer for both
        try:
            service.acknowledge(ctx.engine, alert_id, current_user.username, note or "")
        except Refused as exc:
            return parts.refused(exc.why, exc.message), dash.no_update, dash.no_update
        return parts.message("alerts.acknowledged", "success", id=alert_id), (changed or 0) + 1, ""

    @access.callback(
        app,
        Output("alerts-silences", "children"),
        Output("alerts-lift-pick", "options"),
        Input("alerts-tick", "n_intervals"),
        Input("alerts-changed", "data"),
        roles=SILENCERS,
    )
    def silenced(_n: int | None, _changed: int | None):
        now = utcnow()
        found = silences(ctx.engine, now)
        return parts.silences_table(ctx.settings, found, now), parts.lift_options(ctx.settings, found, now)

    @access.callback(
        app,
        Output("alerts-silence-message", "children"),
        Output("alerts-changed", "data", allow_duplicate=True),
        Input("alerts-silence", "n_clicks"),
        State("alerts-silence-rule", "value"),
        State("alerts-silence-subject", "value"),
        State("alerts-silence-for", "value"),
        State("alerts-silence-reason", "value"),
        State("alerts-changed", "data"),
        roles=SILENCERS,
        prevent_initial_call=True,
    )
    def silence(_clicks: int | None, rule: Choice, subject: Choice, span: Choice, reason: Reason, changed: int | None):
        if current_user.role not in SILENCERS:
            abort(403)
        if not rule or span not in SPANS:
            return parts.message("alerts.silence_incomplete", "warning"), dash.no_update
        now = utcnow()
        try:
            made = service.silence(
                ctx.engine, ctx.settings, rule, (subject or "").strip() or None, now + SPANS[span], reason or "",
                current_user.username, now=now,
            )  # fmt: skip
        except Refused as exc:
            return parts.refused(exc.why, exc.message), dash.no_update
        return parts.message("alerts.silenced", "success", id=made), (changed or 0) + 1

    @access.callback(
        app,
        Output("alerts-lift-message", "children"),
        Output("alerts-changed", "data", allow_duplicate=True),
        Input("alerts-lift", "n_clicks"),
        State("alerts-lift-pick", "value"),
        State("alerts-changed", "data"),
        roles=SILENCERS,
        prevent_initial_call=True,
    )
    def lift(_clicks: int | None, silence_id: int | None, changed: int | None):
        if current_user.role not in SILENCERS:
            abort(403)
        if silence_id is None:
            return parts.message("alerts.lift_pick_first", "warning"), dash.no_update
        try:
            service.lift(ctx.engine, silence_id, current_user.username)
        except Refused as exc:
            return parts.refused(exc.why, exc.message), dash.no_update
        return parts.message("alerts.lifted", "success", id=silence_id), (changed or 0) + 1


def page(ctx: AppContext) -> html.Div:
    role = current_user.role
    side: list[Component] = []
    if role in ACKNOWLEDGERS:
        side.append(parts.ack_form())
    if role in SILENCERS:
        side.append(parts.silence_form(ctx.settings))
        side.append(panel(t("alerts.silences"), html.Div(id="alerts-silences"), panel_id="alerts-silences-panel"))
    hint = "alerts.hint_unit" if role == "skpd" else "alerts.hint_viewer" if role == "viewer" else "alerts.hint"
    main = html.Div(
        [
            panel(t("alerts.open"), html.Div(id="alerts-open"), panel_id="alerts-open-panel"),
            panel(
                t("alerts.history"),
                html.Div([parts.history_filters(), html.Div(id="alerts-history")]),
                panel_id="alerts-history-panel",
            ),
        ],
        className="alerts-main",
    )
    return html.Div(
        [
            html.Div(
                [html.H2(t("alerts.title"), className="page-title"), html.P(t(hint), className="alerts-hint")],
                className="page-head",
            ),
            parts.interval(REFRESH_MS),
            dcc.Store(id="alerts-changed", data=0),
            html.Div([main, html.Div(side, className="alerts-side")] if side else [main], className="alerts-grid"),
        ],
        className="page alerts-page",
    )
