"""Snapshot files: the newest JPEG of each camera, and one kept every few minutes within a disk cap.

The newest one is what the wall shows when WebRTC cannot play, so it is
replaced atomically (a reader never sees half a file). Kept ones are hard links
to a newest one, so keeping costs no second encode and no copy.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from scc.storage.cameras import SNAPSHOTS, kept_time, snapshot_path

log = logging.getLogger(__name__)

JPEG_QUALITY = 80


def write_latest(data_dir: Path, camera_id: str, frame: np.ndarray) -> Path:
    """Encode `frame` and put it in place of the camera's newest snapshot in one rename."""
    target = snapshot_path(data_dir, camera_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError(f"camera {camera_id}: JPEG encoding failed")
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.write_bytes(jpeg.tobytes())
    os.replace(partial, target)
    return target


def keep(data_dir: Path, camera_id: str, at: datetime) -> Path | None:
    """Keep the camera's newest snapshot under the time `at`; None if there is none yet."""
    latest = snapshot_path(data_dir, camera_id)
    kept = snapshot_path(data_dir, camera_id, at)
    try:
        os.link(latest, kept)
    except FileExistsError:
        return kept
    except FileNotFoundError:
        return None
    except OSError:  # a file system without hard links
        shutil.copyfile(latest, kept)
    return kept


@dataclass(frozen=True)
class Pruned:
    removed: int
    kept: int
    kept_bytes: int


def prune(data_dir: Path, now: datetime, retention: timedelta, cap_bytes: int) -> Pruned:
    """Delete kept snapshots older than `retention`, then the oldest until all kept ones fit in `cap_bytes`.

    Runs over every camera's folder, since the cap is one figure for the installation.
    Several workers may prune at once: a file another one removed first is skipped.
    """
    files: list[tuple[datetime, int, Path]] = []
    removed = 0
    root = Path(data_dir) / SNAPSHOTS
    for folder in root.iterdir() if root.is_dir() else ():
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            at = kept_time(path)
            if at is None:
                continue
            try:
                if now - at > retention:
                    path.unlink()
                    removed += 1
                    continue
                files.append((at, path.stat().st_size, path))
            except FileNotFoundError:
                continue
    files.sort()
    total = sum(size for _, size, _ in files)
    index = 0
    while total > cap_bytes and index < len(files):
        _, size, path = files[index]
        index += 1
        path.unlink(missing_ok=True)
        total -= size
        removed += 1
    if removed:
        log.info("snapshots: removed %d kept files (retention and disk cap)", removed)
    return Pruned(removed=removed, kept=len(files) - index, kept_bytes=total)
