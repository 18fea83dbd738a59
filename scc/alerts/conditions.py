"""Each kind of rule as a pure function: from the facts of a round to {subject: verdict}.

A verdict says whether the condition holds (True), is clear (False) or cannot be told (None: no data),
since when it holds as the data says (a camera's last frame, a call's arrival plus its delay), what it saw,
and the SKPD the subject belongs to. A subject a function leaves out is clear: an incident dispatched is no
longer among the waiting ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scc.settings import Settings
from scc.settings.alerts import (
    CameraDown,
    ComplaintOverdue,
    DiskFull,
    IncidentNotDispatched,
    IncidentOnScene,
    MetricThreshold,
    ProcessDown,
    Rule,
    Selection,
    ServiceDown,
    UnitRejections,
    UnitSilent,
    UplinkDown,
)
from scc.settings.cameras import Camera
from scc.settings.metrics import shortest_interval

from . import facts
from .facts import Facts

# A camera worker rewrites its cameras' rows every second: a row older than this says nothing of now (its
# worker is gone, which the process rule tells).
CAMERA_ROW_FRESH = timedelta(seconds=60)
# Statuses that mean "no picture": for one camera also an error (a 401, a codec) that someone must fix.
DOWN = frozenset({"offline", "stale", "error"})
# What a dead link does to every camera behind it; an error is the camera's own fault, never the link's (as
# the wall's banner has it, dashboard/queries/cameras.DARK).
DARK = frozenset({"offline", "stale"})
# Health statuses of a process that is not doing its work.
NOT_WORKING = frozenset({"stale", "failed", "restarting", "stopped", "down"})
# The subject of the data disk's alert (the page names it).
DATA_DISK = "data"
# A rejection's reason comes partly from what the unit sent: enough of it to see what to fix.
REASON_KEPT = 200


@dataclass(frozen=True)
class Verdict:
    holds: bool | None  # None: no data
    since: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    skpd: str | None = None


Verdicts = dict[str, Verdict]


def judge(rule: Rule, seen: Facts, settings: Settings) -> Verdicts:
    return KINDS[rule.kind](rule, seen, settings)


def picks(selection: Selection, name: str, groups: dict[str, str] | None = None) -> bool:
    """Does `selection` take the subject `name`, whose groups (uplink, district, skpd) are `groups`?"""
    if selection.every:
        return True
    if selection.group is None:
        return name in selection.names
    return (groups or {}).get(selection.group) in selection.names


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _installed(settings: Settings) -> Iterable[Camera]:
    return (c for c in settings.cameras if c.status == "active")


def camera_down(rule: CameraDown, seen: Facts, settings: Settings) -> Verdicts:
    out: Verdicts = {}
    for cam in _installed(settings):
        if not picks(rule.cameras, cam.id, {"uplink": cam.uplink, "district": cam.district, "skpd": cam.skpd}):
            continue
        row = seen.cameras.get(cam.id)
        if row is None or seen.now - row.updated_at > CAMERA_ROW_FRESH:
            out[cam.id] = Verdict(None, skpd=cam.skpd, detail={"uplink": cam.uplink})
        elif row.status in DOWN:
            detail = {"status": row.status, "uplink": cam.uplink, "last_frame_at": _iso(row.last_frame_at)}
            out[cam.id] = Verdict(True, row.last_frame_at, detail, cam.skpd)
        else:
            out[cam.id] = Verdict(False, skpd=cam.skpd)
    return out


def uplink_down(rule: UplinkDown, seen: Facts, settings: Settings) -> Verdicts:
    """Two or more of a link's installed cameras dark and none with a picture: the link, not the cameras. A
    link of one camera cannot be told from its camera, and is left to the camera's rule."""
    members: dict[str, list[Camera]] = {}
    for cam in _installed(settings):
        members.setdefault(cam.uplink, []).append(cam)
    out: Verdicts = {}
    for uplink, cams in members.items():
        districts = {c.district for c in cams}
        if len(cams) < 2 or not (rule.uplinks.every or _link_picked(rule.uplinks, uplink, districts)):
            continue
        rows = {c.id: seen.cameras.get(c.id) for c in cams}
        fresh = {cid: r for cid, r in rows.items() if r is not None and seen.now - r.updated_at <= CAMERA_ROW_FRESH}
        dark = sorted(cid for cid, r in fresh.items() if r.status in DARK)
        owners = {c.skpd for c in cams}
        skpd = owners.pop() if len(owners) == 1 else None
        if any(r.status == "online" for r in fresh.values()):
            out[uplink] = Verdict(False, skpd=skpd)
        elif len(dark) >= 2:
            frames = [fresh[cid].last_frame_at for cid in dark]
            since = None if None in frames else max(f for f in frames if f is not None)  # the last one to go dark
            out[uplink] = Verdict(True, since, {"cameras": dark, "link": cams[0].link}, skpd)
        else:
            out[uplink] = Verdict(None if len(fresh) < len(cams) else False, skpd=skpd)
    return out


def _link_picked(selection: Selection, uplink: str, districts: set[str]) -> bool:
    if selection.group == "district":
        return bool(districts & set(selection.names))
    return uplink in selection.names


def unit_silent(rule: UnitSilent, seen: Facts, settings: Settings) -> Verdicts:
    out: Verdicts = {}
    for unit in settings.skpd:
        if not picks(rule.units, unit.code, {"district": unit.district}):
            continue
        row = seen.units.get(unit.code)
        late = shortest_interval(settings.metrics, unit.code) * rule.intervals
        if row is not None and row.online is False:
            detail = {"why": "offline", "last_heard": _iso(row.last_heard)}
            out[unit.code] = Verdict(True, row.changed_at, detail, unit.code)
        elif row is None or row.last_heard is None:
            out[unit.code] = Verdict(None, skpd=unit.code)  # never heard: the wall says "never", not "late"
        elif seen.now - row.last_heard > late:
            detail = {"why": "silent", "last_heard": _iso(row.last_heard)}
            out[unit.code] = Verdict(True, row.last_heard + late, detail, unit.code)
        else:
            out[unit.code] = Verdict(False, skpd=unit.code)
    return out


def metric_threshold(rule: MetricThreshold, seen: Facts, settings: Settings) -> Verdicts:
    values = seen.values.get(rule.id, {})
    out: Verdicts = {}
    for code in facts.reporting(settings, rule.metric):
        if not picks(rule.units, code, {"district": settings.skpd_by_code[code].district}):
            continue
        value = values.get(code)
        if value is None:
            out[code] = Verdict(None, skpd=code)
            continue
        beyond = (rule.above is not None and value > rule.above) or (rule.below is not None and value < rule.below)
        detail = {"metric": rule.metric, "value": value, "above": rule.above, "below": rule.below}
        out[code] = Verdict(beyond, detail=detail, skpd=code)
    return out


def incident_not_dispatched(rule: IncidentNotDispatched, seen: Facts, settings: Settings) -> Verdicts:
    delays: dict[int, timedelta] = (
        {d.priority: d.after for d in rule.within}
        if rule.within is not None
        else {t.priority: timedelta(seconds=t.dispatch_s) for t in settings.call_policy.targets}
    )
    out: Verdicts = {}
    for inc in seen.incidents:
        after = delays.get(inc.priority)
        if inc.status != "received" or inc.category in ("complaint", "prank") or after is None:
            continue
        if inc.priority not in rule.priorities or not picks(rule.lines, inc.line_code):
            continue
        due = inc.received_at + after
        if seen.now >= due:
            out[str(inc.id)] = Verdict(True, due, _about(inc), _line_owner(settings, inc.line_code))
    return out


def incident_on_scene(rule: IncidentOnScene, seen: Facts, settings: Settings) -> Verdicts:
    out: Verdicts = {}
    for inc in seen.incidents:
        if inc.status != "on_scene" or inc.on_scene_at is None or inc.priority not in rule.priorities:
            continue
        due = inc.on_scene_at + rule.longer_than
        if picks(rule.lines, inc.line_code) and seen.now >= due:
            detail = _about(inc) | {"on_scene_at": _iso(inc.on_scene_at)}
            out[str(inc.id)] = Verdict(True, due, detail, _line_owner(settings, inc.line_code))
    return out


def complaint_overdue(rule: ComplaintOverdue, seen: Facts, settings: Settings) -> Verdicts:
    out: Verdicts = {}
    for inc in seen.incidents:
        if inc.category != "complaint" or inc.status != "received" or inc.due_at is None or inc.skpd_code is None:
            continue
        unit = settings.skpd_by_code.get(inc.skpd_code)
        if unit is None or not picks(rule.units, unit.code, {"district": unit.district}):
            continue
        due = inc.due_at + rule.grace
        if seen.now >= due:
            out[str(inc.id)] = Verdict(True, due, _about(inc) | {"due_at": _iso(inc.due_at)}, unit.code)
    return out


def process_down(rule: ProcessDown, seen: Facts, settings: Settings) -> Verdicts:
    out: Verdicts = {}
    for name, status in seen.processes.items():
        if picks(rule.processes, name):
            out[name] = Verdict(status in NOT_WORKING, detail={"status": status})
    for name in rule.processes.names:
        out.setdefault(name, Verdict(None))  # named, and neither run nor beating: nothing to tell by
    return out


def service_down(rule: ServiceDown, seen: Facts, settings: Settings) -> Verdicts:
    """Its newest `failed_checks` checks all failed; or, watching the certificate, the newest one seen has
    fewer than `certificate_days_below` days left. Fewer checks than that, all failed: cannot tell yet."""
    out: Verdicts = {}
    for unit in (settings.skpd_by_code[code] for code in settings.probed_services):
        if not picks(rule.units, unit.code, {"district": unit.district}):
            continue
        checks = seen.checks.get(unit.code, ())
        if rule.certificate_days_below is not None:
            out[unit.code] = _certificate(rule.certificate_days_below, checks, unit.code)
            continue
        newest = checks[: rule.failed_checks]
        if any(c.ok for c in newest):
            out[unit.code] = Verdict(False, skpd=unit.code)
        elif len(newest) < rule.failed_checks:
            out[unit.code] = Verdict(None, skpd=unit.code)
        else:
            last, first = newest[0], newest[-1]
            detail = {
                "error": last.error, "status_code": last.status_code, "failed_checks": len(newest),
                "first_failed_at": _iso(first.at), "checked_at": _iso(last.at),
            }  # fmt: skip
            out[unit.code] = Verdict(True, first.at, detail, unit.code)
    return out


def _certificate(days_below: int, checks: tuple[facts.Check, ...], code: str) -> Verdict:
    seen = next((c for c in checks if c.tls_days_left is not None), None)
    if seen is None:
        return Verdict(None, skpd=code)  # plain HTTP, or no handshake lately
    days = seen.tls_days_left
    assert days is not None
    detail = {"tls_days_left": days, "expired": days < 0, "checked_at": _iso(seen.at)}
    return Verdict(days < days_below, detail=detail, skpd=code)


def disk_full(rule: DiskFull, seen: Facts, settings: Settings) -> Verdicts:
    if seen.disk is None:
        return {DATA_DISK: Verdict(None)}
    used = seen.disk.used_percent
    detail = {"used_percent": round(used, 1), "free_gb": round(seen.disk.free / 1e9, 1), "above": rule.above_percent}
    return {DATA_DISK: Verdict(used > rule.above_percent, detail=detail)}


def unit_rejections(rule: UnitRejections, seen: Facts, settings: Settings) -> Verdicts:
    """A unit with no rejection in the window is left out: clear."""
    out: Verdicts = {}
    for code, got in seen.rejected.get(rule.id, {}).items():
        unit = settings.skpd_by_code.get(code)
        if unit is None or not picks(rule.units, code, {"district": unit.district}):
            continue
        detail = {
            "count": got.count, "within_s": int(rule.within.total_seconds()), "newest_at": _iso(got.newest_at),
            "reason": None if got.reason is None else got.reason[:REASON_KEPT],
        }  # fmt: skip
        out[code] = Verdict(got.count > rule.more_than, detail=detail, skpd=code)
    return out


def _about(inc: facts.Incident) -> dict[str, Any]:
    return {"line": inc.line_code, "priority": inc.priority, "received_at": _iso(inc.received_at)}


def _line_owner(settings: Settings, line: str) -> str | None:
    found = settings.call_line_by_code.get(line)
    return None if found is None else found.skpd


KINDS: dict[str, Callable[[Any, Facts, Settings], Verdicts]] = {
    "camera_down": camera_down,
    "uplink_down": uplink_down,
    "unit_silent": unit_silent,
    "metric_threshold": metric_threshold,
    "incident_not_dispatched": incident_not_dispatched,
    "incident_on_scene": incident_on_scene,
    "complaint_overdue": complaint_overdue,
    "process_down": process_down,
    "service_down": service_down,
    "disk_full": disk_full,
    "unit_rejections": unit_rejections,
}
