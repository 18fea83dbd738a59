"""The demo's 38 SKPD units: plausible figures, published like a real unit's, through its own account.

`python -m streams.metrics.sim` (the supervisor starts it in the demo) runs
one `streams.agent.publisher.Publisher` per unit, signed in with the unit's code
and its password from the environment, with an outbox of its own on disk. So the
demo exercises what a real SKPD's PC does, queue and all: a few units sit on a
"flaky link" that drops for a few minutes now and then, their outboxes fill, and
the backlog drains, oldest first, when the link returns.

The figures are pure functions of the metric, the time, the office calendar and
a random source (`figure`), so they can be tested: offices in Soppeng work
07:30-16:00 WITA on the calendar's office days (config/office_days.yaml: Monday
to Friday, not on national holidays), with a lunch break, Friday prayers and a
quiet Friday afternoon, and do nothing on the other days: no permit issued, no
KTP-el printed, no queue, nobody at work. The hospital and the call lines never
close (the calendar names the RSUD; the call lines' figures are the call
center's own count, which no unit publishes: `from_calls`). Counters are running totals of the day (a year
for money, the programme for Kartu Macca). Levels are the demo's estimates, not
measurements.
"""

from __future__ import annotations

import argparse
import functools
import logging
import random
import signal
import sys
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from scc import boot
from scc.clock import WITA, to_wita, utcnow, wita_day_start, wita_year_start
from scc.health import Heartbeat
from scc.settings import Settings
from scc.settings.metrics import Metric
from scc.settings.metrics_broker import password, password_env
from scc.settings.metrics_office_days import OfficeCalendar
from scc.settings.regency import Skpd
from scc.storage.db import connect
from streams.agent.publisher import Publisher

log = logging.getLogger("scc.metrics.sim")

HEARTBEAT_S = 5
DEFAULT_SPEED = 60.0  # catalog intervals run this much faster, within the bounds below
FLOOR_S = 5.0  # no metric more often than this: 38 units must not flood the demo's ingest
CEILING_S = 30.0  # every metric at least this often, so the wall shows movement
FLAKY_UNITS = 4
FLAKY_UP_S = (240.0, 720.0)  # how long a flaky link holds
FLAKY_DOWN_S = (60.0, 240.0)  # how long it stays down
# When each flaky link first drops after a start: within minutes, at a random moment, so that a demo shows a
# unit dropping off (and its alert) early; from then on it holds for FLAKY_UP_S between drops.
FLAKY_FIRST_S = (60.0, 300.0)

# (from hour, to hour, activity) in WITA; outside these, the office is closed.
WORKDAY = ((7.5, 9.0, 0.7), (9.0, 12.0, 1.0), (12.0, 13.0, 0.5), (13.0, 16.0, 0.8), (16.0, 18.0, 0.15))
FRIDAY = ((7.5, 9.0, 0.7), (9.0, 11.5, 1.0), (11.5, 13.5, 0.15), (13.5, 16.0, 0.4), (16.0, 18.0, 0.1))
CLOSED = 0.01  # outside office hours on an office day: a late upload, a permit signed in the evening

# A normal day's total of each counter (LaSIDE: "over 1,000 records uploaded a day").
DAILY = {
    "laside_permits_received": 1100,
    "laside_permits_issued": 950,
    "laside_records_uploaded": 1300,
    "dukcapil_ktp_el_printed": 250,
    "rsud_igd_patients": 60,
}
YEARLY = {"paddare_pbb_collected": 11_000_000_000}  # money counters run over the fiscal year


@dataclass(frozen=True)
class Gauge:
    level: float  # the typical value (at the busiest hour, for a `busy` gauge)
    spread: float = 0.0  # how far one day's value strays from it
    jitter: float = 0.0  # how far each reading strays from the day's value
    busy: bool = False  # follows the office's activity (a queue)
    staff: bool = False  # a share of the staff at work: nil on a day the office is closed
    step: float = 1.0  # readings are rounded to this


GAUGES = {
    "laside_avg_processing_days": Gauge(4.5, 1.0, 0.1, step=0.1),
    "sia_attendance_percent": Gauge(91.0, 3.0, 0.5, step=0.1, staff=True),
    "rsud_bed_occupancy_percent": Gauge(72.0, 6.0, 1.0, step=0.1),
    "dukcapil_queue_length": Gauge(60.0, 10.0, 6.0, busy=True),
    "paddare_pbb_target": Gauge(12_000_000_000),
    "price_rice_medium": Gauge(13_000, 300, 100, step=50),
    "price_red_chili": Gauge(45_000, 8_000, 1_000, step=500),
    "price_shallot": Gauge(38_000, 4_000, 500, step=500),
    "price_sugar": Gauge(17_500, 300, 100, step=50),
    "price_chicken_egg": Gauge(28_000, 1_000, 250, step=50),
    "price_cooking_oil": Gauge(18_000, 300, 100, step=50),
}


def office_hours(when: datetime) -> float:
    """How busy an office in Soppeng is at `when` on an office day: 1 at its busiest, near 0 after hours."""
    wita = to_wita(when)
    hour = wita.hour + wita.minute / 60
    for start, end, level in FRIDAY if wita.weekday() == 4 else WORKDAY:
        if start <= hour < end:
            return level
    return CLOSED


def activity(metric: Metric, when: datetime, calendar: OfficeCalendar) -> float:
    """The activity behind `metric` at `when` (0..1): none at all on a day its office is closed."""
    if not calendar.keeps_office_days(metric):
        return 0.4 + 0.6 * office_hours(when)  # patients come day and night, fewer at night
    return office_hours(when) if calendar.office_day(to_wita(when).date()) else 0.0


_QUARTER = timedelta(minutes=15)


def activity_hours(metric: Metric, when: datetime, calendar: OfficeCalendar) -> float:
    """The day's activity so far, in busy-hour equivalents (summed by quarter hours, from 00:00 WITA)."""
    moment, midnight = to_wita(when), wita_day_start(when)
    quarters, rest = divmod(moment - midnight, _QUARTER)
    done = sum(activity(metric, midnight + i * _QUARTER, calendar) for i in range(quarters)) / 4
    return done + activity(metric, midnight + quarters * _QUARTER, calendar) * (rest / timedelta(hours=1))


@functools.cache
def _office_day_hours(always_open: bool) -> float:
    """A whole office day's activity hours (DAILY's amounts are for such a day)."""
    monday = datetime(2026, 11, 23, tzinfo=WITA)
    shape = (office_hours(monday + i * _QUARTER) for i in range(96))
    return sum(0.4 + 0.6 * level if always_open else level for level in shape) / 4


def _day_share(metric: Metric, when: datetime, calendar: OfficeCalendar) -> float:
    """How much of an office day's work `metric` has done by `when` today (0 all day when closed)."""
    return activity_hours(metric, when, calendar) / _office_day_hours(not calendar.keeps_office_days(metric))


def _day_random(metric: Metric, when: datetime) -> random.Random:
    """The same source for the whole day, so a running total never goes back and a day has one level."""
    return random.Random(f"{metric.skpd}:{metric.key}:{to_wita(when).date().isoformat()}")


def figure(
    metric: Metric, when: datetime, rng: random.Random, calendar: OfficeCalendar, *, site_alive: bool = True
) -> float:
    """One plausible reading of `metric` at `when`, always within its [min, max].

    `site_alive` says whether this unit's website works at all (website_up).
    """
    if metric.kind == "flag":
        if metric.key == "website_up":
            value: float = 1.0 if site_alive and rng.random() < 0.99 else 0.0
        else:
            value = 1.0 if rng.random() < 0.98 else 0.0
    elif metric.kind == "counter":
        value = _counter(metric, when, calendar)
    else:
        value = _gauge(metric, when, rng, calendar)
    return min(max(value, metric.min), metric.max)


def _counter(metric: Metric, when: datetime, calendar: OfficeCalendar) -> float:
    if metric.target is not None:  # a programme's cumulative total, nearly at its quota (Kartu Macca)
        year_done = (to_wita(when) - wita_year_start(when)) / timedelta(days=366)
        return float(int(metric.target * min(1.0, 0.975 + 0.02 * year_done)))
    day_factor = 0.85 + 0.3 * _day_random(metric, when).random()
    if metric.key in YEARLY:
        wita = to_wita(when)
        days = wita.timetuple().tm_yday - 1 + _day_share(metric, when, calendar)
        return float(int(YEARLY[metric.key] * days / 365))
    daily = DAILY.get(metric.key, 0.2 * metric.max)
    return float(int(daily * day_factor * _day_share(metric, when, calendar)))


def _gauge(metric: Metric, when: datetime, rng: random.Random, calendar: OfficeCalendar) -> float:
    middle = (metric.min + metric.max) / 2
    gauge = GAUGES.get(metric.key, Gauge(middle, (metric.max - metric.min) / 10, (metric.max - metric.min) / 50))
    level = gauge.level + gauge.spread * (2 * _day_random(metric, when).random() - 1)
    if gauge.staff and not calendar.office_day(to_wita(when).date()):
        return 0.0
    scale = activity(metric, when, calendar) if gauge.busy else 1.0
    value = scale * (level + gauge.jitter * rng.gauss(0, 1))
    return round(round(value / gauge.step) * gauge.step, 6)  # 93.4, not 93.40000000000001


def period(metric: Metric, speed: float = DEFAULT_SPEED) -> float:
    """Seconds between two readings of `metric` in the demo: its interval, `speed` times faster, within bounds."""
    return min(CEILING_S, max(FLOOR_S, metric.interval_s / speed))


def _rank(code: str, salt: str) -> int:
    return zlib.crc32(f"{salt}:{code}".encode())


def dead_websites(codes: Iterable[str]) -> frozenset[str]:
    """Half of the units, always the same ones: the 2018 study found 19 of 38 SKPD websites inactive."""
    ordered = sorted(codes, key=lambda code: _rank(code, "website"))
    return frozenset(ordered[: len(ordered) // 2])


def flaky_units(units: Sequence[Skpd], count: int = FLAKY_UNITS) -> list[str]:
    """`count` units on a flaky link, always the same: kecamatan offices first, the farthest from the LAN's core."""
    ordered = sorted(units, key=lambda unit: (unit.kind != "kecamatan", _rank(unit.code, "link")))
    return [unit.code for unit in ordered[:count]]


def published(settings: Settings, code: str, probed: frozenset[str]) -> list[Metric]:
    """The metrics unit `code` publishes in the demo. Not what the call center counts itself (`from_calls`),
    nor `website_up` where the probes check the unit's site (`probed`): each figure has one source."""
    return [
        m
        for m in settings.metrics
        if m.skpd == code and m.from_calls is None and not (m.key == "website_up" and code in probed)
    ]


@dataclass
class Unit:
    code: str
    metrics: list[Metric]
    publisher: Publisher
    flaky: bool
    site_alive: bool
    due: dict[str, float] = field(default_factory=dict)  # metric key -> monotonic time of its next reading
    link_up: bool = True
    switch_at: float = float("inf")  # a flaky link's next drop or return (monotonic)


class Simulator:
    """All units: `start()`, then `tick()` often (or `run()` until told to stop), then `close()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        speed: float = DEFAULT_SPEED,
        flaky: int = FLAKY_UNITS,
        seed: int | None = None,
        flaky_up_s: tuple[float, float] = FLAKY_UP_S,
        flaky_down_s: tuple[float, float] = FLAKY_DOWN_S,
        flaky_first_s: tuple[float, float] = FLAKY_FIRST_S,
        reconnect_delay: tuple[float, float] = (1, 10),
    ) -> None:
        self.settings, self.speed = settings, speed
        self.flaky_up_s, self.flaky_down_s, self.flaky_first_s = flaky_up_s, flaky_down_s, flaky_first_s
        self.reconnect_delay = reconnect_delay
        self.rng = random.Random(seed)
        self.flaky = flaky_units(settings.skpd, flaky)
        self.dead_sites = dead_websites(unit.code for unit in settings.skpd)
        self.units: dict[str, Unit] = {}
        self.sent = 0
        self.last_tick = time.monotonic()

    def start(self) -> Simulator:
        """One publisher per unit, each with its own account and outbox; every metric is due at once."""
        missing = [password_env(unit.code) for unit in self.settings.skpd if password(unit.code) is None]
        if missing:
            raise RuntimeError(f"{missing[0]} and {len(missing) - 1} more are not set: run `scc setup`")
        mqtt = self.settings.app.mqtt
        outboxes = self.settings.data_dir / "simulator"
        probed = frozenset(self.settings.probed_services)
        now = time.monotonic()
        for unit in self.settings.skpd:
            secret = password(unit.code)
            assert secret is not None
            publisher = Publisher(
                unit.code,
                secret.get_secret_value(),
                mqtt.host,
                mqtt.port,
                Path(outboxes) / f"{unit.code}.db",
                client_id=f"scc-sim-{unit.code}",
                reconnect_delay=self.reconnect_delay,
            )
            metrics = published(self.settings, unit.code, probed)
            sim = Unit(unit.code, metrics, publisher, unit.code in self.flaky, unit.code not in self.dead_sites)
            sim.due = {m.key: now for m in metrics}
            if sim.flaky:
                sim.switch_at = now + self.rng.uniform(*self.flaky_first_s)
            self.units[unit.code] = sim
        log.info("%d units publishing to %s:%s; flaky links: %s", len(self.units), mqtt.host, mqtt.port, self.flaky)
        return self

    def tick(self, when: datetime | None = None) -> int:
        """Publish every reading that is due; returns how many messages were queued."""
        now = time.monotonic()
        when = when or utcnow()
        queued = 0
        for unit in self.units.values():
            if now >= unit.switch_at and unit.link_up:
                self.drop_link(unit.code)
            elif now >= unit.switch_at:
                self.restore_link(unit.code)
            due = [m for m in unit.metrics if unit.due[m.key] <= now]
            if not due:
                continue
            calendar = self.settings.office_days
            values = {m.key: figure(m, when, self.rng, calendar, site_alive=unit.site_alive) for m in due}
            unit.publisher.send(values, ts=when.timestamp())
            queued += 1
            for metric in due:
                unit.due[metric.key] = now + period(metric, self.speed)
        self.sent += queued
        self.last_tick = now
        return queued

    def drop_link(self, code: str, seconds: float | None = None) -> None:
        """The unit's link goes down (for `seconds`, or a random few minutes): readings queue in its outbox."""
        unit = self.units[code]
        down = seconds if seconds is not None else self.rng.uniform(*self.flaky_down_s)
        unit.publisher.disconnect(timeout=0.5)
        unit.link_up, unit.switch_at = False, time.monotonic() + down
        log.info("%s: link down for %.0f s (simulated); readings queue on disk", code, down)

    def restore_link(self, code: str) -> None:
        unit = self.units[code]
        unit.publisher.connect()
        unit.link_up = True
        unit.switch_at = time.monotonic() + self.rng.uniform(*self.flaky_up_s) if unit.flaky else float("inf")
        log.info("%s: link back; %d queued readings drain", code, unit.publisher.backlog())

    def run(self, stop: threading.Event, tick_s: float = 0.5) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # one bad moment (a locked outbox, a full disk) must not end the demo
                log.exception("simulator tick failed")
            stop.wait(tick_s)

    def probe(self) -> tuple[int, str]:
        """For the heartbeat: (readings queued, what the units do); raises when the loop has stalled."""
        if time.monotonic() - self.last_tick > 3 * HEARTBEAT_S:
            raise RuntimeError("the simulator loop has stalled")
        units = list(self.units.values())
        backlog = sum(unit.publisher.backlog() for unit in units)
        connected = sum(unit.publisher.connected for unit in units)
        down = [unit.code for unit in units if not unit.link_up]
        return backlog, (
            f"{len(units)} units, {connected} connected, links down: {', '.join(down) or 'none'}; "
            f"{self.sent} readings since start"
        )

    def close(self) -> None:
        for unit in self.units.values():
            unit.publisher.close(timeout=0.5)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m streams.metrics.sim", description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED, help="catalog intervals run this much faster")
    parser.add_argument("--flaky", type=int, default=FLAKY_UNITS, help="units on a link that drops now and then")
    parser.add_argument("--seed", type=int, help="random seed, for a repeatable run")
    args = parser.parse_args(argv)
    if args.speed <= 0 or args.flaky < 0:
        parser.error("--speed must be positive and --flaky not negative")
    settings = boot.settings_or_exit()
    try:
        simulator = Simulator(settings, speed=args.speed, flaky=args.flaky, seed=args.seed).start()
    except RuntimeError as exc:
        sys.exit(f"Simulator: {exc}")
    heartbeat = Heartbeat(connect(settings.database_url, pooled=False), "metrics-sim", HEARTBEAT_S, simulator.probe)
    heartbeat.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    simulator.run(stop)
    heartbeat.stop()
    simulator.close()
