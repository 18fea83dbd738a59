"""The platform's own tables: users, sign-in sessions, audit log, process health, refusals.

Health has one owner per table. The supervisor writes `process_state` (is the
process running, its pid, how often it restarted); each worker writes its own
row of `heartbeats` (last beat, activity, backlog, detail) and declares how
often it beats, so a process that is alive but stopped working shows as stale.

`refusals` (scc/refusals.py) counts what the broker and the web sign-in refused,
one row per channel, account and kind, so a stream of refusals is a count.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, false

from .base import UTC, Id, metadata, status_column_type

Role = Literal["admin", "operator", "viewer", "skpd"]
Language = Literal["id", "en"]
# Written by the supervisor.
ProcessStatus = Literal["starting", "running", "restarting", "failed", "stopped"]
# What /healthz and the admin page show: a running process is "up" while it
# beats on time and "stale" when its heartbeat is overdue.
HealthStatus = Literal["up", "stale", "starting", "restarting", "failed", "stopped", "down"]
RefusalChannel = Literal["broker", "web"]
RefusalKind = Literal["publish", "subscribe", "signin"]
# Why, as a word the admin page says: denied by the ACL; the broker's "not authorised" (Mosquitto does not
# say whether the name or the password was wrong); a wrong password; no such account; a disabled one;
# too many failures lately; a name or password over the length limit.
RefusalReason = Literal["acl", "not_authorised", "password", "unknown_account", "disabled", "throttled", "too_long"]

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
    # The user's screens sound a tone for a new critical alert (and again at its rule's `renotify`); a wall
    # browser may say otherwise for itself (`?sound=0|1`, dashboard/assets/alerts_sound.js).
    Column("alert_sound", Boolean, nullable=False, default=False, server_default=false()),
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

# One row per (channel, account, kind): counts, not events, so a unit retrying a forbidden topic every
# second or a guessing script costs one row. An unknown account ("") has one row per source address
# instead, so made-up names cannot add rows; the last name tried is in last_detail.
refusals = Table(
    "refusals",
    metadata,
    Column("id", Id, primary_key=True),
    Column("channel", status_column_type(RefusalChannel, "refusal_channel"), nullable=False),
    Column("account", String(64), nullable=False),
    Column("kind", status_column_type(RefusalKind, "refusal_kind"), nullable=False),
    Column("source", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_at", UTC, nullable=False),
    Column("last_at", UTC, nullable=False, index=True),
    Column("last_reason", status_column_type(RefusalReason, "refusal_reason"), nullable=False),
    Column("last_detail", String(200), nullable=False),
    UniqueConstraint("channel", "account", "kind", "source"),
)

# How far each housekeeping job has gone (a roll-up's last "received up to"), so a restart resumes there.
housekeeping_marks = Table(
    "housekeeping_marks",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("upto", UTC, nullable=False),
    Column("updated_at", UTC, nullable=False),
)
