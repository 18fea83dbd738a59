"""Reading alerts, for the pages (through dashboard.queries) and the tests: what is in sight now, one alert,
the history, the silences. Each read goes through an index; none reads the history whole.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, select

from scc.clock import as_utc, utcnow
from scc.storage.alerts import SEVERITIES, AlertState, Severity, alert_silences, alerts

HISTORY_LIMIT = 500


@dataclass(frozen=True)
class AlertView:
    id: int
    rule: str
    kind: str
    subject: str
    skpd_code: str | None
    severity: Severity
    state: AlertState
    started_at: datetime
    fired_at: datetime | None
    ended_at: datetime | None
    detail: dict[str, Any]
    silenced: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_note: str
    notify_count: int
    next_notify_at: datetime | None

    @property
    def open(self) -> bool:
        return self.ended_at is None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def age(self, now: datetime) -> timedelta:
        """How long its condition has held (or held, until it ended): what the wall orders it by."""
        return (self.ended_at or now) - self.started_at


@dataclass(frozen=True)
class SilenceView:
    id: int
    rule: str
    subject: str | None  # None: every subject of the rule
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    lifted_at: datetime | None
    lifted_by: str | None

    def in_force(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at and self.lifted_at is None


def in_sight(
    engine: Engine, *, skpd: str | None = None, rules: Collection[str] | None = None, pending: bool = False
) -> list[AlertView]:
    """What needs someone: the open alerts (firing; pending too if asked) and those that fired, ended and were
    never acknowledged. The most severe first, the open before the ended, then the oldest (by when its condition
    began); `skpd`: only that unit's; `rules`: only those rules' (scc.alerts.routing)."""
    a = alerts.c
    states = ("pending", "firing") if pending else ("firing",)
    open_q = select(alerts).where(a.ended_at.is_(None), a.state.in_(states))
    unseen_q = select(alerts).where(a.acknowledged_at.is_(None), a.fired_at.is_not(None), a.ended_at.is_not(None))
    if skpd is not None:
        open_q, unseen_q = open_q.where(a.skpd_code == skpd), unseen_q.where(a.skpd_code == skpd)
    if rules is not None:
        open_q, unseen_q = open_q.where(a.rule.in_(sorted(rules))), unseen_q.where(a.rule.in_(sorted(rules)))
    with engine.connect() as conn:
        rows = [*conn.execute(open_q), *conn.execute(unseen_q)]
    found = [_view(r) for r in rows]
    return sorted(found, key=lambda v: (SEVERITIES.index(v.severity), not v.open, v.started_at, v.id))


def get(engine: Engine, alert_id: int) -> AlertView | None:
    with engine.connect() as conn:
        row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    return None if row is None else _view(row)


def history(
    engine: Engine,
    since: datetime,
    until: datetime | None = None,
    *,
    rule: str | None = None,
    subject: str | None = None,
    skpd: str | None = None,
    rules: Collection[str] | None = None,
    limit: int = HISTORY_LIMIT,
) -> list[AlertView]:
    """Alerts whose condition began in [since, until), newest first (withdrawn ones included: they are
    what a flapping subject did), at most `limit`."""
    a = alerts.c
    query = select(alerts).where(a.started_at >= since)
    if until is not None:
        query = query.where(a.started_at < until)
    if rule is not None:
        query = query.where(a.rule == rule)
        if subject is not None:
            query = query.where(a.subject == subject)
    if skpd is not None:
        query = query.where(a.skpd_code == skpd)
    if rules is not None:
        query = query.where(a.rule.in_(sorted(rules)))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(a.started_at.desc(), a.id.desc()).limit(limit))
        return [_view(r) for r in rows]


def silences(
    engine: Engine, now: datetime | None = None, *, ended_within: timedelta = timedelta(0)
) -> list[SilenceView]:
    """The silences in force or to come (and those that ended within `ended_within`), ending soonest first."""
    now = now or utcnow()
    s = alert_silences.c
    with engine.connect() as conn:
        rows = conn.execute(select(alert_silences).where(s.ends_at > now - ended_within).order_by(s.ends_at, s.id))
        return [
            SilenceView(
                id=r.id,
                rule=r.rule,
                subject=r.subject,
                starts_at=as_utc(r.starts_at),
                ends_at=as_utc(r.ends_at),
                reason=r.reason,
                created_by=r.created_by,
                lifted_at=_utc(r.lifted_at),
                lifted_by=r.lifted_by,
            )
            for r in rows
        ]


def _view(r: Row[Any]) -> AlertView:
    return AlertView(
        id=r.id,
        rule=r.rule,
        kind=r.kind,
        subject=r.subject,
        skpd_code=r.skpd_code,
        severity=r.severity,
        state=r.state,
        started_at=as_utc(r.started_at),
        fired_at=_utc(r.fired_at),
        ended_at=_utc(r.ended_at),
        detail=dict(r.detail or {}),
        silenced=r.silence_id is not None,
        acknowledged_at=_utc(r.acknowledged_at),
        acknowledged_by=r.acknowledged_by,
        acknowledged_note=r.acknowledged_note or "",
        notify_count=r.notify_count,
        next_notify_at=_utc(r.next_notify_at),
    )


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)
