"""A machine-readable clock painted into every simulated frame, to measure latency glass to glass.

The strip runs the full width of the frame along its bottom edge: 52 equal cells,
white for 1 and black for 0, a start pattern, 44 bits of epoch milliseconds (most
significant first; 44 bits last until the year 2527) and a stop pattern. Its
geometry is relative to the frame, so the same reader works on the 1280x720 main
stream, the 640x360 sub stream and a canvas capture of either in a browser. At
640x360 a cell is 12.3 px wide and 20 px high: large enough to survive H.264 at
the sub stream's bit rate, where a one-pixel code would smear.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BITS = 44
START = (1, 0, 1, 0)
STOP = (0, 1, 1, 0)
CELLS = len(START) + BITS + len(STOP)
STRIP_HEIGHT = 1 / 18  # of the frame height
# A cell counts only when its centre is clearly dark or clearly light: a frame without a
# strip (or a smeared one) then reads as None instead of as a wrong time.
MIN_CONTRAST = 100.0
MARGIN = 0.25  # of the contrast, either side of the middle grey


def cells(epoch_ms: int) -> list[int]:
    """The 52 cells (1 = white) that encode `epoch_ms`."""
    if not 0 <= epoch_ms < 1 << BITS:
        raise ValueError("epoch_ms out of the 44-bit range")
    data = [(epoch_ms >> (BITS - 1 - i)) & 1 for i in range(BITS)]
    return [*START, *data, *STOP]


def strip_box(width: int, height: int) -> tuple[float, float, float]:
    """(top, strip height, cell width) in pixels for a frame of this size."""
    strip_h = height * STRIP_HEIGHT
    return height - strip_h, strip_h, width / CELLS


def paint(frame_bgr: np.ndarray, epoch_ms: int) -> None:
    """Paint the strip into a BGR (or grey) frame in place; the simulator paints with cairo, tests with this."""
    height, width = frame_bgr.shape[:2]
    top, _, cell_w = strip_box(width, height)
    y0 = round(top)
    for i, bit in enumerate(cells(epoch_ms)):
        x0, x1 = round(i * cell_w), round((i + 1) * cell_w)
        frame_bgr[y0:height, x0:x1] = 255 if bit else 0


def read_timecode(frame_bgr: np.ndarray) -> int | None:
    """The epoch milliseconds painted in a decoded frame, or None when it carries no readable strip."""
    if frame_bgr.ndim not in (2, 3) or frame_bgr.shape[0] < 36 or frame_bgr.shape[1] < CELLS * 4:
        return None
    height, width = frame_bgr.shape[:2]
    top, strip_h, cell_w = strip_box(width, height)
    # Sample the middle half of each cell in both directions: compression blurs the edges.
    y0, y1 = round(top + strip_h * 0.25), round(top + strip_h * 0.75)
    band = np.asarray(frame_bgr[y0 : max(y1, y0 + 1)], dtype=np.float32)
    grey = band if band.ndim == 2 else band[..., :3].mean(axis=2)
    values = []
    for i in range(CELLS):
        x0, x1 = round((i + 0.25) * cell_w), round((i + 0.75) * cell_w)
        values.append(float(grey[:, x0 : max(x1, x0 + 1)].mean()))
    bits = _threshold(values)
    if bits is None or tuple(bits[: len(START)]) != START or tuple(bits[-len(STOP) :]) != STOP:
        return None
    value = 0
    for bit in bits[len(START) : len(START) + BITS]:
        value = (value << 1) | bit
    return value


def _threshold(values: Sequence[float]) -> list[int] | None:
    low, high = min(values), max(values)
    contrast = high - low
    if contrast < MIN_CONTRAST:
        return None
    middle = (low + high) / 2
    if any(abs(v - middle) < contrast * MARGIN for v in values):
        return None
    return [1 if v > middle else 0 for v in values]
