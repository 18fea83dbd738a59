"""The streams being relayed: one feed per (camera, stream), opened by its first viewer, let go after its last.

The relay pulls a camera only while someone watches it, as go2rtc does, and
keeps it a few seconds (`relay.linger_s`) after the last viewer leaves, so a
page switch or a tile's reconnect does not reopen the camera over a radio
link that has no bandwidth to spare. The feed itself is relay_feed.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from aiortc import MediaStreamTrack

from scc.cameras_access import Stream
from scc.settings.cameras import Camera
from scc.settings.cameras_services import CamerasConfig

from .relay_feed import CameraFeed, SourceError, log

__all__ = ["Source", "SourceError", "Sources"]

# After a stream failed to open, its next viewers wait for the open (and get the reason) this long,
# whatever the workers say of the camera.
DOUBT_AFTER_FAILURE_S = 60.0


@dataclass
class Source:
    """A feed and its fan-out, with the viewers that hold it."""

    feed: CameraFeed
    viewers: int = 0
    opening: asyncio.Future[None] | None = None
    linger: asyncio.Task[None] | None = None

    def subscribe(self) -> MediaStreamTrack:
        return self.feed.subscribe()


class Sources:
    """Every stream being relayed, keyed by (camera id, stream)."""

    def __init__(self, config: CamerasConfig, on_failed: Callable[[Source, SourceError], None]) -> None:
        self.config = config
        self.on_failed = on_failed
        self._sources: dict[tuple[str, Stream], Source] = {}
        self._failed_at: dict[tuple[str, Stream], float] = {}

    def __iter__(self) -> Iterator[Source]:
        return iter(list(self._sources.values()))

    async def acquire(self, camera: Camera, stream: Stream, *, wait: bool = True) -> Source:
        """The stream of `camera`, opened if nobody watched it; the caller must `release` it.

        With `wait`, a stream that cannot be opened raises SourceError. Without, the source comes back
        while it still opens, and a failure reaches `on_failed` with the source: for a camera known to
        play, the viewer's answer need not wait for the camera's RTSP handshake and first keyframe."""
        key = (camera.id, stream)
        source = self._sources.get(key) or self._open(camera, stream)
        source.viewers += 1
        if source.linger is not None:
            source.linger.cancel()
            source.linger = None
        assert source.opening is not None
        if self._in_doubt(key):
            wait = True  # it failed to open lately: this viewer waits, and gets the reason if it fails again
        if not wait and not source.opening.done():
            return source
        try:
            await asyncio.shield(source.opening)
        except SourceError:
            source.viewers -= 1
            raise
        return source

    def prepare(self, camera: Camera, stream: Stream) -> bool:
        """Start opening a stream that a viewer is about to ask for, and let it go after `linger_s` unless
        one does; False when it is open or opening already, or failed to open lately (its viewer will wait
        for the open and get the reason). Nothing waits here: the caller is not a viewer."""
        key = (camera.id, stream)
        if key in self._sources or self._in_doubt(key):
            return False
        source = self._open(camera, stream)
        source.linger = asyncio.ensure_future(self._let_go(source))
        return True

    def _in_doubt(self, key: tuple[str, Stream]) -> bool:
        failed_at = self._failed_at.get(key)
        return failed_at is not None and time.monotonic() - failed_at < DOUBT_AFTER_FAILURE_S

    def _open(self, camera: Camera, stream: Stream) -> Source:
        source = Source(CameraFeed(camera, stream, self.config))
        self._sources[(camera.id, stream)] = source
        source.opening = asyncio.ensure_future(source.feed.open())
        source.opening.add_done_callback(lambda done: self._opened(source, done))
        return source

    def _opened(self, source: Source, done: asyncio.Future[None]) -> None:
        error = None if done.cancelled() else done.exception()
        if not isinstance(error, SourceError):
            return
        key = (source.feed.camera.id, source.feed.stream)
        self._failed_at[key] = time.monotonic()
        if self._sources.get(key) is source:
            del self._sources[key]  # the next viewer tries afresh
        self.on_failed(source, error)

    def release(self, source: Source) -> None:
        source.viewers -= 1
        if source.viewers <= 0 and source.linger is None:
            source.linger = asyncio.ensure_future(self._let_go(source))

    async def _let_go(self, source: Source) -> None:
        await asyncio.sleep(self.config.relay.linger_s)
        if source.viewers > 0:
            return
        key = (source.feed.camera.id, source.feed.stream)
        if self._sources.get(key) is source:
            del self._sources[key]
        log.info("camera %s: released, nobody watched it for %.0f s", source.feed.label, self.config.relay.linger_s)
        await source.feed.close()

    async def close(self) -> None:
        for source in list(self._sources.values()):
            if source.linger is not None:
                source.linger.cancel()
            await source.feed.close()
        self._sources.clear()
