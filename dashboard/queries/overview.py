"""The overview's one read: a summary of every domain for the wall."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from scc.settings import Settings

from . import calls, cameras, metrics


def overview(engine: Engine, settings: Settings) -> dict[str, Any]:
    cams = [c for c in cameras.cameras(engine, settings) if not c.planned]
    by_status: dict[str, int] = {}
    for cam in cams:
        by_status[cam.status] = by_status.get(cam.status, 0) + 1
    return {
        "cameras": {"total": len(cams), "planned": len(settings.cameras) - len(cams), **by_status},
        "calls": calls.incident_counts(engine),
        "skpd": metrics.skpd_availability(engine, settings),
        "incidents": calls.recent_incidents(engine, limit=8),
        "problem_cameras": [c for c in cams if c.status in ("offline", "error", "stale")],
    }
