"""Public-service complaints: each SKPD settles its own, the command center watches every deadline.

SKPD staff see only the complaints routed to their unit, the unit always taken
from their session (a request naming another complaint is refused: 403 on
reading it, the service's "forbidden" on writing it, since
callcenter.complaints checks ownership again). They add progress notes and
settle a complaint with a note of what was done; each write names the version
the page read, so a complaint changed meanwhile is not overwritten.

Admins, operators and the bupati see all complaints grouped by SKPD, the
overdue ones (still open past their deadline) marked red with an icon and the
words "lewat tenggat"; operators (and admins) close the settled ones.
"""

from __future__ import annotations

from typing import Annotated, Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask import abort
from flask_login import current_user
from pydantic import StringConstraints

from callcenter import complaints as service
from callcenter import lifecycle
from callcenter.errors import CallError

from .. import i18n
from ..access import Access
from ..components import labels
from ..components.forms import dropdown
from ..components.states import empty
from ..components.status import badge, pill
from ..components.tables import panel, table
from ..context import AppContext
from ..i18n import t
from ..queries.calls_stats import complaint, complaint_notes, complaints, overdue

PATH = "/complaints"
ROLES = frozenset({"skpd", "admin", "operator", "viewer"})
SKPD = frozenset({"skpd"})
STAFF = frozenset({"admin", "operator", "viewer"})
CLOSERS = frozenset({"admin", "operator"})
REFRESH_MS = 60_000
Note = Annotated[str, StringConstraints(max_length=2000)] | None
Version = dict[str, int] | None
Versions = dict[str, int] | None


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_: object):
        if current_user.role == "skpd":
            return skpd_layout(ctx)
        return staff_layout(ctx)

    # Order 7: after the SKPD's own metrics page, which stays their home.
    access.page(__name__, path=PATH, roles=ROLES, order=7, title_key="complaints.nav", layout=layout)

    # -- an SKPD's own -------------------------------------------------------------------------------

    @access.callback(
        app,
        Output("complaint-detail", "children"),
        Output("complaint-version", "data"),
        Input("complaint-pick", "value"),
        roles=SKPD,
    )
    def pick(incident_id: int | None):
        if incident_id is None:
            return empty("complaints.pick_title", "complaints.pick_hint"), None
        found = complaint(ctx.engine, incident_id, current_user.skpd_code)
        if found is None:
            abort(403)  # not a complaint of this unit (or none at all): one answer for both
        return detail(ctx, found, current_user.skpd_code), {"id": found["id"], "version": found["version"]}

    @access.callback(
        app,
        Output("complaint-message", "children"),
        Output("complaint-detail", "children", allow_duplicate=True),
        Output("complaint-version", "data", allow_duplicate=True),
        Output("complaint-list", "children"),
        Output("complaint-note", "value"),
        Input("complaint-reply", "n_clicks"),
        Input("complaint-settle", "n_clicks"),
        State("complaint-note", "value"),
        State("complaint-version", "data"),
        roles=SKPD,
        prevent_initial_call=True,
    )
    def write(_reply: int | None, _settle: int | None, note: Note, version: Version):
        if current_user.role != "skpd" or not current_user.skpd_code:
            abort(403)
        own = current_user.skpd_code
        if not version or not isinstance(version.get("id"), int) or not isinstance(version.get("version"), int):
            return alert("complaints.pick_first", "warning"), *[dash.no_update] * 4
        incident_id = version["id"]
        settle = dash.ctx.triggered_id == "complaint-settle"
        try:
            if settle:
                service.settle(
                    ctx.engine,
                    incident_id,
                    own,
                    operator=current_user.username,
                    version=version["version"],
                    note=note or "",
                )
            else:
                service.reply(ctx.engine, incident_id, own, operator=current_user.username, note=note or "")
        except CallError as err:
            return alert(f"complaints.err_{err.code}", "danger"), *[dash.no_update] * 4
        found = complaint(ctx.engine, incident_id, own)
        assert found is not None  # it was ours a moment ago, and complaints are never deleted
        return (
            alert("complaints.settled" if settle else "complaints.replied", "success"),
            detail(ctx, found, own),
            {"id": found["id"], "version": found["version"]},
            skpd_list(ctx, own),
            "",
        )

    # -- the command center's view -------------------------------------------------------------------

    @access.callback(
        app,
        Output("complaints-all", "children"),
        Output("complaints-close-versions", "data"),
        Output("complaints-close-pick", "options"),
        Input("complaints-tick", "n_intervals"),
        roles=STAFF,
    )
    def refresh(_n: int | None):
        rows = complaints(ctx.engine)
        return staff_body(ctx, rows), *closable(ctx, rows)

    @access.callback(
        app,
        Output("complaints-close-message", "children"),
        Output("complaints-all", "children", allow_duplicate=True),
        Output("complaints-close-versions", "data", allow_duplicate=True),
        Output("complaints-close-pick", "options", allow_duplicate=True),
        Output("complaints-close-pick", "value"),
        Input("complaints-close", "n_clicks"),
        State("complaints-close-pick", "value"),
        State("complaints-close-versions", "data"),
        roles=CLOSERS,
        prevent_initial_call=True,
    )
    def close(_n: int | None, incident_id: int | None, versions: Versions):
        if current_user.role not in CLOSERS:
            abort(403)
        if incident_id is None:
            return alert("complaints.pick_first", "warning"), *[dash.no_update] * 4
        read = (versions or {}).get(str(incident_id))
        if complaint(ctx.engine, incident_id) is None or not isinstance(read, int):
            abort(400)  # not a complaint listed on this page
        try:
            lifecycle.advance(ctx.engine, incident_id, "closed", operator=current_user.username, version=read)
        except CallError as err:
            message = alert(f"complaints.err_{err.code}", "danger")
        else:
            message = alert("complaints.closed_done", "success")
        rows = complaints(ctx.engine)
        return message, staff_body(ctx, rows), *closable(ctx, rows), None


def alert(key: str, color: str) -> dbc.Alert:
    return dbc.Alert(t(key), color=color, id="complaint-alert", className="mb-0")


def state(row: dict[str, Any]) -> html.Span:
    """A complaint's state in a word and an icon: open, overdue (red), settled, closed."""
    if overdue(row):
        return pill(t("complaints.overdue"), "alarm", status="overdue")
    if row["status"] == "received":
        return pill(t("complaints.open"), "warning", status="open")
    if row["status"] == "resolved":
        return pill(t("complaints.resolved"), "ok", status="resolved")
    return badge("incident", row["status"])


def place(ctx: AppContext, row: dict[str, Any]) -> str:
    parts = [row.get("village") or "", labels.district(ctx.settings, row.get("district"))]
    return ", ".join(p for p in parts if p and p != "-") or "-"


def deadline(row: dict[str, Any]) -> str:
    return i18n.datetime_wita(row.get("due_at"))


def row_cells(ctx: AppContext, row: dict[str, Any]) -> list:
    return [
        f"#{row['id']}",
        row["summary"] or "-",
        place(ctx, row),
        i18n.when(row["received_at"]),
        deadline(row),
        state(row),
    ]


# -- an SKPD's own -------------------------------------------------------------------------------------


def skpd_layout(ctx: AppContext) -> html.Div:
    own = current_user.skpd_code
    unit = ctx.settings.skpd_by_code.get(own or "")
    rows = complaints(ctx.engine, own)
    options = [
        {"label": f"#{r['id']} · {r['summary'][:60]}", "value": r["id"]} for r in rows if r["status"] == "received"
    ]
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
    return html.Div(
        [
            html.Div(
                [
                    html.H2(t("complaints.title_own", unit=unit.short if unit else own or "-"), className="page-title"),
                    html.P(t("complaints.own_hint"), className="head-hint"),
                ],
                className="page-head",
            ),
            html.Div(
                [
                    panel(
                        t("complaints.list_own"),
                        html.Div(skpd_list(ctx, own, rows), id="complaint-list"),
                        panel_id="complaints-own-panel",
                    ),
                    panel(t("complaints.work"), form, panel_id="complaint-work-panel"),
                ],
                className="complaints-own",
            ),
        ],
        className="page calls-stats",
    )


def skpd_list(ctx: AppContext, own: str | None, rows: list[dict[str, Any]] | None = None) -> Any:
    rows = complaints(ctx.engine, own) if rows is None else rows
    if not rows:
        return empty("complaints.none_title", "complaints.none_hint")
    return complaints_table(ctx, rows, "complaints-own-table")


def complaints_table(ctx: AppContext, rows: list[dict[str, Any]], table_id: str) -> Any:
    headers = [
        t("complaints.col_id"),
        t("complaints.col_summary"),
        t("complaints.col_place"),
        t("complaints.col_received"),
        t("complaints.col_due"),
        t("complaints.col_state"),
    ]
    out = table(headers, [row_cells(ctx, r) for r in rows], table_id)
    body = out.children[1]
    for tr, row in zip(body.children, rows, strict=True):
        if overdue(row):
            tr.className = "fit-item row-overdue"
    return out


def detail(ctx: AppContext, row: dict[str, Any], own: str | None) -> html.Div:
    notes = complaint_notes(ctx.engine, row["id"], own)
    timeline = [
        html.Li(
            [
                html.Span(i18n.when(e["at"]), className="feed-meta"),
                " ",
                html.Strong(e["operator"]),
                " · ",
                html.Span(e["note"] or t(f"incident.{e['status']}")),
            ]
        )
        for e in notes
    ]
    return html.Div(
        [
            html.H4([f"#{row['id']} ", row["summary"] or "-"], className="form-title", id="complaint-title"),
            html.P([state(row), " ", t("complaints.due_at", due=deadline(row))], id="complaint-state"),
            html.P(place(ctx, row) + (f" · {row['landmark']}" if row.get("landmark") else ""), className="field-hint"),
            html.Ul(timeline, className="complaint-timeline", id="complaint-timeline") if timeline else None,
        ]
    )


# -- the command center's view -------------------------------------------------------------------------


def staff_layout(ctx: AppContext) -> html.Div:
    closer = current_user.role in CLOSERS
    tools = html.Div(
        [
            html.Label(t("complaints.close_pick"), htmlFor="complaints-close-pick", className="picker-label"),
            dropdown(
                id="complaints-close-pick",
                options=[],
                placeholder=t("complaints.close_placeholder"),
                className="picker complaint-picker",
            ),
            dbc.Button(t("complaints.close"), id="complaints-close", color="primary"),
            html.Div(id="complaints-close-message", role="status"),
        ],
        className="picker-row complaints-close-row",
        hidden=not closer,
    )
    return html.Div(
        [
            html.Div([html.H2(t("complaints.title"), className="page-title"), tools], className="page-head"),
            dcc.Interval(id="complaints-tick", interval=REFRESH_MS),
            dcc.Store(id="complaints-close-versions"),
            html.Div(id="complaints-all", className="complaints-all grow"),
        ],
        className="page calls-stats",
    )


def closable(ctx: AppContext, rows: list[dict[str, Any]]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    settled = [r for r in rows if r["status"] == "resolved"]
    versions = {str(r["id"]): r["version"] for r in settled}
    options = [
        {"label": f"#{r['id']} · {labels.skpd(ctx.settings, r['skpd_code'])} · {r['summary'][:50]}", "value": r["id"]}
        for r in settled
    ]
    return versions, options


def staff_body(ctx: AppContext, rows: list[dict[str, Any]]) -> list:
    if not rows:
        return [empty("complaints.none_title", "complaints.none_all_hint")]
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["skpd_code"], []).append(r)
    order = sorted(groups, key=lambda code: labels.skpd(ctx.settings, code))
    summary = []
    for code in order:
        items = groups[code]
        late = sum(1 for r in items if overdue(r))
        summary.append(
            [
                labels.skpd(ctx.settings, code),
                i18n.number(sum(1 for r in items if r["status"] == "received"), digits=0),
                pill(i18n.number(late, digits=0), "alarm" if late else "ok"),
                i18n.number(sum(1 for r in items if r["status"] == "resolved"), digits=0),
            ]
        )
    sections = [
        html.Section(
            [
                html.H4(
                    [labels.skpd(ctx.settings, code), html.Span(" · " + skpd_name(ctx, code), className="title-sub")],
                    className="complaint-group-title",
                ),
                complaints_table(ctx, groups[code], f"complaints-table-{code}"),
            ],
            className="complaint-group",
        )
        for code in order
    ]
    return [
        panel(
            t("complaints.per_skpd"),
            table(
                [
                    t("complaints.col_skpd"),
                    t("complaints.col_open"),
                    t("complaints.col_overdue"),
                    t("complaints.col_resolved"),
                ],
                summary,
                "complaints-summary",
                numeric=(1, 2, 3),
            ),
            panel_id="complaints-summary-panel",
        ),
        panel(t("complaints.all"), sections, panel_id="complaints-all-panel", className="complaints-list"),
    ]


def skpd_name(ctx: AppContext, code: str | None) -> str:
    found = ctx.settings.skpd_by_code.get(code or "")
    return found.name if found else (code or "-")
