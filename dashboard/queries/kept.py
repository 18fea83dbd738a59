"""Reads kept per web process.

`Kept`: a summary kept a few seconds: every screen that asks for the same one within that time gets the
same (read-only) result, as a dashboard's query cache does. Requests that miss together may each read
once; the newest read is kept.

`past_and_today`: a read over whole WITA days split at midnight, its days before today kept for
PAST_TTL_S and today's read on every call, so a month's or a year's figures cost what today's do. The
past can still change (an import of old calls, a unit's late or corrected figure for an earlier day):
that shows within PAST_TTL_S."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

from scc.clock import wita_day_start

T = TypeVar("T")
PAST_TTL_S = 300.0


class Kept(Generic[T]):
    def __init__(self, fresh_s: float) -> None:
        self.fresh_s = fresh_s
        self._reads: dict[Hashable, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The read kept under `key` if it is at most fresh_s old, else a new one. Callers must not change it."""
        started = time.monotonic()
        with self._lock:
            hit = self._reads.get(key)
        if hit and started - hit[0] < self.fresh_s:
            return hit[1]
        found = read()
        with self._lock:
            self._reads[key] = (started, found)
        return found

    def clear(self) -> None:
        with self._lock:
            self._reads.clear()


# Per engine, and gone with it (a test's engine freed and another made at its address must not find it).
_past: weakref.WeakKeyDictionary[Engine, dict[Hashable, tuple[float, Any]]] = weakref.WeakKeyDictionary()
_past_lock = threading.Lock()


def past_and_today(
    engine: Engine, key: Hashable, since: datetime, now: datetime, read: Callable[[datetime, datetime | None], T]
) -> tuple[T | None, T]:
    """(the days before today, today) of a read from `since`: `read(since, until)` reads [since, until),
    up to the caller's end when `until` is None. Today begins at the midnight WITA before `now`. The days
    before it are kept under (`key`, since, today); None when `since` is not a midnight before today
    (nothing whole to keep, and all of it is read as today's)."""
    today = wita_day_start(now)
    if since >= today or since != wita_day_start(since):
        return None, read(since, None)
    kept_as = (key, since, today)
    clock = time.monotonic()
    with _past_lock:
        kept = _past.setdefault(engine, {})
        hit = kept.get(kept_as)
    if hit is None or clock - hit[0] >= PAST_TTL_S:
        past = read(since, today)
        with _past_lock:
            for old in [k for k, (at, _) in kept.items() if clock - at >= PAST_TTL_S]:
                del kept[old]
            kept[kept_as] = (clock, past)
    else:
        past = hit[1]
    return past, read(today, None)
