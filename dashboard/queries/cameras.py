"""Camera reads: every configured camera with its stored state, the wall's groups and pages, links down,
uptime and outages for the health page, the camera processes' CPU, and each user's wall layout.

Everything here reads what the camera workers stored (scc.storage.cameras); nothing opens a camera.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import Engine, select, union_all

from scc import health
from scc.cameras_access import may_view
from scc.clock import as_utc, utcnow
from scc.settings import Settings
from scc.storage.cameras import CameraDisplayStatus, camera_outages, camera_state, wall_prefs

GroupBy = Literal["all", "site", "skpd", "district", "uplink"]
GROUPS: tuple[GroupBy, ...] = get_args(GroupBy)
Layout = Literal["1", "2x2", "3x3", "4x4", "5x5"]
# Tiles per side: 5x5 is for a 4K wall, where a 640x360 sub-stream still has a pixel per pixel.
LAYOUTS: dict[Layout, int] = {"1": 1, "2x2": 2, "3x3": 3, "4x4": 4, "5x5": 5}
TOURS: tuple[int, ...] = (0, 10, 20, 30, 60)  # seconds per page in tour mode; 0: no tour
# Statuses that mean "no picture from this camera": what a dead uplink does to every camera behind it.
# An error (401, unknown path, codec) is the camera's own fault, never the link's.
DARK: frozenset[str] = frozenset({"offline", "stale"})
CPU = re.compile(r"cpu\s*(\d+(?:[.,]\d+)?)\s*%", re.IGNORECASE)


@dataclass(frozen=True)
class CameraRow:
    id: str
    name: str
    site: str
    skpd: str
    district: str
    link: str
    planned: bool
    status: CameraDisplayStatus
    last_frame_at: datetime | None
    fps: float | None
    reconnects: int
    last_error: str | None
    uplink: str = ""
    width: int | None = None
    height: int | None = None
    codec: str | None = None


@dataclass(frozen=True)
class WallPage:
    group: str  # the group's key (a site, an SKPD code, a district code, an uplink)
    part: int  # 1-based: a group larger than one page takes several
    parts: int
    cameras: tuple[CameraRow, ...]


@dataclass(frozen=True)
class LinkDown:
    uplink: str
    link: str  # fibre | radio
    cameras: tuple[str, ...]  # ids of its cameras without a picture


@dataclass(frozen=True)
class Outage:
    camera_id: str
    uplink: str
    started_at: datetime
    ended_at: datetime | None
    reason: str


@dataclass(frozen=True)
class ProcessCpu:
    name: str
    status: str
    cpu_pct: float | None
    beat_at: datetime | None


@dataclass(frozen=True)
class WallPrefs:
    layout: Layout = "4x4"  # the 16 installed cameras at once
    group_by: GroupBy = "all"
    tour_s: int = 0


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def without_credentials(text: str) -> str:
    """An error text as a page may show it: FFmpeg and OpenCV repeat the URL they opened,
    and that URL carries the camera's user name and password."""
    return _USERINFO.sub(r"\1***@", text)


def cameras(
    engine: Engine, settings: Settings, *, role: str | None = None, skpd_code: str | None = None
) -> list[CameraRow]:
    """Every configured camera; status 'nodata' when its worker has not reported, 'planned' when not installed.
    With `role`, only the installed cameras that role (and unit) may view (scc.cameras_access.may_view),
    and every planned one for staff."""
    with engine.connect() as conn:
        states = {r.camera_id: r for r in conn.execute(select(camera_state))}
    out = []
    for cam in settings.cameras:
        planned = cam.status == "planned"
        if role is not None and not (may_view(role, skpd_code, cam) or (planned and role != "skpd")):
            continue
        state = states.get(cam.id)
        status: CameraDisplayStatus = "planned" if planned else (state.status if state else "nodata")
        out.append(
            CameraRow(
                id=cam.id,
                name=cam.name,
                site=cam.site,
                skpd=cam.skpd,
                district=cam.district,
                link=cam.link,
                planned=planned,
                status=status,
                last_frame_at=state.last_frame_at if state else None,
                fps=state.fps if state else None,
                reconnects=state.reconnects if state else 0,
                last_error=without_credentials(state.last_error) if state and state.last_error else None,
                uplink=cam.uplink,
                width=state.width if state else None,
                height=state.height if state else None,
                codec=state.codec if state else None,
            )
        )
    return out


# -- the wall: groups, pages, links down ------------------------------------------------------------


def group_key(row: CameraRow, by: GroupBy) -> str:
    """The group a camera falls in; "all" is one group of every camera (the key is empty)."""
    return {"all": "", "site": row.site, "skpd": row.skpd, "district": row.district, "uplink": row.uplink}[by]


def groups(rows: Iterable[CameraRow], by: GroupBy) -> list[tuple[str, list[CameraRow]]]:
    """Installed cameras by `by`, groups in the order of their first camera in config/cameras.yaml
    (the regency's own order: the hospital first), cameras in config order within a group."""
    out: dict[str, list[CameraRow]] = {}
    for row in rows:
        if not row.planned:
            out.setdefault(group_key(row, by), []).append(row)
    return list(out.items())


def wall_pages(rows: Iterable[CameraRow], by: GroupBy, layout: Layout) -> list[WallPage]:
    """The wall's pages: each group on pages of `layout`'s tiles; a page never mixes two groups,
    so a tour shows one place (one unit, one link) at a time; "all" fills every page."""
    per_page = LAYOUTS[layout] ** 2
    pages = []
    for key, members in groups(rows, by):
        parts = -(-len(members) // per_page)
        for i in range(parts):
            pages.append(WallPage(key, i + 1, parts, tuple(members[i * per_page : (i + 1) * per_page])))
    return pages


def links_down(rows: Iterable[CameraRow]) -> list[LinkDown]:
    """Uplinks whose cameras went dark together: two or more without a picture and none with one.
    The wall shows one banner for each instead of an alarm per camera."""
    by_link: dict[str, list[CameraRow]] = {}
    for row in rows:
        if not row.planned:
            by_link.setdefault(row.uplink, []).append(row)
    out = []
    for uplink, members in by_link.items():
        dark = [m.id for m in members if m.status in DARK]
        lit = [m for m in members if m.status == "online"]
        if len(dark) >= 2 and not lit:
            out.append(LinkDown(uplink, members[0].link, tuple(dark)))
    return out


# -- health: outages and uptime ------------------------------------------------------------------


def outages(engine: Engine, camera_ids: Sequence[str], since: datetime) -> list[Outage]:
    """The outages of these cameras that were still going at `since` or began after it, oldest first."""
    if not camera_ids:
        return []
    t = camera_outages.c
    # The open ones and those ended since, apart: each is then a range of ix_camera_outages_end for each
    # camera, while no index serves the OR of the two and every outage of years past would be read.
    columns = select(t.camera_id, t.uplink, t.started_at, t.ended_at, t.reason).where(t.camera_id.in_(list(camera_ids)))
    query = union_all(columns.where(t.ended_at.is_(None)), columns.where(t.ended_at >= since)).order_by("started_at")
    with engine.connect() as conn:
        return [
            Outage(
                r.camera_id,
                r.uplink,
                as_utc(r.started_at),
                as_utc(r.ended_at) if r.ended_at else None,
                without_credentials(r.reason or ""),
            )
            for r in conn.execute(query)
        ]


Span = tuple[datetime, datetime]


def _merged(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _down_spans(items: Iterable[Outage], since: datetime, now: datetime) -> list[Span]:
    """Outages cut to the window [since, now]; one still open lasts until now."""
    spans = []
    for o in items:
        start, end = max(o.started_at, since), min(o.ended_at or now, now)
        if end > start:
            spans.append((start, end))
    return _merged(spans)


def _all_down(per_camera: Sequence[list[Span]]) -> list[Span]:
    """The spans during which every one of the cameras was down at once (intersection of their unions).

    One sweep over the cameras' starts and ends in time order, counting the cameras down: all of them
    from the moment the count reaches their number until the next end: linear in the spans, where
    intersecting camera by camera was quadratic (a week of a flapping link is thousands of outages).
    Each camera's spans are merged first (one pass over what `_down_spans` left sorted), so a camera
    counts at most once at a time. At one instant ends come before starts: spans are half-open, and
    one camera coming back as another goes is no moment of all down."""
    need = len(per_camera)
    if need == 0:
        return []
    edges = heapq.merge(*(_edges(spans) for spans in per_camera))
    out: list[Span] = []
    down, start = 0, None
    for at, step in edges:
        if step < 0 and down == need and start is not None:
            out.append((start, at))
        down += step
        if down == need:
            start = at
    return out


def _edges(spans: Iterable[Span]) -> Iterator[tuple[datetime, int]]:
    """A camera's (start, +1) and (end, -1) in time order; an empty span covers no time."""
    for start, end in _merged(spans):
        if end > start:
            yield start, 1
            yield end, -1


def _percent(down: list[Span], since: datetime, now: datetime) -> float:
    window = (now - since).total_seconds()
    lost = sum((end - start).total_seconds() for start, end in down)
    return max(0.0, 100.0 * (1 - lost / window)) if window > 0 else 100.0


# The statuses in which a worker opens an outage (streams.cameras.analysis.Outage).
DOWN: frozenset[str] = frozenset({"offline", "error"})


def _unrecorded(row: CameraRow, since: datetime) -> Outage:
    """The outage of a camera its stored state calls down while no open outage says so: a worker that
    stopped had its outage closed at its last word (streams.cameras.camera_state.settle_open_outages),
    or none was written. The page shows that state, so uptime must not call the camera up meanwhile:
    down since its last frame, or over the whole window if it never sent one."""
    start = row.last_frame_at if row.last_frame_at is not None else since
    return Outage(row.id, row.uplink, max(as_utc(start), since), None, row.last_error or "")


@dataclass(frozen=True)
class Uptime:
    key: str  # a camera id or an uplink
    pct_24h: float
    pct_7d: float
    outages_24h: int


def uptime(engine: Engine, rows: Sequence[CameraRow], now: datetime | None = None) -> tuple[list[Uptime], list[Uptime]]:
    """(per camera, per uplink) uptime in % over 24 h and 7 days, from the recorded outages.

    A camera is down from an outage's start to its end (now, while open), and while its stored state
    says offline or error even if no outage is open (`_unrecorded`); time before its first record
    counts as up, since nothing says otherwise. An uplink is down while every installed camera
    on it is down at once: one camera's fault is not the link's."""
    now = now or utcnow()
    installed = [r for r in rows if not r.planned]
    week = now - timedelta(days=7)
    day = now - timedelta(days=1)
    found = outages(engine, [r.id for r in installed], week)
    by_camera: dict[str, list[Outage]] = {r.id: [] for r in installed}
    for o in found:
        by_camera.setdefault(o.camera_id, []).append(o)
    for r in installed:
        if r.status in DOWN and not any(o.ended_at is None for o in by_camera[r.id]):
            by_camera[r.id].append(_unrecorded(r, week))
    cams = []
    spans: dict[str, tuple[list[Span], list[Span]]] = {}
    for r in installed:
        d, w = _down_spans(by_camera[r.id], day, now), _down_spans(by_camera[r.id], week, now)
        spans[r.id] = (d, w)
        count = sum(1 for o in by_camera[r.id] if (o.ended_at or now) > day)
        cams.append(Uptime(r.id, _percent(d, day, now), _percent(w, week, now), count))
    links: dict[str, list[str]] = {}
    for r in installed:
        links.setdefault(r.uplink, []).append(r.id)
    out_links = []
    for uplink, ids in links.items():
        d = _all_down([spans[i][0] for i in ids])
        w = _all_down([spans[i][1] for i in ids])
        out_links.append(Uptime(uplink, _percent(d, day, now), _percent(w, week, now), len(d)))
    return cams, out_links


# -- the camera processes -----------------------------------------------------------------------


def camera_processes(engine: Engine) -> list[ProcessCpu]:
    """The camera workers' and the relay's health, with the CPU each says in its heartbeat ("cpu 3.2%")."""
    out = []
    for c in health.read_all(engine):
        if c.name.startswith("cameras-worker-") or c.name == "cameras-relay":
            found = CPU.search(c.detail or "")
            cpu = float(found.group(1).replace(",", ".")) if found else None
            out.append(ProcessCpu(c.name, c.status, cpu, c.beat_at))
    return out


# -- the wall's layout, per user ------------------------------------------------------------------


def load_wall_prefs(engine: Engine, username: str) -> WallPrefs:
    with engine.connect() as conn:
        row = conn.execute(select(wall_prefs).where(wall_prefs.c.username == username)).first()
    if row is None:
        return WallPrefs()
    layout = row.layout if row.layout in LAYOUTS else WallPrefs.layout
    group_by = row.group_by if row.group_by in GROUPS else WallPrefs.group_by
    tour_s = row.tour_s if row.tour_s in TOURS else 0
    return WallPrefs(layout, group_by, tour_s)


def save_wall_prefs(engine: Engine, username: str, prefs: WallPrefs) -> None:
    """Remembered for the user, not the browser: the same wall on any screen they sign in to."""
    if prefs.layout not in LAYOUTS or prefs.group_by not in GROUPS or prefs.tour_s not in TOURS:
        raise ValueError("unknown wall layout, grouping or tour interval")
    values = {"layout": prefs.layout, "group_by": prefs.group_by, "tour_s": prefs.tour_s, "updated_at": utcnow()}
    with engine.begin() as conn:
        done = conn.execute(wall_prefs.update().where(wall_prefs.c.username == username).values(**values))
        if done.rowcount == 0:
            conn.execute(wall_prefs.insert().values(username=username, **values))


@dataclass(frozen=True)
class SpanUptime:
    key: str  # a camera id or an uplink
    pct: float
    outages: int  # outages of the camera, or moments the whole link went dark, within the span


def uptime_between(
    engine: Engine, rows: Sequence[CameraRow], since: datetime, until: datetime
) -> tuple[list[SpanUptime], list[SpanUptime]]:
    """(per camera, per uplink) uptime in % over [since, until), as `uptime` computes its 24 hours and 7
    days: the same outages, the same cut, the same link rule. The stored state of now says nothing of a
    past span, so a camera down now without an open outage counts only in a span that reaches now."""
    now = utcnow()
    until = min(until, now)
    installed = [r for r in rows if not r.planned]
    by_camera: dict[str, list[Outage]] = {r.id: [] for r in installed}
    for o in outages(engine, [r.id for r in installed], since):
        if o.started_at < until:
            by_camera.setdefault(o.camera_id, []).append(o)
    if until >= now - timedelta(minutes=1):
        for r in installed:
            if r.status in DOWN and not any(o.ended_at is None for o in by_camera[r.id]):
                by_camera[r.id].append(_unrecorded(r, since))
    cams, spans = [], {}
    for r in installed:
        down = spans[r.id] = _down_spans(by_camera[r.id], since, until)
        count = sum(1 for o in by_camera[r.id] if (o.ended_at or until) > since)
        cams.append(SpanUptime(r.id, _percent(down, since, until), count))
    links: dict[str, list[str]] = {}
    for r in installed:
        links.setdefault(r.uplink, []).append(r.id)
    out_links = []
    for uplink, ids in links.items():
        dark = _all_down([spans[i] for i in ids])
        out_links.append(SpanUptime(uplink, _percent(dark, since, until), len(dark)))
    return cams, out_links
