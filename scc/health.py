"""Health of every process, kept in storage so any process can read it.

Each component (the supervisor for the processes it runs, and workers for
their own activity and backlog) writes one row; /healthz and the admin page
read them. A row not refreshed within STALE_AFTER counts as stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from .clock import as_utc, utcnow
from .storage.schema import component_health

STALE_AFTER = timedelta(seconds=30)
HEALTHY = ("up",)


def report(engine: Engine, name: str, *, kind: str, status: str, **fields: Any) -> None:
    """Insert or update the row of `name` (only the given fields change)."""
    values = {"kind": kind, "status": status, "updated_at": utcnow(), **fields}
    with engine.begin() as conn:
        done = conn.execute(component_health.update().where(component_health.c.name == name).values(**values))
        if done.rowcount == 0:
            conn.execute(component_health.insert().values(name=name, **values))


def read_all(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(component_health).order_by(component_health.c.name))
        return [dict(r._mapping) for r in rows]


def effective_status(row: dict[str, Any], now: datetime) -> str:
    if row["status"] in HEALTHY and now - as_utc(row["updated_at"]) > STALE_AFTER:
        return "stale"
    return row["status"]


def summary(engine: Engine) -> tuple[bool, dict[str, Any]]:
    """(healthy, document) for GET /healthz."""
    now = utcnow()
    components: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        components["database"] = {"status": "up"}
        rows = read_all(engine)
    except SQLAlchemyError as exc:
        components["database"] = {"status": "down", "detail": type(exc).__name__}
        rows = []
    for row in rows:
        components[row["name"]] = {
            "kind": row["kind"],
            "status": effective_status(row, now),
            "restarts": row["restarts"],
            "backlog": row["backlog"],
            "last_activity": as_utc(row["last_activity"]).isoformat() if row["last_activity"] else None,
            "updated_at": as_utc(row["updated_at"]).isoformat(),
            "detail": row["detail"],
        }
    healthy = all(c["status"] in HEALTHY for c in components.values())
    return healthy, {"status": "ok" if healthy else "degraded", "checked_at": now.isoformat(),
                     "components": components}
