"""The simulated operators' desk: what they do with each open incident, and when.

They dispatch the unit the page would suggest (callcenter.dispatch: the kind the
incident needs, the nearest, the one used least today), follow it on scene, resolve and close; a complaint goes to
its SKPD, which settles it; a few incidents are cancelled; a serious fire gets a
second truck, sent home with `release` once the first has it in hand. Every
write goes through the call center's services under their rules: when no unit
is free the incident waits, and a "busy" or "stale" refusal is retried on a
later tick from what the database says.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from scc.clock import as_utc
from scc.settings import Settings
from scc.storage.callcenter import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    Category,
    IncidentStatus,
    Priority,
    incident_units,
    incidents,
)

from .. import complaints, dispatch, lifecycle
from ..dispatch import UnitNow
from ..errors import CallError
from . import callmix
from .callmix import Call

RETRY = timedelta(seconds=3)  # waiting for a free unit, or after someone else's save
CANCEL_EARLY, CANCEL_LATE, COMPLAINT_CANCEL = 0.04, 0.02, 0.08
BACKUP_SHARE = 0.35  # a serious fire gets a second truck


@dataclass
class Case:
    """An open incident the simulated operators work on, and what they will do next."""

    incident_id: int
    version: int
    status: str
    category: Category
    priority: Priority
    district: str | None
    line_code: str
    caller_number: str | None
    skpd_code: str | None
    received: datetime
    due: datetime
    fate: str = "normal"  # or "cancel_early", "cancel_late"
    units: list[str] = field(default_factory=list)
    backup: str | None = None
    backup_due: datetime | None = None
    waiting: bool = False  # for a free unit


class Desk:
    """The open incidents of the simulated operators (`cases`); `work(now)` does every step that is due."""

    def __init__(self, engine: Engine, settings: Settings, rng: random.Random, pace: float, counts: Counter[str]):
        self.engine, self.settings, self.rng, self.pace, self.counts = engine, settings, rng, pace, counts
        self.cases: dict[int, Case] = {}
        self._units: dict[str, UnitNow] | None = None

    def _later(self, now: datetime, minutes: float) -> datetime:
        return now + timedelta(seconds=60 * minutes / self.pace)

    def operator(self) -> str:
        return callmix.OPERATORS[int(self.rng.random() * len(callmix.OPERATORS))]

    def open(self, incident_id: int, version: int, call: Call, now: datetime) -> None:
        f, rng = call.fields, self.rng
        case = Case(incident_id, version, "received", call.category, call.priority, f["district"], f["line_code"],
                    f["caller_number"], f["skpd_code"], now, now)  # fmt: skip
        fate = rng.random()
        if call.category == "complaint":
            case.fate = "cancel_early" if fate < COMPLAINT_CANCEL else "normal"
            case.due = self._later(now, callmix.complaint_minutes(rng))
        else:
            late = CANCEL_EARLY + CANCEL_LATE
            case.fate = "cancel_early" if fate < CANCEL_EARLY else "cancel_late" if fate < late else "normal"
            case.due = self._later(now, callmix.dispatch_minutes(call.priority, rng))
        self.cases[incident_id] = case

    def work(self, now: datetime) -> int:
        """Every step that is due, the most urgent incidents first; the writes done."""
        self._units = None  # read once per tick, kept up to date by our own dispatches
        done = 0
        due = sorted((c for c in self.cases.values() if c.due <= now), key=lambda c: (c.priority, c.received))
        for case in due:
            done += self._act(case, now)
        for case in [c for c in self.cases.values() if c.backup_due is not None and c.backup_due <= now]:
            done += self._backup(case, now)
        return done

    def units(self, now: datetime) -> dict[str, UnitNow]:
        if self._units is None:
            self._units = dispatch.unit_states(self.engine, now)
        return self._units

    def _sent(self, unit: str, case: Case, now: datetime) -> None:
        state = self.units(now).get(unit) or UnitNow()
        self.units(now)[unit] = UnitNow(case.incident_id, case.district, now, state.missions + 1)

    def _back(self, unit: str, case: Case) -> None:
        units = self._units if self._units is not None else {}  # not read this tick: the next read is fresh
        state = units.get(unit)
        if state is not None and state.busy_on == case.incident_id:
            units[unit] = replace(state, busy_on=None, busy_in=None, since=None)

    def _act(self, case: Case, now: datetime) -> int:
        try:
            return self._next_step(case, now)
        except CallError as exc:
            self.counts[exc.code] += 1
            if exc.code == "busy":  # someone sent it first: another unit, or this one later
                self._units = None
            else:
                self._reload(case)
            case.due = now + RETRY
            return 0

    def _next_step(self, case: Case, now: datetime) -> int:
        rng, op = self.rng, self.operator()
        if case.status == "received" and case.fate == "cancel_early":
            self._advance(case, "cancelled", op, reason="Penelepon membatalkan")
        elif case.status == "received" and case.category == "complaint":
            skpd = case.skpd_code or ""
            case.version = complaints.settle(self.engine, case.incident_id, skpd, operator=skpd,
                                             version=case.version, note="Sudah ditindaklanjuti")  # fmt: skip
            case.status = "resolved"
            case.due = self._later(now, rng.uniform(10, 600))
        elif case.status == "received":
            if not self._dispatch(case, now, op):
                return 0
        elif case.status == "dispatched" and case.fate == "cancel_late":
            self._advance(case, "cancelled", op, reason="Tidak diperlukan lagi")
        elif case.status == "dispatched":
            self._advance(case, "on_scene", op)
            case.due = self._later(now, callmix.on_scene_minutes(case.category, rng))
            if case.category == "fire" and case.priority == 1 and rng.random() < BACKUP_SHARE:
                case.backup_due = self._later(now, rng.uniform(2, 8))
        elif case.status == "on_scene":
            self._advance(case, "resolved", op, "Selesai ditangani")
            case.due = self._later(now, rng.uniform(2, 30))
        elif case.status == "resolved":
            self._advance(case, "closed", op)
        return 1

    def _dispatch(self, case: Case, now: datetime, op: str) -> bool:
        pick = dispatch.rank(self.settings, case.category, case.district, self.units(now)).pick
        if pick is None:
            self.counts["waits"] += not case.waiting
            case.waiting, case.due = True, now + RETRY
            return False
        unit = pick.unit.code
        case.version = lifecycle.dispatch(self.engine, self.settings, case.incident_id, unit, operator=op,
                                          version=case.version)  # fmt: skip
        self._sent(unit, case, now)
        case.status, case.waiting, case.units = "dispatched", False, [unit]
        case.due = self._later(now, callmix.travel_minutes(self.settings, unit, case.district, self.rng))
        self.counts["dispatched"] += 1
        return True

    def _advance(self, case: Case, to: IncidentStatus, op: str, note: str = "", reason: str = "") -> None:
        case.version = lifecycle.advance(
            self.engine, case.incident_id, to, operator=op, version=case.version, note=note, reason=reason
        )
        case.status = to
        if to not in OPEN_STATUSES:
            for unit in case.units + ([case.backup] if case.backup else []):  # the service released them
                self._back(unit, case)
            case.units, case.backup, case.backup_due = [], None, None
        if to in FINAL_STATUSES:
            del self.cases[case.incident_id]
            self.counts[to] += 1

    def _backup(self, case: Case, now: datetime) -> int:
        """Send a second truck to a serious fire, and later send it home with `release`."""
        op = self.operator()
        try:
            if case.backup is None:
                pick = dispatch.rank(self.settings, case.category, case.district, self.units(now)).pick
                case.backup_due = None
                if pick is None:
                    return 0
                spare = pick.unit.code
                case.version = lifecycle.dispatch(self.engine, self.settings, case.incident_id, spare,
                                                  operator=op, version=case.version)  # fmt: skip
                self._sent(spare, case, now)
                case.backup, case.backup_due = spare, self._later(now, self.rng.uniform(10, 40))
            else:
                unit, case.backup, case.backup_due = case.backup, None, None  # once, even if it fails
                lifecycle.release(self.engine, case.incident_id, unit, operator=op)
                self._back(unit, case)
                self.counts["released"] += 1
        except CallError as exc:
            self.counts[exc.code] += 1
            case.backup, case.backup_due = None, None
            self._units = None
            if exc.code == "stale":
                self._reload(case)
            return 0
        return 1

    def _reload(self, case: Case) -> None:
        """After someone else's save (or a refusal): carry on from what the database says."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(incidents.c.version, incidents.c.status).where(incidents.c.id == case.incident_id)
            ).first()
        if row is None or (row.status not in OPEN_STATUSES and row.status != "resolved"):
            self.cases.pop(case.incident_id, None)
            return
        case.version, case.status = row.version, row.status

    def adopt(self, now: datetime) -> int:
        """The simulated operators' incidents still open (the process was restarted): carry them on."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(incidents).where(
                    incidents.c.created_by.in_(callmix.OPERATORS),
                    incidents.c.status.in_((*OPEN_STATUSES, "resolved")),
                )
            ).all()
            out = {
                r.unit_code: r.incident_id
                for r in conn.execute(
                    select(incident_units.c.unit_code, incident_units.c.incident_id).where(
                        incident_units.c.released_at.is_(None)
                    )
                )
            }
        for r in rows:
            case = Case(r.id, r.version, r.status, r.category, r.priority, r.district, r.line_code, None, r.skpd_code,
                        as_utc(r.received_at), now + RETRY)  # fmt: skip
            case.units = [unit for unit, incident in out.items() if incident == r.id]
            case.due = self._resumed(case, r, now)
            self.cases[r.id] = case
        return len(rows)

    def _resumed(self, case: Case, r: Any, now: datetime) -> datetime:
        """When an adopted incident's next step falls due, as if the simulator had never stopped: a restart
        must not put every unit out on scene at once, which the KPI pages would show as a time to scene."""
        rng = self.rng
        if case.status == "dispatched" and r.dispatched_at is not None and case.units:
            minutes = callmix.travel_minutes(self.settings, case.units[0], case.district, rng)
            due = self._later(as_utc(r.dispatched_at), minutes)
        elif case.status == "on_scene" and r.on_scene_at is not None:
            due = self._later(as_utc(r.on_scene_at), callmix.on_scene_minutes(case.category, rng))
        elif case.status == "received" and case.category == "complaint":
            due = self._later(case.received, callmix.complaint_minutes(rng))
        elif case.status == "received":
            due = self._later(case.received, callmix.dispatch_minutes(case.priority, rng))
        else:
            due = now
        return max(due, now + RETRY)
