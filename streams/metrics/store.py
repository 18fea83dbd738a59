"""Writes of the metrics room: samples and their corrections, newest values, rejections, availability.

One function commits one batch in one transaction, on SQLite or PostgreSQL.
A sample's identity is its unit, metric and time, and the database's unique
keys decide (`ON CONFLICT DO NOTHING`), so nothing depends on a cache that a
restart would forget:
- a message redelivered after a crash, or re-sent by a publisher with its id,
  changes nothing;
- a later message for the same unit, metric and time with another value is a
  correction: the sample takes the new value, and metric_corrections keeps
  the old one, who sent the new one and when;
- the same value again under a new id (a CSV uploaded again) changes nothing.
Only a batch in which some row was not inserted takes the slower path that
sorts those rows into corrections and repeats.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table, and_, case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from scc.storage import bulk
from scc.storage.metrics import (
    MetricSource,
    metric_corrections,
    metric_latest,
    metric_samples,
    metric_unit_status,
    rejected_messages,
)

from .validate import Availability, Rejection, Sample


@dataclass
class Batch:
    samples: list[Sample]
    rejections: list[Rejection]
    availability: list[Availability]

    @classmethod
    def empty(cls) -> Batch:
        return cls([], [], [])

    def __bool__(self) -> bool:
        return bool(self.samples or self.rejections or self.availability)


@dataclass(frozen=True)
class Written:
    """What became of a batch's samples."""

    stored: int = 0  # new
    corrected: int = 0  # replaced a stored value (kept in metric_corrections)
    unchanged: int = 0  # redelivered, or the value already stored for that time


def write(
    engine: Engine, batch: Batch, received_at: datetime, source: MetricSource = "mqtt", by: str | None = None
) -> Written:
    """Commit one batch; raises the database's error, leaving nothing half-written."""
    with engine.begin() as conn:
        return write_in(conn, batch, received_at, source, by)


def write_in(
    conn: Connection, batch: Batch, received_at: datetime, source: MetricSource, by: str | None = None
) -> Written:
    """Write a batch in the caller's transaction. `by` is the account that sent it, kept with a correction;
    over MQTT it is the unit's own (the broker lets only a unit's account publish on its topics)."""
    written = Written()
    if batch.samples:
        samples = _first_of_each(batch.samples)
        inserted = _insert_samples(conn, samples, received_at, source)
        written = Written(stored=inserted, unchanged=len(batch.samples) - len(samples))
        if inserted < len(samples):
            corrected, unchanged = _sort_out(conn, samples, received_at, source, by)
            written = Written(inserted, corrected, written.unchanged + unchanged)
        _newest(conn, samples, received_at)
        _heard_from(conn, {s.skpd_code for s in batch.samples}, received_at)
    if batch.rejections:
        rows = [_rejected_row(r, received_at, source) for r in batch.rejections]
        conn.execute(_insert(conn, rejected_messages).on_conflict_do_nothing(), rows)
    for change in _last_word(batch.availability):
        _availability(conn, change, received_at)
    return written


# Of a rejected payload, kept: enough to see what was wrong with it (a unit's widest valid message is a
# few hundred bytes), while one broken exporter sending megabytes cannot fill the disk. The whole
# payload's size and SHA-256 are kept beside it.
PAYLOAD_KEPT = 4096


def _rejected_row(r: Rejection, received_at: datetime, source: MetricSource) -> dict[str, Any]:
    """The payload's first PAYLOAD_KEPT bytes, cut between characters; the digest, the key that keeps
    a redelivery once, stays that of the whole message, so two payloads that begin alike are two rows."""
    whole = r.payload.encode()
    return dict(
        received_at=received_at,
        topic=r.topic,
        skpd_code=r.skpd_code,
        payload=whole[:PAYLOAD_KEPT].decode(errors="ignore") if len(whole) > PAYLOAD_KEPT else r.payload,
        payload_bytes=len(whole),
        payload_sha256=hashlib.sha256(whole).hexdigest(),
        reason=r.reason,
        message_id=r.message_id,
        source=source,
        digest=r.digest,
    )


SAMPLE_COLUMNS = ("skpd_code", "metric_key", "ts", "value", "message_id", "received_at", "source")


def _insert_samples(conn: Connection, samples: list[Sample], received_at: datetime, source: MetricSource) -> int:
    """The hot path of ingest (scc.storage.bulk): how many of the samples it inserted."""
    stamp = bulk.to_db(conn, metric_samples.c.ts)
    received = stamp(received_at)
    rows = [(s.skpd_code, s.metric_key, stamp(s.ts), s.value, s.message_id, received, source) for s in samples]
    return bulk.insert_many(conn, _insert(conn, metric_samples).on_conflict_do_nothing(), SAMPLE_COLUMNS, rows)


def _sort_out(
    conn: Connection, samples: list[Sample], received_at: datetime, source: MetricSource, by: str | None
) -> tuple[int, int]:
    """(corrected, unchanged) among the samples the insert left out, taken in the batch's order so that a
    second message for the same time in one batch corrects the first."""
    stored = _stored_now(conn, samples, received_at)
    c = metric_samples.c
    corrected = unchanged = 0
    for s in samples:
        if (s.skpd_code, s.message_id, s.metric_key) in stored:
            continue
        row = conn.execute(
            select(c.id, c.value, c.message_id).where(
                c.skpd_code == s.skpd_code, c.metric_key == s.metric_key, c.ts == s.ts
            )
        ).first()
        # No row at that time: the message id was used before for another time, a redelivery by the key.
        if row is None or row.message_id == s.message_id or row.value == s.value:
            unchanged += 1
            continue
        kept = conn.execute(
            _insert(conn, metric_corrections).on_conflict_do_nothing().returning(metric_corrections.c.id),
            dict(skpd_code=s.skpd_code, metric_key=s.metric_key, ts=s.ts, old_value=row.value, new_value=s.value,
                 message_id=s.message_id, source=source, corrected_by=by or s.skpd_code, corrected_at=received_at),
        )  # fmt: skip
        if kept.first() is None:  # this correction came before: a redelivery of it changes nothing
            unchanged += 1
            continue
        conn.execute(
            update(metric_samples).where(c.id == row.id).values(value=s.value, received_at=received_at, source=source)
        )
        corrected += 1
    return corrected, unchanged


def _first_of_each(samples: list[Sample]) -> list[Sample]:
    """One sample per (unit, message id, metric), the first, as the unique key keeps it."""
    first: dict[tuple[str, str, str], Sample] = {}
    for s in samples:
        first.setdefault((s.skpd_code, s.message_id, s.metric_key), s)
    return list(first.values()) if len(first) < len(samples) else samples


def _newest(conn: Connection, samples: Iterable[Sample], received_at: datetime) -> None:
    """Each metric's newest value, from samples this batch really stored.

    A re-sent message id with other values is not stored (the unique key keeps the first), so its
    values must not reach the wall either: each metric's newest candidate counts only if its row
    carries this batch's time; for a metric whose candidate was a duplicate, the newest stored row
    is read back instead (rare: only re-sent ids).
    """
    newest: dict[tuple[str, str], Sample] = {}
    for s in samples:
        key = (s.skpd_code, s.metric_key)
        if key not in newest or s.ts >= newest[key].ts:
            newest[key] = s
    stored = _stored_now(conn, list(newest.values()), received_at)
    rows = []
    for (unit, metric), s in newest.items():
        if (unit, s.message_id, metric) in stored:
            rows.append(dict(skpd_code=unit, metric_key=metric, ts=s.ts, value=s.value, received_at=received_at))
            continue
        latest = conn.execute(
            select(metric_samples.c.ts, metric_samples.c.value, metric_samples.c.received_at)
            .where(metric_samples.c.skpd_code == unit, metric_samples.c.metric_key == metric)
            .order_by(metric_samples.c.ts.desc())
            .limit(1)
        ).first()
        if latest is not None:
            rows.append(
                dict(
                    skpd_code=unit, metric_key=metric, ts=latest.ts, value=latest.value, received_at=latest.received_at
                )
            )
    if not rows:
        return
    stmt = _insert(conn, metric_latest)
    # A backlog arriving after newer values must not roll the wall back.
    upsert = stmt.on_conflict_do_update(
        index_elements=["skpd_code", "metric_key"],
        set_=dict(ts=stmt.excluded.ts, value=stmt.excluded.value, received_at=stmt.excluded.received_at),
        where=stmt.excluded.ts >= metric_latest.c.ts,
    )
    conn.execute(upsert, rows)


STORED_CHUNK = 100  # key triples per query: a flat OR of them stays far below SQLite's expression depth


def _stored_now(conn: Connection, samples: list[Sample], received_at: datetime) -> set[tuple[str, str, str]]:
    """(unit, message id, metric) of those of `samples` whose rows this batch inserted.

    An OR of the unique key's triples, not a row-value IN: SQLite scans the whole table for
    `(a, b, c) IN (VALUES ...)`, while each OR term is one lookup in the unique index."""
    c = metric_samples.c
    found: set[tuple[str, str, str]] = set()
    for start in range(0, len(samples), STORED_CHUNK):
        chunk = samples[start : start + STORED_CHUNK]
        keys = or_(
            *(
                and_(c.skpd_code == s.skpd_code, c.message_id == s.message_id, c.metric_key == s.metric_key)
                for s in chunk
            )
        )
        query = select(c.skpd_code, c.message_id, c.metric_key).where(keys, c.received_at == received_at)
        found.update((row.skpd_code, row.message_id, row.metric_key) for row in conn.execute(query))
    return found


def _heard_from(conn: Connection, units: set[str], at: datetime) -> None:
    """A unit that sends telemetry is online, whatever its status topic last said."""
    stmt = _insert(conn, metric_unit_status)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["skpd_code"],
            set_=dict(
                last_message_at=stmt.excluded.last_message_at,
                online=True,
                changed_at=case(
                    (metric_unit_status.c.online, metric_unit_status.c.changed_at), else_=stmt.excluded.changed_at
                ),
            ),
        ),
        [dict(skpd_code=code, online=True, changed_at=at, last_message_at=at) for code in sorted(units)],
    )


def _availability(conn: Connection, change: Availability, at: datetime) -> None:
    row = conn.execute(
        select(metric_unit_status.c.online).where(metric_unit_status.c.skpd_code == change.skpd_code)
    ).first()
    if row is None:
        conn.execute(
            metric_unit_status.insert().values(skpd_code=change.skpd_code, online=change.online, changed_at=at)
        )
    elif row.online != change.online:
        conn.execute(
            metric_unit_status.update()
            .where(metric_unit_status.c.skpd_code == change.skpd_code)
            .values(online=change.online, changed_at=at)
        )


def _last_word(changes: list[Availability]) -> list[Availability]:
    """Only each unit's newest availability in a batch counts."""
    return list({c.skpd_code: c for c in changes}.values())


def _insert(conn: Connection, table: Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt: Insert = dialect.insert(table)
    return stmt
