"""One thread per camera that reads its RTSP stream with OpenCV and keeps only the newest frame.

FFmpeg ignores OpenCV's buffer size, so a reader that fell behind would hand
out ever older frames: this thread decodes as fast as frames come and keeps
the last one. Whether a camera is alive is judged elsewhere by the age of that
frame (analysis.py), because `read()` reports a stalled stream only after
(held frames + 1) read timeouts (docs/field-notes.md "A stalled stream is reported late").

OpenCV's environment (thread-safe opens, TCP, short probe) is set by worker.py
before cv2 loads. The URL with the password goes to OpenCV and PyAV only; every text this module
produces names the camera id and FFmpeg's reason, never the URL.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from scc.storage.cameras import RELAYABLE_CODECS

log = logging.getLogger(__name__)

FaultKind = Literal["offline", "error"]
# Frames counted for the measured fps.
FPS_WINDOW_S = 5.0
# A gap between two frames this long ends a flow (see `Snapshot.flowing_since`).
FLOW_GAP_S = 1.5
# Frames FFmpeg buffered while probing the stream arrive in a burst just after an open:
# counting them would report hundreds of fps.
FPS_SETTLE_S = 1.0
# Wait a tenth of the outage so far before the next try: a camera back after a short
# radio drop is seen again within a second or two, one gone for hours costs a try a minute.
BACKOFF_RATIO = 0.1
JITTER = 0.2


def backoff_s(down_for_s: float, minimum: float, maximum: float, rnd: random.Random | None = None) -> float:
    """How long to wait before the next open, for a camera that has been down `down_for_s`.

    Grows with the outage from `minimum` to `maximum`; jitter (+-20%) keeps cameras
    that dropped together (one radio link) from retrying in lockstep.
    """
    base = min(maximum, max(minimum, BACKOFF_RATIO * max(0.0, down_for_s)))
    return base * (1 + JITTER * (2 * (rnd or random).random() - 1))


def fourcc_text(value: float) -> str | None:
    code = int(value)
    if code <= 0:
        return None
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")
    return text or None


def codec_note(codec: str | None) -> str | None:
    """What the wall and the relay must know of a codec they cannot pass through live."""
    if codec is None or codec.lower() in RELAYABLE_CODECS:
        return None
    return f"codec {codec}: no live video in the browser (H.264 only), snapshots instead"


def diagnose(url: str, timeout_s: float) -> tuple[FaultKind, str]:
    """Why an open failed, in FFmpeg's words: OpenCV keeps the reason to itself (only stderr has it).

    A second, short open through PyAV (FFmpeg too) raises an error that carries it.
    Only its errno text is used: the exception's own text contains the URL.
    """
    import av  # only here: a healthy camera never needs it

    started = time.monotonic()
    try:
        container = av.open(url, options={"rtsp_transport": "tcp"}, timeout=(timeout_s, timeout_s))
    except av.error.FFmpegError as exc:
        took = time.monotonic() - started
        return classify(exc.errno, exc.strerror or type(exc).__name__, took, timeout_s)
    except OSError as exc:
        return "offline", exc.strerror or type(exc).__name__
    try:
        video = container.streams.video
        if not video:
            return "error", "the stream has no video"
        name = video[0].codec_context.name
        return "error", f"FFmpeg opens it, OpenCV does not (codec {name})"
    finally:
        container.close()


def classify(errno: int | None, text: str, took_s: float, timeout_s: float) -> tuple[FaultKind, str]:
    """`offline` when the camera may come back by itself, `error` when someone has to fix something."""
    lowered = text.lower()
    if "401" in lowered or "unauthorized" in lowered or "403" in lowered or "forbidden" in lowered:
        return "error", f"401 Unauthorized: wrong user name or password ({text})"
    if "404" in lowered or "not found" in lowered:
        return "error", f"404 Not Found: no such stream path ({text})"
    if "refused" in lowered:
        return "offline", "connection refused: nothing listens on the camera's RTSP port"
    if "resolve" in lowered or "name or service" in lowered:
        return "error", f"unknown host name ({text})"
    if took_s >= 0.8 * timeout_s or "timed out" in lowered or "timeout" in lowered:
        return "offline", f"timeout: no answer within {timeout_s:g} s"
    if "unreachable" in lowered or "no route" in lowered:
        return "offline", f"host unreachable ({text})"
    if "decoder" in lowered or "codec" in lowered or "unsupported" in lowered:
        return "error", f"unsupported codec ({text})"
    return "offline", text


@dataclass(frozen=True)
class Timeouts:
    open_s: float
    read_s: float
    backoff_min_s: float
    backoff_max_s: float


@dataclass
class Snapshot:
    """What the analysis needs of a reader, read under its lock in one go."""

    seq: int
    frame: np.ndarray | None
    frame_at: float | None  # monotonic time of the newest frame
    connected: bool
    down_since: float  # monotonic: last frame, or when reading started
    flowing_since: float | None  # monotonic: the first frame since the session began or frames last paused
    fault: FaultKind | None
    error: str | None
    fps: float | None
    width: int | None
    height: int | None
    codec: str | None
    reconnects: int


class Reader:
    """Reads one camera forever: open, read until the stream ends, wait, open again."""

    def __init__(
        self,
        camera_id: str,
        url: str,
        timeouts: Timeouts,
        on_open: Callable[[str], None] = lambda _id: None,
    ) -> None:
        self.camera_id = camera_id
        self._url = url  # with credentials: OpenCV and PyAV only
        self.timeouts = timeouts
        self._on_open = on_open
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._seq = 0
        self._frame: np.ndarray | None = None
        self._frame_at: float | None = None
        self._times: deque[float] = deque(maxlen=256)
        self._opened_at = 0.0
        self._connected = False
        self._down_since = time.monotonic()
        self._flowing_since: float | None = None
        self._fault: FaultKind | None = None
        self._error: str | None = None
        self._size: tuple[int, int] | None = None
        self._codec: str | None = None
        self._opens = 0
        self._thread = threading.Thread(target=self._run, name=f"reader-{camera_id}", daemon=True)

    def start(self) -> Reader:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def wake(self) -> None:
        """Try now instead of at the end of the backoff (another camera of the same link came back)."""
        with self._lock:
            if not self._connected:
                self._wake.set()

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._times if now - t <= FPS_WINDOW_S and t - self._opened_at >= FPS_SETTLE_S]
            span = recent[-1] - recent[0] if len(recent) >= 3 else 0.0
            fps = (len(recent) - 1) / span if span >= 0.5 else None
            return Snapshot(
                seq=self._seq,
                frame=self._frame,
                frame_at=self._frame_at,
                connected=self._connected,
                down_since=self._down_since,
                flowing_since=self._flowing_since,
                fault=self._fault,
                error=self._error,
                fps=fps,
                width=self._size[0] if self._size else None,
                height=self._size[1] if self._size else None,
                codec=self._codec,
                reconnects=max(0, self._opens - 1),
            )

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a wake from now on (a sibling back) cuts the next wait short
            try:
                self._session()
            except Exception as exc:  # the thread must outlive anything, or the camera is never retried
                # The type only: an OpenCV or FFmpeg message may quote the URL.
                log.error("camera %s: reader failed (%s); retrying", self.camera_id, type(exc).__name__)
                with self._lock:
                    self._connected = False
                    self._fault, self._error = "offline", f"internal error in the reader ({type(exc).__name__})"
            if self._stop.is_set():
                return
            with self._lock:
                down_for = time.monotonic() - self._down_since
            wait = backoff_s(down_for, self.timeouts.backoff_min_s, self.timeouts.backoff_max_s)
            self._wake.wait(wait)

    def _session(self) -> None:
        cap = self._open()
        if cap is not None:
            try:
                self._read(cap)
            finally:
                cap.release()

    def _open(self) -> cv2.VideoCapture | None:
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            int(self.timeouts.open_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            int(self.timeouts.read_s * 1000),
            # One decoder thread: a stalled stream then fails after 2 read timeouts, not 3+.
            cv2.CAP_PROP_N_THREADS,
            1,
        ]
        started = time.monotonic()
        cap = cv2.VideoCapture(self._url, cv2.CAP_FFMPEG, params)
        if cap.isOpened():
            codec = fourcc_text(cap.get(cv2.CAP_PROP_FOURCC))
            with self._lock:
                self._opens += 1
                self._opened_at = time.monotonic()
                self._times.clear()
                self._flowing_since = None
                self._connected = True
                self._codec = codec
                self._fault, self._error = None, codec_note(codec)
            log.info("camera %s: stream opened in %.2f s (codec %s)", self.camera_id, time.monotonic() - started, codec)
            self._on_open(self.camera_id)
            return cap
        took = time.monotonic() - started
        cap.release()
        if took >= 0.8 * self.timeouts.open_s:
            fault: FaultKind = "offline"
            reason = f"timeout: no answer within {self.timeouts.open_s:g} s"
        else:
            try:
                fault, reason = diagnose(self._url, min(self.timeouts.open_s, 3.0))
            except Exception as exc:  # the diagnosis is a courtesy: its failure must not stop the reader
                fault, reason = "offline", f"cannot open the stream ({type(exc).__name__})"
        with self._lock:
            changed = reason != self._error
            self._fault, self._error = fault, reason
        if changed:
            log.warning("camera %s: cannot open the stream: %s", self.camera_id, reason)
        return None

    def _read(self, cap: cv2.VideoCapture) -> None:
        frames = 0
        started = time.monotonic()
        while not self._stop.is_set():
            ok, frame = cap.read()
            if not ok:
                break
            now = time.monotonic()
            frames += 1
            with self._lock:
                self._seq += 1
                self._frame, self._frame_at = frame, now
                self._times.append(now)
                self._size = (frame.shape[1], frame.shape[0])
                # A frame after a long gap starts a new flow: on a stalled link FFmpeg hands out
                # one frame it held back at each read timeout, and those are no sign of life.
                if self._flowing_since is None or now - self._down_since > FLOW_GAP_S:
                    self._flowing_since = now
                self._down_since = now
        with self._lock:
            self._connected = False
            # Opened, then refused at once without a frame: the decoder, not the link.
            if frames == 0 and time.monotonic() - started < 0.8 * self.timeouts.read_s:
                self._fault, self._error = "error", f"opened, but no frame could be decoded (codec {self._codec})"
            else:
                self._fault, self._error = "offline", "the stream ended or stopped sending"
            reason = self._error
        if not self._stop.is_set():
            log.warning("camera %s: %s after %d frames", self.camera_id, reason, frames)
