"""What the broker and the web sign-in refused, and who tried: counts an admin can read.

One row per (channel, account, kind) with how many times, the first and last
time, and the last reason and detail (the topic, or the address). An account
that does not exist, or that the refusal does not name, is `UNKNOWN` and gets
one row per source address instead, with the last name tried in the detail:
made-up user names cannot add rows. Rows not seen for `RETENTION` are deleted
when writing, and the table never holds more than `MAX_ROWS` (the least
recently seen go first), so a flood from many addresses stays bounded too.

The broker's refusals come from Mosquitto's log (streams/metrics/broker.py),
summed in a `Tally` and written in batches; the web's from scc/signin.py, one
write per refused sign-in, which the sign-in brake already limits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from .clock import utcnow
from .storage.platform import RefusalChannel, RefusalKind, RefusalReason, refusals

UNKNOWN = ""  # the account column of a refusal that names no existing account
RETENTION = timedelta(days=30)
MAX_ROWS = 2000
NAME_SHOWN = 32  # of a user name that does not exist: enough to recognise a typo, no more
_WIDTH = 64  # the account and source columns
_DETAIL = 200


@dataclass(frozen=True, slots=True)
class Refusal:
    channel: RefusalChannel
    kind: RefusalKind
    reason: RefusalReason
    account: str
    source: str  # part of the key only for an unknown account
    detail: str
    first_at: datetime
    last_at: datetime
    attempts: int = 1

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.channel, self.account, self.kind, self.source)

    def merged(self, later: Refusal) -> Refusal:
        """Both counted as one row; the reason and detail of whichever came last."""
        newest = later if later.last_at >= self.last_at else self
        return replace(
            newest,
            attempts=self.attempts + later.attempts,
            first_at=min(self.first_at, later.first_at),
            last_at=max(self.last_at, later.last_at),
        )


def refusal(
    channel: RefusalChannel,
    kind: RefusalKind,
    reason: RefusalReason,
    account: str,
    address: str,
    detail: str = "",
    at: datetime | None = None,
) -> Refusal:
    """One refusal, keyed as stored: by account, or for `UNKNOWN` by address (and the detail is the name tried)."""
    at = at or utcnow()
    account, address = account[:_WIDTH], address[:_WIDTH]
    if account == UNKNOWN:
        source, shown = address, _shorten(detail, NAME_SHOWN)
    else:
        source, shown = "", _shorten(detail or address, _DETAIL)
    return Refusal(channel, kind, reason, account, source, shown, at, at)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def record(engine: Engine, rows: Iterable[Refusal], now: datetime | None = None) -> None:
    """Add `rows` to the counts (one transaction); forget what was not seen for `RETENTION`; keep `MAX_ROWS`."""
    rows = list(rows)
    if not rows:
        return
    with engine.begin() as conn:
        conn.execute(delete(refusals).where(refusals.c.last_at < (now or utcnow()) - RETENTION))
        _upsert(conn, rows)
        excess = (conn.scalar(select(func.count()).select_from(refusals)) or 0) - MAX_ROWS
        if excess > 0:
            oldest = select(refusals.c.id).order_by(refusals.c.last_at, refusals.c.id).limit(excess)
            conn.execute(delete(refusals).where(refusals.c.id.in_(oldest.scalar_subquery())))


def _upsert(conn: Connection, rows: Sequence[Refusal]) -> None:
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(refusals)
    new = stmt.excluded
    later = new.last_at >= refusals.c.last_at  # two web workers may write out of order
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["channel", "account", "kind", "source"],
            set_=dict(
                attempts=refusals.c.attempts + new.attempts,
                first_at=case((new.first_at < refusals.c.first_at, new.first_at), else_=refusals.c.first_at),
                last_at=case((later, new.last_at), else_=refusals.c.last_at),
                last_reason=case((later, new.last_reason), else_=refusals.c.last_reason),
                last_detail=case((later, new.last_detail), else_=refusals.c.last_detail),
            ),
        ),
        [
            dict(
                channel=r.channel,
                account=r.account,
                kind=r.kind,
                source=r.source,
                attempts=r.attempts,
                first_at=r.first_at,
                last_at=r.last_at,
                last_reason=r.reason,
                last_detail=r.detail,
            )
            for r in sorted(rows, key=lambda r: r.key)  # one order for every writer: no deadlock on PostgreSQL
        ],
    )


def recent(engine: Engine, limit: int = 200) -> list[Refusal]:
    """The most recently refused first."""
    with engine.connect() as conn:
        found = conn.execute(select(refusals).order_by(refusals.c.last_at.desc(), refusals.c.id.desc()).limit(limit))
        return [
            Refusal(
                r.channel, r.kind, r.last_reason, r.account, r.source, r.last_detail, r.first_at, r.last_at, r.attempts
            )
            for r in found
        ]


class Tally:
    """Refusals summed in memory between writes, so that whoever reads a busy log never waits for storage.

    Holds at most `max_rows` distinct rows; beyond that new rows are counted in `dropped` and lost
    (a flood from that many addresses at once says enough in the broker's own log).
    """

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self.max_rows = max_rows
        self.dropped = 0
        self._rows: dict[tuple[str, str, str, str], Refusal] = {}
        self._lock = threading.Lock()

    def add(self, item: Refusal) -> None:
        with self._lock:
            self._add(item)

    def _add(self, item: Refusal) -> None:
        known = self._rows.get(item.key)
        if known is not None:
            self._rows[item.key] = known.merged(item)
        elif len(self._rows) < self.max_rows:
            self._rows[item.key] = item
        else:
            self.dropped += item.attempts

    def take(self) -> list[Refusal]:
        """Everything summed so far; the tally starts over."""
        with self._lock:
            rows, self._rows = list(self._rows.values()), {}
        return rows

    def put_back(self, rows: Iterable[Refusal]) -> None:
        """Rows a write could not store, to go with the next one."""
        with self._lock:
            for item in rows:
                self._add(item)

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)
