"""SKPD performance: all 38 units of the regency on one screen, and how many of them are active.

The first thing the bupati and the operators see of the metrics: each unit
active, late, inactive or never heard from (icon and word), how long ago it
last reported, and a couple of its own figures; the counts on top answer "how
many sites are inactive" at a glance. No unit to pick first: a unit's tile
leads to its own page (metrics_unit.py). On the wall the grid fits the screen;
what does not fit is behind a button ("+3 lainnya"), or paged on the wall; worst units first.

SKPD staff do not see the regency's grid: their page is metrics_own.py.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, dcc, html

from .. import i18n
from ..access import STAFF, Access
from ..components import metrics_probes, status
from ..components.metrics_figures import amount, flag, headline, metrics_tabs, name, state_line
from ..components.status import attrs
from ..components.tables import fit_more, kpi
from ..context import AppContext
from ..i18n import t
from ..queries import metrics_probes as probes
from ..queries.metrics import Latest, UnitReport, flag_count, state_counts
from ..queries.metrics_probes import Services

PATH = "/metrics"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return html.Div(
            [
                html.Div(
                    [
                        html.H2(t("metrics.title"), className="page-title"),
                        html.P(t("metrics.grid_hint"), className="head-hint"),
                        metrics_tabs(PATH),
                    ],
                    className="page-head",
                ),
                dcc.Interval(id="metrics-tick", interval=ctx.settings.app.web.refresh_s * 1000),
                html.Div(id="metrics-body", className="metrics", children=body(ctx)),
            ],
            className="page wall-page fit-screen",
        )

    access.page(__name__, path=PATH, roles=STAFF, order=3, title_key="nav.metrics", layout=layout)

    @access.callback(
        app,
        Output("metrics-body", "children"),
        Input("metrics-tick", "n_intervals"),
        roles=STAFF,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None):
        return body(ctx)


def body(ctx: AppContext) -> list:
    reports, seen = probes.regency(ctx.engine, ctx.settings)  # a unit's website judged by its probe if it has one
    return [counts(reports), grid(reports, seen)]


def counts(reports: list[UnitReport]) -> html.Div:
    """Units active of all; websites and services up of all: the numbers the bupati asks for."""
    n = state_counts(reports)
    total = len(reports)
    others = [f"{n[s]} {t('skpd.' + s).lower()}" for s in ("stale", "offline", "never") if n[s]]
    active_tone = status.skpd_tone(n["online"], total, n["offline"], n["never"])
    cards = [
        kpi(
            "kpi-units",
            t("metrics.units_active"),
            f"{n['online']} / {total}",
            " · ".join(others) or t("metrics.all_active"),
            active_tone,
        )
    ]
    for key, card, label, down in (
        ("website_up", "kpi-websites", "metrics.websites_up", "metrics.websites_down"),
        ("service_up", "kpi-services", "metrics.services_up", "metrics.services_down"),
    ):
        up, known, should = flag_count(reports, key)
        parts = [t(down, n=known - up)] if known > up else []
        parts += [t("metrics.not_reported", n=should - known)] if should > known else []
        hint: Any = " · ".join(parts) or t("metrics.all_up")
        if key == "website_up":  # what the tiles' site lines read: the last check, then uptime by window
            hint = [hint, html.Span(t("probe.grid_legend"), className="probe-legend")]
        cards.append(kpi(card, t(label), f"{up} / {should}", hint, status.share_tone(up, should, known)))
    return html.Div(cards, className="kpis kpis-3 kpis-compact")


def grid(reports: list[UnitReport], seen: Services) -> html.Section:
    """Every unit, worst first (so what is cut on a small screen is the good news); no panel head, so
    that all 38 fit a full-HD wall with the counts above them."""
    order = {tone: i for i, tone in enumerate(status.SEVERITY)}
    ranked = sorted(reports, key=lambda r: (order[status.SKPD[r.state]], r.skpd.number))
    title = t("metrics.grid_title", n=len(reports))
    return html.Section(
        [
            html.Div(
                html.Ul([unit_tile(r, seen) for r in ranked], className="unit-grid", id="metrics-grid", title=title),
                className="panel-body fit",
            ),
            fit_more(),
        ],
        className="panel unit-panel grow",
        id="metrics-units",
        **attrs(aria_label=title),
    )


def unit_tile(report: UnitReport, seen: Services) -> html.Li:
    code = report.skpd.code
    return html.Li(
        dcc.Link(
            [
                html.Span(report.skpd.short, className="unit-name"),
                state_line(report, short=True),
                metrics_probes.tile_line(report, seen),
                None
                if report.state == "never"
                else html.Dl([part for x in headline(report) for part in figure_row(x)], className="unit-figs"),
            ],
            href=f"{PATH}/{code}",
            className="unit-link",
            title=report.skpd.name,
            id=f"unit-{code}",
        ),
        className=f"unit-tile tone-{status.SKPD[report.state]} fit-item",
        **attrs(data_skpd=code, data_state=report.state),
    )


def figure_row(latest: Latest) -> tuple[html.Dt, html.Dd]:
    """A headline figure of a tile: its short name and its newest value."""
    metric, value = latest.metric, latest.value
    if value is None:
        shown: Any = "-"  # the tile's state line already says the unit never reported
    else:
        shown = flag(value, size="sm") if metric.kind == "flag" else amount(metric, value)
    label = name(metric, short=True)
    return html.Dt(label, title=name(metric)), html.Dd(shown, title=i18n.when(latest.ts) if latest.ts else None)
