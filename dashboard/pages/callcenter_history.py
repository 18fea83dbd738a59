"""The history: closed incidents and complaints, found by number, caller, district, category, unit and
dates, newest first and paged; each row opens to its whole exchange.

Operators, admins and the bupati search everything; SKPD staff only the
complaints routed to their own unit (the unit from their session, whatever
the request names: dashboard.queries.callcenter_history.own_unit). The dates are
WITA days; the page opens on the last 30 of them. Every search reaches its
rows through an index (the queries module says which), so a year of history
answers as fast as a week (benchmarks/history.py).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import dash
import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, dcc, html
from flask_login import current_user
from pydantic import StringConstraints

from callcenter import phone
from scc.clock import WITA, utcnow
from scc.storage.callcenter import CATEGORIES

from ..access import Access
from ..components import callcenter_cases, callcenter_history
from ..components.callcenter_complaints import ANY
from ..components.status import attrs
from ..context import AppContext
from ..i18n import t
from ..queries.callcenter_history import Found, Search, one, own_unit, search

PATH = "/history"
ROLES = frozenset({"admin", "operator", "viewer", "skpd"})
DEFAULT_DAYS = 30
Text = Annotated[str, StringConstraints(max_length=40)] | None
DAY = re.compile(r"[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{4}")
FIELDS = ("number", "caller", "district", "category", "unit", "skpd", "from", "to")


class Refused(ValueError):
    """A search field that cannot be read; `field` names it, the message is for the page."""

    def __init__(self, field: str, key: str) -> None:
        super().__init__(key)
        self.field, self.key = field, key


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_: object) -> html.Div:
        return page_layout(ctx)

    # Reached from the complaints page, for every role: the navigation bar has no room left at 1920 px (the
    # call center's tabs, dashboard/components/callcenter_charts.TABS, are the natural second way in).
    access.page(__name__, path=PATH, roles=ROLES, order=24, title_key="history.nav", layout=layout, nav=False)

    @access.callback(
        app,
        Output("history-results", "children"),
        Output("history-where", "children"),
        Output("history-prev", "disabled"),
        Output("history-next", "disabled"),
        Output("history-page", "data"),
        Output("history-message", "children"),
        Input("history-search", "n_clicks"),
        Input("history-number", "n_submit"),
        Input("history-caller", "n_submit"),
        Input("history-from", "n_submit"),
        Input("history-to", "n_submit"),
        Input("history-prev", "n_clicks"),
        Input("history-next", "n_clicks"),
        *[State(f"history-{name}", "value") for name in FIELDS],
        State("history-page", "data"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def find(
        _search: int | None,
        _enter_number: int | None,
        _enter_caller: int | None,
        _enter_from: int | None,
        _enter_to: int | None,
        _prev: int | None,
        _next: int | None,
        number: Text,
        caller: Text,
        district: Text,
        category: Text,
        unit: Text,
        skpd: Text,
        since: Text,
        until: Text,
        page: int | None,
    ):
        try:
            wanted = read(ctx, number, caller, district, category, unit, skpd, since, until)
        except Refused as why:
            problem = dbc.Alert(t(why.key), color="danger", id="history-problem", className="mb-0")
            return *[dash.no_update] * 5, problem
        step = {"history-prev": -1, "history-next": 1}
        trigger = dash.ctx.triggered_id
        # A new search starts at its first page; paging keeps the search and moves the page.
        at = (page or 0) + step[trigger] if trigger in step else 0
        return *drawn(ctx, wanted, at), None

    @access.callback(
        app,
        Output({"type": "history-body", "id": MATCH}, "children"),
        Input({"type": "history-open", "id": MATCH}, "n_clicks"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def opened(clicks: int | None):
        found = callcenter_cases.opened_case(clicks, lambda incident_id, own: one(ctx.engine, incident_id, own))
        return callcenter_history.body(ctx, found, links=current_user.role != "skpd")


def read(
    ctx: AppContext,
    number: str | None,
    caller: str | None,
    district: str | None,
    category: str | None,
    unit: str | None,
    skpd: str | None,
    since: str | None,
    until: str | None,
) -> Search:
    """The search the form's fields describe; Refused naming the first field that cannot be read."""
    s = ctx.settings
    wanted = Search(
        number=_number(number),
        caller=_caller(caller),
        district=_known("district", district, s.district_by_code),
        category=_known("category", category, {c: c for c in CATEGORIES}),
        unit=_known("unit", unit, s.unit_by_code),
        skpd=_known("skpd", skpd, s.skpd_by_code),
        since=_day("from", since),
        until=_day("to", until, next_day=True),
    )
    if wanted.since and wanted.until and wanted.since >= wanted.until:
        raise Refused("to", "history.err_dates")
    if wanted.number is not None:  # a number names one incident: the dates (the last 30 days at first) must not hide it
        wanted = replace(wanted, since=None, until=None)
    if current_user.role == "skpd":
        return own_unit(wanted, current_user.skpd_code or "")
    return wanted


def _number(raw: str | None) -> int | None:
    text = (raw or "").strip().removeprefix("#").strip()
    if not text:
        return None
    if not text.isdecimal() or len(text) > 12:
        raise Refused("number", "history.err_number")
    return int(text)


def _caller(raw: str | None) -> str | None:
    try:
        return phone.normalise(raw)
    except phone.PhoneError:
        raise Refused("caller", "history.err_caller") from None


def _known(field: str, value: str | None, known: Any) -> Any:
    if value in (None, "", ANY):
        return None
    if value not in known:
        raise Refused(field, "history.err_choice")  # not a choice the page offers: a crafted request
    return value


def _day(field: str, raw: str | None, *, next_day: bool = False) -> datetime | None:
    """A WITA day as people here write it (23/11/2026, 23-11-2026, 23.11.2026) or ISO (2026-11-23), as the
    UTC moment it starts (`next_day`: the moment it ends)."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        if DAY.fullmatch(text):
            d, m, y = (int(part) for part in re.split(r"[/.-]", text))
            day = date(y, m, d)
        else:
            day = date.fromisoformat(text)
    except ValueError:
        raise Refused(field, "history.err_date") from None
    start = datetime.combine(day + timedelta(days=1 if next_day else 0), time(0), tzinfo=WITA)
    return start.astimezone(utcnow().tzinfo)


def drawn(ctx: AppContext, wanted: Search, page: int) -> tuple[Any, str, bool, bool, int]:
    """The results' outputs: the rows, where the pager is, which of its buttons work, the page."""
    found: Found = search(ctx.engine, wanted, page)
    return (
        callcenter_history.rows(ctx, found),
        callcenter_cases.where(found.page, found.pages, callcenter_history.total_text(found)),
        found.page <= 0,
        found.page >= found.pages - 1,
        found.page,
    )


def default_days() -> tuple[str, str]:
    today = utcnow().astimezone(WITA).date()
    return written(today - timedelta(days=DEFAULT_DAYS - 1)), written(today)


def written(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def page_layout(ctx: AppContext) -> html.Div:
    since, until = default_days()
    own = current_user.skpd_code if current_user.role == "skpd" else None
    wanted = read(ctx, None, None, None, None, None, None, since, until)
    rows, where, first, last, page = drawn(ctx, wanted, 0)
    title = t("history.title_own", unit=callcenter_history.skpd_short(ctx, own)) if own else t("history.title")
    return html.Div(
        [
            html.Div(
                [html.H2(title, className="page-title"), html.P(t("history.hint_own" if own else "history.hint"))],
                className="page-head history-head",
            ),
            callcenter_history.form(ctx, since, until, own),
            html.Div(id="history-message", role="alert", className="history-message"),
            html.Section(
                [
                    html.Div(rows, id="history-results"),
                    callcenter_cases.pager("history", where, first=first, last=last),
                    dcc.Store(id="history-page", data=page),
                ],
                className="history-block",
                id="history-panel",
                **attrs(aria_label=t("history.results")),
            ),
        ],
        className="page history-page",
    )
