"""The relay's RTSP client: GStreamer's rtspsrc and H.264 depayloader, one whole picture per packet.

Why not FFmpeg (PyAV), which the relay used first: FFmpeg's H.264 parser hands
a picture over only once the next one starts, one frame interval late, which
is 200 ms at a sub stream's 5 fps. Measured here with the simulator's painted
timecode, read the moment a picture arrives: FFmpeg 204 ms, GStreamer 4 ms.
rtph264depay ends a picture on RTP's marker bit instead. Without its parser,
FFmpeg hands over bare RTP fragments with no end-of-picture mark.

`RtspStream.open` blocks (call it in a thread): it returns once the camera's
RTSP answer named an H.264 video stream, and raises RtspError with a text fit
for the operator (the caller removes the URL and password) and the HTTP status
the web app answers with. `pictures` then yields every picture, Annex B bytes
with a 90 kHz timestamp, until the stream ends, fails or stalls.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from threading import Event
from typing import Any

import gi  # type: ignore[import-untyped]

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # type: ignore[import-untyped]  # noqa: E402

Gst.init(None)

_PULL_NS = 200 * Gst.MSECOND  # how often a read looks up from the stream: a stop is seen this fast
_STATUS_LINE = re.compile(r"^(?P<reason>[A-Za-z][A-Za-z -]{1,60}) \((?P<code>[1-5][0-9][0-9])\)$")
BUSY_RETRY_S = 0.25
_NAMED = {  # the camera's answers an operator knows by their RTSP status
    Gst.ResourceError.NOT_AUTHORIZED: "401 Unauthorized (authorization failed)",
    Gst.ResourceError.NOT_FOUND: "404 Not Found",
}


class RtspError(Exception):
    """Why a camera stream could not be opened or read; `status` for the web app's answer, `rtsp_status`
    the camera's own answer when it gave one."""

    def __init__(self, text: str, status: int = 502, rtsp_status: int | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.rtsp_status = rtsp_status


@dataclass(frozen=True, slots=True)
class Picture:
    data: bytes  # Annex B: start codes, SPS/PPS in-band before each keyframe
    pts: int | None  # 90 kHz
    key: bool


def starts_decoding(data: bytes) -> bool:
    """Whether an Annex B picture holds an IDR slice or an SPS: a decoder can start there. Read from
    the NAL units themselves: the depayloader flags a session's first pictures as keyframes whatever
    they are (measured: P pictures of 1 kB flagged, a session joined mid-GOP)."""
    start = data.find(b"\x00\x00\x01")
    while 0 <= start < len(data) - 3:
        if data[start + 3] & 0x1F in (5, 7):
            return True
        start = data.find(b"\x00\x00\x01", start + 3)
    return False


def _bus_error(message: Any) -> RtspError:
    error, debug = message.parse_error()
    for code, text in _NAMED.items():
        if error.matches(Gst.ResourceError.quark(), code):
            return RtspError(text)
    # rtspsrc says "Unhandled error" for any other answer and puts the answer in its debug text. That
    # text can name the URL, so only a last line that is an RTSP status ("Service Unavailable (503)")
    # is read from it, and nothing else is kept.
    lines = (debug or "").strip().splitlines()
    answer = _STATUS_LINE.match(lines[-1].strip()) if lines else None
    if answer is not None:
        return RtspError(f"{answer['code']} {answer['reason']}", rtsp_status=int(answer["code"]))
    return RtspError(error.message or "stream error")


class RtspStream:
    """One camera stream: rtspsrc over TCP -> rtph264depay (whole pictures) -> appsink."""

    def __init__(self, url: str, read_timeout_s: float) -> None:
        self.codec: str | None = None
        self._answered = Event()
        self.read_timeout_s = read_timeout_s
        self.pipeline = Gst.Pipeline.new("camera")
        src = Gst.ElementFactory.make("rtspsrc")
        src.set_property("location", url)
        Gst.util_set_object_arg(src, "protocols", "tcp")
        src.set_property("latency", 0)  # TCP on a LAN: nothing to reorder, nothing to wait for
        src.set_property("tcp-timeout", int(read_timeout_s * 1_000_000))
        self._depay = Gst.ElementFactory.make("rtph264depay")
        caps = Gst.ElementFactory.make("capsfilter")
        caps.set_property("caps", Gst.Caps.from_string("video/x-h264,stream-format=byte-stream,alignment=au"))
        self.sink: GstApp.AppSink = Gst.ElementFactory.make("appsink")
        self.sink.set_property("sync", False)
        self.sink.set_property("max-buffers", 300)  # the reader keeps up; this only bounds a hiccup
        for element in (src, self._depay, caps, self.sink):
            self.pipeline.add(element)
        self._depay.link(caps)
        caps.link(self.sink)
        self._src = src
        self._pad_handler = src.connect("pad-added", self._pad_added)
        self.bus = self.pipeline.get_bus()

    @classmethod
    def open(cls, url: str, open_timeout_s: float, read_timeout_s: float) -> RtspStream:
        """Open within `open_timeout_s`. A 503 is asked again at once: an RTSP server says it for a
        shared stream whose last client is just leaving (GStreamer's does), and a busy camera says it too."""
        deadline = time.monotonic() + open_timeout_s
        while True:
            stream = cls(url, read_timeout_s)
            try:
                stream._start(max(0.1, deadline - time.monotonic()))
                return stream
            except RtspError as exc:
                stream.close()
                if exc.rtsp_status != 503 or time.monotonic() + BUSY_RETRY_S >= deadline:
                    raise
            except BaseException:
                stream.close()
                raise
            time.sleep(BUSY_RETRY_S)

    def _pad_added(self, _src: Any, pad: Any) -> None:
        caps = pad.get_current_caps() or pad.query_caps(None)
        fields = caps.get_structure(0)
        if fields.get_string("media") != "video" or self.codec is not None:
            return
        self.codec = (fields.get_string("encoding-name") or "unknown").lower()
        if self.codec == "h264":
            pad.link(self._depay.get_static_pad("sink"))
        self._answered.set()

    def _start(self, open_timeout_s: float) -> None:
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            raise RtspError("the stream could not be started")
        deadline = time.monotonic() + open_timeout_s
        while not self._answered.is_set():
            if time.monotonic() > deadline:
                raise RtspError("no answer in time")
            message = self.bus.timed_pop_filtered(50 * Gst.MSECOND, Gst.MessageType.ERROR | Gst.MessageType.EOS)
            if message is not None and self.codec not in (None, "h264"):
                break  # the stream it could not link fails at once: the codec is the reason
            if message is not None:
                if message.type == Gst.MessageType.EOS:
                    raise RtspError("the stream ended at once")
                raise _bus_error(message)
        if self.codec != "h264":
            raise RtspError(
                f"its video codec ({self.codec}) cannot be passed through "
                "(the relay forwards H.264 as it is and never transcodes)",
                status=415,
            )

    def pictures(self, stop: Event) -> Iterator[Picture]:
        """Each picture as it arrives; ends quietly on `stop`, raises RtspError when the stream fails
        and TimeoutError when it stalls for the read timeout."""
        last = time.monotonic()
        while not stop.is_set():
            sample = self.sink.try_pull_sample(_PULL_NS)
            if sample is None:
                message = self.bus.pop_filtered(Gst.MessageType.ERROR | Gst.MessageType.EOS)
                if message is not None:
                    if message.type == Gst.MessageType.EOS:
                        return
                    raise _bus_error(message)
                if self.sink.is_eos():
                    return
                if time.monotonic() - last > self.read_timeout_s:
                    raise TimeoutError
                continue
            last = time.monotonic()
            buffer = sample.get_buffer()
            pts = None if buffer.pts == Gst.CLOCK_TIME_NONE else buffer.pts * 90000 // Gst.SECOND
            data = buffer.extract_dup(0, buffer.get_size())
            yield Picture(data, pts, starts_decoding(data))

    def close(self) -> None:
        self.pipeline.set_state(Gst.State.NULL)
        # The handler is a bound method held by GObject, where Python's collector cannot see it: left
        # connected, it keeps this object, and with it the whole pipeline, alive for good (~37 kB an open).
        if self._pad_handler:
            self._src.disconnect(self._pad_handler)
            self._pad_handler = 0
