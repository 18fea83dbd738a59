"""SKPD metrics: each unit's latest figures against the catalog, and which units report.

SKPD staff see only their own unit: the selector is fixed for them, the
callback refuses any other unit even if the request is forged, and the board
of all units is not sent to them.
"""

from __future__ import annotations

import dash
from dash import Input, Output, dcc, html
from flask import abort
from flask_login import current_user

from scc.settings.metrics import Metric

from .. import i18n
from ..access import EVERYONE, STAFF, Access
from ..components import labels, status
from ..components.forms import dropdown
from ..components.states import empty
from ..components.status import attrs
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t
from ..queries.metrics import latest_metrics, skpd_availability

PATH = "/metrics"
# Units whose figures are plain numbers (a count) or yes/no (a flag): nothing follows the number.
UNITLESS = frozenset({"count", "flag"})
PREFIXED = frozenset({"idr"})  # Rp 12.500, IDR 12,500
ALL = "*"  # every SKPD (not an SKPD code: codes are lowercase words)
WHOLE = frozenset({"count", "people", "beds", "idr", "idr_per_kg", "idr_per_litre"})


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        own = current_user.skpd_code if current_user.role == "skpd" else None
        units = [s for s in ctx.settings.skpd if own is None or s.code == own]
        options = [{"label": f"{s.short} - {s.name}", "value": s.code} for s in units]
        if own is None:  # the regency's view first: every SKPD's own figures, and who reports
            options.insert(0, {"label": t("metrics.all"), "value": ALL})
        return html.Div(
            [
                html.Div(
                    [
                        html.H2(t("metrics.title"), className="page-title"),
                        html.Div(
                            [
                                html.Label(t("metrics.skpd"), htmlFor="metrics-skpd", className="picker-label"),
                                dropdown(
                                    id="metrics-skpd",
                                    options=options,
                                    value=options[0]["value"],
                                    clearable=False,
                                    disabled=own is not None,
                                    className="picker",
                                ),
                            ],
                            className="picker-row",
                        ),
                    ],
                    className="page-head",
                ),
                dcc.Interval(id="metrics-tick", interval=ctx.settings.app.web.refresh_s * 1000),
                html.Div(id="metrics-body", className="metrics" + (" metrics-own" if own else "")),
            ],
            className="page wall-page",
        )

    access.page(__name__, path=PATH, roles=EVERYONE, order=3, title_key="nav.metrics", layout=layout)

    @access.callback(
        app,
        Output("metrics-body", "children"),
        Input("metrics-skpd", "value"),
        Input("metrics-tick", "n_intervals"),
        roles=EVERYONE,
    )
    def refresh(code: str | None, _n: int | None):
        if code != ALL and code not in ctx.settings.skpd_by_code:
            abort(400)
        if current_user.role == "skpd" and code != current_user.skpd_code:
            abort(403)
        return body(ctx, code, board=current_user.role in STAFF)


def body(ctx: AppContext, code: str, board: bool) -> list:
    everything = latest_metrics(ctx.engine, ctx.settings) if code == ALL or board else []
    if code == ALL:
        # Each SKPD's own figures (the ones every unit reports, like "website up", are on the board).
        rows = [r for r in everything if not _common(ctx, r["metric"])]
        title, show_unit = t("metrics.highlights"), True
    else:
        rows = latest_metrics(ctx.engine, ctx.settings, code)
        title, show_unit = ctx.settings.skpd_by_code[code].name, False
    content: list = []
    if all(r["status"] == "nodata" for r in rows):
        content.append(
            empty("metrics.empty_all_title", "metrics.empty_all_hint")
            if code == ALL
            else empty("metrics.empty_title", "metrics.empty_hint")
        )
    content.append(html.Ul([tile(ctx, r, show_unit) for r in rows], className="metric-grid", id="metrics-table"))
    out = [panel(title, content, panel_id="metrics-unit", fit=True)]
    if board:
        out.append(panel(t("metrics.board"), skpd_board(ctx, everything), panel_id="metrics-board", fit=True))
    return [html.Div(out, className="metrics-main grow")]


def _common(ctx: AppContext, metric: Metric) -> bool:
    return sum(1 for m in ctx.settings.metrics if m.key == metric.key) > 1


def tile(ctx: AppContext, row: dict, show_unit: bool) -> html.Li:
    metric: Metric = row["metric"]
    value = row["value"]
    shown: object
    if metric.kind == "flag" and value is not None:
        word = t("metric.flag_on") if value >= 0.5 else t("metric.flag_off")
        shown = status.pill(word, status.flag_tone(value), size="lg")
    else:
        prefix = metric.unit in PREFIXED and value is not None
        shown = html.Span(
            [
                html.Span(unit_text(metric.unit), className="metric-unit") if prefix else None,
                html.Span(
                    i18n.figure(value, digits=digits(metric)),
                    className="metric-number",
                    title=i18n.number(value, digits=digits(metric)),
                ),
                html.Span(unit_text(metric.unit), className="metric-unit")
                if value is not None and not prefix
                else None,
            ],
            className="metric-value",
        )
    facts = [(t("metrics.at"), i18n.when(row["ts"]))]
    if metric.target is not None:
        facts.append((t("metrics.target"), amount(metric, metric.target)))
    name = getattr(metric.name, i18n.current_language())
    return html.Li(
        [
            html.Div(
                [
                    html.Span(labels.skpd(ctx.settings, metric.skpd) if show_unit else "", className="tile-meta"),
                    status.badge("metric", row["status"]),
                ],
                className="metric-head",
            ),
            html.H3(name, className="tile-name", title=name),
            shown,
            html.Dl(
                [part for label, text in facts for part in (html.Dt(label), html.Dd(text))],
                className="tile-facts",
            ),
        ],
        className=f"metric-tile tone-{status.METRIC[row['status']]} fit-item",
        **attrs(data_metric=metric.key),
    )


def digits(metric: Metric) -> int:
    return 0 if metric.unit in WHOLE else 1


def amount(metric: Metric, value: float | None) -> str:
    """A value with its unit where the reader expects it: `Rp 6,49 miliar`, `85 %`, `1.386`."""
    text, unit = i18n.figure(value, digits=digits(metric)), unit_text(metric.unit)
    if not unit or value is None:
        return text
    return f"{unit} {text}" if metric.unit in PREFIXED else f"{text} {unit}"


def unit_text(unit: str) -> str:
    """A unit's symbol in the user's language, or nothing for a plain count or a flag."""
    return "" if unit in UNITLESS else t("unit." + unit)


def skpd_board(ctx: AppContext, everything: list[dict]) -> html.Ul:
    """Every SKPD in one look: reporting, late, link down, or never heard from."""
    freshness: dict[str, list[str]] = {}
    for r in everything:
        freshness.setdefault(r["metric"].skpd, []).append(r["status"])
    offline = set(skpd_availability(ctx.engine, ctx.settings)["offline"])
    states = [(s, status.skpd_reporting(s.code in offline, freshness.get(s.code, []))) for s in ctx.settings.skpd]
    order = {tone: i for i, tone in enumerate(status.SEVERITY)}
    states.sort(key=lambda pair: (order[status.SKPD[pair[1]]], pair[0].number))
    return html.Ul(
        [
            html.Li(
                [
                    status.icon(status.SKPD[state], "cam-icon"),
                    html.Div(
                        [
                            html.Div(s.short, className="cam-name", title=s.name),
                            html.Div(t("skpd." + state), className="cam-state"),
                        ],
                        className="cam-text",
                    ),
                ],
                className=f"cam-chip tone-{status.SKPD[state]} fit-item",
                **attrs(data_skpd=s.code),
            )
            for s, state in states
        ],
        className="cam-board skpd-board",
        id="metrics-skpd-board",
    )
