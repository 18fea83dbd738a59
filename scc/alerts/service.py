"""What people do to alerts: acknowledge one (who, when, a note), silence a rule for a subject or all of its
subjects for a while (with a reason), lift a silence early. The pages call these; who may (roles, an SKPD's
own alerts) is the page layer's to check. Each change and its audit row are one transaction.

A silence marks the alerts it covers at the evaluator's next round (a few seconds): a silenced alert still
goes through its states, and is told to nobody. It runs out by itself at its end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Engine, select

from scc import audit
from scc.clock import utcnow
from scc.settings import Settings
from scc.storage.alerts import alert_silences, alerts

from . import events
from .queries import AlertView, get

NOTE_MAX = 500
REASON_MAX = 500
LONGEST_SILENCE = timedelta(days=30)  # a longer one would be forgotten, not planned

Why = Literal["unknown", "closed", "acknowledged", "invalid"]


class Refused(Exception):
    """A request the service turns down, with the reason in words for the person who asked."""

    def __init__(self, why: Why, message: str) -> None:
        self.why = why
        self.message = message
        super().__init__(message)


def acknowledge(engine: Engine, alert_id: int, by: str, note: str = "", now: datetime | None = None) -> AlertView:
    """`by` has seen alert `alert_id`: it is told to nobody again. Pending, firing, or fired and ended
    unacknowledged (which stays in sight until this); not one acknowledged already, nor one withdrawn
    (it never fired: there was nothing to tell)."""
    now = now or utcnow()
    note = note.strip()
    if not by:
        raise Refused("invalid", "an acknowledgement needs the name of who gives it")
    if len(note) > NOTE_MAX:
        raise Refused("invalid", f"the note is {len(note)} characters long; at most {NOTE_MAX}")
    with engine.begin() as conn:
        row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        if row is None:
            raise Refused("unknown", f"there is no alert #{alert_id}")
        if row.acknowledged_at is not None:
            raise Refused("acknowledged", f"alert #{alert_id} was acknowledged already, by {row.acknowledged_by}")
        if row.state == "withdrawn":
            raise Refused("closed", f"alert #{alert_id} ended before it fired: there is nothing to acknowledge")
        done = conn.execute(
            alerts.update()
            .where(alerts.c.id == alert_id, alerts.c.acknowledged_at.is_(None))
            .values(
                acknowledged_at=now, acknowledged_by=by, acknowledged_note=note, next_notify_at=None, updated_at=now
            )
        )
        if done.rowcount != 1:  # acknowledged by someone else between the read and the write
            raise Refused("acknowledged", f"alert #{alert_id} was acknowledged already")
        detail = {"rule": row.rule, "subject": row.subject, "state": row.state, "note": note}
        audit.record(conn, by, "alert.acknowledge", f"alert #{alert_id}", detail)
        if row.fired_at is not None:  # one still pending was never raised: nobody outside knows of it
            events.record(conn, alert_id, "acknowledged", now)
    view = get(engine, alert_id)
    assert view is not None
    return view


def silence(
    engine: Engine,
    settings: Settings,
    rule: str,
    subject: str | None,
    until: datetime,
    reason: str,
    by: str,
    now: datetime | None = None,
    starts_at: datetime | None = None,
) -> int:
    """Mute rule `rule` for `subject` (None: all its subjects) from `starts_at` (now) until `until`, for
    `reason`; its id."""
    now = now or utcnow()
    starts_at = starts_at or now
    reason = reason.strip()
    if rule not in {r.id for r in settings.alerts.rules}:
        raise Refused("invalid", f"there is no rule {rule!r} in alerts.yaml")
    if not reason or len(reason) > REASON_MAX:
        raise Refused(
            "invalid",
            f"a silence needs a reason (a camera under repair, a planned power cut), at most {REASON_MAX} characters",
        )
    if subject is not None and not 0 < len(subject) <= 120:
        raise Refused("invalid", "the subject is empty or too long")
    if not by:
        raise Refused("invalid", "a silence needs the name of who sets it")
    if until <= max(now, starts_at):
        raise Refused("invalid", "a silence must end after it starts, and after now")
    if until - starts_at > LONGEST_SILENCE:
        raise Refused("invalid", f"a silence lasts at most {LONGEST_SILENCE.days} days; set a new one after")
    with engine.begin() as conn:
        silence_id = conn.execute(
            alert_silences.insert()
            .values(
                rule=rule,
                subject=subject,
                starts_at=starts_at,
                ends_at=until,
                reason=reason,
                created_by=by,
                created_at=now,
            )
            .returning(alert_silences.c.id)
        ).scalar_one()
        detail = {
            "rule": rule,
            "subject": subject,
            "from": starts_at.isoformat(),
            "until": until.isoformat(),
            "reason": reason,
        }
        audit.record(conn, by, "alert.silence", f"silence #{silence_id}", detail)
    return int(silence_id)


def lift(engine: Engine, silence_id: int, by: str, now: datetime | None = None) -> None:
    """End silence `silence_id` now, before its time."""
    now = now or utcnow()
    s = alert_silences.c
    with engine.begin() as conn:
        row = conn.execute(select(alert_silences).where(s.id == silence_id)).first()
        if row is None:
            raise Refused("unknown", f"there is no silence #{silence_id}")
        if row.lifted_at is not None or row.ends_at <= now:
            raise Refused("closed", f"silence #{silence_id} is over already")
        conn.execute(alert_silences.update().where(s.id == silence_id).values(lifted_at=now, lifted_by=by))
        audit.record(
            conn, by, "alert.silence_lift", f"silence #{silence_id}", {"rule": row.rule, "subject": row.subject}
        )
