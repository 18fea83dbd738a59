"""The call center's live callbacks with a year of history: the board and the KPIs, over HTTP.

Run by benchmarks/calls.py (`bench_board`). A fresh SQLite file gets `history` finished incidents
over the past year (callcenter.history.seed_history, with their timelines, units and calls) plus
a shift's open incidents taken through the intake service; the production server (gunicorn, as
`scc run` starts it) answers one signed-in operator's callbacks, timed end to end:
  - the board's refresh (`calls-body`), what every wall screen asks every few seconds;
  - the KPI page's figures (`kpi-body`) for each range: today (the page's default), 7 and 30 days.
Floor, in the same run on the same server: an authenticated request that does nothing of ours
(GET /login answered 302), as benchmarks/web.py measures it.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from web import free_port, percentile, say, session_for, start_server, stop_server, warm_workers

from callcenter import lifecycle
from callcenter.history import seed_history
from callcenter.intake import take_call
from scc.clock import utcnow
from scc.settings import load_settings
from scc.storage import open_storage
from tests.support.web import PASSWORDS, seed_users

WINDOWS = ("today", "7d", "30d")


def body(output: str, inputs: list[tuple[str, str, Any]]) -> dict[str, Any]:
    target, prop = output.split(".")
    return {
        "output": output,
        "outputs": {"id": target, "property": prop},
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "changedPropIds": [f"{inputs[-1][0]}.{inputs[-1][1]}"],
        "state": [],
    }


def timed(session, url: str, payload: dict[str, Any] | None, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        if payload is None:
            r = session.get(url + "/login", allow_redirects=False, timeout=30)
            ok = r.status_code == 302
        else:
            r = session.post(url + "/_dash-update-component", json=payload, timeout=30)
            ok = r.status_code == 200
        if not ok:
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:300]}")
        times.append((time.perf_counter() - start) * 1000)
    return times


def open_shift(engine, settings, n: int = 25) -> None:
    """A busy shift's open incidents, some with units out, through the real services."""
    lines = [line.code for line in settings.call_lines if line.district]
    for i in range(n):
        line = settings.call_line_by_code[lines[i % len(lines)]]
        taken = take_call(
            engine,
            settings,
            {"line_code": line.code, "district": line.district, "category": "fire", "caller_number": f"0813{i:07d}",
             "received_at": utcnow() - timedelta(minutes=3 * i)},
            operator="bench",
        )  # fmt: skip
        truck = f"truk-{line.district}"
        if i < len(lines) and truck in settings.unit_by_code:
            lifecycle.dispatch(engine, settings, taken.incident_id, truck, operator="bench", version=taken.version)


def bench_board(history: int = 100_000, calls: int = 60) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="scc-calls-bench-"))
    port = free_port()
    env = {**os.environ, "SCC_DATA_DIR": str(data_dir), "SCC_WEB_PORT": str(port), "SCC_WEB_HOST": "127.0.0.1"}
    env.pop("SCC_DATABASE_URL", None)
    url = f"http://127.0.0.1:{port}"
    settings = load_settings()
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    seed_users(engine)
    start = time.perf_counter()
    written = seed_history(engine, settings, history, end=utcnow() - timedelta(hours=1), days=365)
    say(f"history: {written} past incidents in {time.perf_counter() - start:.1f} s")
    open_shift(engine, settings)
    engine.dispose()
    proc = start_server(env, data_dir / "web.log", url)
    try:
        operator = session_for(url, "operator", PASSWORDS["operator"])
        warm_workers(url, operator.cookies.get_dict())
        board = body("calls-body.children", [("calls-tick", "n_intervals", 1)])
        timed(operator, url, board, 5)  # each worker's first render builds its caches
        floor = timed(operator, url, None, calls)
        board_ms = timed(operator, url, board, calls)
        kpi_ms = {}
        for window in WINDOWS:
            payload = body("kpi-body.children", [("kpi-window", "value", window), ("kpi-tick", "n_intervals", 1)])
            timed(operator, url, payload, 3)
            kpi_ms[window] = timed(operator, url, payload, calls)
    finally:
        stop_server(proc)
    p95 = {w: round(percentile(v, 95), 1) for w, v in kpi_ms.items()}
    floor_p95 = percentile(floor, 95)
    say(f"floor p95 {floor_p95:.1f} ms; board p95 {percentile(board_ms, 95):.1f} ms; kpi p95 {p95}")
    return {
        "history_incidents": written,
        "board_callback_p95_ms": round(percentile(board_ms, 95), 1),
        "board_callback_p50_ms": round(percentile(board_ms, 50), 1),
        # the worst of the page's ranges: the goal holds only if every range meets it
        "kpi_callback_p95_ms": max(p95.values()),
        "kpi_callback_p95_ms_by_range": p95,
        "floor_request_p95_ms": round(floor_p95, 1),
        "board_ratio_to_floor": round(percentile(board_ms, 95) / floor_p95, 2),
        "kpi_ratio_to_floor": round(max(p95.values()) / floor_p95, 2),
    }
