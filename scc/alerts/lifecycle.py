"""How one alert lives: from the alert as stored and its condition now, what changes. Pure, so a round
killed before its commit is simply computed again from the same stored state, and writes the same.

    (none) --holds--> pending --held for `for`--> firing --clear for `keep_for`--> resolved
                         \\--clear for `keep_for`, never fired--> withdrawn

`for` counts from when the data says the condition began (`since`), so an alert whose condition has
held long enough already opens firing. While open, a condition that holds again within `keep_for`
carries on the same alert (a flapping camera makes one). Acknowledged or not is apart from the state
(ThingsBoard's active/cleared x acknowledged/not): an alert that fired and ended unacknowledged stays in
sight until someone acknowledges it (scc.alerts.queries).

Telling people: a firing alert, unacknowledged and not silenced, is due at once when it fires (or its
silence ends), then every `renotify`; each time, notify_count goes up and next_notify_at moves on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from scc.settings.alerts import Rule
from scc.storage.alerts import AlertState

# The condition of one subject in one round, as the lifecycle takes it: after the rule's `no_data` policy,
# and after suppression (a camera whose uplink has an alert open), or `retired` (its rule is gone).
Condition = Literal["holds", "clear", "unknown", "suppressed", "retired"]


@dataclass(frozen=True)
class Stored:
    """An open alert, as much of it as its lifecycle needs."""

    id: int
    state: AlertState
    started_at: datetime
    clear_since: datetime | None
    silence_id: int | None
    acknowledged: bool
    notify_count: int
    next_notify_at: datetime | None


@dataclass(frozen=True)
class Change:
    """What to write: the new state (when it changes) and the columns that change."""

    state: AlertState
    transition: bool  # the state changed (or the alert opened): an audit row, a log line
    values: dict[str, Any] = field(default_factory=dict)


def condition_of(holds: bool | None, rule: Rule) -> Condition:
    if holds is None:
        return {"keep": "unknown", "alerting": "holds", "ok": "clear"}[rule.no_data]  # type: ignore[return-value]
    return "holds" if holds else "clear"


def step(
    alert: Stored | None,
    condition: Condition,
    since: datetime | None,
    rule: Rule | None,
    silence_id: int | None,
    now: datetime,
) -> Change | None:
    """What changes of `alert` (None: there is no open one) at `now`; None when nothing does."""
    if alert is None:
        return _open(condition, since, rule, silence_id, now) if rule is not None else None
    state: AlertState = alert.state
    values: dict[str, Any] = {}
    if condition == "retired" or rule is None:
        state = "resolved" if alert.state == "firing" else "withdrawn"
    elif condition == "holds":
        if alert.clear_since is not None:
            values["clear_since"] = None
        if alert.state == "pending" and now - alert.started_at >= rule.for_:
            state = "firing"
    elif condition == "clear":
        clear_since = alert.clear_since or now
        if alert.clear_since is None:
            values["clear_since"] = now
        if now - clear_since >= rule.keep_for:
            state = "resolved" if alert.state == "firing" else "withdrawn"
    elif condition == "suppressed" and alert.state == "pending":
        state = "withdrawn"  # its uplink's alert says it; a firing one went dark before its link and stays
    if state == "firing" and alert.state == "pending":
        values["fired_at"] = now
    if state in ("resolved", "withdrawn"):
        values["ended_at"] = now
    elif silence_id != alert.silence_id:
        values["silence_id"] = silence_id
    values |= _telling(alert, state, silence_id, rule, now)
    if state == alert.state and not values:
        return None
    return Change(state, state != alert.state, values)


def _open(
    condition: Condition, since: datetime | None, rule: Rule, silence_id: int | None, now: datetime
) -> Change | None:
    if condition != "holds":
        return None
    started = min(since or now, now)
    firing = now - started >= rule.for_
    values: dict[str, Any] = dict(started_at=started, silence_id=silence_id, notify_count=0)
    state: AlertState = "firing" if firing else "pending"
    if firing:
        values["fired_at"] = now
        if silence_id is None:
            values |= _told(0, rule, now)
    return Change(state, True, values)


def _telling(
    alert: Stored, state: AlertState, silence_id: int | None, rule: Rule | None, now: datetime
) -> dict[str, Any]:
    if state != "firing" or alert.acknowledged or silence_id is not None or rule is None:
        return {"next_notify_at": None} if alert.next_notify_at is not None else {}
    fired_now = alert.state != "firing"
    silence_over = alert.silence_id is not None
    due = alert.next_notify_at is not None and now >= alert.next_notify_at
    return _told(alert.notify_count, rule, now) if fired_now or silence_over or due else {}


def _told(count: int, rule: Rule, now: datetime) -> dict[str, Any]:
    return {
        "notify_count": count + 1,
        "notified_at": now,
        "next_notify_at": None if rule.renotify is None else now + rule.renotify,
    }
