"""Audit log: who changed what, and when. Written in the same transaction as the change."""

from __future__ import annotations

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


def recent(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]
