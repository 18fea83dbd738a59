"""The alerts' tables (docs/design.md §12): each alert with its lifecycle, and the silences.

The `alerts` process (scc/alerts/) is the one writer of an alert's state; acknowledging and silencing
go through scc.alerts.service, which pages call. Both write the audit log in the same transaction.
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, text

from .base import UTC, Id, metadata, status_column_type

# What an alert is now. `pending`: its condition holds, not yet for the rule's `for`. `firing`: it has
# held that long. `resolved`: it fired, then its condition was clear for `keep_for`. `withdrawn`: it
# cleared for `keep_for` before it ever fired, so nobody was told. Acknowledged or not is apart from this.
AlertState = Literal["pending", "firing", "resolved", "withdrawn"]
ALERT_STATES: tuple[AlertState, ...] = get_args(AlertState)
OPEN_STATES: tuple[AlertState, ...] = ("pending", "firing")
Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)  # the most urgent first

# A rule's kind is a plain column, not a CHECK: a kind added to scc.settings.alerts (a service probe, the
# disk) needs no migration.
alert_silences = Table(
    "alert_silences",
    metadata,
    Column("id", Id, primary_key=True),
    Column("rule", String(40), nullable=False),
    Column("subject", String(120)),  # NULL: every subject of the rule
    Column("starts_at", UTC, nullable=False),
    Column("ends_at", UTC, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTC, nullable=False),
    # Lifted by hand before its end; otherwise it simply runs out at ends_at.
    Column("lifted_at", UTC),
    Column("lifted_by", String(64)),
    # The silences in force are those ending after now: a range of this index, however many ran out before.
    # Retention goes by it too.
    Index("ix_alert_silences_ends", "ends_at"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("rule", String(40), nullable=False),  # a rule id of config/alerts.yaml
    Column("kind", String(40), nullable=False),  # the rule's kind when the alert opened
    # What the alert is about, as its kind names it: a camera id, an uplink, an SKPD code, an incident id,
    # a process name.
    Column("subject", String(120), nullable=False),
    Column("skpd_code", String(40)),  # the unit whose staff it concerns, when one does
    Column("severity", status_column_type(Severity, "alert_severity"), nullable=False),
    Column("state", status_column_type(AlertState, "alert_state"), nullable=False),
    Column("started_at", UTC, nullable=False),  # when its condition began to hold, as storage told it
    Column("fired_at", UTC),
    Column("clear_since", UTC),  # while open: since when its condition has been seen clear; NULL while it holds
    Column("ended_at", UTC),  # resolved or withdrawn; NULL while open
    Column("detail", JSON, nullable=False, default=dict),  # what the condition saw (cameras of a link, a value)
    Column("silence_id", Id, ForeignKey("alert_silences.id", ondelete="SET NULL")),  # a silence in force on it
    Column("acknowledged_at", UTC),
    Column("acknowledged_by", String(64)),
    Column("acknowledged_note", Text, nullable=False, server_default=""),
    # Telling people: each time a firing alert, unacknowledged and not silenced, is due to be told (at once
    # when it fires, then every `renotify` of its rule), notify_count goes up; the sound and the MQTT
    # publisher act on a count they have not acted on yet.
    Column("notify_count", Integer, nullable=False, server_default="0"),
    Column("notified_at", UTC),
    Column("next_notify_at", UTC),
    Column("updated_at", UTC, nullable=False),
    # One open alert per rule and subject, kept by the database itself, so two evaluators at once (or one
    # restarted in the middle) cannot open a second. It is also how the open alerts are read.
    Index(
        "uq_alerts_open",
        "rule",
        "subject",
        unique=True,
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
    # Fired, ended and never acknowledged: they stay in sight until someone does.
    Index(
        "ix_alerts_unacknowledged",
        "fired_at",
        sqlite_where=text("acknowledged_at IS NULL AND fired_at IS NOT NULL"),
        postgresql_where=text("acknowledged_at IS NULL AND fired_at IS NOT NULL"),
    ),
    Index("ix_alerts_started", "started_at"),  # the history, newest first
    Index("ix_alerts_subject", "rule", "subject", "started_at"),  # one subject's history
    Index("ix_alerts_skpd", "skpd_code", "started_at"),  # one unit's alerts
    Index("ix_alerts_ended", "ended_at"),  # retention; an open alert (NULL) never goes
)

# What other systems are told (docs/design.md §3.7): one row per alert and event, written in the transaction
# that makes the change, so a change is never lost and never told twice in two versions. The alerts
# process's publisher sends the rows with no published_at, in id order, and sets it once the broker has them.
AlertEvent = Literal["raised", "acknowledged", "resolved"]
ALERT_EVENTS: tuple[AlertEvent, ...] = get_args(AlertEvent)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("alert_id", Id, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("event", status_column_type(AlertEvent, "alert_event"), nullable=False),
    Column("at", UTC, nullable=False),
    Column("payload", JSON, nullable=False),  # the message as it is published, made when the change was
    Column("published_at", UTC),
    # Each event of an alert happens once: what lets a consumer de-duplicate by alert id and event.
    UniqueConstraint("alert_id", "event", name="uq_alert_events_alert_event"),
    # The outbox: what is left to publish, however many were published before.
    Index(
        "ix_alert_events_unpublished",
        "id",
        sqlite_where=text("published_at IS NULL"),
        postgresql_where=text("published_at IS NULL"),
    ),
    Index("ix_alert_events_at", "at"),  # retention
)
