"""Public-service complaints routed to SKPDs (the Qlue pattern; Jakarta's 3-day rule).

An SKPD's staff see and settle only the complaints routed to their own unit:
the unit comes from their session, and every write here checks it against
the complaint's, so no form or forged request reaches another unit's.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from scc.storage.calls import incidents

from . import lifecycle
from .errors import CallError


def _check_owner(engine: Engine, incident_id: int, skpd_code: str) -> None:
    with engine.connect() as conn:
        row = conn.execute(
            select(incidents.c.category, incidents.c.skpd_code).where(incidents.c.id == incident_id)
        ).first()
    # One answer for "not yours" and "no such complaint": a unit learns nothing of others' complaints.
    if row is None or row.category != "complaint" or row.skpd_code != skpd_code:
        raise CallError("forbidden", f"complaint {incident_id} is not routed to {skpd_code}", incident=incident_id)


def settle(engine: Engine, incident_id: int, skpd_code: str, *, operator: str, version: int, note: str) -> int:
    """The unit says the complaint is dealt with; the command center closes it after checking."""
    _check_owner(engine, incident_id, skpd_code)
    if not note.strip():
        raise CallError("invalid", "note: say what was done", field="note")
    return lifecycle.advance(engine, incident_id, "resolved", operator=operator, version=version, note=note.strip())


def reply(engine: Engine, incident_id: int, skpd_code: str, *, operator: str, note: str) -> None:
    """A progress note from the unit on its own complaint's timeline."""
    _check_owner(engine, incident_id, skpd_code)
    lifecycle.add_note(engine, incident_id, note, operator=operator)
