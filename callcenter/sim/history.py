"""Past incidents in bulk: a year of the call center's work for the benchmark, a few weeks for the demo.

Every incident is over (closed, cancelled or a prank) and carries what the live
services would have written: its timestamps, the status steps and units on its
timeline, the unit out on it until it was released, and its calls in the call
log (a repeat call now and then, and ~8% abandoned or unanswered calls with no
incident). Incidents are told in the order they came in, and each gets the unit
the dispatch page would have suggested at that moment (`_Fleet`), so units take
turns as they do live. The same seed writes the same rows. Rows go in through the
production tables with every constraint on (`scc.storage.bulk`: values as each column's type
stores them, many rows to a statement), in chunks, with ids chosen here so the timeline rows
can name their incident without a round trip per incident.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, insert, select, text

from scc.clock import wita_day_start
from scc.settings import Settings
from scc.storage import bulk
from scc.storage.callcenter import call_log, incident_events, incident_units, incidents

from .. import dispatch
from . import callmix
from .callmix import CallMaker

CHUNK = 5_000
ROWS_PER_STATEMENT = 200  # scc.storage.bulk: a CHECK's IN-list is evaluated once a statement
LOST_SHARE = 0.08  # calls that never became an incident: the caller hung up, or nobody answered
REPEAT_SHARE = 0.04
CANCEL_EARLY, CANCEL_LATE, COMPLAINT_CANCEL = 0.04, 0.02, 0.08
LOAD_WINDOW_S = dispatch.LOAD_WINDOW.total_seconds()


@dataclass(slots=True)
class _Past:
    """One incident's story in epoch seconds; rows are made from it once ids are known."""

    received: float
    fields: dict[str, Any]
    status: str
    operator: str
    dispatched: float | None = None
    on_scene: float | None = None
    resolved: float | None = None
    closed: float = 0.0
    unit: str | None = None
    settled_by: str | None = None
    repeat: float | None = None


def seed_history(
    engine: Engine, settings: Settings, n: int = 100_000, *, end: datetime, days: int = 365, seed: int = 1
) -> int:
    """Write `n` finished incidents received over the `days` before `end`; the number written.

    Nothing ends after `end`. Ids follow the existing rows, so it may run on a
    database that has incidents already (the demo seeds only an empty one).
    """
    if end.tzinfo is None:
        raise ValueError("end: needs a time zone")
    if n < 0 or days < 1:
        raise ValueError("n must not be negative, days at least 1")
    rng = random.Random(seed)
    maker = CallMaker(settings, rng)
    pasts = sorted(_stories(settings, maker, rng, n, end.timestamp(), days), key=lambda p: p.received)
    lost = _lost_calls(maker, rng, int(n * LOST_SHARE), end.timestamp(), days)
    with engine.connect() as conn:
        first = (conn.execute(select(func.max(incidents.c.id))).scalar() or 0) + 1
        for start in range(0, len(pasts), CHUNK):
            _write(conn, pasts[start : start + CHUNK], first + start, settings.call_policy.complaint_days)
            conn.commit()
        _write_lost(conn, lost)
        if conn.dialect.name == "postgresql":  # ids were chosen here: the sequence must move past them
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('incidents', 'id'), (SELECT max(id) FROM incidents))")
            )
        conn.commit()
    return len(pasts)


def _times(rng: random.Random, n: int, end: float, days: int) -> list[float]:
    """`n` moments over the days before `end`, busier by day (WITA) than at night."""
    midnight = wita_day_start(datetime.fromtimestamp(end, UTC))
    base = (midnight - timedelta(days=days - 1)).timestamp()
    weights = list(accumulate(callmix.HOURLY))
    hours = rng.choices(range(24), cum_weights=weights, k=n)
    out = []
    for hour in hours:
        while days == 1 and base + hour * 3600 >= end:  # one day: its hours still to come cannot be drawn
            hour = rng.choices(range(24), cum_weights=weights)[0]
        at = end
        while at >= end:  # later today has not happened: another day (moving it to yesterday made that day double)
            at = base + rng.randrange(days) * 86_400 + hour * 3600 + rng.random() * 3600
        out.append(at)
    return out


def _stories(
    settings: Settings, maker: CallMaker, rng: random.Random, n: int, end: float, days: int
) -> Iterator[_Past]:
    rates = callmix.line_rates(settings)
    lines = rng.choices(list(rates), weights=list(rates.values()), k=n)
    fleet = _Fleet(settings)
    for received, line in sorted(zip(_times(rng, n, end, days), lines, strict=True)):  # in turn, as units are sent
        call = maker.call(line)
        fields, category = call.fields, call.category
        operator = callmix.OPERATORS[int(rng.random() * len(callmix.OPERATORS))]
        past = _Past(received, fields, "closed", operator)
        if category == "prank":
            past.status, past.closed = "prank", received  # as the intake closes one: at once
        elif category == "complaint":
            if rng.random() < COMPLAINT_CANCEL:
                past.status, past.closed = "cancelled", received + rng.uniform(600, 10_800)
            else:
                past.resolved = received + 60 * callmix.complaint_minutes(rng)
                past.closed = past.resolved + rng.uniform(600, 36_000)
                past.settled_by = fields["skpd_code"]
        else:
            _emergency(settings, rng, past, fleet, category, call.priority)
        # It would end in the future: it happened that much earlier. Its unit goes with it, and may then
        # cross another mission of the last few hours (the fleet only looks forward).
        if past.closed > end:
            _shift(past, end - past.closed - rng.uniform(60, 3600))
        span = min(1800.0, past.closed - past.received)  # a repeat call joins while it is open, in the window
        if span > 60 and rng.random() < REPEAT_SHARE:
            past.repeat = past.received + rng.uniform(60, span)
        yield past


class _Fleet:
    """The units over the seeded past, so that each incident gets the unit the dispatch page would have
    suggested then (callcenter.dispatch.rank: its kind, the nearest free, the least used in 24 hours),
    waits when none of its kinds is free, and no unit is out on two incidents at once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.back_at: dict[str, float] = {}  # when each unit is free again
        self.out_in: dict[str, str | None] = {}  # the district of the incident it is out on
        self.sent: dict[str, deque[float]] = {}  # when it was sent, oldest first
        self.fitting: dict[str, frozenset[str]] = {}

    def states(self, at: float, codes: frozenset[str]) -> dict[str, dispatch.UnitNow]:
        out = {}
        for code in codes & self.sent.keys():
            times = self.sent[code]
            while times and times[0] < at - LOAD_WINDOW_S:
                times.popleft()
            busy = self.back_at[code] > at
            out[code] = dispatch.UnitNow(0 if busy else None, self.out_in[code] if busy else None, None, len(times))
        return out

    def pick(self, category: str, district: str | None, at: float) -> tuple[str, float] | None:
        """(the unit to send, when): now, or when the first unit of a needed kind comes back."""
        codes = self._fitting(category)
        ranked = dispatch.rank(self.settings, category, district, self.states(at, codes), others=False)
        if ranked.pick is None and ranked.busy:
            at = min(self.back_at[o.unit.code] for o in ranked.busy)
            ranked = dispatch.rank(self.settings, category, district, self.states(at, codes), others=False)
        return (ranked.pick.unit.code, at) if ranked.pick is not None else None

    def _fitting(self, category: str) -> frozenset[str]:
        """The units of the kinds `category` needs: only their states bear on the pick."""
        found = self.fitting.get(category)
        if found is None:
            kinds = self.settings.call_policy.needs.get(category, ())
            found = self.fitting[category] = frozenset(u.code for u in self.settings.response_units if u.kind in kinds)
        return found

    def send(self, code: str, district: str | None, at: float, back: float) -> None:
        self.sent.setdefault(code, deque()).append(at)
        self.back_at[code], self.out_in[code] = back, district


def _emergency(
    settings: Settings, rng: random.Random, past: _Past, fleet: _Fleet, category: str, priority: int
) -> None:
    t = past.received + 60 * callmix.dispatch_minutes(priority, rng)
    district = past.fields["district"]
    chosen = fleet.pick(category, district, t)
    if rng.random() < CANCEL_EARLY or chosen is None:
        past.status, past.closed = "cancelled", t
        return
    unit, t = chosen
    past.unit, past.dispatched = unit, t
    t += 60 * callmix.travel_minutes(settings, unit, district, rng)
    if rng.random() < CANCEL_LATE:
        past.status, past.closed = "cancelled", t
    else:
        past.on_scene = t
        past.resolved = t = t + 60 * callmix.on_scene_minutes(category, rng)
        past.closed = past.resolved + rng.uniform(120, 1800)
    fleet.send(unit, district, past.dispatched, t)  # back when the incident is resolved (or cancelled)


def _shift(past: _Past, by: float) -> None:
    past.received += by
    past.closed += by
    for name in ("dispatched", "on_scene", "resolved"):
        value = getattr(past, name)
        if value is not None:
            setattr(past, name, value + by)


def _lost_calls(maker: CallMaker, rng: random.Random, count: int, end: float, days: int) -> list[tuple[Any, ...]]:
    """(at, line, number, district, outcome, duration) of calls that never became an incident."""
    rates = callmix.line_rates(maker.settings)
    lines = rng.choices(list(rates), weights=list(rates.values()), k=count)
    out = []
    for at, line in zip(_times(rng, count, end, days), lines, strict=True):
        abandoned = rng.random() < 0.7
        district = maker.lines[line].district or maker.district(rng)
        outcome, duration = ("abandoned", rng.randrange(3, 60)) if abandoned else ("unanswered", 0)
        out.append((at, line, _e164(maker.number()), district, outcome, duration))
    return out


def _e164(number: str | None) -> str | None:
    """The stored form of a number `CallMaker.number` draws (0812... -> +62812...), without a parser per row."""
    return "+62" + number[1:] if number else None


def _status_at(past: _Past, at: float) -> str:
    for status, since in (("on_scene", past.on_scene), ("dispatched", past.dispatched)):
        if since is not None and at >= since:
            return status
    return "received"


INCIDENT_COLUMNS = (
    *("id", "line_code", "district", "village", "landmark", "caller_number", "caller_name", "category", "priority"),
    *("summary", "status", "received_at", "dispatched_at", "on_scene_at", "resolved_at", "closed_at", "source"),
    *("created_by", "version", "updated_at", "updated_by", "skpd_code", "due_at"),
)
EVENT_COLUMNS = ("incident_id", "kind", "status", "at", "operator", "note", "unit_code")
UNIT_COLUMNS = ("incident_id", "unit_code", "assigned_at", "assigned_by", "released_at")
CALL_COLUMNS = ("at", "line_code", "caller_number", "district", "outcome", "duration_s", "incident_id", "source")


def _stamper(conn: Connection) -> Callable[[float | None], Any]:
    """A moment (epoch seconds, to the second) as the driver is given it: through the time columns'
    own type (every one of these tables' is scc.storage.base.UTC), as any other writer stores it."""
    to_db = bulk.to_db(conn, incidents.c.received_at)

    def stamp(epoch: float | None) -> Any:
        return None if epoch is None else to_db(datetime.fromtimestamp(int(epoch), UTC))

    return stamp


def _insert(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    bulk.insert_many(conn, insert(table), columns, rows, per_statement=ROWS_PER_STATEMENT)


def _write_lost(conn: Connection, lost: list[tuple[Any, ...]]) -> None:
    stamp = _stamper(conn)
    rows = [(stamp(at), line, number, district, outcome, duration, None, "intake")
            for at, line, number, district, outcome, duration in lost]  # fmt: skip
    _insert(conn, call_log, CALL_COLUMNS, rows)


def _write(conn: Connection, pasts: list[_Past], first_id: int, due_days: int) -> None:
    stamp = _stamper(conn)
    rows: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    units: list[tuple[Any, ...]] = []
    calls: list[tuple[Any, ...]] = []
    for incident_id, past in enumerate(pasts, start=first_id):
        f, op = past.fields, past.operator
        received, closed = stamp(past.received), stamp(past.closed)
        dispatched, on_scene, resolved = stamp(past.dispatched), stamp(past.on_scene), stamp(past.resolved)
        number, line, district = _e164(f["caller_number"]), f["line_code"], f["district"]
        # (when, kind, status, stored time, operator, note, unit), in the order the services would write them
        steps: list[tuple[Any, ...]] = [
            (past.received, "status", "prank" if past.status == "prank" else "received", received, op, "", None)
        ]
        if past.dispatched is not None:
            steps.append((past.dispatched, "unit", "dispatched", dispatched, op, "", past.unit))
            steps.append((past.dispatched, "status", "dispatched", dispatched, op, "", None))
            units.append((incident_id, past.unit, dispatched, op, resolved or closed))
        if past.on_scene is not None:
            steps.append((past.on_scene, "status", "on_scene", on_scene, op, "", None))
        if past.resolved is not None:
            note = "Sudah ditangani" if past.settled_by else ""
            steps.append((past.resolved, "status", "resolved", resolved, past.settled_by or op, note, None))
        if past.status != "prank":
            steps.append((past.closed, "status", past.status, closed, op, "", None))
        saves = len(steps) - 1 - (past.dispatched is not None)
        calls.append((received, line, number, district, "answered", 40 + int(past.received) % 260, incident_id,
                      "intake"))  # fmt: skip
        if past.repeat is not None:
            again = stamp(past.repeat)
            steps.append((past.repeat, "call", _status_at(past, past.repeat), again, op, f["caller_name"], None))
            steps.sort(key=lambda step: step[0])
            calls.append((again, line, number, district, "answered", 20 + int(past.repeat) % 100, incident_id,
                          "intake"))  # fmt: skip
        due = stamp(past.received + due_days * 86_400) if f["skpd_code"] else None
        rows.append((incident_id, line, district, f["village"], f["landmark"], number, f["caller_name"], f["category"],
                     f["priority"], f["summary"], past.status, received, dispatched, on_scene, resolved, closed,
                     "intake", op, 1 + saves, closed, op, f["skpd_code"], due))  # fmt: skip
        events += [(incident_id, kind, status, at, who, note, unit) for _, kind, status, at, who, note, unit in steps]
    _insert(conn, incidents, INCIDENT_COLUMNS, rows)
    _insert(conn, incident_events, EVENT_COLUMNS, events)
    _insert(conn, incident_units, UNIT_COLUMNS, units)
    _insert(conn, call_log, CALL_COLUMNS, calls)
