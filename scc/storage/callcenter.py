"""The call center's tables (docs/design.md §3.3.2): incidents, their timeline, the units out on them, every call.

The Literal types here are the one list of each value set: the call-center
services, the pages and the tests import them, and the database's CHECK
constraints refuse anything else.
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, literal_column, text

from .base import UTC, Id, metadata, status_column_type

IncidentStatus = Literal["received", "dispatched", "on_scene", "resolved", "closed", "cancelled", "prank"]
INCIDENT_STATUSES: tuple[IncidentStatus, ...] = get_args(IncidentStatus)
OPEN_STATUSES: tuple[IncidentStatus, ...] = ("received", "dispatched", "on_scene")
FINAL_STATUSES: tuple[IncidentStatus, ...] = ("closed", "cancelled", "prank")
IncidentSource = Literal["intake", "csv"]

Category = Literal["medical", "fire", "violence", "crime", "disaster", "complaint", "prank"]
CATEGORIES: tuple[Category, ...] = get_args(Category)
# 1 is life at risk now; 3 can wait its turn.
Priority = Literal[1, 2, 3]
PRIORITIES: tuple[Priority, ...] = get_args(Priority)

# What a timeline entry records: a change of status, a free note, another call
# about the incident, a unit sent or back, a camera snapshot.
EventKind = Literal["status", "note", "call", "unit", "snapshot"]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)

CallOutcome = Literal["answered", "abandoned", "unanswered"]
CALL_OUTCOMES: tuple[CallOutcome, ...] = get_args(CallOutcome)
CallSource = Literal["intake", "csv"]

incidents = Table(
    "incidents",
    metadata,
    Column("id", Id, primary_key=True),
    Column("line_code", String(40), nullable=False),
    Column("district", String(40)),
    Column("village", String(80), nullable=False, server_default=""),
    Column("landmark", String(200), nullable=False, server_default=""),
    Column("caller_number", String(32)),  # E.164 when it parses, else as dialled
    Column("caller_name", String(120), nullable=False, server_default=""),
    Column("category", String(40), nullable=False, default=""),
    Column("priority", Integer, nullable=False, server_default="2"),
    Column("summary", Text, nullable=False, default=""),
    Column("status", status_column_type(IncidentStatus, "incident_status"), nullable=False),
    Column("received_at", UTC, nullable=False, index=True),
    Column("dispatched_at", UTC),
    Column("on_scene_at", UTC),
    Column("resolved_at", UTC),
    Column("closed_at", UTC),  # also when cancelled or marked a prank: the moment it stopped being open
    Column("source", status_column_type(IncidentSource, "incident_source"), nullable=False, default="intake"),
    Column("created_by", String(64), nullable=False),
    # Optimistic locking: every write says which version it read; a stale one changes nothing.
    Column("version", Integer, nullable=False, server_default="1"),
    Column("updated_at", UTC),
    Column("updated_by", String(64)),
    # A public-service complaint is routed to the SKPD that must settle it by `due_at`.
    Column("skpd_code", String(40)),
    Column("due_at", UTC),
    Column("site", String(120)),  # the camera site it happened at, when it did at one
    # A complaint's topic (config/complaint_topics.yaml), which chose its SKPD unless the operator overrode it.
    Column("topic", String(40)),
    Index("ix_incidents_status", "status", "received_at"),
    Index("ix_incidents_caller", "caller_number", "received_at"),
    Index("ix_incidents_skpd", "skpd_code", "status"),
    # The history's searches by category and by district, newest first, without reading the whole year.
    Index("ix_incidents_category", "category", "received_at"),
    Index("ix_incidents_district", "district", "received_at"),
    Index("ix_incidents_skpd_received", "skpd_code", "received_at"),  # an SKPD's own complaints, newest first
)
# A case's kind and state as one value, "complaint:closed": the complaints list counts by it, from an
# index of its own. An index on (category, status) would count as fast, but SQLite, knowing no table's
# size, then took it for the history's searches over their narrower district and SKPD indexes; no
# other query names this expression.
CASE_STATE = incidents.c.category.op("||")(literal_column("':'")).op("||")(incidents.c.status)
Index("ix_incidents_case_state", CASE_STATE)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("incident_id", Id, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", status_column_type(EventKind, "incident_event_kind"), nullable=False, server_default="status"),
    Column("status", status_column_type(IncidentStatus, "incident_event_status"), nullable=False),
    Column("at", UTC, nullable=False),
    Column("operator", String(64), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("unit_code", String(40)),
    Column("snapshot", String(200)),  # a file under the data directory, for kind "snapshot"
)

# A unit out on an incident until it is released. The partial unique index is
# the rule "a busy unit cannot be sent again", kept by the database itself, so
# two operators dispatching one truck at once cannot both succeed.
incident_units = Table(
    "incident_units",
    metadata,
    Column("id", Id, primary_key=True),
    Column("incident_id", Id, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("unit_code", String(40), nullable=False),
    Column("assigned_at", UTC, nullable=False),
    Column("assigned_by", String(64), nullable=False),
    Column("released_at", UTC),
    # Every incident a unit was ever sent to (the history's unit search); the busy index holds only the out ones.
    Index("ix_incident_units_unit", "unit_code", "incident_id"),
    Index(
        "uq_incident_units_busy",
        "unit_code",
        unique=True,
        sqlite_where=text("released_at IS NULL"),
        postgresql_where=text("released_at IS NULL"),
    ),
)

# Every call: taken at the intake form, or imported from a PBX or spreadsheet
# export. Calls per line, district and hour, and the abandoned and unanswered
# ones, are counted here; response times come from the incidents.
call_log = Table(
    "call_log",
    metadata,
    Column("id", Id, primary_key=True),
    Column("at", UTC, nullable=False, index=True),
    Column("line_code", String(40)),
    Column("caller_number", String(32)),
    Column("district", String(40)),
    Column("outcome", status_column_type(CallOutcome, "call_outcome"), nullable=False),
    Column("duration_s", Integer),
    Column("incident_id", Id, ForeignKey("incidents.id", ondelete="SET NULL")),
    Column("source", status_column_type(CallSource, "call_source"), nullable=False),
    # sha256 of an imported row's normalised fields: importing a file twice stores it once.
    Column("digest", String(64), unique=True),
    Index("ix_call_log_line", "line_code", "at"),
)
