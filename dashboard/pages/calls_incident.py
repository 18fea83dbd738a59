"""One incident: what was reported, everything done about it, and (for operators) the next steps.

`/calls/<incident_id>`. Everyone on staff reads it; admins and operators
dispatch a free unit (the incident's own district and line first), move it on
(only the steps callcenter.lifecycle.allowed_moves gives), release a unit,
add a note or correct the details. Every write names the version the page
was opened at: when someone else saved first, nothing is applied and the
page says who, with a reload button (optimistic locking, callcenter.lifecycle).
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
from scc.storage.calls import CATEGORIES, PRIORITIES, IncidentStatus

from ..access import STAFF, Access, has_role
from ..components import incidents as inc
from ..components import status
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t
from ..queries.calls import exists, incident, timeline, units_status

PATH = "/calls/<incident_id>"
WRITERS = frozenset({"admin", "operator"})
MOVES: tuple[IncidentStatus, ...] = ("on_scene", "resolved", "closed", "cancelled", "prank")
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
        State("incident-state", "data"),
        State("incident-unit", "value"),
        State("incident-release-unit", "value"),
        State("incident-note", "value"),
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
        state: dict[str, int] | None,
        unit: str | None,
        release_unit: str | None,
        note: str | None,
    ):
        number, version = _state(state)
        action = dash.ctx.triggered_id
        who = current_user.username

        def step() -> int:
            if action == "incident-dispatch":
                if not unit:
                    raise CallError("invalid", "unit: pick a free unit", field="unit")
                return lifecycle.dispatch(ctx.engine, ctx.settings, number, unit, operator=who, version=version)
            if action == "incident-release":
                if not release_unit:
                    raise CallError("invalid", "unit: pick a unit out on this incident", field="unit")
                lifecycle.release(ctx.engine, number, release_unit, operator=who)
                return version
            if action == "incident-add-note":
                lifecycle.add_note(ctx.engine, number, note or "", operator=who)
                return version
            to = next((m for m in MOVES if action == f"incident-to-{m}"), None)
            if to is None:
                raise dash.exceptions.PreventUpdate
            return lifecycle.advance(ctx.engine, number, to, operator=who, version=version)

        return _apply(ctx, number, step, str(action))

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
    """Run one write and answer with the page as it is now, or with why nothing was done."""
    try:
        version = step()
    except CallError as exc:
        return no_update, no_update, no_update, refusal(ctx, number, exc)
    row = incident(ctx.engine, number)
    if row is None:
        return no_update, no_update, no_update, dbc.Alert(t("incident.missing"), color="danger")
    done = dbc.Alert(
        t(f"incident.done_{action.removeprefix('incident-').replace('-', '_')}"), color="success", id="incident-done"
    )
    return body(ctx, row), controls(ctx, row), {"id": number, "version": version}, done


def refusal(ctx: AppContext, number: int, exc: CallError) -> dbc.Alert:
    detail = html.Small(exc.message, className="error-detail")
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
    else:
        text = t(f"incident.refused_{exc.code}")
    return dbc.Alert([html.Span(text), detail], color="danger", id=f"incident-{exc.code}", className="incident-alert")


# -- what the page shows -----------------------------------------------------------------------


def body(ctx: AppContext, row: dict[str, Any]) -> list:
    events = timeline(ctx.engine, row["id"])
    return [
        inc.heading(row),
        html.Div(
            [
                html.Div(
                    [
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


def free_units(ctx: AppContext, row: dict[str, Any]) -> list[dict[str, str]]:
    """Free units, the incident's own district's first, then its line's, then the rest in config order."""
    free = [u.unit for u in units_status(ctx.engine, ctx.settings) if u.free]

    def rank(unit: Any) -> int:
        if row.get("district") and unit.district == row["district"]:
            return 0
        return 1 if unit.line == row["line_code"] else 2

    ordered = sorted(free, key=rank)  # sorted is stable: config order within each rank
    return [{"label": u.name, "value": u.code} for u in ordered]


def controls(ctx: AppContext, row: dict[str, Any]) -> list:
    allowed = lifecycle.allowed_moves(row)
    can_send = row["status"] in ("received", "dispatched", "on_scene") and row["category"] != "complaint"
    options = free_units(ctx, row) if can_send else []
    out = [{"label": inc.unit_name(ctx.settings, c), "value": c} for c in row["units"]]
    steps = html.Div(
        [
            dbc.Button(
                t(f"incident.to_{move}"),
                id=f"incident-to-{move}",
                color="danger" if move in ("cancelled", "prank") else "primary",
                outline=move in ("cancelled", "prank"),
                size="lg",
                # Always on the page, so the one callback has all its inputs; a step not allowed is not shown.
                className="" if move in allowed else "d-none",
            )
            for move in MOVES
        ],
        className="button-row incident-steps",
    )
    send = html.Div(
        [
            dbc.Label(t("incident.unit"), html_for="incident-unit"),
            html.Div(
                [
                    dbc.Select(
                        id="incident-unit",
                        options=options or inc.blank("incident.no_free_unit"),
                        value=options[0]["value"] if options else "",
                    ),
                    dbc.Button(t("incident.dispatch"), id="incident-dispatch", color="primary", size="lg"),
                ],
                className="select-row",
            ),
        ],
        hidden=not can_send,
        className="control-block",
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
            dbc.Label(t("incident.note"), html_for="incident-note"),
            dbc.Textarea(id="incident-note", rows=2, submit_on_enter=False),
            dbc.Button(t("incident.add_note"), id="incident-add-note", color="secondary", outline=True),
        ],
        className="control-block",
    )
    return [
        panel(
            t("incident.actions"),
            [send, steps, back, note, inc.edit_form(ctx.settings, row)],
            panel_id="incident-actions",
        )
    ]
