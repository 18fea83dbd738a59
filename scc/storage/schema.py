"""The database schema (SQLAlchemy Core). Alembic migrations follow it.

Every timestamp is timezone-aware UTC; pages convert to WITA on display.
Tables for cameras, metrics and calls hold the public records of DESIGN.md
section 3, so pages can read them before their pipelines fill them.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer,
                        MetaData, String, Table, Text, TypeDecorator, UniqueConstraint)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})



class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite keeps no offset: a WITA time stored as-is would come back 8 hours
    off. Converting to UTC on the way in, and refusing naive values, keeps
    SQLite and PostgreSQL in agreement.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp without a timezone: {value.isoformat()}")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


UTC = UTCDateTime()
Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only

users = Table(
    "users", metadata,
    Column("id", Id, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False, default=""),
    Column("role", String(16), nullable=False),
    Column("skpd_code", String(40)),
    Column("password_hash", String(200), nullable=False),
    Column("language", String(5), nullable=False, default="id"),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTC, nullable=False),
    Column("updated_at", UTC, nullable=False),
)

# One row per sign-in: the cookie carries only this random id, so signing out,
# disabling a user or resetting a password ends sessions on the server, and a
# copied cookie dies with its row.
sessions = Table(
    "sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTC, nullable=False),
    Column("expires_at", UTC, nullable=False),
    Column("remote_addr", String(64)),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Id, primary_key=True),
    Column("at", UTC, nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False, default=""),
    Column("detail", JSON, nullable=False, default=dict),
    Column("remote_addr", String(64)),
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("id", Id, primary_key=True),
    Column("at", UTC, nullable=False),
    Column("username", String(64), nullable=False),
    Column("remote_addr", String(64), nullable=False),
    Column("success", Boolean, nullable=False),
    Index("ix_login_attempts_lookup", "username", "remote_addr", "at"),
)

component_health = Table(
    "component_health", metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # starting / up / restarting / stopped / failed
    Column("pid", Integer),
    Column("restarts", Integer, nullable=False, default=0),
    Column("started_at", UTC),
    Column("last_activity", UTC),
    Column("backlog", Integer, nullable=False, default=0),
    Column("detail", Text, nullable=False, default=""),
    Column("updated_at", UTC, nullable=False),
)

camera_state = Table(
    "camera_state", metadata,
    Column("camera_id", String(40), primary_key=True),
    Column("status", String(16), nullable=False),  # online / stale / offline / error
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

metric_samples = Table(
    "metric_samples", metadata,
    Column("id", Id, primary_key=True),
    Column("skpd_code", String(40), nullable=False),
    Column("metric_key", String(64), nullable=False),
    Column("ts", UTC, nullable=False),
    Column("value", Float, nullable=False),
    Column("message_id", String(128), nullable=False),
    Column("received_at", UTC, nullable=False),
    UniqueConstraint("skpd_code", "message_id", "metric_key", name="uq_metric_samples_message"),
    Index("ix_metric_samples_latest", "skpd_code", "metric_key", "ts"),
)

skpd_status = Table(
    "skpd_status", metadata,
    Column("skpd_code", String(40), primary_key=True),
    Column("online", Boolean, nullable=False),
    Column("changed_at", UTC, nullable=False),
    Column("last_message_at", UTC),
)

rejected_messages = Table(
    "rejected_messages", metadata,
    Column("id", Id, primary_key=True),
    Column("received_at", UTC, nullable=False, index=True),
    Column("topic", String(256), nullable=False),
    Column("skpd_code", String(40)),
    Column("payload", Text, nullable=False),
    Column("reason", Text, nullable=False),
)

incidents = Table(
    "incidents", metadata,
    Column("id", Id, primary_key=True),
    Column("line_code", String(40), nullable=False),
    Column("district", String(40)),
    Column("caller_number", String(32)),
    Column("category", String(40), nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    # received / dispatched / on_scene / resolved / closed / cancelled / prank
    Column("status", String(16), nullable=False),
    Column("received_at", UTC, nullable=False, index=True),
    Column("dispatched_at", UTC),
    Column("on_scene_at", UTC),
    Column("resolved_at", UTC),
    Column("closed_at", UTC),
    Column("source", String(16), nullable=False, default="intake"),  # intake / csv
    Column("created_by", String(64), nullable=False),
)

incident_events = Table(
    "incident_events", metadata,
    Column("id", Id, primary_key=True),
    Column("incident_id", Id, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("at", UTC, nullable=False),
    Column("operator", String(64), nullable=False),
    Column("note", Text, nullable=False, default=""),
)
