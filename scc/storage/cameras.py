"""The cameras' tables and snapshot files: what the camera workers know of each camera.

The workers (streams/cameras/worker.py) are the only writers of camera_state,
camera_outages and camera_activity; the wall page writes wall_prefs. Pages
read all of them through dashboard/queries/cameras.py.
"""

from __future__ import annotations

import re
from datetime import UTC as _UTC
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Column, Engine, Float, Index, Integer, String, Table, Text, select

from .base import UTC, Id, metadata, status_column_type

# What a camera worker knows of a camera (docs/design.md §3.2.2).
CameraStatus = Literal["online", "stale", "offline", "error"]
# The codecs the WebRTC relay passes through to browsers as they are (it never transcodes).
RELAYABLE_CODECS = frozenset({"h264", "avc1"})
# What a page shows: the stored status, or why there is none.
CameraDisplayStatus = Literal["online", "stale", "offline", "error", "nodata", "planned"]

camera_state = Table(
    "camera_state",
    metadata,
    Column("camera_id", String(40), primary_key=True),
    Column("status", status_column_type(CameraStatus, "camera_status"), nullable=False),
    Column("last_frame_at", UTC),
    Column("fps", Float),
    Column("width", Integer),
    Column("height", Integer),
    Column("codec", String(32)),
    Column("reconnects", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("activity", Float),
    Column("updated_at", UTC, nullable=False),
)

# One row per time a camera stopped delivering frames; `ended_at` is NULL while it lasts.
# `uplink` is copied from the camera's settings at the start, so a link's outages can be
# told apart from one camera's even after cameras.yaml changes.
camera_outages = Table(
    "camera_outages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("camera_id", String(40), nullable=False),
    Column("uplink", String(40), nullable=False),
    Column("started_at", UTC, nullable=False),
    Column("ended_at", UTC),
    Column("reason", Text, nullable=False, default=""),
    Index("ix_camera_outages_camera", "camera_id", "started_at"),
    Index("ix_camera_outages_uplink", "uplink", "started_at"),
    Index("ix_camera_outages_started", "started_at"),  # retention, across every camera
    # A camera's outages still open or ended since a time (health's uptime), without the years before it.
    Index("ix_camera_outages_end", "camera_id", "ended_at"),
)

# Activity (share of moving pixels, 0..1) per camera, one row every `workers.activity_every_s`.
camera_activity = Table(
    "camera_activity",
    metadata,
    Column("camera_id", String(40), primary_key=True),
    Column("at", UTC, primary_key=True),
    Column("level", Float, nullable=False),
    # Retention removes old rows by time alone, across every camera.
    Index("ix_camera_activity_at", "at"),
)

# The video wall's layout as each user left it.
wall_prefs = Table(
    "wall_prefs",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("layout", Text, nullable=False),
    Column("group_by", Text, nullable=False),
    Column("tour_s", Integer, nullable=False),
    Column("updated_at", UTC, nullable=False),
)

SNAPSHOTS = "snapshots"
LATEST = "latest.jpg"
KEPT_FORMAT = "%Y%m%dT%H%M%SZ"
KEPT_NAME = re.compile(r"^\d{8}T\d{6}Z\.jpg$")
# The same pattern as a camera id in the settings: a web route hands us ids from a URL,
# and none of them may climb out of the snapshots folder.
_CAMERA_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def snapshot_path(data_dir: Path, camera_id: str, kept_at: datetime | None = None) -> Path:
    """The newest snapshot of a camera (kept_at None), or the one kept at `kept_at`."""
    if not _CAMERA_ID.match(camera_id):
        raise ValueError("not a camera id")
    folder = Path(data_dir) / SNAPSHOTS / camera_id
    if kept_at is None:
        return folder / LATEST
    if kept_at.tzinfo is None:
        raise ValueError("kept_at needs a timezone")
    return folder / (kept_at.astimezone(_UTC).strftime(KEPT_FORMAT) + ".jpg")


def kept_time(path: Path) -> datetime | None:
    """When a kept snapshot was taken, from its name; None for anything else in the folder."""
    if not KEPT_NAME.match(path.name):
        return None
    return datetime.strptime(path.stem, KEPT_FORMAT).replace(tzinfo=_UTC)


def plays_live(engine: Engine, camera_id: str) -> bool:
    """The workers' last word on a camera's sub stream: online, in a codec the relay passes through."""
    return camera_id in playing_live(engine, [camera_id])


def playing_live(engine: Engine, camera_ids: list[str]) -> set[str]:
    """Those of `camera_ids` that `plays_live`, in one query (a page of the wall at once)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(camera_state.c.camera_id, camera_state.c.status, camera_state.c.codec).where(
                camera_state.c.camera_id.in_(camera_ids)
            )
        )
        return {r.camera_id for r in rows if r.status == "online" and (r.codec or "").lower() in RELAYABLE_CODECS}
