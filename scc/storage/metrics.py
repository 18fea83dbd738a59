"""The SKPD metrics' tables: accepted samples and their corrections, each metric's newest value, availability,
rejections."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Boolean, Column, Float, Index, Integer, String, Table, Text, UniqueConstraint

from .base import UTC, Id, metadata, status_column_type

# How fresh a metric is, against its expected reporting interval.
MetricFreshness = Literal["ok", "late", "nodata"]
# How a value arrived: over MQTT, typed into the web form, or uploaded as CSV.
MetricSource = Literal["mqtt", "web", "csv"]

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
    Column("source", status_column_type(MetricSource, "metric_source"), nullable=False, server_default="mqtt"),
    # The de-duplication key: a redelivered or re-sent message carries the same id and is stored once.
    UniqueConstraint("skpd_code", "message_id", "metric_key", name="uq_metric_samples_message"),
    # One figure per unit, metric and time: a later message for the same time corrects it
    # (metric_corrections keeps what it replaced). It is also the series' index, by unit, metric and time.
    Index("uq_metric_samples_time", "skpd_code", "metric_key", "ts", unique=True),
    # Housekeeping finds the hours to roll up again by what arrived (or was corrected) since its last pass.
    Index("ix_metric_samples_received", "received_at"),
)


# Roll-ups of the samples, written by housekeeping (scc.housekeeping) and read by charts of weeks and
# more: each bucket's count, sum, min, max and last value (its time too), from which a gauge's mean, a
# counter's day total and a flag's share of time up all follow. An hour or day is recomputed whole from
# the rows below it whenever one of them arrives or changes, so a restart counts nothing twice.
def _rollup(name: str, bucket: str, *extra: Column[Any]) -> Table:
    return Table(
        name,
        metadata,
        Column("skpd_code", String(40), primary_key=True),
        Column("metric_key", String(64), primary_key=True),
        Column(bucket, UTC, primary_key=True),
        Column("n", Integer, nullable=False),
        Column("total", Float, nullable=False),
        Column("low", Float, nullable=False),
        Column("high", Float, nullable=False),
        Column("last_value", Float, nullable=False),
        Column("last_ts", UTC, nullable=False),
        *extra,
    )


# hour: UTC. Retention removes old hours by `hour` alone, across every series: its own index.
metric_hourly = _rollup("metric_hourly", "hour", Column("rolled_at", UTC, nullable=False))
Index("ix_metric_hourly_hour", metric_hourly.c.hour)
metric_daily = _rollup("metric_daily", "day")  # day: the midnight WITA that begins it, in UTC

# What each correction replaced: the sample keeps its first message id, so a redelivery of any
# message that touched it is recognised (here or in metric_samples) and changes nothing.
metric_corrections = Table(
    "metric_corrections",
    metadata,
    Column("id", Id, primary_key=True),
    Column("skpd_code", String(40), nullable=False),
    Column("metric_key", String(64), nullable=False),
    Column("ts", UTC, nullable=False),
    Column("old_value", Float, nullable=False),
    Column("new_value", Float, nullable=False),
    Column("message_id", String(128), nullable=False),  # the correcting message's
    Column("source", status_column_type(MetricSource, "metric_source"), nullable=False),
    Column("corrected_by", String(64), nullable=False),  # the account that sent it
    Column("corrected_at", UTC, nullable=False),
    UniqueConstraint("skpd_code", "message_id", "metric_key", name="uq_metric_corrections_message"),
    Index("ix_metric_corrections_unit", "skpd_code", "corrected_at"),
    Index("ix_metric_corrections_at", "corrected_at"),  # retention, across every unit
)

# Each metric's newest value, kept by ingest as it commits, so the wall never scans the samples.
metric_latest = Table(
    "metric_latest",
    metadata,
    Column("skpd_code", String(40), primary_key=True),
    Column("metric_key", String(64), primary_key=True),
    Column("ts", UTC, nullable=False),
    Column("value", Float, nullable=False),
    Column("received_at", UTC, nullable=False),
)

metric_unit_status = Table(
    "metric_unit_status",
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
    # At most the payload's first bytes (streams.metrics.store.PAYLOAD_KEPT): enough to see what was wrong.
    Column("payload", Text, nullable=False),
    # The whole payload's size in bytes and its SHA-256 (hex), which its sender can compare with what it
    # sent. Null on rows from before migration 0018, which kept every payload whole.
    Column("payload_bytes", Integer),
    Column("payload_sha256", String(64)),
    Column("reason", Text, nullable=False),
    Column("message_id", String(128)),
    Column("source", status_column_type(MetricSource, "metric_source"), nullable=False, server_default="mqtt"),
    # sha256 of topic and whole payload: a redelivered bad message is kept once, like a good one.
    Column("digest", String(64), unique=True),
    Index("ix_rejected_messages_unit", "skpd_code", "received_at"),
)

# Each check of a unit's public service by the `probes` process (streams.metrics.probes): the source of
# truth for "website up". Null where the check did not get that far (no answer: no status; plain HTTP:
# no certificate; no word to look for: no content check).
service_probes = Table(
    "service_probes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("skpd_code", String(40), nullable=False),
    Column("at", UTC, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer),  # request sent -> response headers
    Column("tls_days_left", Integer),  # negative once expired
    Column("content_found", Boolean),
    Column("error", Text),  # why it is down, in words
    Index("ix_service_probes_unit", "skpd_code", "at"),  # a unit's history
    Index("ix_service_probes_at", "at"),  # retention, across every unit
)

# Checks and those up per unit and hour (UTC), counted by the probes process as it stores each round, so
# that uptime over 30 days reads 720 rows per unit, not every check: a month is a third of what
# service_probes keeps, and PostgreSQL reads that much of a table whole.
service_probe_hours = Table(
    "service_probe_hours",
    metadata,
    Column("skpd_code", String(40), primary_key=True),
    Column("hour", UTC, primary_key=True),
    Column("checks", Integer, nullable=False),
    Column("up", Integer, nullable=False),
    # Every unit's uptime over a window (the grid), and retention: the index alone answers both.
    Index("ix_service_probe_hours_hour", "hour", "skpd_code", "checks", "up"),
)
