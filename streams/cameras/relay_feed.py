"""One camera stream's packets, read once and handed to every viewer as they came (H.264 passthrough).

A `CameraFeed` opens the camera with GStreamer's RTSP client (relay_rtsp.py)
and a thread of its own reads it (a `Pump`), so a slow or hung camera never
holds the event loop; packets are PyAV's, which aiortc's H.264 packer takes. The
feed keeps reading from the moment it opens until it is closed, whether or
not a viewer has started yet, and keeps the packets since the newest keyframe
(the GOP). Every viewer gets a `ViewerTrack`: its first packets are that GOP,
so a tile shows a picture as soon as its WebRTC connection is up instead of
waiting for the camera's next keyframe (up to a second here, several on some
cameras). Those catch-up packets are stamped a tick apart just before the
newest one, so the browser decodes them at once and plays on in real time
rather than taking the GOP's age as its delay.

Why not aiortc's MediaPlayer and MediaRelay: the player drops a packet
without a timestamp, and the first packet of an RTSP session, its keyframe,
has none, which cost a full GOP on every open; it reads only once a viewer's
sender pulls, so it cannot hold a GOP ready; and the relay starts a proxy's
queue only on its first read.

When the camera drops, the feed does not end: aiortc's RTCRtpSender stops for
good once its track ends, so the feed reopens the camera with back-off and
carries on, its timestamps moved on by the time the camera was away, and
every viewer's sender keeps waiting on the same live track.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import random
import threading
import time
from collections import deque

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from scc import boot
from scc.cameras_access import Stream
from scc.settings.cameras import Camera
from scc.settings.cameras_services import CamerasConfig

from .relay_rtsp import RtspError, RtspStream

log = logging.getLogger("scc.cameras.relay")

VIDEO_CLOCK = fractions.Fraction(1, 90000)  # RTP's video clock, what aiortc's H.264 packer expects
GOP_MAX_PACKETS = 300  # a camera with a long GOP (smart codecs: 10 s and more) keeps only this much
GOP_MAX_BYTES = 8 * 1024 * 1024
VIEWER_MAX_QUEUED = 150  # a viewer this far behind skips to the next keyframe instead of growing


class SourceError(Exception):
    """Why a camera stream cannot be relayed. Its text names the camera by id only, never its URL, and
    may be shown to the operator; `status` is the HTTP status the web app answers with."""

    def __init__(self, text: str, status: int = 502) -> None:
        super().__init__(text)
        self.status = status


def describe_failure(exc: BaseException, camera: Camera) -> str:
    """The reason, without the camera's URL or password should any part of it name them."""
    if isinstance(exc, RtspError):
        reason = str(exc)
    elif isinstance(exc, TimeoutError):
        reason = "no answer in time"
    else:
        reason = type(exc).__name__
    text = reason
    secret = camera.password.get_secret_value() if camera.password else ""
    for url in (camera.stream_url("main"), camera.stream_url("sub")):
        text = text.replace(url, camera.id)
    return text.replace(secret, "***") if secret else text


class Pump:
    """An open camera stream read by a thread of its own; its packets, then None at the end, reach
    the event loop through `queue`. `stop` asks the thread to end; the thread closes the stream
    itself (within a fraction of a second), so nobody waits on a hung camera."""

    def __init__(self, stream: RtspStream, label: str) -> None:
        self.queue: asyncio.Queue[av.Packet | None] = asyncio.Queue()
        self.error: BaseException | None = None
        self._stream = stream
        self._loop = asyncio.get_running_loop()
        self._quit = threading.Event()
        self._thread = threading.Thread(target=self._read, name=f"feed {label}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._quit.set()

    def _read(self) -> None:
        put = self.queue.put_nowait
        try:
            for picture in self._stream.pictures(self._quit):
                packet = av.Packet(picture.data)
                packet.pts, packet.time_base, packet.is_keyframe = picture.pts, VIDEO_CLOCK, picture.key
                self._loop.call_soon_threadsafe(put, packet)
        except Exception as exc:  # RtspError or a stall: the feed describes it, URL removed
            self.error = exc
        finally:
            self._stream.close()
            with contextlib.suppress(RuntimeError):  # the loop is gone: the relay is stopping
                self._loop.call_soon_threadsafe(put, None)


class ViewerTrack(MediaStreamTrack):
    """One viewer's packets of a feed: the GOP so far on its first read, then the live ones."""

    kind = "video"

    def __init__(self, feed: CameraFeed) -> None:
        super().__init__()
        self._feed = feed
        self._queue: deque[av.Packet] = deque()
        self._ready = asyncio.Event()
        self._started = False
        self._skip_to_key = False

    async def recv(self) -> av.Packet:
        if not self._started:
            self._started = True
            self._queue.extend(self._feed.catch_up())
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def push(self, packet: av.Packet, key: bool) -> None:
        if not self._started:
            return  # its first read takes the GOP, which holds this packet
        if len(self._queue) >= VIEWER_MAX_QUEUED:
            self._queue.clear()
            self._skip_to_key = True
        if self._skip_to_key and not key:
            return
        self._skip_to_key = False
        self._queue.append(packet)
        self._ready.set()

    def stop(self) -> None:
        super().stop()
        self._feed.unsubscribe(self)
        self._ready.set()


class CameraFeed:
    """The camera's packets for as long as the feed is open, across the camera's own drops."""

    def __init__(self, camera: Camera, stream: Stream, config: CamerasConfig) -> None:
        self.camera, self.stream, self.config = camera, stream, config
        self.label = f"{camera.id} ({stream})"
        self.reconnects = 0
        self.packets = 0
        self.last_error = ""
        self._viewers: set[ViewerTrack] = set()
        self._gop: list[av.Packet] = []
        self._gop_bytes = 0
        self._synced = False  # a keyframe came since the stream (re)opened
        self._task: asyncio.Task[None] | None = None
        self._pump: Pump | None = None
        self._closed = asyncio.Event()
        self._offset: int | None = None  # added to this stream's timestamps (None: not yet known)
        self._last_pts: int | None = None
        self._last_at = 0.0

    async def open(self) -> None:
        """Open the stream and start reading it; SourceError says why it cannot be."""
        pump = await self._open()
        if self._closed.is_set():  # its last viewer left while it opened
            pump.stop()
            return
        self._task = boot.end_if_it_fails(asyncio.ensure_future(self._run(pump)))

    def subscribe(self) -> ViewerTrack:
        track = ViewerTrack(self)
        self._viewers.add(track)
        return track

    def unsubscribe(self, track: ViewerTrack) -> None:
        self._viewers.discard(track)

    def catch_up(self) -> list[av.Packet]:
        """The packets since the newest keyframe for a viewer starting now, stamped a tick apart up to
        the newest one: the browser decodes them at once, then plays the live packets in real time."""
        if not self._gop:
            return []
        stamps = sorted({p.pts or 0 for p in self._gop})  # every one was set by _rebase
        newest = stamps[-1]
        moved = {pts: newest - (len(stamps) - 1 - k) for k, pts in enumerate(stamps)}
        out = []
        for packet in self._gop:
            copy = av.Packet(bytes(packet))
            copy.pts, copy.time_base = moved[packet.pts or 0], VIDEO_CLOCK
            out.append(copy)
        return out

    async def close(self) -> None:
        """Stop reading and let the camera go (the RTSP session ends)."""
        self._closed.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._drop()
        for track in list(self._viewers):
            track.stop()

    # -- reading --------------------------------------------------------------------

    async def _run(self, pump: Pump) -> None:
        read_timeout = self.config.workers.read_timeout_s
        while not self._closed.is_set():
            self._pump = pump
            while True:
                try:
                    packet = await asyncio.wait_for(pump.queue.get(), read_timeout)
                except TimeoutError:
                    packet = None
                if packet is None:
                    break
                self._deliver(packet)
            why = describe_failure(pump.error, self.camera) if pump.error else "stream stopped"
            log.warning("camera %s: %s; reconnecting", self.label, why)
            self.last_error = why
            self._drop()
            reopened = await self._reconnect()
            if reopened is None:
                return
            pump = reopened

    def _deliver(self, packet: av.Packet) -> None:
        self._rebase(packet)
        key = packet.is_keyframe
        self._synced = self._synced or key
        if not self._synced:
            return  # a session joined mid-GOP: nothing decodes before its first keyframe
        if key:
            self._gop, self._gop_bytes = [packet], packet.size
        elif self._gop and len(self._gop) < GOP_MAX_PACKETS and self._gop_bytes < GOP_MAX_BYTES:
            self._gop.append(packet)
            self._gop_bytes += packet.size
        else:
            self._gop, self._gop_bytes = [], 0  # too long a GOP to keep: late joiners wait for a keyframe
        for track in self._viewers:
            track.push(packet, key)

    def _drop(self) -> None:
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.stop()
        self._gop, self._gop_bytes = [], 0
        self._synced = False
        self._offset = None

    async def _open(self) -> Pump:
        workers = self.config.workers
        url = self.camera.stream_url(self.stream)
        try:
            stream = await asyncio.to_thread(RtspStream.open, url, workers.open_timeout_s, workers.read_timeout_s)
        except RtspError as exc:
            prefix = "" if exc.status == 415 else "cannot open the stream: "
            raise SourceError(
                f"camera {self.label}: {prefix}{describe_failure(exc, self.camera)}", status=exc.status
            ) from None
        log.info("camera %s: stream open", self.label)
        return Pump(stream, self.label)

    async def _reconnect(self) -> Pump | None:
        delay = self.config.workers.backoff_min_s
        while not self._closed.is_set():
            wait = delay * random.uniform(0.8, 1.2)  # cameras on one radio link must not retry in step
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), wait)
                return None
            try:
                pump = await self._open()
            except SourceError as exc:
                self.last_error = str(exc)
                log.info("%s; retrying", exc)
                delay = min(delay * 2, self.config.relay.reconnect_max_s)
                continue
            self.reconnects += 1
            self.last_error = ""
            log.info("camera %s: stream back after a drop (reconnect %d)", self.label, self.reconnects)
            return pump
        return None

    def _rebase(self, packet: av.Packet) -> None:
        """One timeline for the viewers, however often the camera reconnects: each session's timestamps
        start where the last left off, moved on by the time the camera was away. A packet without a
        timestamp (an RTSP session's first) is placed by the wall clock."""
        now = time.monotonic()
        raw = packet.pts if packet.pts is not None else packet.dts
        placed = 0 if self._last_pts is None else self._last_pts + max(1, int((now - self._last_at) / VIDEO_CLOCK))
        if raw is None:
            pts = placed
        else:
            raw = int(raw * (packet.time_base or VIDEO_CLOCK) / VIDEO_CLOCK)
            if self._offset is None:
                self._offset = placed - raw
            pts = raw + self._offset
            if self._last_pts is not None and pts <= self._last_pts:
                pts = self._last_pts + 1  # never backwards: the browser would drop the frame
        packet.pts, packet.time_base = pts, VIDEO_CLOCK
        self._last_pts, self._last_at = pts, now
        self.packets += 1
