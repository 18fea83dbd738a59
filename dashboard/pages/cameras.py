"""The video wall: live tiles of the installed cameras, a page of one group at a time, one banner per dead link.

Layouts 1, 2x2, 3x3, 4x4 (and 5x5 for a 4K wall); cameras grouped by site, SKPD, district or uplink,
each group on its own pages; a tour steps through the pages every N seconds. Each user's choice is kept
in storage (wall_prefs), so the wall comes back as it was on any screen. Tiles play the sub-stream; a
click on one opens it large on the main stream.

The players are built only when the wall turns a page: the status refresh rewrites the overlay layer
above them, never the <video> elements, or every player would start its stream again every few
seconds. Cameras that went dark together behind one uplink raise one banner ("link X down, N cameras"),
not N alarms. Planned cameras take no tile; they are listed apart. SKPD staff see their own unit's cameras.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, dcc, html
from flask import abort
from flask_login import current_user

from scc.clock import utcnow

from ..access import EVERYONE, Access
from ..cameras_routes import prepare_streams
from ..components import cameras_tiles as tiles
from ..components import labels, status
from ..components.states import empty
from ..components.status import attrs
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t
from ..queries.cameras import (
    GROUPS,
    LAYOUTS,
    TOURS,
    CameraRow,
    GroupBy,
    Layout,
    WallPage,
    WallPrefs,
    cameras,
    links_down,
    load_wall_prefs,
    save_wall_prefs,
    wall_pages,
)

PATH = "/cameras"
GROUP_WORDS: dict[GroupBy, str] = {
    "all": "cameras.by_all",
    "site": "cameras.by_site",
    "skpd": "cameras.by_skpd",
    "district": "cameras.by_district",
    "uplink": "cameras.by_uplink",
}
ROLES = EVERYONE  # SKPD staff too: their own unit's cameras only (queries.cameras.may_view)
Clicks = list[int | None] | None


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        prefs = load_wall_prefs(ctx.engine, current_user.username)
        rows = visible(ctx)
        prepare(ctx, page_of(rows, prefs.group_by, prefs.layout, 0))
        return html.Div(
            [
                html.Div(
                    [
                        html.H2(t("cameras.title"), className="page-title"),
                        controls(prefs),
                    ],
                    className="wall-head",
                ),
                dcc.Interval(id="cameras-tick", interval=ctx.settings.app.web.refresh_s * 1000),
                dcc.Interval(id="wall-tour-tick", interval=max(prefs.tour_s, 1) * 1000, disabled=not prefs.tour_s),
                dcc.Store(id="wall-page", data=0),
                html.Div(banners(rows), id="wall-banners", className="wall-banners", **attrs(aria_live="polite")),
                html.Div(
                    [
                        html.Div(
                            [
                                pager(ctx, rows, prefs.group_by, prefs.layout, 0),
                                wall_grid(ctx, rows, prefs.group_by, prefs.layout),
                            ],
                            className="wall-stage",
                        ),
                        aside(ctx, rows),
                    ],
                    className="wall-main grow",
                ),
                enlarged_frame(),
            ],
            className="page wall-page fit-screen cameras-wall",
        )

    access.page(__name__, path=PATH, roles=ROLES, order=8, title_key="nav.cameras", layout=layout)

    @access.callback(
        app,
        Output("wall-players", "children"),
        Output("wall-players", "className"),
        Output("wall-overlays", "children"),
        Output("wall-overlays", "className"),
        Output("wall-page", "data"),
        Output("wall-pager", "children"),
        Input("wall-layout", "value"),
        Input("wall-group", "value"),
        Input("wall-prev", "n_clicks"),
        Input("wall-next", "n_clicks"),
        Input("wall-tour-tick", "n_intervals"),
        State("wall-page", "data"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def turn(
        layout_: str | None, group: str | None, _prev: int | None, _next: int | None, _tour: int | None, at: int | None
    ):
        chosen, by = checked(layout_, group)
        trigger = dash.ctx.triggered_id
        step = {"wall-prev": -1, "wall-next": 1, "wall-tour-tick": 1}.get(trigger if isinstance(trigger, str) else "")
        rows = visible(ctx)
        count = max(len(wall_pages(rows, by, chosen)), 1)
        index = ((at or 0) + step) % count if step is not None else 0  # a new layout or grouping starts over
        layer = f"wall-layer side-{LAYOUTS[chosen]}"
        prepare(ctx, page_of(rows, by, chosen, index))
        return (
            players(rows, by, chosen, index),
            layer,
            overlays(ctx, rows, by, chosen, index),
            layer,
            index,
            pager_label(ctx, rows, by, chosen, index),
        )

    @access.callback(
        app,
        Output("wall-tour-tick", "disabled"),
        Output("wall-tour-tick", "interval"),
        Input("wall-layout", "value"),
        Input("wall-group", "value"),
        Input("wall-tour", "value"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def remember(layout_: str | None, group: str | None, tour: int | None):
        chosen, by = checked(layout_, group)
        if tour not in TOURS:
            abort(400)
        assert tour is not None
        save_wall_prefs(ctx.engine, current_user.username, WallPrefs(chosen, by, tour))
        return not tour, max(tour, 1) * 1000

    @access.callback(
        app,
        Output("wall-overlays", "children", allow_duplicate=True),
        Output("wall-banners", "children"),
        Output("cameras-summary", "children"),
        Input("cameras-tick", "n_intervals"),
        State("wall-layout", "value"),
        State("wall-group", "value"),
        State("wall-page", "data"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def refresh(_n: int | None, layout_: str | None, group: str | None, at: int | None):
        """Overlays, banners and counts only: the player layer and its streams stay as they are."""
        chosen, by = checked(layout_, group)
        rows = visible(ctx)
        return overlays(ctx, rows, by, chosen, at or 0), banners(rows), summary(rows)

    @access.callback(
        app,
        Output("wall-enlarged-body", "children"),
        Output("wall-enlarged", "className"),
        Input({"type": tiles.OPEN, "camera": ALL}, "n_clicks"),
        Input("wall-close", "n_clicks"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def enlarge(_clicks: Clicks, _close: int | None):
        trigger = dash.ctx.triggered_id
        if not dash.ctx.triggered or not dash.ctx.triggered[0].get("value"):
            raise dash.exceptions.PreventUpdate  # a tile drawn anew, not a click
        if trigger == "wall-close" or not isinstance(trigger, dict):
            return [], "wall-enlarged"
        row = next((r for r in visible(ctx) if r.id == trigger.get("camera")), None)
        if row is None:
            abort(403)  # not a camera this user may see
        place, spot = labels.camera(ctx.settings, row.id, row.name)
        return (
            [
                html.H3(
                    [html.Span(place, className="ov-place") if place else None, html.Span(spot, className="ov-spot")]
                ),
                tiles.live_tile(row.id, "main", row.name),
            ],
            "wall-enlarged open",
        )


def visible(ctx: AppContext) -> list[CameraRow]:
    return cameras(ctx.engine, ctx.settings, role=current_user.role, skpd_code=current_user.skpd_code)


def checked(layout_: str | None, group: str | None) -> tuple[Layout, GroupBy]:
    """The layout and grouping a request names, or 400: they come from the browser."""
    chosen = next((k for k in LAYOUTS if k == layout_), None)
    by = next((g for g in GROUPS if g == group), None)
    if chosen is None or by is None:
        abort(400)
    assert chosen is not None and by is not None
    return chosen, by


def dark_ids(rows: list[CameraRow]) -> set[str]:
    return {cam for link in links_down(rows) for cam in link.cameras}


# -- the parts ----------------------------------------------------------------------------------


def controls(prefs: WallPrefs) -> html.Div:
    def choice(control_id: str, label: str, options: list[dict[str, Any]], value: Any) -> html.Div:
        return html.Div(
            [
                html.Span(label, className="wall-control-label", id=f"{control_id}-label"),
                dbc.RadioItems(
                    id=control_id,
                    options=options,
                    value=value,
                    inline=True,
                    className="btn-group wall-choice",
                    inputClassName="btn-check",
                    labelClassName="btn btn-outline-secondary wall-choice-item",
                    labelCheckedClassName="active",
                ),
            ],
            className="wall-control",
            role="radiogroup",
            **attrs(aria_labelledby=f"{control_id}-label"),
        )

    return html.Div(
        [
            choice("wall-layout", t("cameras.layout"), [{"label": k, "value": k} for k in LAYOUTS], prefs.layout),
            choice(
                "wall-group",
                t("cameras.group_by"),
                [{"label": t(GROUP_WORDS[g]), "value": g} for g in GROUPS],
                prefs.group_by,
            ),
            choice(
                "wall-tour",
                t("cameras.tour"),
                [{"label": t("cameras.tour_off") if s == 0 else f"{s} s", "value": s} for s in TOURS],
                prefs.tour_s,
            ),
        ],
        className="wall-controls",
    )


def group_label(ctx: AppContext, by: GroupBy, key: str) -> str:
    if by == "all":
        return t("cameras.all_cameras")
    if by == "skpd":
        return labels.skpd(ctx.settings, key)
    if by == "district":
        return labels.district(ctx.settings, key)
    if by == "uplink":
        return tiles.link_label(key)
    return key


def pager_label(ctx: AppContext, rows: list[CameraRow], by: GroupBy, layout_: Layout, index: int) -> list:
    pages = wall_pages(rows, by, layout_)
    if not pages:
        return []
    page = pages[index % len(pages)]
    name = group_label(ctx, by, page.group) + (f" ({page.part}/{page.parts})" if page.parts > 1 else "")
    return [
        html.Span(name, className="pager-group", id="wall-group-name"),
        html.Span(t("cameras.page_of", n=index % len(pages) + 1, of=len(pages)), className="pager-count"),
    ]


def pager(ctx: AppContext, rows: list[CameraRow], by: GroupBy, layout_: Layout, index: int) -> html.Div:
    return html.Div(
        [
            html.Button(
                "‹",
                id="wall-prev",
                className="btn btn-outline-secondary pager-btn",
                title=t("cameras.prev"),
                **attrs(aria_label=t("cameras.prev")),
            ),
            html.Div(pager_label(ctx, rows, by, layout_, index), id="wall-pager", className="pager-label"),
            html.Button(
                "›",
                id="wall-next",
                className="btn btn-outline-secondary pager-btn",
                title=t("cameras.next"),
                **attrs(aria_label=t("cameras.next")),
            ),
            dcc.Link(t("cameras.health_link"), href="/cameras/health", className="tool-link wall-health-link"),
        ],
        className="wall-pager",
    )


def prepare(ctx: AppContext, page: WallPage | None) -> None:
    """The relay opens the page's cameras while the browser still draws the tiles that will ask for them."""
    if page is not None:
        prepare_streams(ctx.settings, current_user, [row.id for row in page.cameras])


def page_of(rows: list[CameraRow], by: GroupBy, layout_: Layout, index: int) -> WallPage | None:
    pages = wall_pages(rows, by, layout_)
    return pages[index % len(pages)] if pages else None


def players(rows: list[CameraRow], by: GroupBy, layout_: Layout, index: int) -> list:
    page = page_of(rows, by, layout_, index)
    return [tiles.player(row) for row in page.cameras] if page else []


def overlays(ctx: AppContext, rows: list[CameraRow], by: GroupBy, layout_: Layout, index: int) -> list:
    page = page_of(rows, by, layout_, index)
    if page is None:
        return [empty("cameras.none_title", "cameras.none_hint")]
    dark, now = dark_ids(rows), utcnow()
    return [tiles.overlay(ctx.settings, row, row.id in dark, now) for row in page.cameras]


def wall_grid(ctx: AppContext, rows: list[CameraRow], by: GroupBy, layout_: Layout) -> html.Div:
    """Two layers on one grid: the players below, the overlays above, cell for cell."""
    layer = f"wall-layer side-{LAYOUTS[layout_]}"
    return html.Div(
        [
            html.Div(players(rows, by, layout_, 0), id="wall-players", className=layer),
            html.Div(overlays(ctx, rows, by, layout_, 0), id="wall-overlays", className=layer),
        ],
        id="wall-grid",
        className="wall-grid",
    )


def banners(rows: list[CameraRow]) -> list:
    """One banner per uplink whose cameras all went dark: the link is the fault, not N cameras."""
    return [
        html.Div(
            [
                status.icon("alarm"),
                html.Span(
                    t("cameras.link_down", link=tiles.link_label(down.uplink), n=len(down.cameras)),
                    className="banner-text",
                ),
                html.Span(t("link." + down.link), className="banner-kind"),
            ],
            className="wall-banner status status-alarm",
            role="alert",
            **attrs(data_uplink=down.uplink, data_tone="alarm"),
        )
        for down in links_down(rows)
    ]


def summary(rows: list[CameraRow]) -> list:
    installed = [r for r in rows if not r.planned]
    dark = dark_ids(rows)
    counts: dict[str, int] = {}
    for r in installed:
        key = "link-down" if r.id in dark else r.status
        counts[key] = counts.get(key, 0) + 1
    pills = [
        status.pill(f"{t('camera.' + s)}: {counts[s]}", status.CAMERA[s], status=s)
        for s in ("online", "stale", "offline", "error", "nodata")
        if counts.get(s)
    ]
    if counts.get("link-down"):
        pills.append(
            status.pill(f"{t('cameras.link_down_short')}: {counts['link-down']}", "unknown", status="link-down")
        )
    return pills


def aside(ctx: AppContext, rows: list[CameraRow]) -> html.Div:
    installed = [r for r in rows if not r.planned]
    planned = [r for r in rows if r.planned]
    parts = [
        panel(
            t("cameras.active", n=len(installed)),
            html.Div(summary(rows), id="cameras-summary", className="wall-summary"),
            panel_id="cameras-installed",
        )
    ]
    if planned:  # SKPD staff get no list of the regency's plans
        parts.append(
            panel(
                t("cameras.planned", n=len(planned)),
                tiles.planned_list(ctx.settings, planned),
                panel_id="cameras-planned",
                fit=True,
            )
        )
    return html.Div(parts, className="wall-aside")


def enlarged_frame() -> html.Div:
    """The enlarged camera, over the wall: the same tile on the main stream. Emptied when closed, so the
    player lets the main stream go."""
    return html.Div(
        html.Div(
            [
                html.Button(
                    "×",
                    id="wall-close",
                    className="btn btn-outline-secondary wall-close",
                    title=t("cameras.close"),
                    **attrs(aria_label=t("cameras.close")),
                ),
                html.Div(id="wall-enlarged-body", className="wall-enlarged-body"),
            ],
            className="wall-enlarged-box",
            role="dialog",
            **attrs(aria_label=t("cameras.enlarged")),
        ),
        id="wall-enlarged",
        className="wall-enlarged",
    )
