"""One incident: what was reported, its clocks, everything done about it, and (for operators) the next steps.

`/calls/<incident_id>`. Everyone on staff reads it; admins and operators
dispatch a unit (the suggestions of callcenter.dispatch: the kind the incident
needs, nearest and least used first; components/callcenter_actions.py draws
them), move it on (only the steps callcenter.lifecycle.allowed_moves gives),
cancel it or mark it a prank (after a question and with a reason), release a
unit, add a note or correct the details. Every write names the version the
page was opened at: when someone else saved first, nothing is applied and the
page says who, with a reload button (optimistic locking, callcenter.lifecycle).
After each action the panel is drawn again with the keyboard focus on what
comes next (callcenter.js places it), never back at the top of the page.
"""

from __future__ import annotations

from typing import Any, Literal

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from flask import abort
from flask_login import current_user

from callcenter import lifecycle
from callcenter.errors import CallError
from scc.clock import as_utc, utcnow
from scc.storage.callcenter import CATEGORIES, PRIORITIES

from ..access import STAFF, Access, has_role
from ..components import callcenter_actions as actions
from ..components import callcenter_incidents as inc
from ..components import status
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t
from ..queries.callcenter import exists, incident, suggestions, timeline

PATH = "/calls/<incident_id>"
WRITERS = frozenset({"admin", "operator"})
MOVES = actions.MOVES
ASK = actions.ASK
EDIT_TEXT = {"village": 80, "landmark": 200, "caller_name": 120, "summary": 2000}


def parse_id(value: object) -> int | None:
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        return int(value)
    return None


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def allow(incident_id: str | None = None) -> bool | None:
        number = parse_id(incident_id)
        return True if number is not None and exists(ctx.engine, number) else None

    def layout(incident_id: str | None = None, **query: Any):
        number = parse_id(incident_id)
        row = incident(ctx.engine, number) if number is not None else None
        if row is None:  # gone between the check and now
            from ..components.states import not_found

            return not_found()
        writer = current_user.role in WRITERS
        linked = (
            dbc.Alert(t("incident.linked", id=number), color="info", id="incident-linked")
            if query.get("linked") == "1"
            else None
        )
        return html.Div(
            [
                dcc.Link(["← ", t("intake.back")], href="/calls", className="back-link", id="incident-back"),
                dcc.Store(id="incident-state", data={"id": number, "version": row["version"]}),
                dcc.Interval(id="incident-tick", interval=ctx.settings.app.web.refresh_s * 1000),
                linked,
                html.Div(id="incident-msg", role="status", **status.attrs(aria_live="polite")),
                html.Div(
                    [
                        html.Div(body(ctx, row), id="incident-body", className="incident-body"),
                        html.Div(controls(ctx, row), id="incident-controls", className="incident-controls")
                        if writer
                        else None,
                    ],
                    className="incident-main" + (" with-controls" if writer else ""),
                ),
            ],
            className="page incident-page",
        )

    access.page(
        __name__,
        path=PATH,
        roles=STAFF,
        order=85,
        title_key="nav.calls",
        layout=layout,
        nav=False,
        allow=allow,
    )

    @access.callback(
        app,
        Output("incident-body", "children", allow_duplicate=True),
        Input("incident-tick", "n_intervals"),
        State("incident-state", "data"),
        roles=STAFF,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None, state: dict[str, int] | None):
        """What others did shows up (the bupati's screen too); the actions keep the version they were
        opened at, so a step on an incident someone else changed is still refused as stale."""
        number = (state or {}).get("id")
        row = incident(ctx.engine, number) if isinstance(number, int) else None
        if row is None:
            raise dash.exceptions.PreventUpdate
        return body(ctx, row)

    outputs = (
        Output("incident-body", "children"),
        Output("incident-controls", "children"),
        Output("incident-state", "data"),
        Output("incident-msg", "children"),
    )

    @access.callback(
        app,
        *outputs,
        Input("incident-dispatch", "n_clicks"),
        *[Input(f"incident-to-{move}", "n_clicks") for move in MOVES],
        Input("incident-release", "n_clicks"),
        Input("incident-add-note", "n_clicks"),
        *[Input(f"incident-confirm-{move}", "n_clicks") for move in ASK],
        *[Input(f"incident-reason-{move}", "n_submit") for move in ASK],
        *[Input(f"incident-keep-{move}", "n_clicks") for move in ASK],
        State("incident-state", "data"),
        State("incident-unit", "value"),
        State("incident-release-unit", "value"),
        State("incident-note", "value"),
        *[State(f"incident-reason-{move}", "value") for move in ASK],
        roles=WRITERS,
        prevent_initial_call=True,
    )
    def act(
        _dispatch: int | None,
        _on_scene: int | None,
        _resolved: int | None,
        _closed: int | None,
        _cancelled: int | None,
        _prank: int | None,
        _release: int | None,
        _note: int | None,
        _confirm_cancelled: int | None,
        _confirm_prank: int | None,
        _enter_cancelled: int | None,
        _enter_prank: int | None,
        _keep_cancelled: int | None,
        _keep_prank: int | None,
        state: dict[str, int] | None,
        unit: str | None,
        release_unit: str | None,
        note: str | None,
        reason_cancelled: str | None,
        reason_prank: str | None,
    ):
        number, version = _state(state)
        action = str(dash.ctx.triggered_id)
        who = current_user.username
        reasons = {"cancelled": reason_cancelled or "", "prank": reason_prank or ""}
        # Cancel and prank only ask: the incident ends when the operator confirms, with a reason.
        asked = next((m for m in ASK if action == f"incident-to-{m}"), None)
        kept = next((m for m in ASK if action == f"incident-keep-{m}"), None)
        if asked or kept:
            row = incident(ctx.engine, number)
            if row is None:
                raise dash.exceptions.PreventUpdate
            focus = f"incident-reason-{asked}" if asked else f"incident-to-{kept}"
            return no_update, controls(ctx, row, focus=focus, asking=asked), no_update, None
        confirmed = next((m for m in ASK if action in (f"incident-confirm-{m}", f"incident-reason-{m}")), None)

        def step() -> int:
            if action == "incident-dispatch":
                if not unit or unit not in ctx.settings.unit_by_code:
                    raise CallError("invalid", "unit: pick a unit to send", field="unit")
                return lifecycle.dispatch(ctx.engine, ctx.settings, number, unit, operator=who, version=version)
            if action == "incident-release":
                if not release_unit:
                    raise CallError("invalid", "unit: pick a unit out on this incident", field="unit")
                lifecycle.release(ctx.engine, number, release_unit, operator=who)
                return version
            if action == "incident-add-note":
                lifecycle.add_note(ctx.engine, number, note or "", operator=who)
                return version
            if confirmed:
                return lifecycle.advance(
                    ctx.engine, number, confirmed, operator=who, version=version, reason=reasons[confirmed]
                )
            to = next((m for m in MOVES if action == f"incident-to-{m}"), None)
            if to is None:
                raise dash.exceptions.PreventUpdate
            return lifecycle.advance(ctx.engine, number, to, operator=who, version=version)

        try:
            return _apply(ctx, number, step, f"incident-to-{confirmed}" if confirmed else action)
        except CallError as exc:  # only a reason refused: said under the field, the question still open
            row = incident(ctx.engine, number)
            if row is None or confirmed is None:
                raise
            why = html.Span(t("confirm.reason_needed"), title=exc.message)
            box = controls(ctx, row, asking=confirmed, reason=reasons[confirmed], reason_error=why)
            return no_update, box, no_update, None

    @access.callback(
        app,
        *(Output(o.component_id, o.component_property, allow_duplicate=True) for o in outputs),
        Input("incident-save", "n_clicks"),
        State("incident-state", "data"),
        *[State(f"edit-{field}", "value") for field in lifecycle.EDITABLE],
        roles=WRITERS,
        prevent_initial_call=True,
    )
    def save(
        n: int | None,
        state: dict[str, int] | None,
        district: str | None,
        village: str | None,
        landmark: str | None,
        caller_name: str | None,
        category: str | None,
        priority: Literal[1, 2, 3, "1", "2", "3"] | None,
        summary: str | None,
        site: str | None,
    ):
        number, version = _state(state)
        if not n:
            raise dash.exceptions.PreventUpdate
        form = dict(
            district=district or None,
            village=village or "",
            landmark=landmark or "",
            caller_name=caller_name or "",
            category=category or "",
            priority=inc.parse_priority(priority),
            summary=summary or "",
            site=site or None,
        )

        def step() -> int:
            current = incident(ctx.engine, number) or {}
            changes = {k: v for k, v in _checked(ctx, form).items() if current.get(k) != v}
            if not changes:
                return version
            return lifecycle.edit(ctx.engine, ctx.settings, number, changes, operator=who, version=version)

        who = current_user.username
        return _apply(ctx, number, step, "incident-save")


def _state(state: dict[str, int] | None) -> tuple[int, int]:
    """The incident and version the page holds; the role is checked again here, whatever the guard did."""
    if not has_role(WRITERS):
        abort(403)
    if not state:
        raise dash.exceptions.PreventUpdate
    number, version = state.get("id"), state.get("version")
    if not isinstance(number, int) or not isinstance(version, int):
        abort(400)
    return number, version


def _checked(ctx: AppContext, form: dict[str, Any]) -> dict[str, Any]:
    """The edit form's values as the service may store them: only known codes, bounded texts."""
    s = ctx.settings
    if form["district"] is not None and form["district"] not in s.district_by_code:
        raise CallError("invalid", f"district: unknown district {form['district']!r}", field="district")
    if form["category"] not in CATEGORIES or form["category"] == "prank":
        raise CallError("invalid", f"category: {form['category']!r} is not a category", field="category")
    if form["priority"] not in PRIORITIES:
        raise CallError("invalid", f"priority: {form['priority']!r} is not 1, 2 or 3", field="priority")
    if form["site"] is not None and form["site"] not in {c.site for c in s.cameras}:
        raise CallError("invalid", f"site: no camera site {form['site']!r}", field="site")
    for field, limit in EDIT_TEXT.items():
        form[field] = form[field].strip()
        if len(form[field]) > limit:
            raise CallError("invalid", f"{field}: at most {limit} characters", field=field)
    return form


def _apply(ctx: AppContext, number: int, step: Any, action: str) -> tuple:
    """Run one write and answer with the page as it is now, or with why nothing was done. A refused
    reason is raised to the caller, which asks again under the field."""
    try:
        version = step()
    except CallError as exc:
        if exc.details.get("field") == "reason":
            raise
        return no_update, no_update, no_update, refusal(ctx, number, exc)
    row = incident(ctx.engine, number)
    if row is None:
        return no_update, no_update, no_update, dbc.Alert(t("incident.missing"), color="danger")
    done = dbc.Alert(
        t(f"incident.done_{action.removeprefix('incident-').replace('-', '_')}"), color="success", id="incident-done"
    )
    box = controls(ctx, row, focus=actions.focus_after(row, action))
    return body(ctx, row), box, {"id": number, "version": version}, done


def refusal(ctx: AppContext, number: int, exc: CallError) -> dbc.Alert:
    """Why nothing was done, in the operator's language; the service's English text only in a tooltip."""
    if exc.code == "stale":
        return dbc.Alert(
            [
                html.Span(t("incident.stale", by=exc.details.get("by") or "?")),
                html.A(
                    t("incident.reload"), href=f"/calls/{number}", className="btn btn-warning", id="incident-reload"
                ),
            ],
            color="warning",
            id="incident-stale",
            className="incident-alert",
        )
    if exc.code == "busy":
        unit = inc.unit_name(ctx.settings, exc.details.get("unit"))
        text = t("incident.busy", unit=unit, incident=exc.details.get("incident") or "?")
    elif exc.code == "invalid" and exc.details.get("field") == "unit":
        text = t("incident.refused_unit")
    else:
        text = t(f"incident.refused_{exc.code}")
    return dbc.Alert(
        html.Span(text, title=exc.message), color="danger", id=f"incident-{exc.code}", className="incident-alert"
    )


# -- what the page shows -----------------------------------------------------------------------


def body(ctx: AppContext, row: dict[str, Any]) -> list:
    events = timeline(ctx.engine, row["id"])
    return [
        inc.heading(row),
        html.Div(
            [
                html.Div(
                    [
                        panel(t("incident.clocks"), clocks(ctx, row), panel_id="incident-clocks"),
                        panel(t("incident.details"), inc.details(ctx.settings, row), panel_id="incident-details"),
                        panel(t("incident.cameras"), inc.scene_cameras(ctx.settings, row), panel_id="incident-cams"),
                    ],
                    className="incident-left",
                ),
                panel(t("incident.timeline"), inc.timeline_table(ctx.settings, events), panel_id="incident-timeline"),
            ],
            className="incident-grid",
        ),
    ]


def clocks(ctx: AppContext, row: dict[str, Any]) -> html.Dl:
    """Since the call and since the current step, running against the priority's targets; and how long
    each step took, against its target, in words."""
    now = utcnow()
    call, step = inc.clocks(ctx.settings, row)
    facts: list[tuple[str, Any]] = []
    if call is not None:
        facts.append((t("timer.since_call"), [inc.timer(call, now, "incident-clock-call"), _racing(call, now)]))
    if step is not None:
        label = t("timer.since_step", step=t(f"incident.{row['status']}"))
        facts.append((label, [inc.timer(step, now, "incident-clock-step"), _racing(step, now)]))
    target = ctx.settings.call_policy.target(row["priority"]) if row["category"] != "complaint" else None
    received = row["received_at"]
    for key, column, limit in (
        ("took_dispatch", "dispatched_at", target.dispatch_s if target else None),
        ("took_on_scene", "on_scene_at", target.on_scene_s if target else None),
    ):
        if row.get(column):
            took = (as_utc(row[column]) - as_utc(received)).total_seconds()
            judged = [" ", _verdict(took <= limit, limit)] if limit else []
            facts.append((t(f"timer.{key}"), [html.Span(inc.clock_text(took), className="timer-text"), *judged]))
    if not facts:
        return html.Dl([html.Dt(t("timer.since_call")), html.Dd("-")], className="incident-facts")
    return html.Dl(
        [part for label, value in facts for part in (html.Dt(label), html.Dd(value, className="clock-cell"))],
        className="incident-facts incident-clocks",
    )


def _racing(clock: inc.Clock, now: Any) -> Any:
    """The target a running clock races, and how it stands, in words."""
    if not clock.target:
        return None
    tone = inc.clock_tone(clock, (now - clock.since).total_seconds())
    word = {"alarm": "timer.missed", "warning": "timer.near"}.get(str(tone), "timer.within")
    text = t(word, target=inc.clock_text(clock.target_s)) + " · " + t(f"timer.goal_{clock.target}")
    return html.Span(text, className=f"clock-words tone-{tone}")


def _verdict(met: bool, limit: int) -> html.Span:
    word = "timer.met" if met else "timer.missed"
    return status.pill(
        t(word, target=inc.clock_text(limit)), "ok" if met else "alarm", status="met" if met else "missed"
    )


def controls(ctx: AppContext, row: dict[str, Any], **drawn: Any) -> list:
    """The actions panel (components/callcenter_actions.py) with the dispatch suggestions read now."""
    offer = suggestions(ctx.engine, ctx.settings, row) if actions.can_send(row) else None
    return actions.controls(ctx.settings, row, offer, **drawn)
