"""What other systems are told of an alert, and when (docs/design.md §3.7): one event when it fires
(`raised`), when someone acknowledges it after it fired (`acknowledged`) and when it resolves (`resolved`).
A pending alert that is withdrawn was never raised, so nothing is told of it; a silenced one is told, marked
`silenced`, for the other system to decide.

Each event is a row of alert_events written in the transaction that makes the change (the evaluator's
round, an acknowledgement), with the message as it will be published; scc.alerts.publisher sends it later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from scc.clock import as_utc, to_wita
from scc.settings.metrics_broker import ALERTS_TOPIC
from scc.storage.alerts import AlertEvent, AlertState, alert_events, alerts

SCHEMA = "scc/v1/alert"


def event_of(state: AlertState) -> AlertEvent | None:
    """The event an alert's new state makes; None for a state nobody outside is told of."""
    return {"firing": "raised", "resolved": "resolved"}.get(state)  # type: ignore[return-value]


def record(conn: Connection, alert_id: int, event: AlertEvent, at: datetime) -> None:
    """Keep `event` of alert `alert_id` for publishing, as the alert is in this transaction now. Each event
    of an alert happens once: a second record of it changes nothing."""
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).one()
    values = dict(alert_id=alert_id, event=event, at=at, payload=message(row._mapping, event, at))
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(alert_events).values(**values).on_conflict_do_nothing())


def topic(severity: str) -> str:
    return f"{ALERTS_TOPIC}/{severity}"


def message(alert: Any, event: AlertEvent, at: datetime) -> dict[str, Any]:
    """The JSON object published for `event` of `alert` (a row of alerts), as §3.7 documents it."""
    return {
        "schema": SCHEMA,
        "alert_id": alert["id"],
        "event": event,
        "at": _utc(at),
        "at_wita": to_wita(at).isoformat(timespec="seconds"),
        "rule": alert["rule"],
        "kind": alert["kind"],
        "subject": alert["subject"],
        "skpd_code": alert["skpd_code"],
        "severity": alert["severity"],
        "state": alert["state"],
        "started_at": _utc(alert["started_at"]),
        "fired_at": _utc(alert["fired_at"]),
        "ended_at": _utc(alert["ended_at"]),
        "silenced": alert["silence_id"] is not None,
        "acknowledged_at": _utc(alert["acknowledged_at"]),
        "acknowledged_by": alert["acknowledged_by"],
        "acknowledged_note": alert["acknowledged_note"] or None,
        "detail": alert["detail"] or {},
    }


def _utc(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")
