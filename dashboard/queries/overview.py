"""The overview's one read: a summary of every domain for the wall.

Every wall screen and the bupati's office ask for the same summary every few
seconds; each web process keeps its newest reading for a second (kept.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from scc.settings import Settings

from . import callcenter, cameras, metrics
from .kept import Kept

FRESH_S = 1.0
_kept: Kept[dict[str, Any]] = Kept(FRESH_S)


def overview(engine: Engine, settings: Settings) -> dict[str, Any]:
    """The summary, at most FRESH_S old. Callers must not change it."""
    return _kept.get(id(engine), lambda: _read(engine, settings))


def _read(engine: Engine, settings: Settings) -> dict[str, Any]:
    cams = [c for c in cameras.cameras(engine, settings) if not c.planned]
    by_status: dict[str, int] = {}
    for cam in cams:
        by_status[cam.status] = by_status.get(cam.status, 0) + 1
    return {
        "installed": cams,
        "cameras": {"total": len(cams), "planned": len(settings.cameras) - len(cams), **by_status},
        "calls": callcenter.incident_counts(engine),
        "units": callcenter.by_kind(callcenter.units_status(engine, settings)),
        "skpd": metrics.skpd_availability(engine, settings),
        # a day's worth (about 50): what the wall cannot show it pages through, a desk opens with "+N lainnya"
        "incidents": callcenter.recent_incidents(engine, limit=60),
        "problem_cameras": [c for c in cams if c.status in ("offline", "error", "stale")],
    }
