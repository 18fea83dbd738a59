"""Camera health: how reliable each camera and each link has been, and what the camera processes cost.

Uptime per camera and per uplink over 24 hours and 7 days, from the outages the workers record; an
outage timeline of the last 24 hours; each camera's reconnects and last error in words; the CPU the
camera workers and the relay report in their heartbeats. An uplink counts as down only while all its
cameras are down at once (dashboard.queries.cameras.uptime). SKPD staff see their own unit's cameras.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import dash
from dash import Input, Output, dcc, html
from flask_login import current_user

from scc.clock import to_wita, utcnow

from .. import i18n
from ..access import EVERYONE, Access
from ..components import cameras_tiles as tiles
from ..components import faults, labels, status
from ..components.charts import CONFIG, base_layout
from ..components.states import empty
from ..components.status import attrs
from ..components.tables import panel, table
from ..context import AppContext
from ..i18n import t
from ..queries.cameras import CameraRow, Outage, ProcessCpu, Uptime, camera_processes, cameras, outages, uptime

PATH = "/cameras/health"
ROLES = EVERYONE
ALARM, ENDED = "#ff7b72", "#c2645d"


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return html.Div(
            [
                html.Div(
                    [
                        html.H2(t("camhealth.title"), className="page-title"),
                        dcc.Link(t("camhealth.wall_link"), href="/cameras", className="tool-link"),
                    ],
                    className="wall-head",
                ),
                dcc.Interval(id="camhealth-tick", interval=max(ctx.settings.app.web.refresh_s, 10) * 1000),
                html.Div(body(ctx), id="camhealth-body", className="camhealth"),
            ],
            className="page camhealth-page",
        )

    access.page(__name__, path=PATH, roles=ROLES, order=9, title_key="camhealth.title", layout=layout, nav=False)

    @access.callback(
        app,
        Output("camhealth-body", "children"),
        Input("camhealth-tick", "n_intervals"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None):
        return body(ctx)


def body(ctx: AppContext) -> list:
    now = utcnow()
    rows = [
        r
        for r in cameras(ctx.engine, ctx.settings, role=current_user.role, skpd_code=current_user.skpd_code)
        if not r.planned
    ]
    if not rows:
        return [empty("cameras.none_title", "cameras.none_hint")]
    per_camera, per_link = uptime(ctx.engine, rows, now)
    found = outages(ctx.engine, [r.id for r in rows], now - timedelta(days=1))
    processes = camera_processes(ctx.engine) if current_user.role != "skpd" else []
    side = [panel(t("camhealth.links"), link_table(rows, per_link), panel_id="camhealth-links")]
    if current_user.role != "skpd":  # the server's processes are the command center's business
        side.insert(0, panel(t("camhealth.processes"), process_table(processes), panel_id="camhealth-processes"))
    return [
        panel(t("camhealth.cameras"), camera_table(ctx, rows, per_camera), panel_id="camhealth-cameras"),
        html.Div(side, className="camhealth-side"),
        panel(t("camhealth.timeline"), timeline(ctx, rows, found, now), panel_id="camhealth-timeline"),
    ]


def pct(value: float) -> str:
    return i18n.number(value, digits=1) + " %"


def camera_table(ctx: AppContext, rows: list[CameraRow], per_camera: list[Uptime]):
    up = {u.key: u for u in per_camera}
    return table(
        [
            t("camhealth.camera"),
            t("camhealth.uplink"),
            t("cameras.status"),
            t("camhealth.uptime_24h"),
            t("camhealth.uptime_7d"),
            t("camhealth.outages_24h"),
            t("cameras.reconnects"),
            t("camhealth.last_error"),
        ],
        [
            [
                html.Span(labels.camera_title(ctx.settings, r.id, r.name), className="camhealth-name", title=r.name),
                tiles.link_label(r.uplink),
                status.badge("camera", r.status),
                pct(up[r.id].pct_24h),
                pct(up[r.id].pct_7d),
                i18n.number(up[r.id].outages_24h, digits=0),
                i18n.number(r.reconnects, digits=0),
                faults.fault_span(r.last_error, "camhealth-error") or "-",
            ]
            for r in rows
        ],
        table_id="camhealth-camera-table",
        numeric=(3, 4, 5, 6),
    )


def link_table(rows: list[CameraRow], per_link: list[Uptime]):
    count: dict[str, int] = {}
    kind: dict[str, str] = {}
    for r in rows:
        count[r.uplink] = count.get(r.uplink, 0) + 1
        kind[r.uplink] = r.link
    return table(
        [t("camhealth.uplink"), t("camhealth.cameras_n"), t("camhealth.uptime_24h"), t("camhealth.uptime_7d")],
        [
            [
                html.Span([tiles.link_label(u.key), html.Span(t("link." + kind[u.key]), className="muted link-kind")]),
                i18n.number(count[u.key], digits=0),
                pct(u.pct_24h),
                pct(u.pct_7d),
            ]
            for u in per_link
        ],
        table_id="camhealth-link-table",
        numeric=(1, 2, 3),
    )


def process_table(processes: list[ProcessCpu]):
    if not processes:
        return empty("camhealth.no_processes_title", "camhealth.no_processes_hint")
    return table(
        [t("camhealth.process"), t("cameras.status"), t("camhealth.cpu"), t("camhealth.beat")],
        [
            [
                p.name,
                status.badge("health", p.status),
                pct(p.cpu_pct) if p.cpu_pct is not None else "-",
                i18n.when(p.beat_at),
            ]
            for p in processes
        ],
        table_id="camhealth-process-table",
        numeric=(2,),
    )


def _wita(moment: datetime) -> str:
    return to_wita(moment).strftime("%Y-%m-%d %H:%M:%S")


def timeline(ctx: AppContext, rows: list[CameraRow], found: list[Outage], now: datetime):
    """One line per camera, a bar for each outage of the last 24 hours; ongoing ones in full red."""
    if not found:
        return empty("camhealth.no_outages_title", "camhealth.no_outages_hint")
    names = {r.id: labels.camera_title(ctx.settings, r.id, r.name) for r in rows}
    since = now - timedelta(days=1)
    traces: list[dict[str, Any]] = []
    for ongoing in (False, True):
        xs: list[Any] = []
        ys: list[Any] = []
        texts: list[Any] = []
        for o in found:
            if (o.ended_at is None) != ongoing:
                continue
            label = names[o.camera_id]
            end = o.ended_at or now
            minutes = (end - o.started_at).total_seconds() / 60
            hover = f"{label}<br>{faults.camera_fault(o.reason)}<br>{i18n.number(minutes)} {t('camhealth.minutes')}"
            xs += [_wita(max(o.started_at, since)), _wita(end), None]
            ys += [label, label, None]
            texts += [hover, hover, None]
        if xs:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",  # a marker keeps a short outage visible on a day's axis
                    "marker": {"size": 9, "symbol": "line-ns-open", "line": {"width": 3}},
                    "x": xs,
                    "y": ys,
                    "text": texts,
                    "hoverinfo": "text",
                    "line": {"width": 14, "color": ALARM if ongoing else ENDED},
                    "name": t("camhealth.ongoing") if ongoing else t("camhealth.ended"),
                }
            )
    shown = sorted({y for tr in traces for y in tr["y"] if y})
    height = max(160, 34 * len(shown) + 70)
    figure = {
        "data": traces,
        "layout": base_layout(
            height=height,
            margin={"l": 260, "r": 16, "t": 10, "b": 44},
            showlegend=True,
            legend={"orientation": "h", "y": 1.12, "font": {"size": 15}},
            xaxis={
                "type": "date",
                "range": [_wita(since), _wita(now)],
                "gridcolor": "#263445",
                "tickfont": {"color": "#a9b6c5", "size": 15},
                "fixedrange": True,
            },
            yaxis={"type": "category", "tickfont": {"color": "#e9eef4", "size": 15}, "fixedrange": True},
        ),
    }
    summary = t("camhealth.timeline_summary", n=len(found), ongoing=sum(1 for o in found if o.ended_at is None))
    return html.Figure(
        dcc.Graph(id="camhealth-chart", figure=figure, config=CONFIG, className="chart"),
        className="chart-box",
        style={"height": f"{height}px"},  # the chart fills its box (scc.css): the box takes the rows' height
        role="img",
        **attrs(aria_label=summary),
    )
