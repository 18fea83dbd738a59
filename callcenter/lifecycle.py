"""An incident's steps: dispatch, on scene, resolved, closed (or cancelled, or a prank).

Every write names the version it read. The update only happens `WHERE
version = :read`, so when two operators save at once the second changes
nothing and is told to reload (optimistic locking): nobody's update is lost
without them knowing. Timeline notes are appends and need no version.

Cancelling an incident or marking it a prank ends it for good and sends its
units home, so it takes the operator's reason: the reason is the step's note
on the timeline and goes to the audit log in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError

from scc import audit
from scc.clock import utcnow
from scc.settings import Settings
from scc.storage.callcenter import OPEN_STATUSES, IncidentStatus, incident_events, incident_units, incidents

from .errors import CallError
from .intake import PLACE_OPTIONAL, Problem, check_call

# The steps an operator may take from each status. Dispatching happens through
# `dispatch` (it needs a unit); a complaint goes straight to resolved, its SKPD
# settles it without a unit.
MOVES: dict[IncidentStatus, tuple[IncidentStatus, ...]] = {
    "received": ("cancelled", "prank"),
    "dispatched": ("on_scene", "cancelled", "prank"),
    "on_scene": ("resolved", "prank"),
    "resolved": ("closed",),
    "closed": (),
    "cancelled": (),
    "prank": (),
}
COMPLAINT_MOVES: dict[IncidentStatus, tuple[IncidentStatus, ...]] = {
    "received": ("resolved", "cancelled", "prank"),
    "resolved": ("closed",),
}
STAMP = {"on_scene": "on_scene_at", "resolved": "resolved_at", "closed": "closed_at", "cancelled": "closed_at",
         "prank": "closed_at"}  # fmt: skip
NEEDS_REASON: frozenset[IncidentStatus] = frozenset({"cancelled", "prank"})
REASON_MAX = 500
EDITABLE = ("district", "village", "landmark", "caller_name", "category", "priority", "summary", "site")


def allowed_moves(incident: dict[str, Any]) -> tuple[IncidentStatus, ...]:
    table = COMPLAINT_MOVES if incident["category"] == "complaint" else MOVES
    return table.get(incident["status"], ())


def _current(conn: Connection, incident_id: int) -> Any:
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    if row is None:
        raise CallError("missing", f"no incident {incident_id}", incident=incident_id)
    return row


def _save(conn: Connection, incident_id: int, version: int, operator: str, now: datetime, **values: Any) -> int:
    """Write `values` if nobody saved since `version` was read; the new version."""
    done = conn.execute(
        update(incidents)
        .where(incidents.c.id == incident_id, incidents.c.version == version)
        .values(version=incidents.c.version + 1, updated_at=now, updated_by=operator, **values)
    )
    if done.rowcount != 1:
        row = _current(conn, incident_id)
        raise CallError(
            "stale",
            f"incident {incident_id} was changed by {row.updated_by} since you opened it; reload",
            by=row.updated_by,
            at=row.updated_at,
            version=row.version,
        )
    return version + 1


def _event(
    conn: Connection,
    incident_id: int,
    kind: str,
    status: str,
    operator: str,
    now: datetime,
    note: str = "",
    **more: Any,
) -> None:
    conn.execute(
        incident_events.insert().values(
            incident_id=incident_id, kind=kind, status=status, at=now, operator=operator, note=note, **more
        )
    )


def dispatch(
    engine: Engine, settings: Settings, incident_id: int, unit_code: str, *, operator: str, version: int
) -> int:
    """Send a unit. The first one moves the incident to dispatched; more may follow while it is open."""
    unit = settings.unit_by_code.get(unit_code)
    if unit is None:
        raise CallError("missing", f"no unit {unit_code!r}", unit=unit_code)
    now = utcnow()
    try:
        with engine.begin() as conn:
            row = _current(conn, incident_id)
            if row.status not in OPEN_STATUSES or row.category == "complaint":
                raise CallError(
                    "move", f"incident {incident_id} is {row.status}: no unit can be sent", status=row.status
                )
            values: dict[str, Any] = {}
            status = row.status
            if row.status == "received":
                status, values = "dispatched", {"status": "dispatched", "dispatched_at": now}
            new_version = _save(conn, incident_id, version, operator, now, **values)
            conn.execute(
                incident_units.insert().values(
                    incident_id=incident_id, unit_code=unit_code, assigned_at=now, assigned_by=operator
                )
            )
            _event(conn, incident_id, "unit", status, operator, now, unit_code=unit_code)
            if values:
                _event(conn, incident_id, "status", status, operator, now)
    except IntegrityError:
        # The partial unique index: this unit is already out on an incident.
        busy_on = busy_units(engine).get(unit_code)
        raise CallError(
            "busy", f"{unit.name} is busy on incident {busy_on}", unit=unit_code, incident=busy_on
        ) from None
    return new_version


def advance(
    engine: Engine,
    incident_id: int,
    to: IncidentStatus,
    *,
    operator: str,
    version: int,
    note: str = "",
    reason: str = "",
) -> int:
    """Move an incident one step; units still out on it come back when it is resolved or ends.
    Cancelled and prank need `reason` (NEEDS_REASON); it is the step's note and goes to the audit log."""
    if to in NEEDS_REASON:
        note = _reason(reason, to)
    now = utcnow()
    with engine.begin() as conn:
        row = _current(conn, incident_id)
        if to not in allowed_moves(dict(row._mapping)):
            raise CallError("move", _why_not(row.status, to), status=row.status, to=to)
        new_version = _save(conn, incident_id, version, operator, now, status=to, **{STAMP[to]: now})
        if to in NEEDS_REASON:
            detail = {"reason": note, "from": row.status, "version": new_version}
            audit.record(conn, operator, f"incident.{to}", f"incident #{incident_id}", detail)
        if to not in OPEN_STATUSES:
            conn.execute(
                update(incident_units)
                .where(incident_units.c.incident_id == incident_id, incident_units.c.released_at.is_(None))
                .values(released_at=now)
            )
        conn.execute(
            incident_events.insert().values(
                incident_id=incident_id, kind="status", status=to, at=now, operator=operator, note=note[:2000]
            )
        )
    return new_version


def _reason(reason: str, to: str) -> str:
    text = reason.strip()
    if not text:
        raise CallError("invalid", f"reason: say why the incident is {to}", field="reason")
    if len(text) > REASON_MAX or any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise CallError("invalid", f"reason: at most {REASON_MAX} characters of text", field="reason")
    return text


def _why_not(status: str, to: str) -> str:
    if to == "closed" and status in ("received", "dispatched", "on_scene"):
        return f"cannot close an incident that is {status}: it must be resolved first"
    if to == "on_scene" and status == "received":
        return "cannot be on scene before a unit is dispatched"
    return f"cannot move from {status} to {to}"


def release(engine: Engine, incident_id: int, unit_code: str, *, operator: str) -> None:
    """A unit is back before the incident ends (sent home, or swapped for another)."""
    now = utcnow()
    with engine.begin() as conn:
        row = _current(conn, incident_id)
        done = conn.execute(
            update(incident_units)
            .where(
                incident_units.c.incident_id == incident_id,
                incident_units.c.unit_code == unit_code,
                incident_units.c.released_at.is_(None),
            )
            .values(released_at=now)
        )
        if done.rowcount == 0:
            raise CallError("move", f"{unit_code} is not out on incident {incident_id}", unit=unit_code)
        _event(conn, incident_id, "unit", row.status, operator, now, unit_code=unit_code, note="released")


def add_note(engine: Engine, incident_id: int, text: str, *, operator: str) -> None:
    text = text.strip()
    if not text:
        raise CallError("invalid", "note: empty", field="note")
    now = utcnow()
    with engine.begin() as conn:
        row = _current(conn, incident_id)
        conn.execute(
            incident_events.insert().values(
                incident_id=incident_id, kind="note", status=row.status, at=now, operator=operator, note=text[:2000]
            )
        )


def edit(
    engine: Engine, settings: Settings, incident_id: int, changes: dict[str, Any], *, operator: str, version: int
) -> int:
    """Correct what was taken down (place, category, priority, summary) under the version check,
    with the same checks as the intake form."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise CallError("invalid", f"cannot edit {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    # Checked as a call would be, with placeholders for what the change leaves out (the routing of a
    # complaint is not edited here).
    base = {"line_code": settings.call_lines[0].code, "category": "medical"}
    if changes.get("category") == "complaint":
        base["skpd_code"] = settings.skpd[0].code
    checked = check_call(settings, {**base, **changes})
    changes = {key: getattr(checked, key) for key in changes}
    now = utcnow()
    with engine.begin() as conn:
        _category_may_change(_current(conn, incident_id).category, changes.get("category"))
        new_version = _save(conn, incident_id, version, operator, now, **changes)
        row = _current(conn, incident_id)
        if {"district", "category"} & set(changes) and row.district is None and row.category not in PLACE_OPTIONAL:
            # Raised inside the transaction, so the edit is undone: the intake's rule holds after a correction.
            problem = Problem("district", "place_needed", "an emergency needs its district, to send a unit there")
            raise CallError("invalid", f"district: {problem.detail}", field="district", problems=(problem,))
        shown = ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
        conn.execute(
            incident_events.insert().values(
                incident_id=incident_id, kind="note", status=row.status, at=now, operator=operator, note=shown[:2000]
            )
        )
    return new_version


def _category_may_change(before: str, after: str | None) -> None:
    """An emergency stays an emergency and a complaint a complaint: each has its own steps (a unit sent and
    brought back; an SKPD that settles it), and a dispatched emergency turned into a complaint would have no
    unit to route it to and keep its units out. A prank has its own step (advance to "prank"), which ends
    the case and brings its units back. Within the emergencies the category may change at any step."""
    if after is None or after == before:
        return
    if "complaint" in (before, after) or "prank" in (before, after):
        detail = f"a {before} cannot become a {after}: cancel it with the reason and take the call again"
        problem = Problem("category", "category_kind", detail)
        raise CallError("invalid", f"category: {detail}", field="category", problems=(problem,))


def busy_units(engine: Engine) -> dict[str, int]:
    """Unit code -> the incident it is out on."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(incident_units.c.unit_code, incident_units.c.incident_id).where(
                incident_units.c.released_at.is_(None)
            )
        )
        return {r.unit_code: r.incident_id for r in rows}
