"""The live incident board: what is open, who is out, how many calls today. One screen, no scrolling.

Operators work from it and the wall shows it: open incidents most urgent
first (priority, then age), each with its clocks (since the call, since its
current step) turning warning and alarm against its priority's targets;
free units per kind ("Ambulans 0/2", alarm when a kind has none), every
response unit free or out, today's calls per line (WITA day). Complaints are
not emergencies: the board only counts them, with a link to their own page.
It reads only open cases and today's calls (dashboard.queries.callcenter,
dashboard.queries.callcenter_complaints), so years of history cost it nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
from dash import Input, Output, dcc, html
from flask_login import current_user

from scc.clock import utcnow

from .. import i18n
from ..access import STAFF, Access
from ..components import callcenter_charts, labels, status
from ..components import callcenter_incidents as inc
from ..components.states import empty
from ..components.tables import kpi, panel, table
from ..context import AppContext
from ..i18n import t
from ..queries import callcenter_complaints
from ..queries.callcenter import Board, board, by_kind, today_by_line, units_status

PATH = "/calls"
WRITERS = frozenset({"admin", "operator"})


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        take = (
            dcc.Link(
                [
                    html.Span("+", className="take-plus", **status.attrs(aria_hidden="true")),
                    t("board.take_call"),
                    html.Kbd("N", className="take-key", title=t("board.take_key")),
                ],
                href="/calls/new",
                id="board-take-call",
                className="btn btn-primary btn-lg take-call",
            )
            if current_user.role in WRITERS
            else None
        )
        return html.Div(
            [
                html.Div(
                    [html.H2(t("calls.title"), className="page-title"), callcenter_charts.tabs(PATH), take],
                    className="board-head",
                ),
                dcc.Interval(id="calls-tick", interval=ctx.settings.app.web.refresh_s * 1000),
                html.Div(id="calls-body", className="calls board", children=body(ctx)),
            ],
            className="page wall-page fit-screen",
        )

    access.page(__name__, path=PATH, roles=STAFF, order=2, title_key="nav.calls", layout=layout)

    @access.callback(
        app,
        Output("calls-body", "children"),
        Input("calls-tick", "n_intervals"),
        roles=STAFF,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None):
        return body(ctx)


def body(ctx: AppContext) -> list:
    now = utcnow()
    open_ = board(ctx.engine, now)
    units = units_status(ctx.engine, ctx.settings)
    by_line = today_by_line(ctx.engine, now)
    kinds = by_kind(units)
    kinds_tone = "ok" if all(k.free for k in kinds) else "alarm"
    pending = callcenter_complaints.counts(ctx.engine, now=now)
    figures = html.Div(
        [
            kpi(
                "board-open",
                t("overview.calls_open"),
                i18n.number(open_.open, digits=0),
                t("calls.open_hint"),
                status.open_incidents_tone(open_.open, open_.waiting),
            ),
            kpi(
                "board-complaints",
                t("board.complaints"),
                i18n.number(pending.open, digits=0),
                dcc.Link(
                    t("board.complaints_hint", n=i18n.number(pending.overdue, digits=0)),
                    href="/complaints",
                    id="board-complaints-link",
                ),
                "alarm" if pending.overdue else "ok",
            ),
            kpi(
                "board-today",
                t("board.today"),
                i18n.number(sum(by_line.values()), digits=0),
                t("board.today_hint"),
                None,
            ),
            html.Section(
                [html.H3(t("board.units_free"), className="kpi-label"), inc.kind_counts(kinds, "board-kinds")],
                id="board-free",
                className=f"kpi kinds-kpi tone-{kinds_tone}",
                **status.attrs(data_tone=kinds_tone),
            ),
        ],
        className="kpis board-kpis",
    )
    return [
        figures,
        html.Div(
            [
                panel(
                    t("board.open"),
                    open_table(ctx, open_, now),
                    panel_id="calls-recent",  # the wall tests know the incident list by this id
                    fit=True,
                    extra=open_.open - len(open_.rows),
                ),
                html.Div(
                    [
                        panel(t("board.units"), unit_list(units), panel_id="board-units", fit=True),
                        panel(t("board.by_line"), line_counts(ctx, by_line), panel_id="board-lines", fit=True),
                    ],
                    className="board-side",
                ),
            ],
            className="board-main grow",
        ),
    ]


def open_table(ctx: AppContext, open_: Board, now: datetime):
    if not open_.rows:
        return empty("board.empty_title", "board.empty_hint")
    rows = []
    for r in open_.rows:
        call, step = inc.clocks(ctx.settings, r)
        main: list[Any] = [status.badge("incident", r["status"])]
        if step is not None:
            main += [" ", inc.timer(step, now)]
        rows.append(
            [
                inc.link(r["id"]),
                inc.priority(r["priority"]),
                inc.timer(call, now) if call else inc.age(r),
                html.Span(html.Span(main, className="state-main"), className="state-cell"),
                labels.call_line(ctx.settings, r["line_code"]),
                inc.category(r["category"]),
                inc.place(ctx.settings, r),
                inc.units(ctx.settings, r["units"]),
            ]
        )
    return table(
        [
            t("board.number"),
            t("board.priority"),
            t("board.since_call"),
            t("calls.status"),
            t("calls.line"),
            t("board.category"),
            t("board.place"),
            t("board.units_out"),
        ],
        rows,
        table_id="calls-table",
    )


def unit_list(units) -> html.Ul:
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(u.unit.short, className="unit-name-cell", title=f"{u.unit.name} · {u.unit.base}"),
                    inc.free_busy(u.incident_id),
                ],
                className="unit-item fit-item" + ("" if u.free else " unit-out"),
                **status.attrs(data_unit=u.unit.code, data_free="1" if u.free else "0"),
            )
            for u in units
        ],
        className="unit-list",
        id="board-unit-list",
    )


def line_counts(ctx: AppContext, by_line: dict[str, int]) -> html.Ul:
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(labels.call_line(ctx.settings, line.code), className="line-name", title=line.name),
                    html.Span(i18n.number(by_line.get(line.code, 0), digits=0), className="line-count"),
                ],
                className="line-item fit-item",
                **status.attrs(data_line=line.code),
            )
            for line in ctx.settings.call_lines
        ],
        className="line-list line-counts",
        id="board-line-counts",
    )
