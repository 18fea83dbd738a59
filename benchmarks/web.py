"""Web benchmark: overview page load in Chromium and the overview refresh callback
under concurrent operators, against the production server (gunicorn) on loopback.

    .venv/bin/python benchmarks/web.py [--loads 20] [--users 10] [--calls 50]

Progress goes to stderr; the last stdout line is one JSON object:
{"bench": "web", "overview_load_p95_ms": ..., "callback_p95_ms": ..., "users": 10, ...}
Goals: overview_load_p95_ms <= 500, callback_p95_ms <= 100.

The machine is noisy, so each figure has its floor measured in the same run, on
the same server and under the same load: loading the bare sign-in page (one
template, one stylesheet) in the same browser, and an authenticated request
that does nothing (GET /login while signed in: the guard, the session lookup,
a redirect) from the same 10 concurrent sessions. The `*_ratio` figures are
ours divided by the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scc.percentiles import percentile  # noqa: E402  (after the sys.path line)
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OVERVIEW_OUTPUT = "overview-body.children"
OVERVIEW_INPUT = ("overview-tick", "n_intervals")
KPI_IDS = ("kpi-cameras", "kpi-calls-open", "kpi-skpd", "kpi-problems")
ADMIN_PASSWORD = "bench-admin-pass-123"


def say(*parts) -> None:
    print("[web-bench]", *parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- data -------------------------------------------------------------------------------


def seed(engine, settings, n_users: int, password_of) -> dict[str, int]:
    """Users, cameras, incidents, SKPD status and metric history, as a running center has
    (the same data the browser tests show: tests/support/seed.py)."""
    from tests.support.seed import seed as seed_center

    return seed_center(
        engine, settings, operators=n_users, password_of=password_of, admin=("bench-admin", ADMIN_PASSWORD)
    )


# -- server -----------------------------------------------------------------------------------


def start_server(env: dict[str, str], log_path: Path, base: str) -> subprocess.Popen:
    with open(log_path, "w") as log:  # the child keeps its own handle
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("web server died:\n" + log_path.read_text()[-4000:])
        try:
            if requests.get(base + "/login", timeout=5).status_code == 200:
                return proc
        except requests.RequestException:  # refused, or read timeout while workers boot
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("web server did not answer /login in 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def session_for(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.headers["Origin"] = base  # as a browser sends it: writes from another origin are refused
    r = session.post(
        base + "/login", data={"username": username, "password": password}, allow_redirects=False, timeout=30
    )
    if r.status_code != 302:
        raise RuntimeError(f"login of {username} failed: HTTP {r.status_code}")
    return session


def warm_workers(base: str, cookies: dict, parallel: int = 16, rounds: int = 4) -> int:
    """Let every gunicorn worker handle requests before measuring.

    Dash sets itself up in the first request a worker handles (and flags that
    done before doing it): requests the worker handles meanwhile on its other
    threads get 500 for /_dash-component-suites/..., so a browser meeting a
    fresh worker may get a blank page. Returns how many script requests failed
    during this warm-up (cold-worker hits)."""
    failures = 0
    index = requests.get(base + "/", cookies=cookies, timeout=30).text
    scripts = re.findall(r'<script src="(/_dash-component-suites/[^"]+)"', index)
    lock = threading.Lock()

    def hit(barrier, url):
        nonlocal failures
        barrier.wait(timeout=30)
        r = requests.get(url, cookies=cookies, headers={"Connection": "close"}, timeout=30)
        if r.status_code != 200:
            with lock:
                failures += 1
        requests.get(base + "/", cookies=cookies, headers={"Connection": "close"}, timeout=30)

    for _ in range(rounds):
        barrier = threading.Barrier(parallel)
        threads = [
            threading.Thread(target=hit, args=(barrier, base + scripts[i % len(scripts)])) for i in range(parallel)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return failures


# -- measurements ------------------------------------------------------------------------------


def measure_page_loads(base: str, loads: int) -> dict:
    from playwright.sync_api import sync_playwright

    times: list[float] = []
    floor: list[float] = []
    errors = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            for i in range(loads + 1):  # the floor: the bare sign-in page, signed out
                start = time.perf_counter()
                page.goto(base + "/login")
                page.wait_for_selector("#login-submit", state="visible", timeout=15_000)
                if i > 0:
                    floor.append((time.perf_counter() - start) * 1000)
            page.fill("#username", "bench01")
            page.fill("#password", password_of(1))
            with page.expect_navigation():
                page.click("#login-submit")
            page.wait_for_selector("#kpi-cameras", state="visible", timeout=30_000)
            for i in range(loads + 1):  # the first one warms up and is not counted
                start = time.perf_counter()
                try:
                    page.goto(base + "/")
                    page.wait_for_selector("#kpi-cameras", state="visible", timeout=15_000)
                except Exception as exc:  # count it, go on
                    errors += 1
                    say(f"page load {i} failed: {exc}")
                    continue
                elapsed = (time.perf_counter() - start) * 1000
                if i > 0:
                    times.append(elapsed)
                say(f"page load {i}{' (warm-up)' if i == 0 else ''}: {elapsed:.0f} ms")
            context.close()
        finally:
            browser.close()
    say(f"floor: sign-in page load p95 {percentile(floor, 95):.0f} ms")
    return {"times": times, "errors": errors, "floor": floor}


def overview_callback_body(base: str, session: requests.Session) -> dict:
    deps = session.get(base + "/_dash-dependencies", timeout=30)
    deps.raise_for_status()
    for dep in deps.json():
        inputs = [(i["id"], i["property"]) for i in dep["inputs"]]
        if dep["output"] == OVERVIEW_OUTPUT and inputs == [OVERVIEW_INPUT]:
            break
    else:
        raise RuntimeError(f"no callback {OVERVIEW_OUTPUT} <- {OVERVIEW_INPUT} in /_dash-dependencies")
    out_id, out_prop = dep["output"].rsplit(".", 1)
    return {
        "output": dep["output"],
        "outputs": {"id": out_id, "property": out_prop},
        "inputs": [{"id": OVERVIEW_INPUT[0], "property": OVERVIEW_INPUT[1], "value": 0}],
        "changedPropIds": [".".join(OVERVIEW_INPUT)],
        "state": [{"id": s["id"], "property": s["property"]} for s in dep.get("state", [])],
    }


def measure_floor_requests(base: str, n_users: int, calls: int) -> list[float]:
    """The same concurrency as the callbacks, on a request that does nothing of ours."""
    sessions = [session_for(base, f"bench{i:02d}", password_of(i)) for i in range(1, n_users + 1)]
    barrier = threading.Barrier(n_users)
    latencies: list[float] = []
    lock = threading.Lock()

    def operator(session: requests.Session) -> None:
        mine = []
        barrier.wait(timeout=60)
        for _ in range(calls):
            start = time.perf_counter()
            r = session.get(base + "/login", allow_redirects=False, timeout=30)
            if r.status_code == 302:
                mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=operator, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def measure_callbacks(base: str, n_users: int, calls: int, body: dict) -> dict:
    sessions = [session_for(base, f"bench{i:02d}", password_of(i)) for i in range(1, n_users + 1)]
    barrier = threading.Barrier(n_users)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def operator(session: requests.Session, user: int) -> None:
        mine, bad = [], []
        barrier.wait(timeout=60)
        for n in range(1, calls + 1):
            payload = {**body, "inputs": [{**body["inputs"][0], "value": n}]}
            start = time.perf_counter()
            r = session.post(base + "/_dash-update-component", json=payload, timeout=30)
            elapsed = (time.perf_counter() - start) * 1000
            if r.status_code != 200:
                bad.append(f"user {user} call {n}: HTTP {r.status_code}")
                continue
            text = r.text
            missing = [k for k in KPI_IDS if f'"{k}"' not in text]
            if missing or "overview-body" not in r.json().get("response", {}):
                bad.append(f"user {user} call {n}: response lacks {missing or 'overview-body'}")
                continue
            mine.append(elapsed)
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=operator, args=(s, i + 1)) for i, s in enumerate(sessions)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    return {"times": latencies, "errors": errors, "wall_s": wall}


def password_of(i: int) -> str:
    return f"bench-operator-{i:02d}-pass"


# -- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=20, help="timed page loads (plus one warm-up)")
    parser.add_argument("--users", type=int, default=10, help="concurrent operators firing the callback")
    parser.add_argument("--calls", type=int, default=50, help="callbacks per operator")
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir (for profiling)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="scc-web-bench-"))
    os.environ.setdefault("SCC_SECRET_KEY", "bench-secret-key-" + "k" * 40)
    os.environ.setdefault("SCC_CAMERA_PASSWORD", "bench-camera-password")
    os.environ.pop("SCC_DATABASE_URL", None)
    os.environ.pop("SCC_WEB_WORKERS", None)  # the production default from config/scc.yaml
    port = free_port()
    os.environ.update(SCC_DATA_DIR=str(data_dir), SCC_WEB_PORT=str(port), SCC_WEB_HOST="127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    proc = None
    try:
        from scc.settings import load_settings
        from scc.storage import open_storage

        settings = load_settings()
        url = f"sqlite:///{data_dir / 'scc.db'}"
        if settings.database_url != url:
            raise RuntimeError(f"server would use {settings.database_url}, not {url}")
        say(f"data dir {data_dir}; migrating and seeding")
        engine = open_storage(url)
        counts = seed(engine, settings, args.users, password_of)
        engine.dispose()
        say(f"seeded {counts}")

        say(
            f"starting the production server on {base} "
            f"({settings.app.web.workers} workers x {settings.app.web.threads} threads)"
        )
        proc = start_server(dict(os.environ), data_dir / "web.log", base)
        admin = session_for(base, "bench-admin", ADMIN_PASSWORD)
        cold_hits = warm_workers(base, admin.cookies.get_dict())
        if cold_hits:
            say(f"warm-up: {cold_hits} script requests failed on workers that had not rendered the page yet")

        say(f"page load: {args.loads} timed loads of / until #kpi-cameras is visible")
        loads = measure_page_loads(base, args.loads)

        body = overview_callback_body(base, admin)
        say(f"callback: {args.users} operators x {args.calls} calls of {body['output']}")
        floor_requests = measure_floor_requests(base, args.users, args.calls)
        say(f"floor: authenticated no-op request p95 {percentile(floor_requests, 95):.0f} ms")
        cb = measure_callbacks(base, args.users, args.calls, body)
        for line in cb["errors"][:10]:
            say("callback error:", line)
    finally:
        if proc is not None:
            stop_server(proc)
            say(f"server stopped (exit {proc.returncode})")
        if args.keep:
            say(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)

    result = {
        "bench": "web",
        "overview_load_p95_ms": round(percentile(loads["times"], 95), 1),
        "callback_p95_ms": round(percentile(cb["times"], 95), 1),
        "users": args.users,
        "floor_signin_load_p95_ms": round(percentile(loads["floor"], 95), 1),
        "overview_load_ratio": round(percentile(loads["times"], 95) / percentile(loads["floor"], 95), 2),
        "floor_request_p95_ms": round(percentile(floor_requests, 95), 1),
        "callback_ratio": round(percentile(cb["times"], 95) / percentile(floor_requests, 95), 2),
        "overview_load_p50_ms": round(percentile(loads["times"], 50), 1),
        "overview_load_max_ms": round(max(loads["times"]), 1) if loads["times"] else None,
        "overview_loads": len(loads["times"]),
        "overview_load_errors": loads["errors"],
        "callback_p50_ms": round(percentile(cb["times"], 50), 1),
        "callback_p99_ms": round(percentile(cb["times"], 99), 1),
        "callback_max_ms": round(max(cb["times"]), 1) if cb["times"] else None,
        "callbacks": len(cb["times"]),
        "callback_errors": len(cb["errors"]),
        "callbacks_per_s": round(len(cb["times"]) / cb["wall_s"], 1) if cb["wall_s"] else None,
        "cold_worker_script_errors": cold_hits,
        "seeded": counts,
        "server": "gunicorn",
        "workers": settings.app.web.workers,
        "threads": settings.app.web.threads,
        "database": "sqlite",
    }
    result["goals_met"] = (
        result["overview_load_p95_ms"] <= 500
        and result["callback_p95_ms"] <= 100
        and not loads["errors"]
        and not cb["errors"]
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
