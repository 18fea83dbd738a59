"""Writes of the metrics room: samples once per message id, newest values, rejections, availability.

One function commits one batch in one transaction, on SQLite or PostgreSQL:
duplicates are left to the database's unique keys (`ON CONFLICT DO NOTHING`),
so a message redelivered after a crash, or re-sent by a publisher, is stored
once without any cache that a restart would forget.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table, and_, case, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from scc.storage.metrics import MetricSource, metric_latest, metric_samples, rejected_messages, skpd_status

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


def write(engine: Engine, batch: Batch, received_at: datetime, source: MetricSource = "mqtt") -> None:
    """Commit one batch; raises the database's error, leaving nothing half-written."""
    with engine.begin() as conn:
        write_in(conn, batch, received_at, source)


def write_in(conn: Connection, batch: Batch, received_at: datetime, source: MetricSource) -> None:
    if batch.samples:
        samples = _first_of_each(batch.samples)
        _insert_samples(conn, samples, received_at, source)
        _newest(conn, samples, received_at)
        _heard_from(conn, {s.skpd_code for s in batch.samples}, received_at)
    if batch.rejections:
        rows = [
            dict(
                received_at=received_at,
                topic=r.topic,
                skpd_code=r.skpd_code,
                payload=r.payload,
                reason=r.reason,
                message_id=r.message_id,
                source=source,
                digest=r.digest,
            )
            for r in batch.rejections
        ]
        conn.execute(_insert(conn, rejected_messages).on_conflict_do_nothing(), rows)
    for change in _last_word(batch.availability):
        _availability(conn, change, received_at)


SAMPLE_COLUMNS = ("skpd_code", "metric_key", "ts", "value", "message_id", "received_at", "source")


def _insert_samples(conn: Connection, samples: list[Sample], received_at: datetime, source: MetricSource) -> None:
    """The hot path of ingest: one compiled statement, rows as plain tuples.

    SQLAlchemy's per-row parameter processing was about half of a batch's storage time in a profile;
    here the timestamps go through the column type's own bind processor (so they are stored exactly
    as SQLAlchemy stores them everywhere else) and the rest go to the driver as they are.
    """
    stmt = _insert(conn, metric_samples).on_conflict_do_nothing()
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(SAMPLE_COLUMNS))
    to_db = metric_samples.c.ts.type.bind_processor(conn.dialect) or (lambda value: value)
    received = to_db(received_at)
    rows = [(s.skpd_code, s.metric_key, to_db(s.ts), s.value, s.message_id, received, source) for s in samples]
    if compiled.positional:
        order = [SAMPLE_COLUMNS.index(name) for name in compiled.positiontup or ()]
        conn.exec_driver_sql(str(compiled), [tuple(row[i] for i in order) for row in rows])
    else:
        conn.exec_driver_sql(str(compiled), [dict(zip(SAMPLE_COLUMNS, row, strict=True)) for row in rows])


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
        if (unit, metric) in stored:
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


def _stored_now(conn: Connection, samples: list[Sample], received_at: datetime) -> set[tuple[str, str]]:
    """(unit, metric) of those of `samples` whose rows this batch wrote.

    An OR of the unique key's triples, not a row-value IN: SQLite scans the whole table for
    `(a, b, c) IN (VALUES ...)`, while each OR term is one lookup in the unique index."""
    c = metric_samples.c
    found: set[tuple[str, str]] = set()
    for start in range(0, len(samples), STORED_CHUNK):
        chunk = samples[start : start + STORED_CHUNK]
        keys = or_(
            *(
                and_(c.skpd_code == s.skpd_code, c.message_id == s.message_id, c.metric_key == s.metric_key)
                for s in chunk
            )
        )
        query = select(c.skpd_code, c.metric_key).where(keys, c.received_at == received_at)
        found.update((row.skpd_code, row.metric_key) for row in conn.execute(query))
    return found


def _heard_from(conn: Connection, units: set[str], at: datetime) -> None:
    """A unit that sends telemetry is online, whatever its status topic last said."""
    stmt = _insert(conn, skpd_status)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["skpd_code"],
            set_=dict(
                last_message_at=stmt.excluded.last_message_at,
                online=True,
                changed_at=case((skpd_status.c.online, skpd_status.c.changed_at), else_=stmt.excluded.changed_at),
            ),
        ),
        [dict(skpd_code=code, online=True, changed_at=at, last_message_at=at) for code in sorted(units)],
    )


def _availability(conn: Connection, change: Availability, at: datetime) -> None:
    row = conn.execute(select(skpd_status.c.online).where(skpd_status.c.skpd_code == change.skpd_code)).first()
    if row is None:
        conn.execute(skpd_status.insert().values(skpd_code=change.skpd_code, online=change.online, changed_at=at))
    elif row.online != change.online:
        conn.execute(
            skpd_status.update()
            .where(skpd_status.c.skpd_code == change.skpd_code)
            .values(online=change.online, changed_at=at)
        )


def _last_word(changes: list[Availability]) -> list[Availability]:
    """Only each unit's newest availability in a batch counts."""
    return list({c.skpd_code: c for c in changes}.values())


def _insert(conn: Connection, table: Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt: Insert = dialect.insert(table)
    return stmt
