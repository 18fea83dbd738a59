"""What became of what a unit sent, beyond its samples: the messages refused and the values corrected.

Both lists are the newest first and bounded, read through their unit-and-time
indexes (ix_rejected_messages_unit, ix_metric_corrections_unit), so a unit
that has sent for years costs a page no more than one that began today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, func, select

from scc.clock import as_utc
from scc.storage.base import octets
from scc.storage.metrics import MetricSource, metric_corrections, rejected_messages

REJECTIONS_LIMIT = 100
CORRECTIONS_LIMIT = 50
PAYLOAD_CHARS = 160  # of a rejected payload (up to 4 KiB of it is stored), enough to recognise it
REASON_CHARS = 400


@dataclass(frozen=True)
class Rejected:
    received_at: datetime
    skpd_code: str | None
    source: MetricSource
    reason: str
    payload: str  # the first PAYLOAD_CHARS characters of what is stored
    payload_chars: int  # the stored payload's length
    payload_bytes: int  # the whole payload's size, stored or not
    kept_bytes: int  # the stored payload's size: less than payload_bytes when only its beginning was kept
    payload_sha256: str | None  # of the whole payload; None on rows from before migration 0018

    @property
    def cut(self) -> bool:
        return self.kept_bytes < self.payload_bytes


@dataclass(frozen=True)
class Corrected:
    corrected_at: datetime
    metric_key: str
    ts: datetime  # the time the figure is for
    old_value: float
    new_value: float
    corrected_by: str  # the account that sent the new value
    source: MetricSource


def rejections(engine: Engine, skpd_code: str | None = None, limit: int = REJECTIONS_LIMIT) -> list[Rejected]:
    """The newest rejected messages (of one unit, or all), payloads cut in the database."""
    where = [] if skpd_code is None else [rejected_messages.c.skpd_code == skpd_code]
    return _rejected(engine, where, limit)


def _rejected(engine: Engine, where: list[ColumnElement[bool]], limit: int) -> list[Rejected]:
    """Refused messages matching `where`, the newest first, at most `limit` (and REJECTIONS_LIMIT)."""
    t = rejected_messages.c
    query = select(
        t.received_at,
        t.skpd_code,
        t.source,
        func.substr(t.reason, 1, REASON_CHARS),
        func.substr(t.payload, 1, PAYLOAD_CHARS),
        func.length(t.payload),
        t.payload_bytes,
        octets(t.payload),
        t.payload_sha256,
    ).where(*where)
    query = query.order_by(t.received_at.desc(), t.id.desc()).limit(max(1, min(limit, REJECTIONS_LIMIT)))
    with engine.connect() as conn:
        return [
            Rejected(as_utc(r[0]), r[1], r[2], r[3], r[4], int(r[5] or 0), int(r[6] or r[7] or 0), int(r[7] or 0), r[8])
            for r in conn.execute(query)
        ]  # a row without its size kept its payload whole


def corrections(engine: Engine, skpd_code: str, limit: int = CORRECTIONS_LIMIT) -> list[Corrected]:
    """A unit's newest corrections: which figure, for when, what it was and what it became, who sent it."""
    c = metric_corrections.c
    query = (
        select(c.corrected_at, c.metric_key, c.ts, c.old_value, c.new_value, c.corrected_by, c.source)
        .where(c.skpd_code == skpd_code)
        .order_by(c.corrected_at.desc(), c.id.desc())
        .limit(max(1, min(limit, CORRECTIONS_LIMIT)))
    )
    with engine.connect() as conn:
        return [
            Corrected(as_utc(r.corrected_at), r.metric_key, as_utc(r.ts), r.old_value, r.new_value, r.corrected_by,
                      r.source)
            for r in conn.execute(query)
        ]  # fmt: skip


def rejected_between(engine: Engine, since: datetime, until: datetime) -> dict[str | None, int]:
    """How many messages each unit had refused in [since, until) (None: a sender no unit owns)."""
    t = rejected_messages.c
    query = select(t.skpd_code, func.count()).where(t.received_at >= since, t.received_at < until).group_by(t.skpd_code)
    with engine.connect() as conn:
        return {code: int(n) for code, n in conn.execute(query)}


def rejections_between(
    engine: Engine, skpd_code: str, since: datetime, until: datetime, limit: int = REJECTIONS_LIMIT
) -> list[Rejected]:
    """One unit's refused messages of [since, until), the newest first, as `rejections` shows them."""
    t = rejected_messages.c
    return _rejected(engine, [t.skpd_code == skpd_code, t.received_at >= since, t.received_at < until], limit)
