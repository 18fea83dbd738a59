"""A read kept a few seconds per web process: every screen that asks for the same summary within that
time gets the same (read-only) result, as a dashboard's query cache does. Requests that miss together
may each read once; the newest read is kept."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


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
