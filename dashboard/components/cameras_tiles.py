"""A camera's live tile and what lies over it: the markup the browser's player (assets/cameras_player.js)
attaches to, and the overlay the wall's refresh rewrites.

The wall has two layers on one grid: the players (`div.live-tile` with its <video> and <img>), built
once per page of the wall, and over them the overlays (name, status word, age of the last frame, fps),
which every refresh replaces whole. Recreating a <video> would restart the player's WebRTC session, so
the refresh never touches the player layer. The page knows camera
ids only; the player asks the web app for the stream by id, never by URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from dash import html

from scc.clock import as_utc, utcnow
from scc.settings import Settings

from .. import i18n
from ..i18n import t
from ..queries.cameras import CameraRow
from . import faults, labels, status
from .status import Tone, attrs

Stream = Literal["sub", "main"]
OPEN = "cam-open"  # pattern-matching id type of a tile's overlay: {"type": OPEN, "camera": <id>}


def live_tile(camera_id: str, stream: Stream, name: str) -> html.Div:
    """Interface 3's element: the player finds it by class and reads which camera and stream from it."""
    return html.Div(
        [
            html.Video(
                muted=True, autoPlay=True, playsInline=True, className="live-video", **attrs(aria_hidden="true")
            ),
            # Shown only when WebRTC cannot play (data-state="snapshot"): then the player sets its src.
            html.Img(alt=t("cameras.snapshot_of", name=name), className="live-snapshot"),
            # The player's own state in words, shown by the stylesheet for the tile's data-state: a dimmed
            # or still picture alone would not tell the operator that the video is not live.
            html.Span(
                className="live-state",
                role="status",
                **attrs(
                    data_connecting=t("cameras.player_connecting"),
                    data_reconnecting=t("cameras.player_reconnecting"),
                    data_snapshot=t("cameras.player_snapshot"),
                ),
            ),
        ],
        className="live-tile",
        **attrs(data_camera=camera_id, data_stream=stream),
    )


def frame_age(moment: datetime | None, now: datetime | None = None) -> str:
    """Seconds while fresh ("2 dtk"), then Babel's words ("5 mnt"): the wall reads it at a glance."""
    if moment is None:
        return "-"
    seconds = ((now or utcnow()) - as_utc(moment)).total_seconds()
    if seconds < 90:
        return t("cameras.seconds", n=i18n.number(max(seconds, 0), digits=0))
    return i18n.age(moment, now=now, short=True)


def tile_tone(row: CameraRow, link_down: bool) -> Tone:
    """A camera behind a dead link raises no alarm of its own: the link's banner speaks for it."""
    return "unknown" if link_down else status.CAMERA[row.status]


def overlay_children(ctx_settings: Any, row: CameraRow, link_down: bool, now: datetime | None = None) -> list:
    place, spot = labels.camera(ctx_settings, row.id, row.name)
    state = (
        status.pill(t("cameras.link_down_short"), "unknown", status="link-down")
        if link_down
        else status.badge("camera", row.status)
    )
    facts = [
        html.Span(frame_age(row.last_frame_at, now), className="ov-age", title=t("cameras.last_frame")),
        html.Span(
            t("cameras.fps_value", fps=i18n.number(row.fps)) if row.fps is not None else "- fps",
            className="ov-fps",
        ),
    ]
    return [
        html.Span(
            [html.Span(place, className="ov-place") if place else None, html.Span(spot, className="ov-spot")],
            className="ov-title",
        ),
        html.Span([state, *facts], className="ov-facts"),
        # The worker's reason in the user's words, its own text in the tooltip (credentials already removed).
        faults.fault_span(row.last_error, "ov-error") if row.status != "online" else None,
    ]


def overlay_class(row: CameraRow, link_down: bool) -> str:
    return f"tile-overlay tone-{tile_tone(row, link_down)}"


def player(row: CameraRow) -> html.Div:
    """One cell of the wall's player layer: built when the wall turns a page, never by a refresh."""
    return html.Div(live_tile(row.id, "sub", row.name), className="wall-cell", **attrs(data_camera=row.id))


def overlay(settings: Any, row: CameraRow, link_down: bool, now: datetime | None = None) -> html.Button:
    """One cell of the overlay layer, over the player in the same place: a button that enlarges the camera."""
    return html.Button(
        overlay_children(settings, row, link_down, now),
        id={"type": OPEN, "camera": row.id},
        className=overlay_class(row, link_down),
        title=t("cameras.enlarge", name=row.name),
        n_clicks=0,
        **attrs(data_status="link-down" if link_down else row.status, data_camera=row.id),
    )


def link_label(uplink: str) -> str:
    """'radio-pos-darurat' -> 'Radio Pos Darurat': the uplink's code is the name the technicians use."""
    return " ".join(part.capitalize() for part in uplink.split("-"))


def planned_list(settings: Settings, planned: list[CameraRow]) -> html.Ul:
    """The planned cameras, one line per district: where the network grows next. They take no tile."""
    by_district: dict[str, list[CameraRow]] = {}
    for cam in planned:
        by_district.setdefault(cam.district, []).append(cam)
    return html.Ul(
        [
            html.Li(
                [
                    html.Div(
                        [
                            status.icon("planned"),
                            html.Span(labels.district(settings, code), className="plan-district"),
                            html.Span(i18n.number(len(cams), digits=0), className="plan-count"),
                        ],
                        className="plan-head",
                    ),
                    html.Div(
                        ", ".join(_short_name(c.name, labels.district(settings, code)) for c in cams),
                        className="plan-sites",
                    ),
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
