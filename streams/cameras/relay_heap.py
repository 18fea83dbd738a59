"""The relay's memory: what glibc keeps after a burst is handed back to the system.

The relay allocates in bursts and frees in bursts: a wall's sixteen WebRTC
connections at once (DTLS, SRTP, ICE, the H.264 packetiser), and on every
camera reconnect a GStreamer pipeline with threads of its own. glibc keeps
what is freed for reuse and gives the system back only the top of each heap,
so the process's resident size follows its peaks and creeps up with
fragmentation over a day of reconnects. Measured here: 20 reloads of a 16-tile
wall grew the relay by 24 MB, of which `malloc_trim(0)` gave back 7-9 MB each
time it was called; with the radio cameras flapping 16 times under a watched
wall, the relay ended at 175 MB with what this module does, 181 MB without (one
run each). Most of the growth is the working set warming up, and stays.

So the relay trims its heap now and then, and limits how many heaps
(malloc arenas) its threads spread over: glibc's default is eight per core,
and each GStreamer thread that allocates may take an arena of its own and keep
its free memory there.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import time

log = logging.getLogger("scc.cameras.relay")

_M_ARENA_MAX = -8  # glibc's malloc.h
TRIM_EVERY_S = 30.0
ARENAS = 2


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None  # not glibc: nothing to do


_LIBC = _glibc()


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Call before any thread starts: threads created later share `arenas` heaps."""
    return _LIBC is not None and _LIBC.mallopt(_M_ARENA_MAX, arenas) == 1


def trim() -> float:
    """Give the free pages of every heap back to the system; the seconds it took."""
    if _LIBC is None:
        return 0.0
    started = time.perf_counter()
    _LIBC.malloc_trim(0)
    return time.perf_counter() - started


async def trim_every(seconds: float = TRIM_EVERY_S) -> None:
    """Trim in a thread every `seconds` until cancelled; it walks the heaps, so not on the event loop."""
    while True:
        await asyncio.sleep(seconds)
        took = await asyncio.to_thread(trim)
        log.debug("heap trimmed in %.1f ms", took * 1000)
