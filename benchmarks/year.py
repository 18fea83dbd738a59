"""Year benchmark: the same measurements on an empty database, on day 1 and on day 365.

    .venv/bin/python benchmarks/year.py [--rounds 150] [--messages 20000] [--import-rows 20000] [--days 365]

Progress goes to stderr; the last stdout line is one JSON object:
{"bench": "year", "db_mb": ..., "build_s": ..., "housekeeping_s": ..., "page_p95_ms_day365": {...},
 "worst_page_p95_ms_day365": ..., "worst_ratio_day365_to_day1": ..., "ingest_msgs_per_s_day365": ...,
 "ingest_ratio_day365_to_day1": ..., "import_rows_per_s_day365": ..., ...}
Goals: every page's data callback p95 <= 150 ms on day 365 and at most 1.5x its day-1 figure; the file
<= 2 GB; a housekeeping pass over a day's data <= 60 s with ingest's commits p99 <= 250 ms meanwhile;
ingest and call-log import on day 365 at least 0.8x day 1.

Day 1 is the first day of running: one day of data (benchmarks/year_data.py with days=1), so that a page
shows on day 1 what it shows on day 365, a day's worth, and the ratio is what a year of history costs.
The empty database is measured too (`*_empty`): there a list or chart draws its "nothing yet" state,
and the ratio to it is mostly the cost of drawing the content itself. Day 30 (`*_day30`) is when a page
of a month's window (the KPI page, the map) is full: its ratio to day 365 is the history's weight alone.

Each day is a rig of benchmarks/ingest.py (our broker configuration, the real ingest process, SQLite in
WAL mode in its own data directory) with all 41 cameras as if installed, and the production server
(gunicorn, as `scc run` starts it) on the same file. The days' files are built first by
benchmarks/year_data.py; on day 365 housekeeping then runs its passes (in this process, as `run_pass`)
until it has caught up with the day the builder left it, while a probe process commits ingest's batches
through ingest's own writer every 100 ms and times each commit. Measured on each day, in the same run:
  - pages: each page's data callback (the list the page-plans test keeps: tests/dashboard/
    test_page_plans.py), as Dash's front end posts it, the first time (cold, the worker's caches empty)
    and then `rounds` times. The four days' servers run side by side and are timed in turn, a round of
    every page on each day after another, so a change in the machine's load falls on all four alike
    (the ratios between days were at the mercy of when each day happened to run). The floor is an
    authenticated request that does nothing of ours (benchmarks/web.py), two a round on each day;
  - ingest: `messages` telemetry messages of two units' full catalogs through the broker, published by
    mosquitto_pub, until committed; the floor is the bare paho subscriber receiving the same load;
  - import: a call-log export of `import_rows` rows (benchmarks/calls.py's generator) into the file.
The probe's commits are also timed before housekeeping starts: the floor of the commit latency.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("SCC_SECRET_KEY", "bench-secret-key-" + "x" * 32)
os.environ.setdefault("SCC_CAMERA_PASSWORD", "bench")

import call_rig  # noqa: E402
import calls as calls_bench  # noqa: E402
import ingest as ingest_bench  # noqa: E402
import web  # noqa: E402
import year_data  # noqa: E402
from sqlalchemy import text  # noqa: E402

from callcenter.importer import import_calls  # noqa: E402
from scc import housekeeping  # noqa: E402
from scc.clock import utcnow  # noqa: E402
from scc.percentiles import percentile  # noqa: E402
from scc.settings import load_settings  # noqa: E402
from scc.storage import open_storage  # noqa: E402
from tests.dashboard.test_page_plans import CALLBACKS  # noqa: E402
from tests.support.dashapp import body_from_spec, callback_key  # noqa: E402
from tests.support.web import PASSWORDS, seed_users  # noqa: E402

PAGE_GOAL_MS, RATIO_GOAL, DB_GOAL_MB, HOUSEKEEPING_GOAL_S, COMMIT_GOAL_MS, SPEED_GOAL = 150, 1.5, 2048, 60, 250, 0.8
PROBE_EVERY_S = 0.1


def say(*parts: object) -> None:
    print("[year-bench]", *parts, file=sys.stderr, flush=True)


def rig() -> ingest_bench.Rig:
    """An ingest rig (broker, ingest, data directory) whose configuration has all 41 cameras installed."""
    r = ingest_bench.Rig()
    year_data.install_all(r.config_dir)
    r.settings = load_settings(r.config_dir, r.data_dir, r.env)
    return r


# -- pages ------------------------------------------------------------------------------------------


def page_name(output: str) -> str:
    return output.strip(".").split(".")[0].removesuffix("-body")


def measure_pages(rigs: dict[str, ingest_bench.Rig], rounds: int) -> dict[str, dict[str, Any]]:
    """Every day's production server at once, each page's callback timed on each day in turn (round after
    round, day after day), so a change in the machine's load falls on every day alike."""
    servers: dict[str, Any] = {}
    try:
        days = {tag: _server(r, servers, tag) for tag, r in rigs.items()}
        times: dict[str, dict[str, list[float]]] = {tag: {name: [] for name in d.bodies} for tag, d in days.items()}
        floors: dict[str, list[float]] = {tag: [] for tag in days}
        for _ in range(rounds):
            for tag, d in days.items():
                for name, (user, body) in d.bodies.items():
                    times[tag][name].append(post(d.sessions[user], d.url, body))
                floors[tag] += call_rig.floor_requests(d.any_session, d.url, 2)
    finally:
        for server in servers.values():
            web.stop_server(server)
    out = {}
    for tag, d in days.items():
        p95 = {name: round(percentile(v, 95), 1) for name, v in times[tag].items()}
        floor = percentile(floors[tag], 95)
        say(f"{tag}: pages p95 ms", p95, f"floor {floor:.1f}")
        first = {k: round(v, 1) for k, v in d.first.items()}
        out[tag] = {"page_p95_ms": p95, "page_first_ms": first, "floor_ms": round(floor, 1)}
    return out


@dataclass
class Served:
    url: str
    sessions: dict[str, Any]
    any_session: Any
    bodies: dict[str, tuple[str, dict[str, Any]]]
    first: dict[str, float]


def _server(r: ingest_bench.Rig, servers: dict[str, Any], tag: str) -> Served:
    """The production server on a rig's file, signed in as each user of CALLBACKS, each page's callback
    called once (cold: `first`) and the workers warmed."""
    port = web.free_port()
    env = {**r.env, "SCC_WEB_PORT": str(port), "SCC_WEB_HOST": "127.0.0.1"}
    url = f"http://127.0.0.1:{port}"
    servers[tag] = web.start_server(env, r.dir / "web.log", url)
    sessions = {user: web.session_for(url, user, PASSWORDS[user]) for user in {u for u, _, _ in CALLBACKS}}
    any_session = next(iter(sessions.values()))
    # Each user is told only the callbacks their role may call.
    deps_of = {
        user: {d["output"]: d for d in s.get(url + "/_dash-dependencies", timeout=30).json()}
        for user, s in sessions.items()
    }
    bodies = {}
    for user, output, values in CALLBACKS:
        key = callback_key(deps_of[user], output)
        bodies[page_name(output)] = (user, body_from_spec(key, deps_of[user][key], values))
    first = {name: post(sessions[user], url, body) for name, (user, body) in bodies.items()}
    web.warm_workers(url, any_session.cookies.get_dict())
    return Served(url, sessions, any_session, bodies, first)


def post(session: Any, url: str, body: dict[str, Any]) -> float:
    started = time.perf_counter()
    r = session.post(url + "/_dash-update-component", json=body, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code not in (200, 204):
        raise RuntimeError(f"{body['output'][:60]}: HTTP {r.status_code} {r.text[:300]}")
    return elapsed


# -- ingest and import ------------------------------------------------------------------------------


def measure_ingest(r: ingest_bench.Rig, n: int, tag: str) -> dict[str, float]:
    loaders = ["dpmptsp", "rsud"]
    values = {u: ingest_bench.unit_values(r.settings, u) for u in loaders}
    per_message = sum(len(v) for v in values.values()) / len(values)
    files = {}
    for unit in loaders:
        files[unit] = r.dir / f"{tag}-{unit}.jsonl"
        ingest_bench.write_lines(files[unit], unit, values[unit], n // len(loaders), tag)
    floor_s = ingest_bench.run_floor(r, n, files, session="none")
    if r.ingest is None:
        r.start_ingest()
    base = r.rows()
    started = time.monotonic()
    publishers = ingest_bench.publish_files(r, files)
    r.wait_rows(base + int(n * per_message), timeout=600)
    ours_s = time.monotonic() - started
    for p in publishers:
        p.wait()
    rate, floor_rate = n / ours_s, n / floor_s
    say(f"ingest {rate:,.0f} msg/s, floor {floor_rate:,.0f} msg/s")
    return {"ingest_msgs_per_s": round(rate), "ingest_floor_msgs_per_s": round(floor_rate)}


def measure_import(r: ingest_bench.Rig, rows: int, seed: int) -> dict[str, float]:
    data, _ = calls_bench.generate_csv(rows, seed=seed)
    started = time.perf_counter()
    report = import_calls(r.engine, r.settings, data, by="bench", filename=f"year-{seed}.csv")
    rate = rows / (time.perf_counter() - started)
    say(f"import {rate:,.0f} rows/s ({report.stored:,} stored)")
    return {"import_rows_per_s": round(rate)}


# -- housekeeping, with ingest's commits timed ------------------------------------------------------


def commit_probe(db_url: str, out: Path, stop: Path) -> None:
    """Every PROBE_EVERY_S, one batch as ingest commits it (a reading from each unit), through ingest's
    writer; the milliseconds of each commit go to `out` when `stop` appears."""
    from streams.metrics import store
    from streams.metrics.validate import Sample

    settings = load_settings()
    engine = open_storage(db_url)
    keys: dict[str, str] = {}  # a metric each unit sends itself
    for m in settings.metrics:
        if m.from_calls is None:
            keys.setdefault(m.skpd, m.key)
    latencies: list[tuple[float, float]] = []
    k = 0
    next_at = time.monotonic()
    (out.parent / (out.name + ".ready")).touch()
    while not stop.exists():
        now = utcnow()
        batch = store.Batch([Sample(u, key, now, 1.0, f"probe-{k}") for u, key in keys.items()], [], [])
        started = time.perf_counter()
        store.write(engine, batch, now)
        latencies.append((time.time(), (time.perf_counter() - started) * 1000))
        k += 1
        next_at = max(next_at + PROBE_EVERY_S, time.monotonic())
        time.sleep(max(0.0, next_at - time.monotonic()))
    out.write_text(json.dumps(latencies))


def run_housekeeping(r: ingest_bench.Rig, quiet_s: float) -> dict[str, Any]:
    out, stop = r.dir / "probe.json", r.dir / "probe.stop"
    probe = subprocess.Popen(
        [sys.executable, __file__, "--commit-probe", r.db_url, str(out), str(stop)], env=r.env, cwd=ROOT
    )
    ready = out.parent / (out.name + ".ready")
    while not ready.exists():
        if probe.poll() is not None:
            raise RuntimeError("the commit probe stopped")
        time.sleep(0.05)
    quiet_until = time.time() + quiet_s  # the probe alone: its floor
    while time.time() < quiet_until:
        time.sleep(0.1)
    started_at = time.time()
    started = time.perf_counter()
    passes = []
    while True:
        done = housekeeping.run_pass(r.engine, r.settings)
        passes.append(done.detail())
        say("housekeeping:", done.detail())
        if done.caught_up:
            break
    seconds = time.perf_counter() - started
    ended_at = time.time()
    stop.touch()
    probe.wait(timeout=60)
    timed = json.loads(out.read_text())
    before = [ms for at, ms in timed if at < started_at]
    during = [ms for at, ms in timed if started_at <= at <= ended_at]
    p99, floor = percentile(during, 99), percentile(before, 99)
    say(f"housekeeping {seconds:.1f} s in {len(passes)} passes; commits p99 {p99:.0f} ms during, {floor:.0f} before")
    return {
        "housekeeping_s": round(seconds, 1),
        "housekeeping_passes": len(passes),
        "ingest_commit_p99_ms_during_housekeeping": round(p99, 1),
        "ingest_commit_max_ms_during_housekeeping": round(max(during), 1),
        "ingest_commit_p99_ms_before": round(floor, 1),
        "commits_timed_during": len(during),
    }


def db_mb(r: ingest_bench.Rig) -> float:
    with r.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return round(sum(p.stat().st_size for p in r.data_dir.glob("scc.db*")) / 1e6, 1)


# -- the run ----------------------------------------------------------------------------------------


def built_rig(rigs: dict[str, ingest_bench.Rig], args: argparse.Namespace, tag: str, days: int) -> None:
    """rigs[tag]: a rig holding `days` of data (none: an empty database) and the day's housekeeping, as a
    day of running leaves it (today's roll-ups); in `rigs` before it is built, so a failure closes it."""
    say(f"{tag}: {days} days of data")
    r = rigs[tag] = rig()
    if days:
        year_data.build(r.engine, r.settings, utcnow(), days=days, incidents=args.incidents, say=say)
        while not housekeeping.run_pass(r.engine, r.settings).caught_up:
            pass
    seed_users(r.engine)


def speeds(r: ingest_bench.Rig, args: argparse.Namespace, tag: str) -> dict[str, Any]:
    r.broker.start()
    out = measure_ingest(r, args.messages, tag)
    out |= measure_import(r, args.import_rows, seed=11)
    return out


def ratios_of(later: dict[str, Any], earlier: dict[str, Any]) -> dict[str, float]:
    return {k: round(v / max(earlier["page_p95_ms"][k], 0.1), 2) for k, v in later["page_p95_ms"].items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=150, help="times each page's callback is timed, each day")
    parser.add_argument("--messages", type=int, default=20_000, help="for each ingest throughput run")
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--incidents", type=int, default=None, help="a year's (default: the demo's rate)")
    parser.add_argument("--commit-probe", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.commit_probe:
        db_url, out, stop = args.commit_probe
        commit_probe(db_url, Path(out), Path(stop))
        return 0

    rigs: dict[str, ingest_bench.Rig] = {}
    try:
        built_rig(rigs, args, "empty", days=0)
        built_rig(rigs, args, "day1", days=1)
        built_rig(rigs, args, "day30", days=30)
        say(f"day {args.days}: building {args.days} days")
        last = rigs["day365"] = rig()
        started = time.perf_counter()
        built = year_data.build(last.engine, last.settings, utcnow(), days=args.days, incidents=args.incidents, say=say)
        build_s = time.perf_counter() - started
        kept = run_housekeeping(last, quiet_s=10)
        size = db_mb(last)
        say(f"built in {build_s:.0f} s; {size} MB after housekeeping")
        seed_users(last.engine)
        pages = measure_pages(rigs, args.rounds)
        empty, day30 = pages["empty"], pages["day30"]
        day1 = pages["day1"] | speeds(rigs["day1"], args, "day1")
        day365 = pages["day365"] | speeds(last, args, "day365")
    finally:
        for r in rigs.values():
            r.close()

    ratios = ratios_of(day365, day1)
    worst_page = max(day365["page_p95_ms"], key=lambda k: day365["page_p95_ms"][k])
    worst_ratio = max(ratios, key=lambda k: ratios[k])
    to_empty = ratios_of(day365, empty)
    to_day30 = ratios_of(day365, day30)
    result = {
        "bench": "year",
        "days": args.days,
        "db_mb": size,
        "build_s": round(build_s, 1),
        "build_parts_s": built.seconds,
        "rows": built.rows,
        **kept,
        "page_p95_ms_empty": empty["page_p95_ms"],
        "page_p95_ms_day1": day1["page_p95_ms"],
        "page_p95_ms_day30": day30["page_p95_ms"],
        "page_p95_ms_day365": day365["page_p95_ms"],
        "page_first_ms_day365": day365["page_first_ms"],
        "worst_page": worst_page,
        "worst_page_p95_ms_day365": day365["page_p95_ms"][worst_page],
        "ratio_day365_to_day1": ratios,
        "worst_ratio_page": worst_ratio,
        "worst_ratio_day365_to_day1": ratios[worst_ratio],
        "ratio_day365_to_empty": to_empty,
        "ratio_day365_to_day30": to_day30,
        "worst_ratio_day365_to_empty": max(to_empty.values()),
        "page_floor_ms": {
            "empty": empty["floor_ms"],
            "day1": day1["floor_ms"],
            "day30": day30["floor_ms"],
            "day365": day365["floor_ms"],
        },
        "ingest_msgs_per_s_day1": day1["ingest_msgs_per_s"],
        "ingest_msgs_per_s_day365": day365["ingest_msgs_per_s"],
        "ingest_ratio_day365_to_day1": round(day365["ingest_msgs_per_s"] / day1["ingest_msgs_per_s"], 2),
        "ingest_floor_msgs_per_s": {
            "day1": day1["ingest_floor_msgs_per_s"],
            "day365": day365["ingest_floor_msgs_per_s"],
        },
        "import_rows_per_s_day1": day1["import_rows_per_s"],
        "import_rows_per_s_day365": day365["import_rows_per_s"],
        "import_ratio_day365_to_day1": round(day365["import_rows_per_s"] / day1["import_rows_per_s"], 2),
        "goals": {"page_p95_ms": PAGE_GOAL_MS, "ratio": RATIO_GOAL, "db_mb": DB_GOAL_MB,
                  "housekeeping_s": HOUSEKEEPING_GOAL_S, "commit_p99_ms": COMMIT_GOAL_MS, "speed_ratio": SPEED_GOAL},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": round(os.getloadavg()[0], 2),
    }  # fmt: skip
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
