"""Public-service complaints, apart from the emergencies: their own counts and list, each row opening
to the whole exchange with the unit.

The list puts what needs someone first: open complaints, the most overdue at
the top, then those the unit settled and the command center has to close
(dashboard.queries.callcenter_complaints). Filters narrow it by unit, district, state and
age; it is paged, never one long page. A row opens (click, Enter or Space) to
the complaint's facts, its timeline and the unit's settlement note; an
operator closes a settled complaint from there, having read it. The list is
drawn anew when a filter, a page or a close asks, not on a timer, so a row
stays open while someone reads it; the counts above it refresh every minute.

SKPD staff see only the complaints routed to their unit, the unit always taken
from their session (a request naming another complaint is refused: 403 on
reading it, the service's "forbidden" on writing it, since
callcenter.complaints checks ownership again). They add progress notes and
settle a complaint with a note of what was done; each write names the version
the page read, so a complaint changed meanwhile is not overwritten.
"""

from __future__ import annotations

from typing import Annotated, Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, dcc, html
from flask import abort
from flask_login import current_user
from pydantic import StringConstraints

from callcenter import complaints as service
from callcenter import lifecycle
from callcenter.errors import CallError

from .. import i18n
from ..access import Access
from ..components import callcenter_cases, callcenter_complaints
from ..components.callcenter_complaints import CLOSE
from ..components.states import empty
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t
from ..queries.callcenter_complaints import Filters, listing, one

PATH = "/complaints"
ROLES = frozenset({"skpd", "admin", "operator", "viewer"})
SKPD = frozenset({"skpd"})
STAFF = frozenset({"admin", "operator", "viewer"})
CLOSERS = frozenset({"admin", "operator"})
REFRESH_MS = 60_000
Note = Annotated[str, StringConstraints(max_length=2000)] | None
Choice = Annotated[str, StringConstraints(max_length=40)] | None
Version = dict[str, int] | None
Versions = dict[str, int] | None
Clicks = list[int | None] | None
FILTERS = [State(f"complaints-{name}", "value") for name in ("unit", "district", "state", "age")]
LIST_OUTPUTS = (
    "complaints-list.children",
    "complaints-where.children",
    "complaints-prev.disabled",
    "complaints-next.disabled",
    "complaints-page.data",
    "complaints-versions.data",
)


def _outputs(duplicate: bool = False) -> list[Output]:
    pairs = [name.split(".") for name in LIST_OUTPUTS]
    return [Output(target, prop, allow_duplicate=duplicate) for target, prop in pairs]


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
        found = one(ctx.engine, incident_id, current_user.skpd_code)
        if found is None:
            abort(403)  # not a complaint of this unit (or none at all): one answer for both
        return callcenter_complaints.detail(ctx, found, current_user.skpd_code), {
            "id": found["id"],
            "version": found["version"],
        }

    @access.callback(
        app,
        Output("complaint-message", "children"),
        Output("complaint-detail", "children", allow_duplicate=True),
        Output("complaint-version", "data", allow_duplicate=True),
        Output("complaint-note", "value"),
        *_outputs(duplicate=True),
        Input("complaint-reply", "n_clicks"),
        Input("complaint-settle", "n_clicks"),
        State("complaint-note", "value"),
        State("complaint-version", "data"),
        *FILTERS,
        State("complaints-page", "data"),
        roles=SKPD,
        prevent_initial_call=True,
    )
    def write(
        _reply: int | None,
        _settle: int | None,
        note: Note,
        version: Version,
        _unit: Choice,
        district: Choice,
        state: Choice,
        age: Choice,
        page: int | None,
    ):
        if current_user.role != "skpd" or not current_user.skpd_code:
            abort(403)
        own = current_user.skpd_code
        if not version or not isinstance(version.get("id"), int) or not isinstance(version.get("version"), int):
            return alert("complaints.pick_first", "warning"), *[dash.no_update] * (3 + len(LIST_OUTPUTS))
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
            return alert(f"complaints.err_{err.code}", "danger"), *[dash.no_update] * (3 + len(LIST_OUTPUTS))
        found = one(ctx.engine, incident_id, own)
        assert found is not None  # it was ours a moment ago, and complaints are never deleted
        return (
            alert("complaints.settled" if settle else "complaints.replied", "success"),
            callcenter_complaints.detail(ctx, found, own),
            {"id": found["id"], "version": found["version"]},
            "",
            *drawn(ctx, filters_of(ctx, own, district, state, age), page or 0),
        )

    # -- everyone's list -----------------------------------------------------------------------------

    @access.callback(
        app,
        *_outputs(),
        Input("complaints-unit", "value"),
        Input("complaints-district", "value"),
        Input("complaints-state", "value"),
        Input("complaints-age", "value"),
        Input("complaints-prev", "n_clicks"),
        Input("complaints-next", "n_clicks"),
        Input("complaints-reload", "n_clicks"),
        State("complaints-page", "data"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def show(
        unit: Choice,
        district: Choice,
        state: Choice,
        age: Choice,
        _prev: int | None,
        _next: int | None,
        _reload: int | None,
        page: int | None,
    ):
        filters = filters_of(ctx, unit, district, state, age)
        step = {"complaints-prev": -1, "complaints-next": 1, "complaints-reload": 0}
        trigger = dash.ctx.triggered_id
        # A new filter starts at the first page; paging and reloading keep the place.
        at = (page or 0) + step[trigger] if trigger in step else 0
        return drawn(ctx, filters, at)

    @access.callback(
        app,
        Output({"type": "complaint-body", "id": MATCH}, "children"),
        Input({"type": "complaint-open", "id": MATCH}, "n_clicks"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def opened(clicks: int | None):
        found = callcenter_cases.opened_case(clicks, lambda incident_id, own: one(ctx.engine, incident_id, own))
        return callcenter_complaints.body(ctx, found, closer=current_user.role in CLOSERS)

    # -- the command center's --------------------------------------------------------------------------

    @access.callback(
        app,
        Output("complaints-counts", "children"),
        Output("complaints-units", "children"),
        Input("complaints-tick", "n_intervals"),
        roles=STAFF,
    )
    def refresh(_n: int | None):
        return callcenter_complaints.counts_strip(ctx), callcenter_complaints.unit_table(ctx)

    @access.callback(
        app,
        Output("complaints-message", "children"),
        Output("complaints-counts", "children", allow_duplicate=True),
        Output("complaints-units", "children", allow_duplicate=True),
        *_outputs(duplicate=True),
        Input({"type": CLOSE, "id": ALL}, "n_clicks"),
        *FILTERS,
        State("complaints-page", "data"),
        State("complaints-versions", "data"),
        roles=CLOSERS,
        prevent_initial_call=True,
    )
    def close(
        _clicks: Clicks,
        unit: Choice,
        district: Choice,
        state: Choice,
        age: Choice,
        page: int | None,
        versions: Versions,
    ):
        if current_user.role not in CLOSERS:
            abort(403)
        trigger = dash.ctx.triggered_id
        if not dash.ctx.triggered or not dash.ctx.triggered[0].get("value") or not isinstance(trigger, dict):
            raise dash.exceptions.PreventUpdate  # a close button drawn anew, not a click
        incident_id = trigger.get("id")
        read = (versions or {}).get(str(incident_id))
        if not isinstance(incident_id, int) or not isinstance(read, int) or one(ctx.engine, incident_id) is None:
            abort(400)  # not a settled complaint this page listed
        try:
            lifecycle.advance(ctx.engine, incident_id, "closed", operator=current_user.username, version=read)
        except CallError as err:
            message = alert(f"complaints.err_{err.code}", "danger")
        else:
            message = alert("complaints.closed_number", "success", number=incident_id)
        filters = filters_of(ctx, unit, district, state, age)
        counted = callcenter_complaints.counts_strip(ctx), callcenter_complaints.unit_table(ctx)
        return message, *counted, *drawn(ctx, filters, page or 0)


def alert(key: str, color: str, **values: object) -> dbc.Alert:
    return dbc.Alert(t(key, **values), color=color, id="complaint-alert", className="mb-0")


def filters_of(ctx: AppContext, unit: str | None, district: str | None, state: str | None, age: str | None) -> Filters:
    """The filters a request names, or 400 for a value no picker offers; SKPD staff always their own unit."""
    if current_user.role == "skpd":
        unit = current_user.skpd_code
    try:
        return callcenter_complaints.filters(ctx.settings, unit, district, state, age)
    except ValueError:
        abort(400)
        raise  # abort raises; this line only tells the type checker so


def drawn(ctx: AppContext, filters: Filters, page: int) -> tuple[Any, ...]:
    """The list's outputs: its rows, where the pager is, which buttons work, the page, closable versions."""
    found = listing(ctx.engine, filters, page)
    closer = current_user.role in CLOSERS
    versions = {str(r["id"]): r["version"] for r in found.rows if r["status"] == "resolved"} if closer else {}
    total = t("complaints.count", n=i18n.number(found.total, digits=0))
    return (
        callcenter_complaints.rows(ctx, found),
        callcenter_cases.where(found.page, found.pages, total),
        found.page <= 0,
        found.page >= found.pages - 1,
        found.page,
        versions,
    )


# -- the layouts -----------------------------------------------------------------------------------------


def staff_layout(ctx: AppContext) -> html.Div:
    filters = Filters()
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.H2(t("complaints.title"), className="page-title"),
                            history_link(),
                        ],
                        className="title-row",
                    ),
                    html.P(t("complaints.apart_hint")),
                ],
                className="page-head complaints-head",
            ),
            dcc.Interval(id="complaints-tick", interval=REFRESH_MS),
            html.Div(callcenter_complaints.counts_strip(ctx), id="complaints-counts"),
            callcenter_complaints.filter_bar(ctx, filters),
            html.Div(id="complaints-message", role="status", className="complaints-message"),
            html.Div(
                [
                    html.Section(list_block(ctx, filters), className="complaints-main", id="complaints-all"),
                    panel(
                        t("complaints.per_skpd"),
                        html.Div(callcenter_complaints.unit_table(ctx), id="complaints-units"),
                        panel_id="complaints-summary-panel",
                    ),
                ],
                className="complaints-grid",
            ),
        ],
        className="page complaints-page",
    )


def history_link() -> dcc.Link:
    return dcc.Link(
        t("complaints.to_history"), href="/history", id="complaints-history-link", className="btn btn-outline-secondary"
    )


def list_block(ctx: AppContext, filters: Filters) -> html.Div:
    rows, where, first, last, page, versions = drawn(ctx, filters, 0)
    return html.Div(
        [
            html.Div(rows, id="complaints-list"),
            callcenter_cases.pager("complaints", where, first=first, last=last),
            dcc.Store(id="complaints-page", data=page),
            dcc.Store(id="complaints-versions", data=versions),
        ],
        className="complaints-block",
    )


def skpd_layout(ctx: AppContext) -> html.Div:
    own = current_user.skpd_code
    unit = ctx.settings.skpd_by_code.get(own or "")
    filters = Filters(skpd=own)
    open_ = listing(ctx.engine, Filters(skpd=own, state="open"), 0, size=200)
    options = [{"label": f"#{r['id']} · {r['summary']}", "value": r["id"]} for r in open_.rows]
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.H2(
                                t("complaints.title_own", unit=unit.short if unit else own or "-"),
                                className="page-title",
                            ),
                            history_link(),
                        ],
                        className="title-row",
                    ),
                    html.P(t("complaints.own_hint"), className="head-hint"),
                ],
                className="page-head",
            ),
            html.Div(callcenter_complaints.counts_strip(ctx, own), id="complaints-counts"),
            callcenter_complaints.filter_bar(ctx, filters, own_unit=own),
            html.Div(
                [
                    html.Section(list_block(ctx, filters), className="complaints-own-list", id="complaints-own-panel"),
                    callcenter_complaints.work_panel(options),
                ],
                className="complaints-own",
            ),
        ],
        className="page complaints-page",
    )
