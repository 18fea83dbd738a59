"""The timecode painted into a simulated camera's frames, read back for latency figures: from a frame
Chromium shows (`painted_ms`), or from a frame the moment it arrives over RTSP (`rtsp_lags_ms`).

Used by the camera tests and by benchmarks/cameras.py.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import numpy as np

from streams.cameras.timecode import read_timecode

# The next frame the video shows, drawn into a canvas at its own size, and when it was presented (epoch
# ms); only the bottom ninth (where the timecode strip is) comes back, to keep each sample small.
CAPTURE = """([sel, k]) => new Promise((resolve) => {
  const video = document.querySelectorAll(sel)[k];
  video.requestVideoFrameCallback((_now, meta) => {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const g = canvas.getContext("2d");
    g.drawImage(video, 0, 0);
    const rows = Math.ceil(canvas.height / 9);
    const data = g.getImageData(0, canvas.height - rows, canvas.width, rows).data;
    let text = "";
    for (let i = 0; i < data.length; i += 0x8000) {
      text += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
    }
    resolve({w: canvas.width, h: canvas.height, rows: rows, at: performance.timeOrigin + meta.presentationTime,
             rgba: btoa(text)});
  });
})"""


def painted_ms(page: Any, selector: str, k: int = 0) -> tuple[int | None, float]:
    """(the timecode painted into the next frame the k-th video matching `selector` shows, when it was shown),
    both epoch ms; the timecode is None when no strip is found."""
    shot = page.evaluate(CAPTURE, [selector, k])
    rows = np.frombuffer(base64.b64decode(shot["rgba"]), dtype=np.uint8).reshape(shot["rows"], shot["w"], 4)
    frame = np.zeros((shot["h"], shot["w"], 3), dtype=np.uint8)  # the strip's place is relative to the frame
    frame[shot["h"] - shot["rows"] :] = rows[:, :, 2::-1]  # RGBA -> BGR
    return read_timecode(frame), float(shot["at"])


def rtsp_lags_ms(url: str, n: int, timeout_s: float = 15.0) -> list[float]:
    """Painted time -> arrival, in ms, of up to `n` frames of an RTSP stream, read by GStreamer's own
    RTSP client and decoder the moment each arrives: the camera and RTSP alone, no relay, no browser."""
    import gi

    gi.require_version("Gst", "1.0")
    from gi.repository import Gst

    Gst.init(None)
    pipeline = Gst.parse_launch(
        "rtspsrc name=src latency=0 protocols=tcp ! rtph264depay ! avdec_h264 max-threads=1 ! videoconvert"
        " ! video/x-raw,format=GRAY8 ! appsink name=sink sync=false max-buffers=50"
    )
    pipeline.get_by_name("src").set_property("location", url)
    sink = pipeline.get_by_name("sink")
    lags: list[float] = []
    pipeline.set_state(Gst.State.PLAYING)
    try:
        deadline = time.monotonic() + timeout_s
        while len(lags) < n and time.monotonic() < deadline:
            sample = sink.emit("try-pull-sample", Gst.SECOND)
            if sample is None:
                continue
            arrived = time.time() * 1000
            shape = sample.get_caps().get_structure(0)
            width, height = shape.get_value("width"), shape.get_value("height")
            buffer = sample.get_buffer()
            ok, info = buffer.map(Gst.MapFlags.READ)
            assert ok
            try:
                stride = len(info.data) // height  # GRAY8 rows are padded to 4 bytes
                frame = np.frombuffer(info.data, np.uint8).reshape(height, stride)[:, :width]
                stamp = read_timecode(frame)
            finally:
                buffer.unmap(info)
            if stamp is not None:
                lags.append(arrived - stamp)
    finally:
        pipeline.set_state(Gst.State.NULL)
    return lags
