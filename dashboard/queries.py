"""Small read-only queries the pages call; no page writes SQL of its own.

Each returns plain dicts merged with the configured regency, so a camera or
metric with no stored data yet still appears, marked as having none.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, select

from scc.clock import as_utc, utcnow
from scc.settings import Settings
from scc.storage.schema import camera_state, incidents, metric_samples, skpd_status

OPEN_STATUSES = ("received", "dispatched", "on_scene")


def cameras(engine: Engine, settings: Settings) -> list[dict[str, Any]]:
    """Every configured camera with its stored state (status 'nodata' when none)."""
    with engine.connect() as conn:
        states = {r.camera_id: r._mapping for r in conn.execute(select(camera_state))}
    out = []
    for cam in settings.cameras:
        state = states.get(cam.id)
        status = "planned" if cam.status == "planned" else (state["status"] if state else "nodata")
        out.append({"id": cam.id, "name": cam.name, "site": cam.site, "skpd": cam.skpd,
                    "district": cam.district, "link": cam.link, "planned": cam.status == "planned",
                    "status": status, "last_frame_at": state["last_frame_at"] if state else None,
                    "fps": state["fps"] if state else None, "reconnects": state["reconnects"] if state else 0,
                    "last_error": state["last_error"] if state else None})
    return out


def recent_incidents(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(incidents).order_by(incidents.c.received_at.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]


def incident_counts(engine: Engine) -> dict[str, int]:
    since = utcnow() - timedelta(hours=24)
    with engine.connect() as conn:
        open_ = conn.scalar(select(func.count()).where(incidents.c.status.in_(OPEN_STATUSES)))
        day = conn.scalar(select(func.count()).where(incidents.c.received_at >= since))
    return {"open": open_ or 0, "last_24h": day or 0}


def latest_metrics(engine: Engine, settings: Settings, skpd_code: str | None = None) -> list[dict[str, Any]]:
    """The catalog (for one SKPD or all) with each metric's newest value and whether it is late."""
    newest = select(metric_samples.c.skpd_code, metric_samples.c.metric_key,
                    func.max(metric_samples.c.ts).label("ts"))
    if skpd_code:
        newest = newest.where(metric_samples.c.skpd_code == skpd_code)
    newest = newest.group_by(metric_samples.c.skpd_code, metric_samples.c.metric_key).subquery()
    query = select(metric_samples.c.skpd_code, metric_samples.c.metric_key, metric_samples.c.ts,
                   metric_samples.c.value).join(newest, and_(
                       metric_samples.c.skpd_code == newest.c.skpd_code,
                       metric_samples.c.metric_key == newest.c.metric_key,
                       metric_samples.c.ts == newest.c.ts))
    with engine.connect() as conn:
        values = {(r.skpd_code, r.metric_key): r for r in conn.execute(query)}
    now = utcnow()
    out = []
    for metric in settings.metrics:
        if skpd_code and metric.skpd != skpd_code:
            continue
        sample = values.get((metric.skpd, metric.key))
        if sample is None:
            status = "nodata"
        else:
            late = now - as_utc(sample.ts) > timedelta(seconds=2 * metric.interval_s)
            status = "late" if late else "ok"
        out.append({"metric": metric, "value": sample.value if sample else None,
                    "ts": sample.ts if sample else None, "status": status})
    return out


def skpd_availability(engine: Engine, settings: Settings) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = {r.skpd_code: r for r in conn.execute(select(skpd_status))}
    known = [s.code for s in settings.skpd]
    return {"total": len(known), "online": sum(1 for c in known if c in rows and rows[c].online),
            "offline": [c for c in known if c in rows and not rows[c].online],
            "silent": sum(1 for c in known if c not in rows)}


def overview(engine: Engine, settings: Settings) -> dict[str, Any]:
    cams = [c for c in cameras(engine, settings) if not c["planned"]]
    by_status: dict[str, int] = {}
    for cam in cams:
        by_status[cam["status"]] = by_status.get(cam["status"], 0) + 1
    return {
        "cameras": {"total": len(cams), "planned": len(settings.cameras) - len(cams), **by_status},
        "calls": incident_counts(engine),
        "skpd": skpd_availability(engine, settings),
        "incidents": recent_incidents(engine, limit=8),
        "problem_cameras": [c for c in cams if c["status"] in ("offline", "error", "stale")],
    }
