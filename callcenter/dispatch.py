"""Which unit to send: the kind the incident needs, then the nearest, then the one used least today.

`policy.needs` (config/call_lines.yaml) names, per category, the kinds of unit that answer it, the
usual kind first. The free units of those kinds are suggested in this order:

1. kind, in the order `policy.needs` gives (violence: the P2TP2A team before a police patrol);
2. nearness: the straight-line distance between district centres (config/districts.yaml), from where
   the unit is to the incident's district. A free unit is at its post (its `district`; a regency-wide
   unit's base, e.g. Watansoppeng in Lalabata); a busy one is at the incident it is out on. The
   centres are the only positions the documents give and there is no road network to measure on, so
   distances are as the crow flies, which orders the districts as the map does;
3. load: fewer missions in the last 24 hours first, so that units take turns;
4. a district's own unit before a regency-wide one at the same place (the central brigade backs the
   district posts up), then the configured order, so that one state always gives one answer.

A unit of another kind is never suggested. When no unit of a needed kind is free there is no
suggestion at all: the page says so, and lists the busy units of those kinds, nearest first, with
the incidents they are out on; the free units of other kinds are listed apart, for an operator who
decides to send one anyway.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from scc.clock import as_utc, utcnow
from scc.settings import Settings
from scc.settings.callcenter import ResponseUnit
from scc.storage.callcenter import OPEN_STATUSES, incident_units, incidents

EARTH_KM = 6371.0088  # mean radius (IUGG)
LOAD_WINDOW = timedelta(hours=24)
# A mission is counted by its incident's time of call: incidents are indexed by it, and no unit is
# sent to an incident a day after the call, so the last two days of calls hold every recent mission.
LOAD_LOOKBACK = timedelta(hours=48)


@dataclass(frozen=True)
class UnitNow:
    """What the ranking needs to know of one unit at this moment."""

    busy_on: int | None = None  # the incident it is out on
    busy_in: str | None = None  # that incident's district
    since: datetime | None = None  # when it was sent there
    missions: int = 0  # incidents it was sent to in the last 24 hours


@dataclass(frozen=True)
class Option:
    unit: ResponseUnit
    km: float | None  # from where the unit is to the incident; None when the incident has no district
    missions: int
    busy_on: int | None
    since: datetime | None


@dataclass(frozen=True)
class Suggestions:
    needed: tuple[str, ...]  # the kinds the category needs, the usual one first
    free: tuple[Option, ...]  # free units of those kinds, best first: the first is the one to preselect
    busy: tuple[Option, ...]  # units of those kinds out on other incidents, nearest first
    others: tuple[Option, ...]  # free units of other kinds, nearest first: never preselected

    @property
    def pick(self) -> Option | None:
        return self.free[0] if self.free else None

    @property
    def none_free(self) -> bool:
        """A unit is needed and none of a needed kind is free."""
        return bool(self.needed) and not self.free


def km_between(settings: Settings, a: str | None, b: str | None) -> float | None:
    """Great-circle distance between two districts' centres (haversine), or None if either is unknown."""
    one, two = settings.district_by_code.get(a or ""), settings.district_by_code.get(b or "")
    if one is None or two is None:
        return None
    return _haversine(one.center.lat, one.center.lon, two.center.lat, two.center.lon)


@functools.cache  # a few dozen pairs of centres, asked for each unit at every ranking (and the history's)
def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlon = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def rank(
    settings: Settings, category: str, district: str | None, now: Mapping[str, UnitNow], *, others: bool = True
) -> Suggestions:
    """Every configured unit sorted into the suggestions for an incident of `category` in `district`;
    without `others`, the units of the needed kinds only (the history, which ranks every past incident)."""
    needed = tuple(settings.call_policy.needs.get(category, ()))
    free: list[tuple[tuple[float, ...], Option]] = []
    busy: list[tuple[tuple[float, ...], Option]] = []
    rest: list[tuple[tuple[float, ...], Option]] = []
    for order, unit in enumerate(settings.response_units):
        if not others and unit.kind not in needed:
            continue
        state = now.get(unit.code) or UnitNow()
        at = (state.busy_in or unit.district) if state.busy_on is not None else unit.district
        km = km_between(settings, at, district)
        option = Option(unit, km, state.missions, state.busy_on, state.since)
        # An unknown distance sorts as 0: with no place given, nearness cannot tell units apart.
        near = round(km or 0.0, 1)  # a tenth of a km is the same distance to anyone dispatching
        if unit.kind not in needed:
            if state.busy_on is None:
                rest.append(((near, state.missions, order), option))
            continue
        kind = needed.index(unit.kind)
        backup = unit.reach == "regency"
        if state.busy_on is None:
            free.append(((kind, near, state.missions, backup, order), option))
        else:
            busy.append(((kind, near, order), option))
    return Suggestions(
        needed=needed,
        free=tuple(o for _, o in sorted(free, key=lambda pair: pair[0])),
        busy=tuple(o for _, o in sorted(busy, key=lambda pair: pair[0])),
        others=tuple(o for _, o in sorted(rest, key=lambda pair: pair[0])),
    )


def unit_states(engine: Engine, now: datetime | None = None) -> dict[str, UnitNow]:
    """Each unit that is out or was sent somewhere in the last 24 hours (the others are free and idle)."""
    now = as_utc(now or utcnow())
    since = now - LOAD_WINDOW
    with engine.connect() as conn:
        out = conn.execute(
            select(
                incident_units.c.unit_code,
                incident_units.c.incident_id,
                incident_units.c.assigned_at,
                incidents.c.district,
            )
            .join(incidents, incidents.c.id == incident_units.c.incident_id)
            .where(incidents.c.status.in_(OPEN_STATUSES), incident_units.c.released_at.is_(None))
        ).all()
        # The recent incidents by their indexed time, then their units by incident: written as a join,
        # SQLite walked every assignment ever made in unit order instead (55 ms against 3 ms with a
        # year of history, 80,000 assignments).
        recent = select(incidents.c.id).where(incidents.c.received_at >= now - LOAD_LOOKBACK)
        missions: dict[str, int] = dict(
            conn.execute(
                select(incident_units.c.unit_code, func.count())
                .where(incident_units.c.incident_id.in_(recent), incident_units.c.assigned_at >= since)
                .group_by(incident_units.c.unit_code)
            ).all()
        )
    states = {code: UnitNow(missions=int(n)) for code, n in missions.items()}
    for r in out:
        states[r.unit_code] = UnitNow(
            r.incident_id, r.district, as_utc(r.assigned_at), int(missions.get(r.unit_code, 0))
        )
    return states


def suggest(
    engine: Engine, settings: Settings, category: str, district: str | None, now: datetime | None = None
) -> Suggestions:
    """The suggestions for an incident as storage says the units are now."""
    return rank(settings, category, district, unit_states(engine, now))
