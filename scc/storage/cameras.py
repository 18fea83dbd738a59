"""The cameras' tables: the live state each camera worker keeps of its cameras."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Column, Float, Integer, String, Table, Text

from .base import UTC, metadata, status_column_type

# What a camera worker knows of a camera (DESIGN.md 3.2).
CameraStatus = Literal["online", "stale", "offline", "error"]
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
