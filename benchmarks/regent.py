"""Issue 22's figures: the bupati's desk, the reports and the public boards, on a year of data with the demo
running.

A year is built by the year benchmark's builder (benchmarks/year_data.py) at the demo's rates into a data
directory of its own; `scc run --demo` then runs on it (benchmarks/alerts_demo.py's Demo: every port free),
so the desk, the reports and the boards are measured while the simulators write, the cameras are watched and
housekeeping and the alerts go their rounds. Measured, each with its floor in the same run:
  - the desk's load in Chromium, signed in as the bupati: from navigation to its tables drawn, `rounds`
    times; floor: the app's own 404 page, the same shell and scripts with no figures;
  - the desk's refresh callback over HTTP (`rounds` x 2, half a second apart, so some find the per-process
    read kept and some read anew), and the desk's read itself in this process, never kept (`regent.read`);
    floor: an authenticated request that does nothing of ours (benchmarks/call_rig.py);
  - the daily report (yesterday) and the weekly report (last week) made in this process, as the `reports`
    process makes them, the weekly with each of the 38 units' own (the goal holds for all of Monday's);
    floor: a read of the figures alone, no PDF;
  - 50 public boards, each refreshing every 10 s (benchmarks/boards_load.py); floor: the same requests
    to /healthz's summary.
Run: `.venv/bin/python benchmarks/regent.py` (about 8 minutes); the last line is the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import boards_load
import call_rig
import requests
import year_data
from alerts_demo import Demo

from dashboard.queries import regent
from dashboard.reports import figures as report_figures
from dashboard.reports.make import make_daily, make_unit, make_weekly
from scc import housekeeping
from scc.clock import to_wita, utcnow, wita_day_start
from scc.percentiles import percentile
from scc.settings import load_settings
from scc.storage import open_storage
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.support.dashapp import body_from_spec, callback_key
from tests.support.web import PASSWORDS, login

SETTLED_S = 20
BOARDS = 50


def say(*parts: object) -> None:
    print("[regent-bench]", *parts, file=sys.stderr, flush=True)


def p95(values: list[float]) -> float:
    return round(percentile(values, 95) or 0.0, 1)


def build_year(data_dir: Path, days: int) -> dict[str, Any]:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SCC_DATA_DIR": str(data_dir)}
    env.pop("SCC_DATABASE_URL", None)
    settings = load_settings(data_dir=data_dir, environ=env)
    engine = open_storage(settings.database_url)
    started = time.perf_counter()
    try:
        year_data.build(engine, settings, utcnow(), days=days, say=say)
        while not housekeeping.run_pass(engine, settings).caught_up:
            pass
    finally:
        engine.dispose()
    return {"build_s": round(time.perf_counter() - started, 1)}


def desk_loads(demo: Demo, rounds: int, shots: Path | None) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    loads, floor = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        sign_in(page, demo.url, "bupati")
        page.wait_for_selector("#regent-lines")
        if shots:
            page.screenshot(path=str(shots / "regent-year-1920x1080.png"))
        for _ in range(rounds):
            for path, ready, into in (("/bupati", "#regent-lines", loads), ("/tidak-ada", ".not-found", floor)):
                started = time.perf_counter()
                page.goto(demo.url + path)
                page.wait_for_selector(ready)
                into.append((time.perf_counter() - started) * 1000)
        browser.close()
    return {"regent_load_p95_ms": p95(loads), "floor_load_p95_ms": p95(floor), "loads": len(loads)}


def desk_callbacks(demo: Demo, rounds: int) -> dict[str, Any]:
    session = login(demo.url, "bupati", PASSWORDS["bupati"])
    deps = {d["output"]: d for d in session.get(demo.url + "/_dash-dependencies", timeout=30).json()}
    key = callback_key(deps, "regent-body.children")
    body = body_from_spec(key, deps[key], {"regent-tick.n_intervals": 1})
    times = []
    for _ in range(rounds * 2):
        started = time.perf_counter()
        r = session.post(demo.url + "/_dash-update-component", json=body, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"the desk's callback: HTTP {r.status_code}")
        time.sleep(0.5)
    floor = call_rig.floor_requests(session, demo.url, rounds * 2)
    reads = []
    for _ in range(rounds):
        started = time.perf_counter()
        regent.read(demo.engine, demo.settings)
        reads.append((time.perf_counter() - started) * 1000)
    return {
        "regent_callback_p95_ms": p95(times),
        "regent_read_p95_ms": p95(reads),
        "floor_request_p95_ms": p95(floor),
    }


def reports(demo: Demo, out: Path) -> dict[str, Any]:
    now = utcnow()
    yesterday = to_wita(wita_day_start(now) - timedelta(hours=1)).date()
    last_monday = to_wita(wita_day_start(now)).date() - timedelta(days=to_wita(now).weekday() + 7)
    started = time.perf_counter()
    daily = make_daily(demo.engine, demo.settings, yesterday, out / "daily")
    daily_s = time.perf_counter() - started
    started = time.perf_counter()
    weekly = make_weekly(demo.engine, demo.settings, last_monday, out / "weekly")
    weekly_s = time.perf_counter() - started
    started = time.perf_counter()  # each SKPD head's weekly report, made with the regency's on Monday
    units = [make_unit(demo.engine, demo.settings, u.code, last_monday, out / "units") for u in demo.settings.skpd]
    units_s = time.perf_counter() - started
    start = wita_day_start(now) - timedelta(days=1)
    started = time.perf_counter()
    report_figures.regency(demo.engine, demo.settings, start, wita_day_start(now))
    floor_s = time.perf_counter() - started
    say(f"reports: daily {daily_s:.1f} s ({len(daily)} files), weekly {weekly_s:.1f} s ({len(weekly)} files),")
    say(f"the {len(units)} units' weekly {units_s:.1f} s")
    return {
        "daily_report_s": round(daily_s, 2),
        "weekly_report_s": round(weekly_s, 2),
        "floor_daily_figures_s": round(floor_s, 2),
        "weekly_files": len(weekly),
        "weekly_units_s": round(units_s, 2),
        "weekly_with_units_s": round(weekly_s + units_s, 2),
    }


def boards(demo: Demo, seconds: float) -> dict[str, Any]:
    tokens = boards_load.make_links(demo.engine, demo.settings, BOARDS)
    times = boards_load.board_load(demo.url, tokens, seconds)
    session = requests.Session()
    floor = []
    for _ in range(len(times)):
        started = time.perf_counter()
        session.get(demo.url + "/healthz", timeout=30)
        floor.append((time.perf_counter() - started) * 1000)
    return {
        "board_callback_p95_ms": p95(times),
        "floor_healthz_p95_ms": p95(floor),
        "board_requests": len(times),
        "boards": BOARDS,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--board-seconds", type=float, default=60.0)
    parser.add_argument("--shots", type=Path, default=None, help="a folder for the desk's screenshot")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scc-regent-"))
    out: dict[str, Any] = {"bench": "regent", "days": args.days}
    try:
        out |= build_year(work / "data", args.days)
        say(f"year built in {out['build_s']} s; starting the demo")
        demo = Demo(work / "data").start()
        try:
            time.sleep(SETTLED_S)  # the cameras connected, the simulators' first rounds done
            out |= desk_loads(demo, args.rounds, args.shots)
            out |= desk_callbacks(demo, args.rounds)
            out |= reports(demo, work / "reports")
            out |= boards(demo, args.board_seconds)
        finally:
            demo.stop()
        db = sum(f.stat().st_size for f in (work / "data").glob("scc.db*"))
        out["db_mb"] = round(db / 1e6)
        out["load_ratio"] = round(out["regent_load_p95_ms"] / max(out["floor_load_p95_ms"], 0.1), 2)
        out["callback_ratio"] = round(out["regent_callback_p95_ms"] / max(out["floor_request_p95_ms"], 0.1), 2)
        out["goals_met"] = {
            "regent_load_p95_ms<=500": out["regent_load_p95_ms"] <= 500,
            "regent_callback_p95_ms<=150": out["regent_callback_p95_ms"] <= 150,
            "daily_report_s<=10": out["daily_report_s"] <= 10,
            "weekly_report_s<=20": out["weekly_with_units_s"] <= 20,
            "board_callback_p95_ms<=100": out["board_callback_p95_ms"] <= 100,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
