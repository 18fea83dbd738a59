"""One camera stream, pulled only while someone watches, passed through to every viewer untouched.

A `CameraFeed` is the one track every viewer of a (camera, stream) receives,
through aiortc's MediaRelay. Inside it sits an aiortc MediaPlayer in
passthrough (`decode=False`): H.264 packets go from the camera to the viewers'
RTP senders as they came, so the relay never decodes or encodes video.

When the camera drops, the feed does not end. aiortc's RTCRtpSender stops its
RTP loop for good the moment its track ends (it catches MediaStreamError and
returns), so swapping a track into the sender after the source ended comes too
late: the viewer would need a new offer. The swap is made one level down
instead: the feed opens a new MediaPlayer with back-off and carries on with
its packets, their timestamps moved on by the wall-clock time of the gap, and
every viewer's sender keeps waiting on the same live track. Viewers resume
without a new offer.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import av
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaPlayer, MediaRelay
from aiortc.mediastreams import MediaStreamError

from scc.camera_access import Stream
from scc.settings.camera_services import CamerasConfig
from scc.settings.cameras import Camera

log = logging.getLogger("scc.cameras.relay")

VIDEO_CLOCK = fractions.Fraction(1, 90000)  # RTP's video clock, what aiortc's H.264 packer expects


class SourceError(Exception):
    """Why a camera stream cannot be relayed. Its text names the camera by id only, never its URL, and
    may be shown to the operator; `status` is the HTTP status the web app answers with."""

    def __init__(self, text: str, status: int = 502) -> None:
        super().__init__(text)
        self.status = status


def describe_failure(exc: BaseException, camera: Camera) -> str:
    """FFmpeg's reason without the URL it names (which carries the camera's password)."""
    if isinstance(exc, av.FFmpegError):
        reason = exc.strerror or type(exc).__name__
    elif isinstance(exc, TimeoutError):
        reason = "no answer in time"
    else:
        reason = type(exc).__name__
    text = str(reason)
    secret = camera.password.get_secret_value() if camera.password else ""
    for url in (camera.stream_url("main"), camera.stream_url("sub")):
        text = text.replace(url, camera.id)
    return text.replace(secret, "***") if secret else text


class CameraFeed(MediaStreamTrack):
    """The camera's packets for as long as the feed is live, across the camera's own drops."""

    kind = "video"

    def __init__(self, camera: Camera, stream: Stream, config: CamerasConfig) -> None:
        super().__init__()
        self.camera, self.stream, self.config = camera, stream, config
        self.label = f"{camera.id} ({stream})"
        self.reconnects = 0
        self.packets = 0
        self.last_error = ""
        self._player: MediaPlayer | None = None
        self._offset: int | None = None  # added to this player's timestamps (None: not yet known)
        self._last_pts: int | None = None
        self._last_at = 0.0
        self._closed = asyncio.Event()

    async def open(self) -> None:
        """Open the stream and check its first packet is H.264; SourceError says why not."""
        self._player = await self._open_player()

    async def recv(self) -> av.Packet:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self._player is None:
                await self._reconnect()
                continue
            try:
                packet = await self._next_packet(self._player)
            except (MediaStreamError, TimeoutError):
                if self._closed.is_set():
                    raise MediaStreamError from None  # let go on purpose, not a drop
                log.warning("camera %s: stream stopped; reconnecting", self.label)
                self.last_error = "stream stopped"
                await self._drop_player()
                continue
            return self._rebase(packet)

    def stop(self) -> None:
        super().stop()
        self._closed.set()

    async def close(self) -> None:
        """Stop the feed and let the camera go (the RTSP session ends)."""
        self.stop()
        await self._drop_player()

    # -- the player -----------------------------------------------------------------

    async def _open_player(self) -> MediaPlayer:
        workers = self.config.workers
        options = {
            "rtsp_transport": "tcp",
            # FFmpeg's socket timeout, in microseconds: a host that vanished fails a read, never hangs it.
            "timeout": str(int(workers.read_timeout_s * 1_000_000)),
            # Passthrough needs no probe at all: the codec comes with the RTSP answer (SDP) and the
            # stream's parameters with its keyframes. Probing held each open ~0.6 s longer (0.83 s
            # against 0.22 s here), and Chromium sends a wall's offers 6 at a time.
            "analyzeduration": "0",
            "probesize": "32",
            "fflags": "nobuffer",
        }
        try:
            player = await asyncio.to_thread(
                MediaPlayer,
                self.camera.stream_url(self.stream),
                options=options,
                timeout=(workers.open_timeout_s, workers.read_timeout_s),
                decode=False,
            )
        except Exception as exc:  # FFmpeg's errors are many; each becomes one clean text
            raise SourceError(
                f"camera {self.label}: cannot open the stream: {describe_failure(exc, self.camera)}"
            ) from None
        if player.video is None:
            # MediaPlayer offers a passthrough track only for H.264 and VP8 (no RTSP camera sends VP8;
            # the answer's SDP admits H.264 only).
            raise SourceError(
                f"camera {self.label}: its video codec cannot be passed through "
                "(the relay forwards H.264 as it is and never transcodes)",
                status=415,
            )
        # Not waiting for the first packet: the viewer's ICE and DTLS run meanwhile. A stream that
        # opens but sends nothing is found by recv's read timeout, and reconnected like a drop.
        self._offset = None
        log.info("camera %s: stream open", self.label)
        return player

    async def _next_packet(self, player: MediaPlayer) -> av.Packet:
        assert player.video is not None
        packet = await asyncio.wait_for(player.video.recv(), self.config.workers.read_timeout_s)
        assert isinstance(packet, av.Packet)
        return packet

    async def _drop_player(self) -> None:
        player, self._player = self._player, None
        if player is not None:
            # Stopping joins the player's thread, which may sit in a network read: not on the event loop.
            await asyncio.to_thread(_stop_player, player)

    async def _reconnect(self) -> None:
        relay = self.config.relay
        delay = self.config.workers.backoff_min_s
        while not self._closed.is_set():
            wait = delay * random.uniform(0.8, 1.2)  # cameras on one radio link must not retry in step
            try:
                await asyncio.wait_for(self._closed.wait(), wait)
                return
            except TimeoutError:
                pass
            try:
                player = await self._open_player()
            except SourceError as exc:
                self.last_error = str(exc)
                log.info("%s; retrying", exc)
                delay = min(delay * 2, relay.reconnect_max_s)
                continue
            if self._closed.is_set():
                await asyncio.to_thread(_stop_player, player)
                return
            self._player = player
            self.reconnects += 1
            self.last_error = ""
            log.info("camera %s: stream back after a drop (reconnect %d)", self.label, self.reconnects)
            return

    def _rebase(self, packet: av.Packet) -> av.Packet:
        """One timeline for the viewers, however often the camera reconnects: each new player's
        timestamps start where the last left off, moved on by the time the camera was away."""
        now = time.monotonic()
        pts = int((packet.pts or 0) * (packet.time_base or VIDEO_CLOCK) / VIDEO_CLOCK)
        if self._offset is None:
            if self._last_pts is None:
                self._offset = -pts
            else:
                gap = max(1, int((now - self._last_at) / VIDEO_CLOCK))
                self._offset = self._last_pts + gap - pts
        packet.pts = pts + self._offset
        packet.time_base = VIDEO_CLOCK
        self._last_pts, self._last_at = packet.pts, now
        self.packets += 1
        return packet


def _stop_player(player: MediaPlayer) -> None:
    for track in (player.video, player.audio):
        if track is not None:
            track.stop()


@dataclass
class Source:
    """A feed and its fan-out, with the viewers that hold it."""

    feed: CameraFeed
    relay: MediaRelay = field(default_factory=MediaRelay)
    viewers: int = 0
    opening: asyncio.Future[None] | None = None
    linger: asyncio.Task[None] | None = None

    def subscribe(self) -> MediaStreamTrack:
        # Buffered: in passthrough every packet of a picture matters, none may be skipped.
        return self.relay.subscribe(self.feed, buffered=True)


class Sources:
    """Every stream being relayed, keyed by (camera id, stream)."""

    def __init__(self, config: CamerasConfig) -> None:
        self.config = config
        self._sources: dict[tuple[str, Stream], Source] = {}

    def __iter__(self) -> Iterator[Source]:
        return iter(list(self._sources.values()))

    async def acquire(self, camera: Camera, stream: Stream) -> Source:
        """The stream of `camera`, opened if nobody watched it; the caller must `release` it."""
        key = (camera.id, stream)
        source = self._sources.get(key)
        if source is None:
            source = Source(CameraFeed(camera, stream, self.config))
            self._sources[key] = source
        source.viewers += 1
        if source.linger is not None:
            source.linger.cancel()
            source.linger = None
        if source.opening is None:
            source.opening = asyncio.ensure_future(source.feed.open())
        try:
            await asyncio.shield(source.opening)
        except SourceError:
            source.viewers -= 1
            if self._sources.get(key) is source:
                del self._sources[key]  # the next viewer tries afresh
            raise
        return source

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
