"""Overview: the video wall's summary of cameras, calls and SKPD services, on one screen.

Under the headline figures, the units free per kind ("Ambulans 0/2"): a kind with none free is an
alarm, in words, because a medical call then has nothing to send whatever else is free.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, dcc, html

from scc.settings import Settings

from .. import i18n
from ..access import STAFF, Access
from ..components import callcenter_incidents as inc
from ..components import faults, labels, status
from ..components.states import empty
from ..components.status import attrs
from ..components.tables import kpi, panel
from ..context import AppContext
from ..i18n import t
from ..queries.cameras import CameraRow
from ..queries.overview import overview

PATH = "/"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return html.Div(
            [
                html.H2(t("overview.title"), className="page-title"),
                dcc.Interval(id="overview-tick", interval=ctx.settings.app.web.refresh_s * 1000),
                html.Div(id="overview-body", className="overview", children=body(ctx)),
            ],
            className="page wall-page fit-screen",
        )

    access.page(__name__, path=PATH, roles=STAFF, order=0, title_key="nav.overview", layout=layout)

    @access.callback(
        app,
        Output("overview-body", "children"),
        Input("overview-tick", "n_intervals"),
        roles=STAFF,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None):
        return body(ctx)


# The rendering of the newest summary, per language: every wall screen asks for
# the same one, so it is built once per summary (see queries/overview.py), and
# shared read-only (Dash only reads a component tree to send it).
_rendered: dict[str, tuple[object, list]] = {}


def body(ctx: AppContext) -> list:
    data = overview(ctx.engine, ctx.settings)
    lang = i18n.current_language()
    cached = _rendered.get(lang)
    if cached is not None and cached[0] is data:
        return cached[1]
    rendered = _render(ctx, data)
    _rendered[lang] = (data, rendered)
    return rendered


def _render(ctx: AppContext, data: dict) -> list:
    cams, calls, skpd = data["cameras"], data["calls"], data["skpd"]
    installed = data["installed"]
    online, total = cams.get("online", 0), cams["total"]
    problems = len(data["problem_cameras"])
    offline_skpd = skpd["offline"]
    more = len(offline_skpd) - 2  # the rest are a click away, on the units' page, worst first
    rest: list[Any] = [" ", dcc.Link(t("common.more", n=more), href="/metrics")] if more > 0 else []
    skpd_hint = (
        html.Span(
            [t("overview.skpd_offline", names=", ".join(labels.skpd(ctx.settings, c) for c in offline_skpd[:2])), *rest]
        )
        if offline_skpd
        else t("overview.skpd_hint", silent=skpd["silent"])
    )
    figures = html.Div(
        [
            kpi(
                "kpi-cameras",
                t("overview.cameras_online"),
                f"{online} / {total}",
                t("overview.cameras_hint", nodata=cams.get("nodata", 0), planned=cams["planned"]),
                status.cameras_tone(cams, total),
            ),
            kpi(
                "kpi-calls-open",
                t("overview.calls_open"),
                i18n.number(calls["open"], digits=0),
                t("overview.calls_hint", n=i18n.number(calls["last_24h"], digits=0)),
                status.open_incidents_tone(calls["open"], calls["waiting"]),
            ),
            kpi(
                "kpi-skpd",
                t("overview.skpd_online"),
                f"{skpd['online']} / {skpd['total']}",
                skpd_hint,
                status.skpd_tone(skpd["online"], skpd["total"], len(offline_skpd), skpd["silent"]),
            ),
            kpi(
                "kpi-problems",
                t("overview.camera_problems"),
                i18n.number(problems, digits=0),
                t("overview.problems_hint"),
                status.problems_tone(problems, reporting=total - cams.get("nodata", 0)),
            ),
        ],
        className="kpis",
    )
    kinds = data["units"]
    units = html.Div(
        [html.H3(t("overview.units_free"), className="kinds-label"), inc.kind_counts(kinds, "overview-kinds")],
        id="overview-units",
        className="kinds-strip tone-" + ("ok" if all(k.free for k in kinds) else "alarm"),
    )
    return [
        figures,
        units,
        html.Div(
            [
                panel(
                    t("overview.latest_calls"),
                    incident_feed(ctx, data["incidents"]),
                    panel_id="overview-calls",
                    fit=True,
                ),
                panel(
                    t("overview.camera_status"),
                    camera_board(ctx.settings, installed, cams),
                    panel_id="overview-cameras",
                    fit=True,
                    aside=html.Span(t("overview.cameras_planned", n=cams["planned"]), className="panel-aside"),
                ),
            ],
            className="overview-main grow",
        ),
    ]


def incident_feed(ctx: AppContext, rows: list[dict]):
    if not rows:
        return empty("calls.empty_title", "calls.empty_hint")
    items = []
    for r in rows:
        meta = [
            i18n.when(r["received_at"]),
            labels.call_line(ctx.settings, r["line_code"]),
            labels.district(ctx.settings, r["district"]),
        ]
        items.append(
            html.Li(
                [
                    status.badge("incident", r["status"]),
                    html.Div(
                        [
                            html.Div(r["summary"] or "-", className="feed-summary"),
                            html.Div(" · ".join(m for m in meta if m), className="feed-meta"),
                        ],
                        className="feed-text",
                    ),
                ],
                className="feed-item fit-item",
            )
        )
    return html.Ul(items, className="feed", id="overview-incidents")


def camera_board(settings: Settings, installed: list[CameraRow], counts: dict):
    """Every installed camera, worst first, so a problem is at the top of the board."""
    if not installed or counts.get("nodata", 0) == len(installed):
        return empty("cameras.empty_title", "cameras.empty_hint")
    order = {tone: i for i, tone in enumerate(status.SEVERITY)}
    ranked = sorted(installed, key=lambda c: order[status.CAMERA[c.status]])
    return html.Ul(
        [
            html.Li(
                [
                    status.icon(status.CAMERA[c.status], "cam-icon"),
                    html.Div(
                        [
                            html.Div(labels.camera_title(settings, c.id, c.name), className="cam-name"),
                            # the fault in the user's words; the worker's own text in the tooltip
                            html.Div(
                                t("camera." + c.status)
                                + (f" · {faults.camera_fault(c.last_error)}" if c.last_error else ""),
                                className="cam-state",
                                title=c.last_error or None,
                            ),
                        ],
                        className="cam-text",
                    ),
                ],
                className=f"cam-chip tone-{status.CAMERA[c.status]} fit-item",
                **attrs(data_status=c.status),
            )
            for c in ranked
        ],
        className="cam-board",
        id="overview-camera-board",
    )
