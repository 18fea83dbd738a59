"""What the alert tests share: rules written here (not the shipped file), a clock passed in, and the rows the
capabilities would write, put straight into their tables."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from scc.alerts import evaluator
from scc.settings import Settings
from scc.settings.alerts import AlertsFile
from scc.storage.alerts import alerts
from scc.storage.callcenter import incidents
from scc.storage.cameras import camera_state
from scc.storage.metrics import metric_latest, metric_unit_status
from scc.storage.platform import audit_log

T0 = datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rule(id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": id, "name": {"id": id, "en": id}, "kind": kind, "severity": "warning", **fields}


def with_rules(settings: Settings, *rules: dict[str, Any], every: float = 2) -> Settings:
    return dataclasses.replace(settings, alerts=AlertsFile.model_validate({"evaluate_every_s": every, "rules": rules}))


def installed(settings: Settings, uplink: str) -> list[str]:
    return [c.id for c in settings.cameras if c.uplink == uplink and c.status == "active"]


def camera(engine: Engine, camera_id: str, status: str, now: datetime, last_frame_at: datetime | None) -> None:
    """A camera worker's row, as written at `now`."""
    row = dict(status=status, last_frame_at=last_frame_at, updated_at=now, reconnects=0)
    with engine.begin() as conn:
        if not conn.execute(update(camera_state).where(camera_state.c.camera_id == camera_id).values(**row)).rowcount:
            conn.execute(insert(camera_state).values(camera_id=camera_id, **row))


def cameras(engine: Engine, ids: list[str], status: str, now: datetime, last_frame_at: datetime | None) -> None:
    for camera_id in ids:
        camera(engine, camera_id, status, now, last_frame_at)


def unit(engine: Engine, code: str, *, online: bool, changed_at: datetime, heard: datetime | None) -> None:
    with engine.begin() as conn:
        conn.execute(delete(metric_unit_status).where(metric_unit_status.c.skpd_code == code))
        row = dict(skpd_code=code, online=online, changed_at=changed_at, last_message_at=heard)
        conn.execute(insert(metric_unit_status).values(**row))


def latest(engine: Engine, code: str, key: str, value: float, ts: datetime) -> None:
    with engine.begin() as conn:
        t = metric_latest.c
        conn.execute(delete(metric_latest).where(t.skpd_code == code, t.metric_key == key))
        conn.execute(insert(metric_latest).values(skpd_code=code, metric_key=key, ts=ts, value=value, received_at=ts))


def incident(engine: Engine, received_at: datetime, **fields: Any) -> int:
    row = dict(
        line_code="psc-119", category="medical", priority=1, status="received", received_at=received_at,
        created_by="operator", summary="", source="intake",
    )  # fmt: skip
    with engine.begin() as conn:
        return int(conn.execute(insert(incidents).values(**(row | fields)).returning(incidents.c.id)).scalar_one())


def set_incident(engine: Engine, incident_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(incidents).where(incidents.c.id == incident_id).values(**values))


def run(engine: Engine, settings: Settings, *seconds: float) -> evaluator.Round:
    """A round at each of these times after T0; the last one's."""
    done = None
    for s in seconds:
        done = evaluator.evaluate(engine, settings, at(s))
    assert done is not None
    return done


def every(start: float, stop: float, step: float = 2) -> list[float]:
    out, s = [], start
    while s <= stop:
        out.append(s)
        s += step
    return out


def stored(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(alerts).order_by(alerts.c.id))]


def audited(engine: Engine) -> list[tuple[str, str]]:
    """(action, target) of every audit row, in order."""
    with engine.connect() as conn:
        return [(r.action, r.target) for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]
