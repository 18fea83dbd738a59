"""The SKPD metrics' tables: accepted samples, each unit's availability, rejected messages."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Boolean, Column, Float, Index, String, Table, Text, UniqueConstraint

from .base import UTC, Id, metadata

# How fresh a metric is, against its expected reporting interval.
MetricFreshness = Literal["ok", "late", "nodata"]

metric_samples = Table(
    "metric_samples",
    metadata,
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
    "skpd_status",
    metadata,
    Column("skpd_code", String(40), primary_key=True),
    Column("online", Boolean, nullable=False),
    Column("changed_at", UTC, nullable=False),
    Column("last_message_at", UTC),
)

rejected_messages = Table(
    "rejected_messages",
    metadata,
    Column("id", Id, primary_key=True),
    Column("received_at", UTC, nullable=False, index=True),
    Column("topic", String(256), nullable=False),
    Column("skpd_code", String(40)),
    Column("payload", Text, nullable=False),
    Column("reason", Text, nullable=False),
)
