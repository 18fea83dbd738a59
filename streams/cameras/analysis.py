"""What a camera worker concludes from a reader, several times a second: status, activity, outages.

Status is judged by the age of the newest frame, since OpenCV's `read()` notices a
stalled link only after (held frames + 1) read timeouts, too late for the wall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import cv2
import numpy as np

from scc.storage.cameras import CameraStatus

from .reader import Snapshot

# Background subtraction runs on this small grey copy: motion is still visible, and it
# costs a fraction of the decode. Nearest-neighbour: area averaging cost 0.4 ms a frame,
# as much as the model itself, and MOG2's own noise model absorbs the aliasing.
ACTIVITY_SIZE = (160, 90)
# Frames must flow this long before a camera that was down counts as back (judge()).
RECOVER_S = 0.5


def judge(
    snap: Snapshot, now: float, stale_after_s: float, offline_after_s: float, previous: CameraStatus | None = None
) -> CameraStatus | None:
    """The status a reader's state means at monotonic time `now`; None while the first open is under way.

    A camera that was not online (`previous`) counts as back only once frames have flowed
    for RECOVER_S: a stalled link that lets a new session through delivers a frame or two
    and stops again, and the wall would blink online every few seconds of a shower.
    """
    if not snap.connected and snap.fault is not None:
        # A 401 or 404 from a camera that has sent frames in this run is a camera in trouble
        # (rebooting, its stream being reconfigured), not a wrong setting: offline, with the reason.
        return "error" if snap.fault == "error" and snap.frame_at is None else "offline"
    age = now - snap.down_since  # the newest frame, or when reading began
    if age > offline_after_s:
        return "offline"
    if snap.frame_at is None or snap.frame_at < snap.down_since:
        return None
    status: CameraStatus = "stale" if age > stale_after_s else "online"
    flowed = snap.frame_at - (snap.flowing_since if snap.flowing_since is not None else snap.frame_at)
    if previous not in ("online", "stale") and flowed < RECOVER_S:
        return previous
    return status


class Activity:
    """Share of moving pixels (0..1) from OpenCV's MOG2 background model, averaged per interval."""

    def __init__(self) -> None:
        self._model = cv2.createBackgroundSubtractorMOG2(history=100, varThreshold=25, detectShadows=False)
        self._sum = 0.0
        self._count = 0
        self.level: float | None = None

    def update(self, frame: np.ndarray) -> float:
        small = cv2.resize(frame, ACTIVITY_SIZE, interpolation=cv2.INTER_NEAREST)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        mask = self._model.apply(grey)
        self.level = cv2.countNonZero(mask) / mask.size
        self._sum += self.level
        self._count += 1
        return self.level

    def take_mean(self) -> float | None:
        """The mean since the last call (the stored series), or None if no frame came meanwhile."""
        if self._count == 0:
            return None
        mean = self._sum / self._count
        self._sum, self._count = 0.0, 0
        return mean


@dataclass
class Outage:
    """Whether a camera is in an outage, so that each one is opened and closed exactly once."""

    open: bool = False
    events: list[tuple[str, datetime, str]] = field(default_factory=list)

    def see(self, status: CameraStatus, last_frame_at: datetime, back_at: datetime, now: datetime, reason: str) -> None:
        """`status` observed now; an outage starts at the last frame and ends when frames flowed again (`back_at`)."""
        if status in ("offline", "error") and not self.open:
            self.open = True
            self.events.append(("open", min(last_frame_at, now), reason))
        elif status == "online" and self.open:
            self.open = False
            self.events.append(("close", back_at, ""))

    def take(self) -> list[tuple[str, datetime, str]]:
        events, self.events = self.events, []
        return events


def state_row(
    camera_id: str,
    status: CameraStatus,
    snap: Snapshot,
    last_frame_at: datetime | None,
    activity: float | None,
    now: datetime,
) -> dict[str, Any]:
    """One camera_state row."""
    return {
        "camera_id": camera_id,
        "status": status,
        "last_frame_at": last_frame_at,
        "fps": round(snap.fps, 2) if snap.fps is not None and status in ("online", "stale") else None,
        "width": snap.width,
        "height": snap.height,
        "codec": snap.codec,
        "reconnects": snap.reconnects,
        "last_error": snap.error,
        "activity": round(activity, 4) if activity is not None else None,
        "updated_at": now,
    }


def wall_time(mono: float, now_mono: float, now: datetime) -> datetime:
    """A monotonic instant as a UTC datetime (monotonic survives clock steps, storage wants wall time)."""
    return now - timedelta(seconds=max(0.0, now_mono - mono))
