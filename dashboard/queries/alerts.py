"""Alerts as the pages read them: the bar's summary, the alerts page's lists (scc.alerts.queries underneath).

Every read is for an audience (scc.alerts.routing): SKPD staff see the alerts about their unit and no other,
and each role only the rules routed to it. The history's
filters on state and severity apply to the newest HISTORY_LIMIT alerts of the time range, read through the
started_at index; a range holding more than that shows its newest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import Engine

from scc.alerts.queries import AlertView, SilenceView, get, history, in_sight, silences
from scc.alerts.routing import EVERY_ALERT, Audience
from scc.clock import utcnow
from scc.storage.alerts import SEVERITIES, Severity

__all__ = [
    "AlertView",
    "SilenceView",
    "Summary",
    "get",
    "history_of",
    "in_sight_of",
    "raised_between",
    "silences",
    "summary_of",
]

Range = Literal["24h", "7d", "30d"]
RANGES: tuple[Range, ...] = get_args(Range)
RANGE_SPAN: dict[Range, timedelta] = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
# The history's state filter: an alert's state, or those still waiting for someone to acknowledge them.
StateFilter = Literal["any", "pending", "firing", "resolved", "withdrawn", "unacknowledged"]
STATE_FILTERS: tuple[StateFilter, ...] = get_args(StateFilter)
SeverityFilter = Literal["any", "critical", "warning", "info"]


@dataclass(frozen=True)
class Summary:
    """What the bar says: alerts in sight by severity, how many nobody acknowledged, the oldest's start."""

    counts: dict[Severity, int]
    unacknowledged: int
    oldest: datetime | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def worst(self) -> Severity | None:
        return next((s for s in SEVERITIES if self.counts[s]), None)


def in_sight_of(engine: Engine, audience: Audience = EVERY_ALERT) -> list[AlertView]:
    """The alerts in sight that `audience` is shown (scc.alerts.routing)."""
    return in_sight(engine, skpd=audience.skpd, rules=audience.rules)


def summary_of(found: Sequence[AlertView]) -> Summary:
    """The bar's figures from the alerts in sight (in_sight_of: open firing ones, and fired ones never
    acknowledged)."""
    counts: dict[Severity, int] = dict.fromkeys(SEVERITIES, 0)
    for a in found:
        counts[a.severity] += 1
    oldest = min((a.started_at for a in found), default=None)
    return Summary(counts=counts, unacknowledged=sum(not a.acknowledged for a in found), oldest=oldest)


def history_of(
    engine: Engine,
    *,
    span: Range = "24h",
    state: StateFilter = "any",
    severity: SeverityFilter = "any",
    audience: Audience = EVERY_ALERT,
    now: datetime | None = None,
) -> list[AlertView]:
    """The alerts begun within `span` that `audience` is shown, newest first, narrowed to a state and a
    severity."""
    since = (now or utcnow()) - RANGE_SPAN[span]
    found = history(engine, since, skpd=audience.skpd, rules=audience.rules)
    if severity != "any":
        found = [a for a in found if a.severity == severity]
    if state == "unacknowledged":
        return [a for a in found if a.fired_at is not None and not a.acknowledged]
    if state != "any":
        return [a for a in found if a.state == state]
    return found


# A report's day or week of alerts: more than a flapping week of the demo raises, read whole.
SPAN_LIMIT = 100_000


def raised_between(
    engine: Engine, since: datetime, until: datetime, audience: Audience = EVERY_ALERT
) -> list[AlertView]:
    """The alerts begun in [since, until) that fired (withdrawn ones told nobody), newest first: what the
    history lists for that range, less those that never fired."""
    found = history(engine, since, until, skpd=audience.skpd, rules=audience.rules, limit=SPAN_LIMIT)
    return [a for a in found if a.fired_at is not None]
