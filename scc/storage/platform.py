"""The platform's own tables: users, sign-in sessions, audit log, process health.

Health has one owner per table. The supervisor writes `process_state` (is the
process running, its pid, how often it restarted); each worker writes its own
row of `heartbeats` (last beat, activity, backlog, detail) and declares how
often it beats, so a process that is alive but stopped working shows as stale.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, false

from .base import UTC, Id, metadata, status_column_type

Role = Literal["admin", "operator", "viewer", "skpd"]
Language = Literal["id", "en"]
# Written by the supervisor.
ProcessStatus = Literal["starting", "running", "restarting", "failed", "stopped"]
# What /healthz and the admin page show: a running process is "up" while it
# beats on time and "stale" when its heartbeat is overdue.
HealthStatus = Literal["up", "stale", "starting", "restarting", "failed", "stopped", "down"]

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False, default=""),
    Column("role", status_column_type(Role, "role"), nullable=False),
    Column("skpd_code", String(40)),
    Column("password_hash", String(200), nullable=False),
    Column("language", status_column_type(Language, "language"), nullable=False, default="id"),
    Column("active", Boolean, nullable=False, default=True),
    # A wall account opens every page in kiosk mode: no navigation, no scrollbar.
    Column("kiosk", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", UTC, nullable=False),
    Column("updated_at", UTC, nullable=False),
)

# One row per sign-in: the cookie carries only this random id, so signing out,
# disabling a user or resetting a password ends sessions on the server, and a
# copied cookie dies with its row.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTC, nullable=False),
    Column("expires_at", UTC, nullable=False),
    Column("remote_addr", String(64)),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True),
    Column("at", UTC, nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False, default=""),
    Column("detail", JSON, nullable=False, default=dict),
    Column("remote_addr", String(64)),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("at", UTC, nullable=False),
    Column("username", String(64), nullable=False),
    Column("remote_addr", String(64), nullable=False),
    Column("success", Boolean, nullable=False),
    Index("ix_login_attempts_lookup", "username", "remote_addr", "at"),
)

process_state = Table(
    "process_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", status_column_type(ProcessStatus, "process_status"), nullable=False),
    Column("pid", Integer),
    Column("restarts", Integer, nullable=False, default=0),
    Column("started_at", UTC),
    Column("last_exit", Text, nullable=False, default=""),
    Column("updated_at", UTC, nullable=False),
)

heartbeats = Table(
    "heartbeats",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("interval_s", Integer, nullable=False),
    Column("beat_at", UTC, nullable=False),
    Column("last_activity", UTC),
    Column("backlog", Integer, nullable=False, default=0),
    Column("detail", Text, nullable=False, default=""),
)
