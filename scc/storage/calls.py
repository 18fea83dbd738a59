"""The call center's tables: incidents and each step of their lifecycle (DESIGN.md 3.3)."""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import Column, ForeignKey, String, Table, Text

from .base import UTC, Id, metadata, status_column_type

IncidentStatus = Literal["received", "dispatched", "on_scene", "resolved", "closed", "cancelled", "prank"]
OPEN_STATUSES: tuple[IncidentStatus, ...] = ("received", "dispatched", "on_scene")
IncidentSource = Literal["intake", "csv"]
INCIDENT_STATUSES: tuple[IncidentStatus, ...] = get_args(IncidentStatus)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Id, primary_key=True),
    Column("line_code", String(40), nullable=False),
    Column("district", String(40)),
    Column("caller_number", String(32)),
    Column("category", String(40), nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("status", status_column_type(IncidentStatus, "incident_status"), nullable=False),
    Column("received_at", UTC, nullable=False, index=True),
    Column("dispatched_at", UTC),
    Column("on_scene_at", UTC),
    Column("resolved_at", UTC),
    Column("closed_at", UTC),
    Column("source", status_column_type(IncidentSource, "incident_source"), nullable=False, default="intake"),
    Column("created_by", String(64), nullable=False),
)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("incident_id", Id, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("status", status_column_type(IncidentStatus, "incident_event_status"), nullable=False),
    Column("at", UTC, nullable=False),
    Column("operator", String(64), nullable=False),
    Column("note", Text, nullable=False, default=""),
)
