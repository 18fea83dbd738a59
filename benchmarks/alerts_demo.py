"""The alerts benchmark's demo phase (benchmarks/alerts.py): the whole demo running, its alerts timed from the
condition's start to the firing row and from the firing row to an operator's wall.

`scc run --demo` runs in a data directory of its own whose database already holds the past incidents (so
the call simulator writes no history of its own), every port free. Conditions, each real, each timed from
its start plus the rule's `for` to the alert's firing row:
  - a call not dispatched: ours, a P1 call taken through the intake's service with its ring 5 s short of
    the dispatch target (start: ring + target), and the demo's own (a crash's calls waiting for an
    ambulance, callcenter.sim.live), timed the same way from the alert's detail;
  - a unit offline: the metrics simulator drops each flaky unit's link within minutes of its start
    (streams.metrics.sim.units) and logs when; its publisher tells the broker it is offline;
  - a radio link dark: the camera simulator's rain schedule freezes the cameras of an uplink, and its log
    says when. A shower while the link's alert from start-up (its cameras were still connecting) is still
    open carries on that alert, which then fires early: reported apart.
The wall: Chromium (tests/support/browser.py) signed in as an operator on `/?kiosk=1`; the page records each
text the alert bar shows, with the time. Nobody acknowledges during the run, so the bar's count of alerts
not yet seen only grows: an alert is visible from the first text counting every alert fired by its time.
"""

from __future__ import annotations

import os
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alerts import data_dir_from, say
from camera_rig import TICK, cpu_ticks, descendants, wait_for
from sqlalchemy import select

from callcenter import lifecycle
from callcenter.intake import take_call
from callcenter.sim.live import CRASH_SPREAD_S, FIRST_CRASH_MIN
from dashboard.components.alerts_bar import BAR_MS
from scc.alerts.routing import audience
from scc.clock import utcnow
from scc.percentiles import percentile
from scc.settings import load_settings
from scc.storage import connect
from scc.storage.alerts import alerts
from streams.metrics.sim.units import FLAKY_FIRST_S
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.support.procs import ChildProcess
from tests.support.services import free_port
from tests.support.web import seed_users

BAR_RECORDER = """() => {
  window.__bar = [];
  const bar = document.querySelector('#alerts-bar');
  const note = () => window.__bar.push([Date.now(), bar.innerText]);
  note();
  new MutationObserver(note).observe(bar, {subtree: true, childList: true, characterData: true});
}"""
UNSEEN = re.compile(r"(\d+) belum dilihat")
LINK_LINE = re.compile(r"^(\S+ \S+),(\d{3}) scc\.metrics\.sim INFO (\S+): link down for")
RAIN_LINE = re.compile(r"^(\S+ \S+),(\d{3}) scc\.cameras\.sim INFO (\S+): up -> frozen \(rain\)")
CALL_LINE = "psc-119"
SETTLED_S = 20  # after the web answers: the cameras connected, the first rounds done


class Demo:
    """`scc run --demo` in `data_dir`, on free ports; `stop()` ends it and everything it started."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ, "SCC_DATA_DIR": str(data_dir), "SCC_WEB_PORT": str(port), "SCC_WEB_HOST": "127.0.0.1",
            "SCC_MQTT_PORT": str(free_port()), "SCC_MQTT_TLS_PORT": "", "SCC_RTSP_PORT": str(free_port()),
            "SCC_RELAY_PORT": str(free_port()), "SCC_SITES_PORT": str(free_port()),
        }  # fmt: skip
        self.env.pop("SCC_DATABASE_URL", None)
        self.child = ChildProcess(data_dir / "demo.log", own_group=True)

    def start(self) -> Demo:
        self.child.launch([sys.executable, "-m", "scc", "run", "--demo"], self.env)
        self.started = utcnow()
        self.child.wait_serving(self.url + "/login", 180, "the demo's web server")
        self.settings = load_settings(data_dir=self.data_dir, environ=self.env)
        self.engine = connect(self.settings.database_url)
        seed_users(self.engine)  # the demo's operator, with the tests' password
        return self

    def stop(self) -> None:
        self.child.stop(timeout=60)
        if hasattr(self, "engine"):
            self.engine.dispose()

    def pid_of(self, module: str) -> int | None:
        for pid in descendants(self.child.pid):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if module.encode() in argv:
                return pid
        return None

    def fired(self, rule: str, subject: str, after: datetime) -> Any:
        a = alerts.c
        query = select(alerts).where(a.rule == rule, a.subject == subject, a.fired_at.is_not(None))
        with self.engine.connect() as conn:
            rows = [r for r in conn.execute(query) if _utc(r.fired_at) >= after]
        return rows[0] if rows else None


# -- conditions ---------------------------------------------------------------------------------------------


def call_waiting(demo: Demo, k: int) -> dict[str, Any]:
    due = utcnow() + timedelta(seconds=5)
    fields = {"line_code": CALL_LINE, "caller_number": f"0812-3456-{7000 + k:04d}", "district": "lalabata",
              "category": "medical", "priority": 1, "summary": "Benchmark: a call nobody dispatches",
              "received_at": due - _target(demo, 1)}  # fmt: skip
    taken = take_call(demo.engine, demo.settings, fields, operator="bench")
    subject = str(taken.incident_id)
    wait_for(lambda: demo.fired("call-not-dispatched", subject, due) is not None, 60, "the call's alert")
    row = demo.fired("call-not-dispatched", subject, due)
    reason = "Benchmark call, measured"
    lifecycle.advance(
        demo.engine, taken.incident_id, "cancelled", operator="bench", version=taken.version, reason=reason
    )
    return _trial("incident_not_dispatched", str(taken.incident_id), due, row)


def rain_trials(demo: Demo) -> list[dict[str, Any]]:
    """Each shower the simulator's log tells of, with its uplink's alert."""
    rule = _rule(demo, "uplink-down")
    uplink_of = {c.id: c.uplink for c in demo.settings.cameras}
    first: dict[tuple[str, datetime], datetime] = {}  # the cameras of one shower freeze in one tick
    for camera, at in _logged(demo, RAIN_LINE):
        if camera in uplink_of:
            key = (uplink_of[camera], at.replace(microsecond=0))
            first[key] = min(at, first.get(key, at))
    out = []
    for uplink, at in sorted(((u, at) for (u, _), at in first.items()), key=lambda shower: shower[1]):
        row = demo.fired("uplink-down", uplink, at - timedelta(seconds=1))
        if row is not None and _utc(row.fired_at) < at + rule.for_ + timedelta(seconds=60):
            trial = _trial("uplink_down", uplink, at + rule.for_, row)
            trial["carried_on"] = _utc(row.started_at) < at - timedelta(seconds=2)  # start-up's alert went on
            out.append(trial)
    return out


def call_trials(demo: Demo, ours: set[str]) -> list[dict[str, Any]]:
    """The demo's own calls that waited (a crash's): each alert against its call's ring + its target."""
    out = []
    with demo.engine.connect() as conn:
        rows = conn.execute(
            select(alerts).where(alerts.c.rule == "call-not-dispatched", alerts.c.fired_at.is_not(None))
        )
        for row in rows:
            if row.subject not in ours:
                due = datetime.fromisoformat(row.detail["received_at"]) + _target(demo, row.detail["priority"])
                out.append(_trial("incident_not_dispatched", row.subject, due, row) | {"natural": True})
    return out


def link_trials(demo: Demo) -> list[dict[str, Any]]:
    """Each flaky unit's link the metrics simulator dropped, with the unit's alert."""
    rule = _rule(demo, "unit-silent")
    out = []
    for code, at in _logged(demo, LINK_LINE):
        row = demo.fired("unit-silent", code, at - timedelta(seconds=1))
        if row is not None and _utc(row.fired_at) < at + rule.for_ + timedelta(seconds=60):
            out.append(_trial("unit_silent", code, at + rule.for_, row) | {"natural": True})
    return out


def _logged(demo: Demo, pattern: re.Pattern[str]) -> list[tuple[str, datetime]]:
    """(subject, when) of each line of the demo's log that `pattern` matches (the machine's clock is UTC)."""
    out = []
    for line in demo.child.log_text().splitlines():
        found = pattern.match(line)
        if found:
            at = datetime.fromisoformat(found.group(1)).replace(tzinfo=UTC)
            out.append((found.group(3), at + timedelta(milliseconds=int(found.group(2)))))
    return out


def _target(demo: Demo, priority: int) -> timedelta:
    """The call policy's dispatch target of `priority`."""
    return next(timedelta(seconds=t.dispatch_s) for t in demo.settings.call_policy.targets if t.priority == priority)


def _rule(demo: Demo, rule_id: str) -> Any:
    return next(r for r in demo.settings.alerts.rules if r.id == rule_id)


def _trial(kind: str, subject: str, expected: datetime, row: Any) -> dict[str, Any]:
    fired = _utc(row.fired_at)
    late = (fired - expected).total_seconds()
    say(f"demo: {kind} {subject} fired {late:+.2f} s after its condition start + for")
    return {"kind": kind, "subject": subject, "id": row.id, "fired_at": fired, "late_s": round(late, 2)}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- the wall ---------------------------------------------------------------------------------------------------


def wall_latencies(demo: Demo, bar: list[list[Any]], trials: list[dict[str, Any]]) -> list[float]:
    """For each trial's alert: from its firing row to the first text of the bar that counts it (the bar counts
    the alerts of the rules routed to the operator)."""
    shown = audience(demo.settings, "operator")
    a = alerts.c
    with demo.engine.connect() as conn:
        rows = conn.execute(select(a.rule, a.skpd_code, a.fired_at).where(a.fired_at.is_not(None)))
        fired = sorted(_utc(r.fired_at) for r in rows if shown.sees(r.rule, r.skpd_code))
    seen = [(ms / 1000, int(m.group(1)) if (m := UNSEEN.search(text)) else 0) for ms, text in bar]
    out = []
    for trial in trials:
        at = trial["fired_at"]
        needed = sum(f <= at for f in fired)
        first = next((t for t, n in seen if n >= needed and t >= at.timestamp() - 1), None)
        trial["wall_s"] = None if first is None else round(first - at.timestamp(), 2)
        if first is not None:
            out.append(trial["wall_s"])
    return out


# -- the phase -------------------------------------------------------------------------------------------------------


def bench_demo(template: Path, work: Path, *, quick: bool) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    demo = Demo(data_dir_from(template, work / "data"))
    trials: list[dict[str, Any]] = []
    try:
        demo.start()
        say(f"demo: serving at {demo.url}; settling {SETTLED_S} s")
        time.sleep(SETTLED_S)
        # Past the second shower (the first falls within start-up's keep_for), and one more in a full run.
        rain = demo.settings.app.cameras.simulator.rain
        until = demo.started + timedelta(seconds=rain.every_s * (0.67 if quick else 1.34) + 45)
        # Every flaky link dropped, and the first crash's calls past their target.
        crash_s = 60 * FIRST_CRASH_MIN[1] + CRASH_SPREAD_S + _target(demo, 1).total_seconds()
        until = max(until, demo.started + timedelta(seconds=max(FLAKY_FIRST_S[1], crash_s) + 30))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            sign_in(page, demo.url, "operator")
            page.goto(demo.url + "/?kiosk=1")
            page.wait_for_function(
                "(document.querySelector('#alerts-bar')?.innerText || '').trim() !== ''", timeout=30_000
            )
            page.evaluate(BAR_RECORDER)
            pid = demo.pid_of("scc.alerts")
            cpu_before, cpu_t0 = (cpu_ticks(pid) if pid else None), time.monotonic()
            k = 0
            while utcnow() < until:
                trials.append(call_waiting(demo, k))
                k += 1
                time.sleep(10 if quick else 20)
            time.sleep(8)  # the bar's next refresh after the last alert
            cpu_after = cpu_ticks(pid) if pid else None
            cpu_wall = time.monotonic() - cpu_t0
            ours = {t["subject"] for t in trials}
            trials += rain_trials(demo) + link_trials(demo) + call_trials(demo, ours)
            bar = page.evaluate("() => window.__bar")
            browser.close()
        walls = wall_latencies(demo, bar, trials)
        raised = demo_raised(demo, trials)
    finally:
        demo.stop()
    clean = [t for t in trials if not t.get("carried_on")]
    kinds = sorted({t["kind"] for t in trials})
    cpu_pct = None if cpu_before is None or cpu_after is None else 100 * (cpu_after - cpu_before) / TICK / cpu_wall
    every = demo.settings.alerts.evaluate_every_s
    return {
        "raise_latency_s_max": max(t["late_s"] for t in clean),
        "raise_latency_s_by_kind": {
            k: max(t["late_s"] for t in clean if t["kind"] == k) for k in kinds if any(t["kind"] == k for t in clean)
        },
        "raise_trials": {k: sum(t["kind"] == k for t in clean) for k in kinds},
        "raise_carried_on_s": [t["late_s"] for t in trials if t.get("carried_on")],
        "wall_latency_s_max": max(walls) if walls else None,
        "wall_latency_s_p50": round(percentile(walls, 50) or 0, 2) if walls else None,
        "wall_samples": len(walls),
        "wall_missed": [f"{t['subject']} fired {t['fired_at']:%H:%M:%S}" for t in trials if t.get("wall_s") is None],
        "floor_evaluate_every_s": every,
        "raise_ratio": round(max(t["late_s"] for t in clean) / every, 2),
        "floor_bar_refresh_s": BAR_MS / 1000,
        "wall_ratio": round(max(walls) / (BAR_MS / 1000), 2) if walls else None,
        "eval_cpu_pct_demo": None if cpu_pct is None else round(cpu_pct, 2),
        "demo_window_s": round(cpu_wall),
        "demo_cameras": sum(c.status == "active" for c in demo.settings.cameras),
        "demo_raised": raised,
    }


def demo_raised(demo: Demo, trials: list[dict[str, Any]]) -> dict[str, list[str]]:
    """What the demo raised of its own (not our conditions): rule -> ["subject at HH:MM:SS UTC", ...]."""
    ours = {(t["kind"], t["subject"]) for t in trials if t["kind"] != "uplink_down" and not t.get("natural")}
    out: dict[str, list[str]] = {}
    with demo.engine.connect() as conn:
        for r in conn.execute(select(alerts).where(alerts.c.fired_at.is_not(None)).order_by(alerts.c.fired_at)):
            if (r.kind, r.subject) not in ours:
                out.setdefault(r.rule, []).append(f"{r.subject} at {_utc(r.fired_at):%H:%M:%S} UTC")
    return out
