"""Cameras: every installed camera as a tile with its live state, and the planned ones by district."""

from __future__ import annotations

import dash
from dash import Input, Output, dcc, html

from .. import i18n
from ..access import STAFF, Access
from ..components import labels, status
from ..components.states import empty
from ..components.status import attrs
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t
from ..queries.cameras import CameraRow, cameras

PATH = "/cameras"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return html.Div(
            [
                html.H2(t("cameras.title"), className="page-title"),
                dcc.Interval(id="cameras-tick", interval=ctx.settings.app.web.refresh_s * 1000),
                html.Div(id="cameras-body", className="cameras", children=body(ctx)),
            ],
            className="page wall-page",
        )

    access.page(__name__, path=PATH, roles=STAFF, order=1, title_key="nav.cameras", layout=layout)

    @access.callback(
        app,
        Output("cameras-body", "children"),
        Input("cameras-tick", "n_intervals"),
        roles=STAFF,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None):
        return body(ctx)


def body(ctx: AppContext) -> list:
    rows = cameras(ctx.engine, ctx.settings)
    active = [c for c in rows if not c.planned]
    planned = [c for c in rows if c.planned]
    counts: dict[str, int] = {}
    for cam in active:
        counts[cam.status] = counts.get(cam.status, 0) + 1
    summary = html.Div(
        [
            status.pill(f"{t('camera.' + s)}: {counts[s]}", status.CAMERA[s], status=s)
            for s in ("online", "stale", "offline", "error", "nodata")
            if counts.get(s)
        ],
        className="summary-strip",
        id="cameras-summary",
    )
    grid: html.Ul | html.Div = tiles(ctx, active)
    if all(c.status == "nodata" for c in active):
        grid = html.Div([empty("cameras.empty_title", "cameras.empty_hint"), grid])
    return [
        html.Div(
            [
                panel(
                    t("cameras.active", n=len(active)),
                    grid,
                    panel_id="cameras-installed",
                    fit=True,
                    aside=summary,
                ),
                panel(
                    t("cameras.planned", n=len(planned)),
                    planned_list(ctx, planned),
                    panel_id="cameras-planned",
                    fit=True,
                ),
            ],
            className="cameras-main grow",
        )
    ]


def tiles(ctx: AppContext, active: list[CameraRow]) -> html.Ul:
    out = []
    for c in active:
        tone = status.CAMERA[c.status]
        place, spot = labels.camera(c.name, labels.skpd(ctx.settings, c.skpd))
        facts = [
            (t("cameras.last_frame"), i18n.when(c.last_frame_at)),
            (t("cameras.fps"), i18n.number(c.fps)),
            (t("cameras.reconnects"), i18n.number(c.reconnects, digits=0)),
        ]
        out.append(
            html.Li(
                [
                    html.H3(spot, className="tile-name", title=c.name),
                    html.Div(
                        [
                            status.badge("camera", c.status),
                            html.Span(f"{place} · {t('link.' + c.link)}", className="tile-meta", title=place),
                        ],
                        className="tile-head",
                    ),
                    html.Dl(
                        [part for label, value in facts for part in (html.Dt(label), html.Dd(value))],
                        className="tile-facts",
                    ),
                    html.Div(c.last_error, className="tile-error") if c.last_error else None,
                ],
                className=f"cam-tile tone-{tone} fit-item",
                **attrs(data_status=c.status),
            )
        )
    return html.Ul(out, className="cam-grid", id="cameras-table")


def planned_list(ctx: AppContext, planned: list[CameraRow]) -> html.Ul:
    """The planned cameras, one line per district: where the network grows next."""
    by_district: dict[str, list[CameraRow]] = {}
    for cam in planned:
        by_district.setdefault(cam.district, []).append(cam)
    district = ctx.settings.district_by_code
    return html.Ul(
        [
            html.Li(
                [
                    html.Div(
                        [
                            status.icon("planned"),
                            html.Span(district[code].name, className="plan-district"),
                            html.Span(i18n.number(len(cams), digits=0), className="plan-count"),
                        ],
                        className="plan-head",
                    ),
                    html.Div(", ".join(_short_name(c.name, district[code].name) for c in cams), className="plan-sites"),
                ],
                className="plan-item fit-item",
            )
            for code, cams in by_district.items()
        ],
        className="plan-list",
        id="cameras-planned-list",
    )


def _short_name(name: str, district_name: str) -> str:
    """'Pasar Kecamatan Lalabata' under the heading Lalabata reads as 'Pasar'."""
    for tail in (f" Kecamatan {district_name}", f" {district_name}"):
        if name.endswith(tail):
            return name[: -len(tail)]
    return name
