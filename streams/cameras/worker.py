"""A camera worker: `python -m streams.cameras.worker --slice K/N` reads every N-th active camera.

The cameras are spread over a few processes (config: cameras.workers.processes)
so that a hung or slow camera, or FFmpeg running out of memory, stays inside
one of them. Each camera has its own reader thread (reader.py); one loop
analyses the newest frame of each at `analysis_fps` and hands the results to
the state writer (camera_state.py). The heartbeat `cameras-worker-K` carries the
process's CPU share, which the camera health page shows.
"""

from __future__ import annotations

import os

# Before cv2 loads (analysis, snapshots and reader import it). Without the first, OpenCV
# serialises every open behind one lock, so one hung camera delays all the others of the
# process by its open timeout (docs/field-notes.md "Opens are serialised per process").
# TCP: radio links lose UDP packets; the short probe brings an open from ~3 s to ~0.3 s
# (docs/field-notes.md "Open time over RTSP"). OpenCV's own warnings (one per open saying
# its lock is off) are dropped; FFmpeg's errors still reach stderr.
os.environ.setdefault("OPENCV_FFMPEG_IS_THREAD_SAFE", "1")
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp|analyzeduration;500000|probesize;32768")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

import argparse
import logging
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import cv2
import numpy as np

from scc import boot
from scc.clock import utcnow
from scc.health import CpuMeter, Heartbeat
from scc.settings.cameras import Camera
from scc.settings.cameras_services import WorkersConfig
from scc.storage import connect
from scc.storage.cameras import CameraStatus

from . import snapshots
from .analysis import Activity, Outage, judge, state_row, wall_time
from .camera_state import StateWriter, close_outages_of_unwatched, settle_open_outages
from .reader import Reader, Timeouts

log = logging.getLogger("streams.cameras.worker")

HEARTBEAT_S = 5
# The newest snapshot is rewritten at most this often (the wall's fallback refreshes every 2 s).
LATEST_EVERY_S = 1.0
PRUNE_EVERY_S = 60.0
# The loop is stuck (no heartbeat then) when it has not gone round for this long.
STUCK_AFTER_S = 10.0


def parse_slice(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match or not 0 <= int(match[1]) < int(match[2]):
        raise argparse.ArgumentTypeError("expected K/N with 0 <= K < N, e.g. 0/2")
    return int(match[1]), int(match[2])


def my_cameras(cameras: Iterable[Camera], k: int, n: int) -> list[Camera]:
    """Every n-th active camera, starting at the k-th, in the order of cameras.yaml."""
    return [c for c in cameras if c.status == "active"][k::n]


def guard_stderr(secrets: Sequence[str]) -> None:
    """Pass everything written to fd 2 through a filter that blanks credentials.

    FFmpeg and OpenCV write their own messages to fd 2, out of reach of Python's
    logging; none seen so far carries the URL, but the password must never reach
    the supervisor's log even if one did.
    """
    words = sorted({s for secret in secrets if secret for s in (secret, quote(secret, safe=""))}, key=len, reverse=True)
    userinfo = re.compile(rb"(?<=://)[^/@\s]+@")
    original = os.dup(2)
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)

    def pump() -> None:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            for line in iter(pipe.readline, b""):
                line = userinfo.sub(b"***@", line)
                for word in words:
                    line = line.replace(word.encode(), b"***")
                os.write(original, line)

    threading.Thread(target=pump, name="stderr-guard", daemon=True).start()


@dataclass
class Watched:
    """A camera and what the analysis loop remembers of it between rounds."""

    camera: Camera
    reader: Reader
    activity: Activity = field(default_factory=Activity)
    outage: Outage = field(default_factory=Outage)
    seq: int = 0
    latest_at: float = -1e9
    kept_bucket: int | None = None
    status: CameraStatus | None = None


class CameraWorker:
    def __init__(self, cameras: list[Camera], config: WorkersConfig, data_dir: Path, writer: StateWriter) -> None:
        self.config = config
        self.data_dir = data_dir
        self.writer = writer
        timeouts = Timeouts(config.open_timeout_s, config.read_timeout_s, config.backoff_min_s, config.backoff_max_s)
        self.watched = {
            c.id: Watched(c, Reader(c.id, c.stream_url("sub"), timeouts, on_open=self._came_back)) for c in cameras
        }
        self.ticked_at = time.monotonic()
        self._activity_at = time.monotonic()
        self._pruned_at = -1e9
        self._snapshot_failed = False

    def start(self, in_outage: set[str]) -> CameraWorker:
        for w in self.watched.values():
            w.outage.open = w.camera.id in in_outage
            w.reader.start()
        return self

    def stop(self) -> None:
        for w in self.watched.values():
            w.reader.stop()

    def _came_back(self, camera_id: str) -> None:
        """One camera of a link is back: the link is, so its siblings need not sit out their backoff."""
        uplink = self.watched[camera_id].camera.uplink
        for w in self.watched.values():
            if w.camera.uplink == uplink and w.camera.id != camera_id:
                w.reader.wake()

    def counts(self) -> Counter[str]:
        return Counter(w.status or "starting" for w in self.watched.values())

    def run(self, done: threading.Event) -> None:
        period = 1 / self.config.analysis_fps
        next_at = time.monotonic()
        while not done.is_set():
            self.tick()
            next_at = max(next_at + period, time.monotonic())
            done.wait(next_at - time.monotonic())

    def tick(self) -> None:
        now_mono, now = time.monotonic(), utcnow()
        self.ticked_at = now_mono
        store_activity = now_mono - self._activity_at >= self.config.activity_every_s
        if store_activity:
            self._activity_at = now_mono
        activity_rows = []
        for w in self.watched.values():
            try:
                self._one(w, now_mono, now)
            except Exception as exc:  # one odd frame must not stop the loop for every camera
                log.exception("camera %s: analysis failed (%s)", w.camera.id, type(exc).__name__)
            if store_activity:
                mean = w.activity.take_mean()
                if mean is not None:
                    activity_rows.append({"camera_id": w.camera.id, "at": now, "level": round(mean, 4)})
        if activity_rows:
            self.writer.add_activity(activity_rows)
        if now_mono - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = now_mono
            self._prune(now)

    def _one(self, w: Watched, now_mono: float, now: datetime) -> None:
        snap = w.reader.snapshot()
        fresh = snap.frame is not None and snap.seq != w.seq
        if fresh and snap.frame is not None:
            w.seq = snap.seq
            w.activity.update(snap.frame)
            if now_mono - w.latest_at >= LATEST_EVERY_S:
                w.latest_at = now_mono
                self._snapshot(w, snap.frame, now)
        status = judge(snap, now_mono, self.config.stale_after_s, self.config.offline_after_s, w.status)
        if status is None:
            return
        if status != w.status:
            log.info("camera %s: %s -> %s", w.camera.id, w.status or "starting", status)
            w.status = status
        last_frame_at = wall_time(snap.frame_at, now_mono, now) if snap.frame_at is not None else None
        reason = snap.error or f"no new frame for {self.config.offline_after_s:g} s"
        back_at = wall_time(snap.flowing_since or snap.down_since, now_mono, now)
        w.outage.see(status, wall_time(snap.down_since, now_mono, now), back_at, now, reason)
        for kind, at, why in w.outage.take():
            self.writer.outage(w.camera.id, kind, at, why)
        level = w.activity.level if status in ("online", "stale") else None
        self.writer.put_state(state_row(w.camera.id, status, snap, last_frame_at, level, now))

    def _snapshot(self, w: Watched, frame: np.ndarray, now: datetime) -> None:
        try:
            snapshots.write_latest(self.data_dir, w.camera.id, frame)
            bucket = int(now.timestamp() // self.config.snapshot_every_s)
            if bucket != w.kept_bucket:
                w.kept_bucket = bucket
                snapshots.keep(self.data_dir, w.camera.id, now)
        except (OSError, ValueError) as exc:
            if not self._snapshot_failed:
                log.error("camera %s: cannot write its snapshot: %s", w.camera.id, exc)
            self._snapshot_failed = True

    def _prune(self, now: datetime) -> None:
        try:
            snapshots.prune(
                self.data_dir,
                now,
                timedelta(hours=self.config.snapshot_retention_h),
                int(self.config.snapshot_disk_mb * 1024 * 1024),
            )
        except OSError as exc:
            log.error("cannot prune kept snapshots: %s", exc)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m streams.cameras.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--slice", type=parse_slice, default=(0, 1), help="K/N: this worker's share (default 0/1)")
    k, n = parser.parse_args(argv).slice
    # The per-frame work is small; OpenCV's thread pool would cost more in wake-ups than it saves.
    cv2.setNumThreads(1)
    settings = boot.settings_or_exit()
    cameras = my_cameras(settings.cameras, k, n)
    guard_stderr([c.password.get_secret_value() for c in cameras if c.password])
    name = f"cameras-worker-{k}"
    engine = connect(settings.database_url)
    uplinks = {c.id: c.uplink for c in cameras}
    in_outage = settle_open_outages(engine, uplinks)
    if k == 0:  # one worker speaks for the cameras no worker reads any more
        close_outages_of_unwatched(engine, {c.id for c in settings.cameras if c.status == "active"})
    writer = StateWriter(engine, uplinks).start()
    worker = CameraWorker(cameras, settings.app.cameras.workers, settings.data_dir, writer).start(in_outage)
    log.info("%s: %d cameras (%s)", name, len(cameras), ", ".join(uplinks) or "none")
    cpu = CpuMeter()

    def probe() -> tuple[int, str]:
        if time.monotonic() - worker.ticked_at > STUCK_AFTER_S:
            raise RuntimeError("the analysis loop is stuck")
        if writer.failing:
            raise RuntimeError("cannot write to storage")
        counts = worker.counts()
        states = ", ".join(f"{counts[s]} {s}" for s in ("online", "stale", "offline", "error", "starting") if counts[s])
        return 0, f"cpu {cpu.percent():.1f}%; {len(cameras)} cameras: {states or 'none'}"

    heartbeat = Heartbeat(engine, name, HEARTBEAT_S, probe).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    worker.run(done)
    log.info("%s: stopping (open outages stay open until the camera is seen again)", name)
    worker.stop()
    writer.stop()
    heartbeat.stop()
    engine.dispose()
    logging.shutdown()
    sys.stderr.flush()
    time.sleep(0.1)  # the stderr guard forwards the last lines
    # Reader threads may sit in a blocking FFmpeg read for seconds; nothing of theirs is left to save.
    os._exit(0)


if __name__ == "__main__":
    main()
