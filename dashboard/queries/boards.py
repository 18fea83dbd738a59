"""What a public board shows, and the links and announcements its managers see (docs/design.md §3.9).

The figures are the unit's newest values as the metrics pages read them (queries.metrics.unit, from
`metric_latest`): a gauge as it is now, a counter (a running total of the day, §3.1.8) as today's total,
which is its newest value when that value is from today (WITA) and none yet otherwise. Each figure carries
its age; one older than the board's `stale_after_s`, or twice its metric's interval, is stale, and the TV
says so in words. The TV speaks Indonesian only: it hangs in a lobby in Soppeng.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from scc.clock import as_utc, to_wita, utcnow, wita_day_start
from scc.settings import Settings
from scc.settings.boards import Board
from scc.storage.boards import board_announcements, board_links

from .metrics import unit as unit_report

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")  # date.weekday()'s order
WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
LINKS_LIMIT = 200


@dataclass(frozen=True)
class Figure:
    role: str  # queue, issued or figure (config/boards.yaml)
    key: str
    label: str
    value: float | None  # None: nothing reported (today, for a figure of today)
    unit: str  # the catalog's unit: count, people, percent, days...
    at: datetime | None  # the time the value is for (UTC)
    stale_after: timedelta

    def age(self, now: datetime) -> timedelta | None:
        return None if self.at is None else max(timedelta(0), now - self.at)

    def state(self, now: datetime) -> str:
        """ok, stale (too old to trust as now) or none (nothing reported; today, for a figure of today)."""
        age = self.age(now)
        if self.value is None or age is None:
            return "none"
        return "stale" if age > self.stale_after else "ok"


@dataclass(frozen=True)
class LinkRow:
    id: int
    skpd_code: str
    label: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    last_seen_at: datetime | None


def figures(engine: Engine, settings: Settings, board: Board, now: datetime | None = None) -> list[Figure]:
    now = now or utcnow()
    latest = unit_report(engine, settings, board.skpd, now).latest
    today = wita_day_start(now)
    out = []
    for role, key, shown, label in board.shown():
        newest = latest[key]
        value, at = newest.value, newest.ts
        if shown == "today" and at is not None and at < today:
            value = None  # yesterday's running total; today's has not come yet
        limit = settings.boards.stale_after_s or 2 * newest.metric.interval_s
        text = label.id if label else ("Antrean saat ini" if role == "queue" else newest.metric.name.id)
        out.append(Figure(role, key, text, value, newest.metric.unit, at, timedelta(seconds=limit)))
    return out


def announcement(engine: Engine, code: str) -> tuple[str, datetime] | None:
    """The unit's announcement and when it was set; None when it has none."""
    c = board_announcements.c
    with engine.connect() as conn:
        row = conn.execute(select(c.text, c.set_at).where(c.skpd_code == code)).first()
    if row is None or not row.text:
        return None
    return row.text, as_utc(row.set_at)


def links(engine: Engine, codes: list[str]) -> list[LinkRow]:
    """The display links of these units, in use first, newest first (at most LINKS_LIMIT)."""
    c = board_links.c
    query = (
        select(c.id, c.skpd_code, c.label, c.created_by, c.created_at, c.revoked_at, c.revoked_by, c.last_seen_at)
        .where(c.skpd_code.in_(codes))
        .order_by(c.revoked_at.is_not(None), c.created_at.desc(), c.id.desc())
        .limit(LINKS_LIMIT)
    )
    with engine.connect() as conn:
        return [
            LinkRow(r.id, r.skpd_code, r.label, r.created_by, as_utc(r.created_at),
                    as_utc(r.revoked_at) if r.revoked_at else None, r.revoked_by,
                    as_utc(r.last_seen_at) if r.last_seen_at else None)
            for r in conn.execute(query)
        ]  # fmt: skip


# -- words -------------------------------------------------------------------------------------------


def number(value: float, unit: str) -> str:
    """Indonesian digits: 1.234 and 3,5; a percentage with its sign."""
    text = f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"
    text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{text} %" if unit == "percent" else text


def age_words(age: timedelta | None) -> str:
    if age is None:
        return "belum pernah dilaporkan"
    seconds = int(age.total_seconds())
    if seconds < 60:
        return "baru saja"
    if seconds < 3600:
        return f"{seconds // 60} menit lalu"
    if seconds < 86400:
        return f"{seconds // 3600} jam lalu"
    return f"{seconds // 86400} hari lalu"


def hours(settings: Settings, board: Board, now: datetime) -> dict[str, Any]:
    """The office's hours in words: its week, today's state, and whether it serves now."""
    if board.hours is None:
        return {"open": True, "week": "Setiap hari, 24 jam", "today": "BUKA 24 JAM"}
    calendar = settings.office_days
    opens, closes = board.hours.span
    span = f"{opens:%H.%M}–{closes:%H.%M} WITA"
    wita = to_wita(now)
    week = f"{_days(calendar.office_days)}, {span}"
    day = wita.date()
    holiday = next((h.name for h in calendar.holidays if h.day == day), None)
    if calendar.office_day(day) and opens <= wita.time() < closes:
        return {"open": True, "week": week, "today": f"BUKA · sampai pukul {closes:%H.%M}"}
    if calendar.office_day(day) and wita.time() < opens:
        return {"open": False, "week": week, "today": f"BELUM BUKA · buka pukul {opens:%H.%M}"}
    why = (
        f"Libur: {holiday}"
        if holiday
        else ("SUDAH TUTUP" if calendar.office_day(day) else f"TUTUP hari {DAYS[day.weekday()]}")
    )
    return {"open": False, "week": week, "today": f"{why} · buka lagi {_next_open(settings, day)}, {opens:%H.%M}"}


def _days(office_days: Sequence[str]) -> str:
    numbers = sorted(WEEKDAY_INDEX[d] for d in office_days)
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{DAYS[numbers[0]]}–{DAYS[numbers[-1]]}"
    return ", ".join(DAYS[n] for n in numbers)


def _next_open(settings: Settings, day: date) -> str:
    for ahead in range(1, 15):
        later = day + timedelta(days=ahead)
        if settings.office_days.office_day(later):
            return "besok" if ahead == 1 else f"{DAYS[later.weekday()]} {later.day}/{later.month}"
    return "-"
