"""The simulator's streams: one GStreamer pipeline description per mount, and what it paints.

Every simulated frame is painted with cairo (python3-gi-cairo) in the pipeline's
streaming thread: the camera's name and site, a clock in WITA and the timecode
strip (streams.cameras.timecode) of the moment the frame leaves the "camera".
The moving pattern is videotestsrc's ball, cheap in C, on a background colour of
the camera's own so that tiles are told apart at a glance.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cairo

from scc.clock import WITA
from streams.cameras.timecode import cells, strip_box


@dataclass(frozen=True)
class StreamSpec:
    """One kind of mount: its size, rate and encoder."""

    kind: str  # main | sub | h265 | mjpeg
    width: int
    height: int
    fps: int
    bitrate_kbps: int = 0


MAIN = StreamSpec("main", 1280, 720, 10, 2048)
SUB = StreamSpec("sub", 640, 360, 5, 512)
TEST_H265 = StreamSpec("h265", 640, 360, 5, 512)
TEST_MJPEG = StreamSpec("mjpeg", 640, 360, 5)


def launch(spec: StreamSpec, seed: str) -> str:
    """The gst-rtsp-server launch line of one mount; `seed` picks the background colour."""
    raw = f"video/x-raw,format=BGRx,width={spec.width},height={spec.height},framerate={spec.fps}/1"
    colour = 0xFF000000 | (zlib.crc32(seed.encode()) & 0x3F3F3F)  # dark, so the white text reads
    source = (
        f"videotestsrc is-live=true pattern=ball background-color={colour} ! {raw} ! cairooverlay name=overlay"
        " ! videoconvert ! video/x-raw,format=I420 ! valve name=valve drop=false"
    )
    if spec.kind == "mjpeg":
        encode = "jpegenc quality=85 ! rtpjpegpay name=pay0 pt=26"
    elif spec.kind == "h265":
        encode = (
            f"x265enc tune=zerolatency speed-preset=ultrafast key-int-max={spec.fps} bitrate={spec.bitrate_kbps}"
            " ! video/x-h265,profile=main ! rtph265pay name=pay0 pt=96 config-interval=1"
        )
    else:
        # A keyframe every second: a WebRTC viewer joining in passthrough waits for the next one.
        encode = (
            f"x264enc threads=1 tune=zerolatency speed-preset=ultrafast key-int-max={spec.fps}"
            f" bitrate={spec.bitrate_kbps} ! video/x-h264,profile=constrained-baseline"
            " ! rtph264pay name=pay0 pt=96 config-interval=1"
        )
    return f"( {source} ! {encode} )"


class Painter:
    """The cairooverlay `draw` handler of one pipeline.

    The text band changes once a second (the clock), so it is rendered once a second into a
    surface of its own and only blitted per frame: drawing text per frame cost 8% of a core
    across 16 sub streams. The strip is redrawn every frame (52 rectangles).
    """

    def __init__(self, title: str, subtitle: str, spec: StreamSpec) -> None:
        self.title, self.subtitle, self.spec = title, subtitle, spec
        self.top, self.strip_h, self.cell_w = strip_box(spec.width, spec.height)
        self.font = spec.height / 20
        self.band_h = round(self.font * 3.6)
        self._band: Any = None
        self._band_second = -1

    def draw(self, _overlay: Any, cr: Any, _timestamp: int, _duration: int) -> None:
        now = time.time()
        second = int(now)
        if second != self._band_second:
            self._band, self._band_second = self._render_band(second), second
        cr.set_source_surface(self._band, 0, 0)
        cr.paint()
        self._strip(cr, int(now * 1000))

    def _render_band(self, second: int) -> Any:
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, self.spec.width, self.band_h)
        cr = cairo.Context(surface)
        pad = self.font * 0.6
        cr.set_source_rgba(0, 0, 0, 0.55)
        cr.paint()
        cr.select_font_face("DejaVu Sans", cairo.FONT_SLANT_NORMAL, cairo.FONT_WEIGHT_BOLD)
        cr.set_font_size(self.font)
        cr.set_source_rgb(1, 1, 1)
        cr.move_to(pad, pad + self.font)
        cr.show_text(self.title)
        clock = datetime.fromtimestamp(second, WITA).strftime("%Y-%m-%d %H:%M:%S WITA")
        cr.set_font_size(self.font * 0.8)
        cr.move_to(pad, pad + self.font * 2.3)
        cr.show_text(f"{self.subtitle}  ·  {clock}")
        surface.flush()
        return surface

    def _strip(self, cr: Any, epoch_ms: int) -> None:
        cr.set_source_rgb(1, 1, 1)
        cr.rectangle(0, self.top, self.spec.width, self.strip_h)
        cr.fill()
        cr.set_source_rgb(0, 0, 0)
        for i, bit in enumerate(cells(epoch_ms)):
            if not bit:
                cr.rectangle(i * self.cell_w, self.top, self.cell_w, self.strip_h)
        cr.fill()
