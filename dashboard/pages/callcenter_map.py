"""Incidents on a map of the regency's districts, drawn offline (no tiles, nothing fetched).

`/calls/map?range=7d`: a bubble per district, its area the incidents received
in the range and its label "open / total"; every open incident as a marker
near its district's centre, its shape and the legend's word saying whether a
unit is on the way yet. District shapes and centres are estimates, and the
map says so. Beside it the same figures as a table, for reading and for
screen readers.
"""

from __future__ import annotations

import dash
from dash import Input, Output, html

from .. import i18n
from ..access import STAFF, Access
from ..components import callcenter_charts, callcenter_map, charts
from ..components.status import open_incidents_tone, pill
from ..components.tables import panel, table
from ..context import AppContext
from ..i18n import t
from ..queries.callcenter_stats import MapData, Window, map_data

PATH = "/calls/map"
ROLES = STAFF
REFRESH_MS = 30_000


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    regency = callcenter_map.load()  # read once, at start: the file is ours and never changes while running

    def layout(**query: object):
        window = callcenter_charts.pick_window(query.get("range"))
        return callcenter_charts.range_page(PATH, "map", "map.title", window, REFRESH_MS)

    access.page(__name__, path=PATH, roles=ROLES, order=22, title_key="map.nav", layout=layout, nav=False)

    @access.callback(
        app, Output("map-body", "children"), Input("map-window", "value"), Input("map-tick", "n_intervals"), roles=ROLES
    )
    def show(window: Window | None, _n: int | None):
        return body(ctx, regency, map_data(ctx.engine, window or "today"))


def body(ctx: AppContext, regency: callcenter_map.RegencyMap, data: MapData) -> list:
    counts = {code: (c.open, c.total) for code, c in data.counts.items()}
    figure = callcenter_map.figure(regency, counts, data.open_incidents)
    drawn = sum(1 for i in data.open_incidents if i.get("district") in regency.by_code)
    summary = t("map.summary", open=data.open_total, districts=len(regency.districts))
    rows = []
    for district in regency.districts:
        open_, total = counts.get(district.code, (0, 0))
        rows.append([district.name, pill(i18n.number(open_, digits=0), open_incidents_tone(open_)), n(total)])
    unplaced = data.open_total - drawn
    notes = [html.P(t("map.estimate_long"), className="map-note", id="map-estimate-note")]
    if unplaced > 0:
        notes.append(html.P(t("map.unplaced", n=n(unplaced)), className="map-note", id="map-unplaced"))
    return [
        panel(
            t("map.map_title"),
            charts.graph(figure, graph_id="map-figure", summary=summary),
            panel_id="map-panel",
            className="chart-panel map-panel",
        ),
        panel(
            t("map.table_title"),
            [
                table(
                    [t("map.col_district"), t("map.col_open"), t("map.col_total")], rows, "map-table", numeric=(1, 2)
                ),
                *notes,
            ],
            panel_id="map-side",
            className="map-side",
        ),
    ]


def n(value: int) -> str:
    return i18n.number(value, digits=0)
