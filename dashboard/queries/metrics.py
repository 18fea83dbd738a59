"""SKPD metric reads: each metric's newest value, and which units are online."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, select

from scc.clock import utcnow
from scc.settings import Settings
from scc.storage.metrics import MetricFreshness, metric_samples, skpd_status


def latest_metrics(engine: Engine, settings: Settings, skpd_code: str | None = None) -> list[dict[str, Any]]:
    """The catalog (for one SKPD or all) with each metric's newest value and whether it is late."""
    newest = select(metric_samples.c.skpd_code, metric_samples.c.metric_key, func.max(metric_samples.c.ts).label("ts"))
    if skpd_code:
        newest = newest.where(metric_samples.c.skpd_code == skpd_code)
    sub = newest.group_by(metric_samples.c.skpd_code, metric_samples.c.metric_key).subquery()
    query = select(
        metric_samples.c.skpd_code, metric_samples.c.metric_key, metric_samples.c.ts, metric_samples.c.value
    ).join(
        sub,
        and_(
            metric_samples.c.skpd_code == sub.c.skpd_code,
            metric_samples.c.metric_key == sub.c.metric_key,
            metric_samples.c.ts == sub.c.ts,
        ),
    )
    with engine.connect() as conn:
        values = {(r.skpd_code, r.metric_key): r for r in conn.execute(query)}
    now = utcnow()
    out = []
    for metric in settings.metrics:
        if skpd_code and metric.skpd != skpd_code:
            continue
        sample = values.get((metric.skpd, metric.key))
        status: MetricFreshness
        if sample is None:
            status = "nodata"
        else:
            status = "late" if now - sample.ts > timedelta(seconds=2 * metric.interval_s) else "ok"
        out.append(
            {
                "metric": metric,
                "value": sample.value if sample else None,
                "ts": sample.ts if sample else None,
                "status": status,
            }
        )
    return out


def skpd_availability(engine: Engine, settings: Settings) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = {r.skpd_code: r for r in conn.execute(select(skpd_status))}
    known = [s.code for s in settings.skpd]
    return {
        "total": len(known),
        "online": sum(1 for c in known if c in rows and rows[c].online),
        "offline": [c for c in known if c in rows and not rows[c].online],
        "silent": sum(1 for c in known if c not in rows),
    }
