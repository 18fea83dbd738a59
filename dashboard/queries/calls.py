"""Call-center reads: recent incidents and how many are open."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from scc.clock import utcnow
from scc.storage.calls import OPEN_STATUSES, incidents


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
