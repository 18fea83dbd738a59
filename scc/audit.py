"""Audit log: who changed what, and when. Written in the same transaction as the change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select

from .clock import utcnow
from .storage.platform import audit_log


def record(
    conn: Connection,
    actor: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> None:
    conn.execute(
        audit_log.insert().values(
            at=utcnow(), actor=actor, action=action, target=target, detail=detail or {}, remote_addr=remote_addr
        )
    )


def record_once(conn: Connection, actor: str, action: str, target: str, remote_addr: str, within: timedelta) -> None:
    """Record unless the same action came from the same address within `within`: a stream
    of refusals (whatever names it tries) is one row per window, and cannot push real
    events off the admin's page."""
    since = utcnow() - within
    seen = conn.execute(
        select(audit_log.c.id)
        .where(audit_log.c.action == action, audit_log.c.remote_addr == remote_addr)
        .where(audit_log.c.at >= since)
        .limit(1)
    ).first()
    if seen is None:
        record(conn, actor, action, target, remote_addr=remote_addr)


def recent(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]
