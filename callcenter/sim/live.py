"""The demo's call center at work: calls ring, operators dispatch units, incidents close.

`python -m callcenter.sim` (the supervisor starts it in the demo) writes
only through the call center's own services (`intake.take_call`,
`lifecycle.dispatch/advance/release`, `complaints.settle`), so the pages see
exactly what real operators would leave behind, and the simulated operators
meet the same rules: a busy unit is refused ("busy") and someone else's save
makes theirs "stale"; both are retried on a later tick. Calls that never became
an incident (the caller hung up, nobody answered) go straight to the call log,
as the intake has no form for them.

Calls arrive as a Poisson process per line, busier by day (WITA) than at night,
at the rates of `callmix` made `speed` times faster so a viewer sees more; an
incident's steps (dispatch, the way to scene, work on scene, closing) take the
minutes they take in life. The KPI pages measure the stored times, so a `pace`
above 1 (steps that many times shorter, for tests) would show ambulances on scene
in seconds. At its first start on an empty database it writes a few weeks of
past incidents (`history`) at the same rate, `speed` times life's, so the KPI
pages have something to show and their figures do not drift once live calls
join them: the same units, the same ways and the same load.
"""

from __future__ import annotations

import argparse
import logging
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from scc import boot
from scc.clock import utcnow
from scc.health import Heartbeat
from scc.settings import Settings
from scc.storage.callcenter import OPEN_STATUSES, call_log, incidents
from scc.storage.db import connect

from ..intake import take_call
from ..phone import normalise
from . import callmix
from .callmix import Call, CallMaker
from .desk import Desk
from .history import seed_history

log = logging.getLogger("scc.callcenter.sim")

HEARTBEAT_S = 5
# Calls come this much faster than in life, about one every 20 minutes by day: more, and the two
# ambulances could not keep up, every call would wait for one and time to scene would grow all day.
DEFAULT_SPEED = 2.0
DEFAULT_PACE = 1.0  # an incident's steps take the time they take in life
MAX_LAG = timedelta(minutes=2)  # after an outage, calls not taken meanwhile are not made up in a burst
# Now and then a crash on the main road hurts several people at once: several P1 calls from one district
# within minutes, from different callers, to PSC 119. With two ambulances in the regency, the later ones
# wait for one to come back, past their dispatch target: what the wall's "call not dispatched" alert is for.
# Once every CRASH_EVERY_H hours of life (our estimate), `speed` times faster like every call; those calls
# are part of PSC 119's daily count, not more. The first comes within minutes of a start, so that a demo
# shows the board, and its alert, under pressure early (the rain does the same for the cameras).
CRASH_LINE = "psc-119"
CRASH_EVERY_H = 48.0
CRASH_CALLS = (3, 4)
CRASH_SPREAD_S = 120.0  # the calls of one crash ring within this
FIRST_CRASH_MIN = (0.5, 2.0)
CRASH_SUMMARY = "Kecelakaan di jalan poros, beberapa korban luka berat"
LOST_SHARE = 0.06
REPEAT_SHARE = 0.06
DEMO_HISTORY_DAYS = 60


class CallSimulator:
    """`adopt()` the open incidents of a previous run, then `step()` often (or `run()` until told to stop)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        speed: float = DEFAULT_SPEED,
        pace: float = DEFAULT_PACE,
        seed: int | None = None,
        clock: Callable[[], datetime] = utcnow,
        crashes: bool = False,
    ) -> None:
        if speed <= 0 or pace <= 0:
            raise ValueError("speed and pace must be positive")
        self.engine, self.settings, self.speed, self.pace, self.clock = engine, settings, speed, pace, clock
        self.rng = random.Random(seed)
        self.maker = CallMaker(settings, self.rng)
        # Thinning: candidate calls come at the busiest hour's rate, and each is kept with
        # probability busyness/peak, which makes a Poisson process whose rate follows the day.
        daily = callmix.line_rates(settings)
        crash_daily = 24 / CRASH_EVERY_H * sum(CRASH_CALLS) / 2
        crashes = crashes and CRASH_LINE in daily  # the demo has them; the tests of the services' rules not
        if crashes:
            daily[CRASH_LINE] = max(0.0, daily[CRASH_LINE] - crash_daily)
        self.peak_per_s = {line: rate * callmix.PEAK * speed / 86_400 for line, rate in daily.items()}
        self.crash_every = timedelta(hours=CRASH_EVERY_H / speed) if crashes else None
        self.next_crash: datetime | None = None
        self.crash_calls: list[tuple[datetime, str]] = []  # (when it rings, the district) of a crash under way
        self.next_call: dict[str, datetime] = {}
        self.counts: Counter[str] = Counter()
        self.desk = Desk(engine, settings, self.rng, pace, self.counts)
        self.last_loop = time.monotonic()

    # -- one tick -----------------------------------------------------------------------------

    def step(self) -> int:
        """Take the calls that rang since the last step and move every incident that is due; the writes done."""
        now = self.clock()
        return self._arrivals(now) + self._crashes(now) + self.desk.work(now)

    def adopt(self) -> int:
        """Carry on the open incidents a previous run of the simulator left."""
        return self.desk.adopt(self.clock())

    def _arrivals(self, now: datetime) -> int:
        done = 0
        for line, rate in self.peak_per_s.items():
            at = self.next_call.get(line)
            if at is None or now - at > MAX_LAG:
                at = now + timedelta(seconds=self.rng.expovariate(rate))
            while at <= now:
                if self.rng.random() < callmix.busyness(at) / callmix.PEAK:
                    done += self._ring(line, now)
                at += timedelta(seconds=self.rng.expovariate(rate))
            self.next_call[line] = at
        return done

    def _crashes(self, now: datetime) -> int:
        """A crash's calls, as they ring; the next crash drawn when one begins (a Poisson process)."""
        if self.crash_every is None:
            return 0
        if self.next_crash is None:
            self.next_crash = now + timedelta(minutes=self.rng.uniform(*FIRST_CRASH_MIN))
        if now >= self.next_crash:
            district = self.maker.district(self.rng)
            spread = [
                timedelta(seconds=self.rng.uniform(0, CRASH_SPREAD_S)) for _ in range(self.rng.randint(*CRASH_CALLS))
            ]
            self.crash_calls = sorted([*self.crash_calls, *((now + d, district) for d in spread)])
            self.next_crash = now + self.crash_every * self.rng.expovariate(1.0)
            log.info("a crash in %s: %d calls to come; the next crash at %s", district, len(spread), self.next_crash)
        ringing = [c for c in self.crash_calls if c[0] <= now]
        self.crash_calls = self.crash_calls[len(ringing) :]
        for _, district in ringing:
            made = self.maker.call(CRASH_LINE)
            village = self.rng.choice(callmix.VILLAGES.get(district, ("",)))
            hurt = {"category": "medical", "priority": 1, "district": district, "village": village,
                    "landmark": "jalan poros", "summary": CRASH_SUMMARY, "skpd_code": None}  # fmt: skip
            call = Call(made.fields | hurt, "medical", 1)
            taken = take_call(self.engine, self.settings, call.fields, operator=self.desk.operator())
            self.counts["repeats" if taken.linked else "calls"] += 1
            if not taken.linked:
                self.desk.open(taken.incident_id, taken.version, call, now)
        return len(ringing)

    def _ring(self, line: str, now: datetime) -> int:
        r = self.rng.random()
        if r < LOST_SHARE:
            self._lost(line, now)
            return 1
        again = self._repeat_of(line, now) if r < LOST_SHARE + REPEAT_SHARE else None
        if again is not None:
            call = again
        else:
            made = self.maker.call(line)
            call = Call(made.fields, made.category, made.priority)
        taken = take_call(self.engine, self.settings, call.fields, operator=self.desk.operator())
        if taken.linked:
            self.counts["repeats"] += 1
            return 1
        self.counts["pranks" if call.category == "prank" else "calls"] += 1
        if call.category != "prank":
            self.desk.open(taken.incident_id, taken.version, call, now)
        return 1

    def _repeat_of(self, line: str, now: datetime) -> Call | None:
        """The same caller again about an incident still open (typed another way): it joins that incident."""
        window = timedelta(minutes=self.settings.call_policy.repeat_window_min)
        open_ones = [c for c in self.desk.cases.values() if c.caller_number and c.status in OPEN_STATUSES
                     and c.category != "complaint" and c.line_code == line and now - c.received < window]  # fmt: skip
        if not open_ones:
            return None
        case = open_ones[int(self.rng.random() * len(open_ones))]
        typed = case.caller_number or ""
        summary = "Menelepon lagi: bantuan belum datang" if case.status == "received" else "Menelepon lagi"
        fields = {"line_code": line, "caller_number": f"+62 {typed[1:4]}-{typed[4:8]}-{typed[8:]}",
                  "district": case.district, "category": case.category, "priority": case.priority,
                  "summary": summary, "skpd_code": None}  # fmt: skip
        return Call(fields, case.category, case.priority)

    def _lost(self, line: str, now: datetime) -> None:
        """A call nobody took down: no service writes these, so the simulator logs it as the PBX would."""
        abandoned = self.rng.random() < 0.7
        district = self.maker.lines[line].district or self.maker.district(self.rng)
        with self.engine.begin() as conn:
            conn.execute(
                call_log.insert().values(
                    at=now,
                    line_code=line,
                    caller_number=normalise(self.maker.number()),
                    district=district,
                    outcome="abandoned" if abandoned else "unanswered",
                    duration_s=self.rng.randrange(3, 60) if abandoned else 0,
                    source="intake",
                )
            )
        self.counts["lost"] += 1

    # -- the process --------------------------------------------------------------------------

    def run(self, stop: threading.Event, tick_s: float = 1.0) -> None:
        """Step until `stop`; a failed step (the database gone away) is logged and retried with back-off."""
        wait = tick_s
        while not stop.is_set():
            self.last_loop = time.monotonic()
            try:
                self.step()
                wait = tick_s
            except SQLAlchemyError as exc:
                self.counts["db_errors"] += 1
                wait = min(wait * 2, 30.0)
                log.error("database: %s; again in %.0f s", str(exc).splitlines()[0], wait)
            except Exception:  # one bad moment must not end the demo
                self.counts["errors"] += 1
                wait = min(wait * 2, 30.0)
                log.exception("simulator step failed; again in %.0f s", wait)
            stop.wait(wait)

    def probe(self) -> tuple[int, str]:
        """For the heartbeat: (incidents waiting for a unit, what the call center does)."""
        if time.monotonic() - self.last_loop > 3 * HEARTBEAT_S + 30:
            raise RuntimeError("the simulator loop has stalled")
        cases = list(self.desk.cases.values())
        waiting = sum(c.waiting for c in cases)
        c = self.counts
        return waiting, (
            f"{len(cases)} open incidents, {waiting} waiting for a unit; since start {c['calls']} calls, "
            f"{c['repeats']} repeat, {c['lost']} lost, {c['closed']} closed, {c['busy']} busy, {c['stale']} stale"
        )


def history_size(settings: Settings, speed: float, days: int) -> int:
    """Past incidents over `days` at the live rate: each line's calls a day, `speed` times life's, less the
    calls that never became an incident and the repeats that joined one."""
    daily = sum(callmix.line_rates(settings).values()) * speed * (1 - LOST_SHARE - REPEAT_SHARE)
    return round(daily * days)


def seed_if_empty(engine: Engine, settings: Settings, n: int, days: int) -> int:
    """Past incidents for the KPI pages, on a database that has none yet; how many were written."""
    with engine.connect() as conn:
        if conn.execute(select(incidents.c.id).limit(1)).first() is not None:
            return 0
    return seed_history(engine, settings, n, end=utcnow(), days=days, seed=int(time.time()))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m callcenter.sim", description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED, help="calls come this much faster than in life")
    parser.add_argument(
        "--pace",
        type=float,
        default=DEFAULT_PACE,
        help="an incident's steps run this much faster (the stored times shrink with them)",
    )
    parser.add_argument("--seed", type=int, help="random seed, for a repeatable run")
    parser.add_argument("--history", type=int, help="past incidents on an empty database (default: the live rate)")
    parser.add_argument("--history-days", type=int, default=DEMO_HISTORY_DAYS, help="over this many days")
    args = parser.parse_args(argv)
    if args.speed <= 0 or args.pace <= 0 or (args.history or 0) < 0 or args.history_days < 1:
        parser.error("--speed and --pace must be positive, --history not negative, --history-days at least 1")
    settings = boot.settings_or_exit()
    engine = connect(settings.database_url)
    simulator = CallSimulator(engine, settings, speed=args.speed, pace=args.pace, seed=args.seed, crashes=True)
    history = history_size(settings, args.speed, args.history_days) if args.history is None else args.history
    try:
        seeded = seed_if_empty(engine, settings, history, args.history_days) if history else 0
        if seeded:
            log.info("wrote %d past incidents over %d days for the KPI pages", seeded, args.history_days)
        log.info("carrying on %d open incidents", simulator.adopt())
    except SQLAlchemyError as exc:  # the loop retries; the demo runs without history rather than not at all
        log.error("cannot prepare the call center: %s", str(exc).splitlines()[0])
    heartbeat = Heartbeat(connect(settings.database_url, pooled=False), "callcenter-sim", HEARTBEAT_S, simulator.probe)
    heartbeat.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log.info("calls at %g times life's rate, incidents %g times faster", args.speed, args.pace)
    simulator.run(stop)
    heartbeat.stop()
    engine.dispose()
