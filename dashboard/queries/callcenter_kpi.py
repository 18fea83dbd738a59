"""The call center's KPI page: a window of WITA days (today, 7 or 30) and the same length of time just as
many days earlier, each as calls (by line, district, hour and outcome) and response times.

Both spans are read in two parts split at their midnight: the whole days before it, kept per process
(kept.past_and_today), and the hours since, read on every refresh. The parts add up: counts as rows,
response times as the minutes themselves (callcenter_stats.Minutes), so the page's percentiles are those
of the whole span, and a month's page reads what today's does. An edit or an import of past calls shows
within kept.PAST_TTL_S.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from .callcenter_stats import (
    CallRows,
    Calls,
    Minutes,
    Period,
    Times,
    Window,
    added,
    call_rows,
    calls_of,
    minutes,
    periods,
    responses_of,
)
from .kept import past_and_today


@dataclass(frozen=True)
class Kpi:
    window: Window
    current: Period
    previous: Period
    calls: Calls
    previous_calls: Calls
    overall: Times
    previous_overall: Times
    by_district: dict[str | None, Times]
    previous_by_district: dict[str | None, Times]
    by_line: dict[str | None, Times]
    previous_by_line: dict[str | None, Times]


def kpi(engine: Engine, window: Window, now: datetime | None = None) -> Kpi:
    current, previous = periods(window, now)
    calls, current_minutes = _span(engine, window, current, detail=True)
    before, previous_minutes = _span(engine, window, previous, detail=False)
    overall, by_district, by_line = responses_of(current_minutes)
    previous_overall, previous_by_district, previous_by_line = responses_of(previous_minutes)
    return Kpi(
        window=window,
        current=current,
        previous=previous,
        calls=calls_of(calls, detail=True),
        previous_calls=calls_of(before, detail=False),
        overall=overall,
        previous_overall=previous_overall,
        by_district=by_district,
        previous_by_district=previous_by_district,
        by_line=by_line,
        previous_by_line=previous_by_line,
    )


def _span(engine: Engine, window: Window, period: Period, *, detail: bool) -> tuple[CallRows, Minutes]:
    """A span's call rows and minutes: its whole days kept, the hours since its last midnight read."""

    def read(since: datetime, until: datetime | None) -> tuple[CallRows, Minutes]:
        part = Period(since, period.until) if until is None else Period.before(since, until)
        with engine.connect() as conn:
            return call_rows(conn, part, detail=detail), minutes(conn, part)

    past, today = past_and_today(engine, ("kpi", window, detail), period.since, period.until, read)
    if past is None:
        return today
    (outcomes, places), past_minutes = past
    (outcomes_now, places_now), minutes_now = today
    return (outcomes + outcomes_now, places + places_now), added(past_minutes, minutes_now)
