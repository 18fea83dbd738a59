"""The timecode painted into a frame Chromium shows: read back from a <video> for latency figures.

Used by the relay's browser tests and by benchmarks/cameras.py.
"""

from __future__ import annotations

import base64
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
