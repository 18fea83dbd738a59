"""The call center's live callbacks with a year of history: the board and the KPIs, over HTTP.

Run by benchmarks/calls.py (`bench_board`); benchmarks/dispatch.py takes `measure_board` and `board_reads`.
The rig (call_rig.py) holds `history` past incidents and a busy shift's open ones; the production
server answers one signed-in operator's callbacks, timed end to end:
  - the board's refresh (`calls-body`), what every wall screen asks every few seconds;
  - the KPI page's figures (`kpi-body`) for each range: today (the page's default), 7 and 30 days.
Floor, in the same run on the same server: an authenticated request that does nothing of ours
(call_rig.floor_requests). The board's first call after the server starts is reported apart (cold).
"""

from __future__ import annotations

import time
from typing import Any

import call_rig
from web import say

from scc.percentiles import percentile

WINDOWS = ("today", "7d", "30d")
BOARD = ("calls-body.children", [("calls-tick", "n_intervals", 1)])
SHIFT = 25  # open incidents on the board: a busy shift


def body(output: str, inputs: list[tuple[str, str, Any]]) -> dict[str, Any]:
    target, prop = output.split(".")
    return {
        "output": output,
        "outputs": {"id": target, "property": prop},
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "changedPropIds": [f"{inputs[-1][0]}.{inputs[-1][1]}"],
        "state": [],
    }


def timed(session: Any, url: str, payload: dict[str, Any], n: int) -> list[float]:
    return [call_rig.dash_post(session, url, payload)[0] for _ in range(n)]


def measure_board(url: str, session: Any, calls: int) -> dict[str, Any]:
    """The board's refresh as a wall screen asks for it, `calls` times, against its floor. The first call
    after the server started is reported apart (cold: the worker's first board, before any warm-up).
    Each board call follows a floor request, so a busy moment of the machine slows both."""
    board = body(*BOARD)
    cold = call_rig.dash_post(session, url, board)[0]
    call_rig.warm(url, session)
    timed(session, url, board, 5)  # each worker's first render builds its caches
    floor: list[float] = []
    board_ms: list[float] = []
    for _ in range(calls):
        floor += call_rig.floor_requests(session, url, 1)
        board_ms.append(call_rig.dash_post(session, url, board)[0])
    p95, floor_p95 = percentile(board_ms, 95), percentile(floor, 95)
    say(f"board: cold {cold:.1f} ms; p95 {p95:.1f} ms against a floor p95 of {floor_p95:.1f} ms")
    return {
        "board_callback_p95_ms": round(p95, 1),
        "board_callback_p50_ms": round(percentile(board_ms, 50), 1),
        "board_callback_cold_ms": round(cold, 1),
        "board_floor_request_p95_ms": round(floor_p95, 1),
        "board_ratio_to_floor": round(p95 / floor_p95, 2),
    }


def board_reads(engine: Any, settings: Any, n: int) -> dict[str, Any]:
    """The storage reads the board's refresh makes (dashboard/pages/callcenter.py `body`, as of issue 19's
    work: open incidents, units, today's calls per line, complaint counts), each timed `n` times in this
    process on the rig's file, in turn with a trivial SELECT on the same file (the floor): which read,
    if any, grows with the history under it."""
    from sqlalchemy import text

    from dashboard.queries import callcenter as q
    from dashboard.queries import callcenter_complaints
    from scc.clock import utcnow

    def floor() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).all()

    reads = {
        "board": lambda: q.board(engine, utcnow()),
        "units_status": lambda: q.units_status(engine, settings),
        "today_by_line": lambda: q.today_by_line(engine, utcnow()),
        "complaint_counts": lambda: callcenter_complaints.counts(engine, now=utcnow()),
        "floor_select_1": floor,
    }
    ms: dict[str, list[float]] = {name: [] for name in reads}
    for _ in range(n):
        for name, read in reads.items():
            start = time.perf_counter()
            read()
            ms[name].append((time.perf_counter() - start) * 1000)
    p95 = {name: round(percentile(v, 95), 2) for name, v in ms.items()}
    say(f"board's reads in process, p95 ms: {p95}")
    return {"board_reads_p95_ms": p95, "board_reads_p50_ms": {n: round(percentile(v, 50), 2) for n, v in ms.items()}}


def bench_board(history: int = 100_000, calls: int = 60) -> dict[str, Any]:
    rig = call_rig.build(history, shift=SHIFT, say=say)
    try:
        with call_rig.served(rig) as url:
            operator = call_rig.signed_in(url, "operator")
            board = measure_board(url, operator, calls)
            kpi_ms = {}
            for window in WINDOWS:
                payload = body("kpi-body.children", [("kpi-window", "value", window), ("kpi-tick", "n_intervals", 1)])
                timed(operator, url, payload, 3)
                kpi_ms[window] = timed(operator, url, payload, calls)
    finally:
        rig.remove()
    p95 = {w: round(percentile(v, 95), 1) for w, v in kpi_ms.items()}
    say(f"kpi p95 {p95}")
    floor = board["board_floor_request_p95_ms"]
    return {
        "history_incidents": rig.history,
        "board_callback_p95_ms": board["board_callback_p95_ms"],
        "board_callback_p50_ms": board["board_callback_p50_ms"],
        "board_callback_cold_ms": board["board_callback_cold_ms"],
        # the worst of the page's ranges: the goal holds only if every range meets it
        "kpi_callback_p95_ms": max(p95.values()),
        "kpi_callback_p95_ms_by_range": p95,
        "floor_request_p95_ms": floor,
        "board_ratio_to_floor": board["board_ratio_to_floor"],
        "kpi_ratio_to_floor": round(max(p95.values()) / floor, 2),
    }
