"""What the rules look at, read once per round from the capabilities' tables.

Only what the enabled rules need is read, and never a growing table whole: the state tables (a row per
camera, unit, metric or process), the open incidents through ix_incidents_status, a threshold's window of
samples through uq_metric_samples_time (unit, metric, time), the last few rounds of service checks through
ix_service_probes_at, and a window of ingest's rejections through ix_rejected_messages_received_at.
tests/alerts/test_plans.py holds the queries to that with a year of history. The data disk is one statvfs.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from scc import health
from scc.clock import as_utc
from scc.settings import Settings
from scc.settings.alerts import MetricThreshold, Rule, ServiceDown, UnitRejections
from scc.storage.callcenter import incidents
from scc.storage.cameras import camera_state
from scc.storage.metrics import metric_latest, metric_samples, metric_unit_status, rejected_messages, service_probes
from scc.storage.platform import HealthStatus, heartbeats, process_state

# The incident statuses a rule looks at: waiting for a unit (and complaints, open until settled), on scene.
WATCHED_STATUSES = ("received", "on_scene")


@dataclass(frozen=True)
class Camera:
    status: str
    last_frame_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class Unit:
    online: bool | None  # what its status (or will) said last; None: no status row
    changed_at: datetime | None
    last_heard: datetime | None  # its newest message of any kind


@dataclass(frozen=True)
class Incident:
    id: int
    line_code: str
    category: str
    priority: int
    status: str
    received_at: datetime
    on_scene_at: datetime | None
    skpd_code: str | None
    due_at: datetime | None


@dataclass(frozen=True)
class Check:
    """One check of a unit's public service by the probes process."""

    at: datetime
    ok: bool
    status_code: int | None
    tls_days_left: int | None  # negative once expired; None: plain HTTP, or no handshake
    error: str | None


@dataclass(frozen=True)
class Disk:
    used: int  # bytes
    free: int  # bytes a process of ours may still write (the root reserve not counted)

    @property
    def used_percent(self) -> float:
        """As df counts it: used over what is used or free to us."""
        return 100.0 * self.used / max(1, self.used + self.free)


@dataclass(frozen=True)
class Rejected:
    """One unit's rejected messages within a rule's window."""

    count: int
    newest_at: datetime
    reason: str | None = None  # the newest one's, read only for a unit past the rule's limit


@dataclass(frozen=True)
class Facts:
    now: datetime
    cameras: Mapping[str, Camera] = field(default_factory=dict)
    units: Mapping[str, Unit] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # threshold rule -> unit -> value
    incidents: tuple[Incident, ...] = ()
    processes: Mapping[str, HealthStatus] = field(default_factory=dict)
    checks: Mapping[str, tuple[Check, ...]] = field(default_factory=dict)  # unit -> its newest checks, newest first
    disk: Disk | None = None  # None: not read, or not readable
    rejected: Mapping[str, Mapping[str, Rejected]] = field(default_factory=dict)  # rule -> unit -> its rejections


def read(conn: Connection, settings: Settings, rules: Iterable[Rule], now: datetime) -> Facts:
    rules = list(rules)
    kinds = {rule.kind for rule in rules}
    cameras = _cameras(conn) if kinds & {"camera_down", "uplink_down"} else {}
    units = _units(conn) if "unit_silent" in kinds else {}
    values = {rule.id: _values(conn, settings, rule, now) for rule in rules if isinstance(rule, MetricThreshold)}
    watched = kinds & {"incident_not_dispatched", "incident_on_scene", "complaint_overdue"}
    found = _incidents(conn) if watched else ()
    processes = _processes(conn, now) if "process_down" in kinds else {}
    probed = [rule for rule in rules if isinstance(rule, ServiceDown)]
    checks = _checks(conn, settings, probed, now) if probed else {}
    disk = _disk(settings) if "disk_full" in kinds else None
    rejected = {rule.id: _rejected(conn, rule, now) for rule in rules if isinstance(rule, UnitRejections)}
    return Facts(now, cameras, units, values, found, processes, checks, disk, rejected)


def _cameras(conn: Connection) -> dict[str, Camera]:
    t = camera_state.c
    rows = conn.execute(select(t.camera_id, t.status, t.last_frame_at, t.updated_at))
    return {r.camera_id: Camera(r.status, _utc(r.last_frame_at), as_utc(r.updated_at)) for r in rows}


def _units(conn: Connection) -> dict[str, Unit]:
    s = metric_unit_status.c
    status = {r.skpd_code: r for r in conn.execute(select(s.skpd_code, s.online, s.changed_at, s.last_message_at))}
    l_ = metric_latest.c
    newest = dict(conn.execute(select(l_.skpd_code, func.max(l_.received_at)).group_by(l_.skpd_code)).all())
    out = {}
    for code in status.keys() | newest.keys():
        row = status.get(code)
        heard = [t for t in (_utc(row.last_message_at) if row else None, _utc(newest.get(code))) if t is not None]
        out[code] = Unit(
            online=None if row is None else bool(row.online),
            changed_at=None if row is None else as_utc(row.changed_at),
            last_heard=max(heard, default=None),
        )
    return out


def reporting(settings: Settings, metric: str) -> list[str]:
    """The units that publish `metric` (a figure the call center keeps is not in the samples)."""
    return [m.skpd for m in settings.metrics if m.key == metric and m.from_calls is None]


def _values(conn: Connection, settings: Settings, rule: MetricThreshold, now: datetime) -> dict[str, float]:
    """Each watched unit's value to compare: its newest reading, or the aggregate of the window's readings."""
    units = reporting(settings, rule.metric)
    if rule.window is None or rule.aggregate == "last":
        t = metric_latest.c
        query = select(t.skpd_code, t.value).where(t.metric_key == rule.metric, t.skpd_code.in_(units))
        if rule.window is not None:
            query = query.where(t.ts >= now - rule.window)
        return {code: float(value) for code, value in conn.execute(query)}
    s = metric_samples.c
    how: Any = {"mean": func.avg, "min": func.min, "max": func.max}[rule.aggregate]
    query = (
        select(s.skpd_code, how(s.value))
        .where(s.skpd_code.in_(units), s.metric_key == rule.metric, s.ts >= now - rule.window, s.ts <= now)
        .group_by(s.skpd_code)
    )
    return {code: float(value) for code, value in conn.execute(query) if value is not None}


def _incidents(conn: Connection) -> tuple[Incident, ...]:
    t = incidents.c
    columns = (t.id, t.line_code, t.category, t.priority, t.status, t.received_at, t.on_scene_at, t.skpd_code, t.due_at)
    rows = conn.execute(select(*columns).where(t.status.in_(WATCHED_STATUSES)))
    return tuple(
        Incident(
            id=r.id,
            line_code=r.line_code,
            category=r.category,
            priority=r.priority,
            status=r.status,
            received_at=as_utc(r.received_at),
            on_scene_at=_utc(r.on_scene_at),
            skpd_code=r.skpd_code,
            due_at=_utc(r.due_at),
        )
        for r in rows
    )


def _processes(conn: Connection, now: datetime) -> dict[str, HealthStatus]:
    """Each process's health as /healthz tells it (scc.health), at `now`."""
    procs = {r.name: dict(r._mapping) for r in conn.execute(select(process_state))}
    beats = {r.name: dict(r._mapping) for r in conn.execute(select(heartbeats))}
    for row in (*procs.values(), *beats.values()):
        for key in ("started_at", "beat_at"):
            if row.get(key) is not None:
                row[key] = as_utc(row[key])
    return {
        name: health.effective_status(procs.get(name), beats.get(name), now) for name in procs.keys() | beats.keys()
    }


def checks_kept(rule: ServiceDown) -> int:
    """How many of a unit's newest checks a service rule looks at."""
    return 1 if rule.certificate_days_below is not None else rule.failed_checks


def _checks(
    conn: Connection, settings: Settings, rules: list[ServiceDown], now: datetime
) -> dict[str, tuple[Check, ...]]:
    """Each unit's newest checks, as many as the rules look at, from the last rounds only: a round every
    `interval_s`, so that many rounds and one more (a late one) hold them. Checks older than that say nothing
    of now (the probes process is away, which the process rule tells) and are left out: no data."""
    kept = max(checks_kept(rule) for rule in rules)
    probes = settings.app.probes
    span = timedelta(seconds=(kept + 1) * probes.interval_s + probes.timeout_s)
    t = service_probes.c
    rows = conn.execute(
        select(t.skpd_code, t.at, t.ok, t.status_code, t.tls_days_left, t.error)
        .where(t.at >= now - span, t.at <= now)
        .order_by(t.at.desc())
    )
    out: dict[str, list[Check]] = {}
    for r in rows:
        newest = out.setdefault(r.skpd_code, [])
        if len(newest) < kept:
            newest.append(Check(as_utc(r.at), bool(r.ok), r.status_code, r.tls_days_left, r.error))
    return {code: tuple(found) for code, found in out.items()}


def _disk(settings: Settings) -> Disk | None:
    try:
        usage = shutil.disk_usage(settings.data_dir)
    except OSError:
        return None
    return Disk(used=usage.used, free=usage.free)


def _rejected(conn: Connection, rule: UnitRejections, now: datetime) -> dict[str, Rejected]:
    """Each unit's rejections within the rule's window, counted in the database; for a unit past the limit,
    why the newest was refused (through ix_rejected_messages_unit), which tells its staff what to fix."""
    r = rejected_messages.c
    query = (
        select(r.skpd_code, func.count(), func.max(r.received_at))
        .where(r.received_at >= now - rule.within, r.received_at <= now, r.skpd_code.is_not(None))
        .group_by(r.skpd_code)
    )
    out = {}
    for code, count, newest in conn.execute(query).all():
        reason = None
        if count > rule.more_than:
            why = select(r.reason).where(r.skpd_code == code, r.received_at == newest).limit(1)
            reason = conn.execute(why).scalar()
        out[code] = Rejected(int(count), as_utc(newest), reason)
    return out


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)
