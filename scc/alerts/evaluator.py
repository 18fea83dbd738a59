"""One round: every enabled rule over what storage says now, in one short transaction.

The round reads the facts, the open alerts (through uq_alerts_open) and the silences in force (through
ix_alert_silences_ends), asks each rule's condition and each alert's lifecycle what changes, and writes
only that, with an audit row for each transition and silence mark, and the event other systems are told
(scc.alerts.events), in the same transaction. Nothing is kept between rounds but what is stored: a round
killed before its commit leaves nothing, and the next one computes the same transitions again from the
same stored state.

Every write is conditional on what the round read: an alert opens with INSERT ... ON CONFLICT DO NOTHING
on the one-open-alert-per-rule-and-subject index, and changes with UPDATE ... WHERE its state (and
acknowledgement) are still what was read. A second evaluator running at once (or an operator
acknowledging meanwhile) makes the other's write change nothing, and that one is neither audited nor
lost: the next round computes it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from scc import audit
from scc.clock import as_utc, utcnow
from scc.settings import Settings
from scc.settings.alerts import Rule
from scc.storage.alerts import alert_silences, alerts

from . import conditions, events, facts, lifecycle
from .conditions import Verdict

log = logging.getLogger("scc.alerts")

ACTOR = "alerts"  # the audit log's actor for what the process itself does
# Uplinks first: a camera whose uplink's alert is open in this round raises none of its own.
ORDER = {"uplink_down": 0}


@dataclass
class Round:
    """What one round did, for the log and the heartbeat."""

    at: datetime
    rules: int = 0
    transitions: list[str] = field(default_factory=list)  # "rule subject: pending -> firing"
    open: int = 0
    firing: int = 0


def evaluate(engine: Engine, settings: Settings, now: datetime | None = None) -> Round:
    now = now or utcnow()
    rules = sorted(settings.alerts.enabled(), key=lambda r: ORDER.get(r.kind, 1))
    done = Round(now, len(rules))
    with engine.begin() as conn:
        seen = facts.read(conn, settings, rules, now)
        stored = _open_alerts(conn)
        silences = _silences(conn, now)
        links_open: set[str] = set()
        for rule in rules:
            verdicts = conditions.judge(rule, seen, settings)
            mine = {subject for (rule_id, subject) in stored if rule_id == rule.id}
            for subject in sorted(verdicts.keys() | mine):
                verdict = verdicts.get(subject) or Verdict(False)
                condition = lifecycle.condition_of(verdict.holds, rule)
                if rule.kind == "camera_down" and verdict.detail.get("uplink") in links_open:
                    condition = "suppressed"
                alert = stored.pop((rule.id, subject), None)
                silence = _silence_for(silences, rule.id, subject)
                state = _apply(conn, done, rule, subject, alert, condition, verdict, silence, now)
                if rule.kind == "uplink_down" and state in ("pending", "firing"):
                    links_open.add(subject)
        for (rule_id, subject), alert in stored.items():  # their rule is gone from the file, or disabled
            _apply(conn, done, None, subject, alert, "retired", Verdict(None), None, now, rule_id=rule_id)
        done.open, done.firing = _counts(conn)
    return done


def _apply(
    conn: Connection,
    done: Round,
    rule: Rule | None,
    subject: str,
    alert: lifecycle.Stored | None,
    condition: lifecycle.Condition,
    verdict: Verdict,
    silence: int | None,
    now: datetime,
    rule_id: str = "",
) -> str | None:
    """Write what changes of one alert; its state after the round (None: no open alert)."""
    rule_id = rule.id if rule is not None else rule_id
    change = lifecycle.step(alert, condition, verdict.since, rule, silence, now)
    if change is None:
        return None if alert is None else alert.state
    if alert is None:
        assert rule is not None  # step() opens an alert only for a rule in force
        alert_id = _insert(conn, rule, subject, verdict, change, now)
        if alert_id is None:
            return None  # another evaluator opened it first: its round tells
    else:
        alert_id = alert.id
        if not _update(conn, alert, change, verdict, now):
            return alert.state
    before = "none" if alert is None else alert.state
    about: dict[str, Any] = {"rule": rule_id, "subject": subject, "from": before, "to": change.state}
    if change.transition:
        why = {"why": "its rule is gone or disabled"} if condition == "retired" else {}
        audit.record(conn, ACTOR, f"alert.{change.state}", f"alert #{alert_id}", about | why | verdict.detail)
        done.transitions.append(f"{rule_id} {subject}: {before} -> {change.state}")
        event = events.event_of(change.state)
        if event is not None:
            events.record(conn, alert_id, event, now)
        log.info("alert #%s %s %s: %s -> %s", alert_id, rule_id, subject, before, change.state)
    if "silence_id" in change.values and (alert is not None or silence is not None):
        action = "alert.silenced" if silence is not None else "alert.unsilenced"
        audit.record(conn, ACTOR, action, f"alert #{alert_id}", about | {"silence": silence})
    return change.state


def _insert(
    conn: Connection, rule: Rule, subject: str, verdict: Verdict, change: lifecycle.Change, now: datetime
) -> Any:
    row = dict(
        rule=rule.id,
        kind=rule.kind,
        subject=subject,
        skpd_code=verdict.skpd,
        severity=rule.severity,
        state=change.state,
        detail=verdict.detail,
        updated_at=now,
        **change.values,
    )
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(alerts)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["rule", "subject"], index_where=alerts.c.ended_at.is_(None))
        .returning(alerts.c.id)
    )
    return conn.execute(statement).scalar()


def _update(
    conn: Connection, alert: lifecycle.Stored, change: lifecycle.Change, verdict: Verdict, now: datetime
) -> bool:
    values = dict(change.values, state=change.state, updated_at=now)
    if change.transition and verdict.detail:
        values["detail"] = verdict.detail
    acknowledged = alerts.c.acknowledged_at.is_not(None) if alert.acknowledged else alerts.c.acknowledged_at.is_(None)
    done = conn.execute(
        alerts.update()
        .where(alerts.c.id == alert.id, alerts.c.state == alert.state, alerts.c.ended_at.is_(None), acknowledged)
        .values(**values)
    )
    return done.rowcount == 1


def _open_alerts(conn: Connection) -> dict[tuple[str, str], lifecycle.Stored]:
    a = alerts.c
    columns = (a.id, a.rule, a.subject, a.state, a.started_at, a.clear_since, a.silence_id, a.acknowledged_at)
    rows = conn.execute(select(*columns, a.notify_count, a.next_notify_at).where(a.ended_at.is_(None)))
    return {
        (r.rule, r.subject): lifecycle.Stored(
            id=r.id,
            state=r.state,
            started_at=as_utc(r.started_at),
            clear_since=None if r.clear_since is None else as_utc(r.clear_since),
            silence_id=r.silence_id,
            acknowledged=r.acknowledged_at is not None,
            notify_count=r.notify_count,
            next_notify_at=None if r.next_notify_at is None else as_utc(r.next_notify_at),
        )
        for r in rows
    }


def _silences(conn: Connection, now: datetime) -> list[tuple[int, str, str | None]]:
    """(id, rule, subject or None for all) of the silences in force, the oldest first."""
    s = alert_silences.c
    rows = conn.execute(
        select(s.id, s.rule, s.subject).where(
            s.ends_at > now, s.starts_at <= now, or_(s.lifted_at.is_(None), s.lifted_at > now)
        )
    )
    return sorted((r.id, r.rule, r.subject) for r in rows)  # sorted here: an ORDER BY id would walk them all


def _silence_for(silences: list[tuple[int, str, str | None]], rule: str, subject: str) -> int | None:
    """The silence on one subject of a rule: one naming it, else one on the whole rule."""
    named = [sid for sid, r, s in silences if r == rule and s == subject]
    whole = [sid for sid, r, s in silences if r == rule and s is None]
    return next(iter(named or whole), None)


def _counts(conn: Connection) -> tuple[int, int]:
    rows = conn.execute(select(alerts.c.state).where(alerts.c.ended_at.is_(None))).scalars().all()
    return len(rows), sum(1 for state in rows if state == "firing")
