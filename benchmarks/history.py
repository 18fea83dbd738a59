"""History benchmark: the history page's search over a year of past incidents, over HTTP.

    .venv/bin/python benchmarks/history.py [--history 100000] [--rounds 10]

Progress goes to stderr; the last stdout line is one JSON object:
{"bench": "history", "history_incidents": 100000, "history_search_p95_ms": ..., "history_search_p50_ms": ...,
 "history_open_p95_ms": ..., "floor_request_p95_ms": ..., "search_ratio_to_floor": ..., "by_search_p95_ms": {...}}
Goal (issue 19): history search p95 <= 200 ms over 100,000 past incidents.

The rig (call_rig.py): a fresh SQLite file, migrated as in production, with
`history` finished incidents over the past 365 days; the production server
(gunicorn, as `scc run` starts it) answers signed-in users' searches, timed end
to end (`measure`, which benchmarks/dispatch.py runs too): each round runs
every search of `searches` once (the page's own default, the last 30 days; all
time; by number, caller, district, category, unit, SKPD, an old week, a deep
page) as an operator, and an SKPD's own complaints as that unit's staff; then
opens a row of each search's first page. Floor, in the same
run on the same server: an authenticated request that does nothing of ours
(GET /login answered 302: call_rig.floor_requests).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import timedelta
from typing import Any

import call_rig  # first: it puts the repository on the path and sets the environment scc reads
from sqlalchemy import select

from callcenter import phone
from scc.clock import WITA, utcnow
from scc.percentiles import percentile
from scc.storage.callcenter import incidents

GOAL_MS = 200


def say(*parts: object) -> None:
    print("[history-bench]", *parts, file=sys.stderr, flush=True)


def written(days_ago: int) -> str:
    day = (utcnow().astimezone(WITA) - timedelta(days=days_ago)).date()
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def searches(engine: Any, rng: random.Random) -> dict[str, tuple[str, dict[str, Any], int]]:
    """name -> (user, the form's fields, the page asked for): what people look for, with real values."""
    with engine.connect() as conn:
        numbers = [r.id for r in conn.execute(select(incidents.c.id).order_by(incidents.c.id).limit(5000))]
        callers = [r.caller_number for r in conn.execute(
            select(incidents.c.caller_number).where(incidents.c.caller_number.is_not(None)).limit(5000))]  # fmt: skip
    recent = {"from": written(29), "to": written(0)}
    whenever = {"from": "", "to": ""}
    return {
        "default_30_days": ("operator", recent, 0),
        "all_time": ("operator", whenever, 0),
        "number": ("operator", {**whenever, "number": f"#{rng.choice(numbers)}"}, 0),
        "caller": ("operator", {**whenever, "caller": phone.display(rng.choice(callers))}, 0),
        "district": ("operator", {**whenever, "district": "citta"}, 0),
        "category_30_days": ("operator", {**recent, "category": "medical"}, 0),
        "complaints_in_a_district": ("operator", {**whenever, "category": "complaint", "district": "ganra"}, 0),
        "unit_busy": ("operator", {**whenever, "unit": "ambulans-1"}, 0),
        "unit_rare": ("operator", {**whenever, "unit": "p2tp2a-tim"}, 0),
        "skpd": ("operator", {**whenever, "skpd": "dukcapil"}, 0),
        "old_week": ("operator", {"from": written(300), "to": written(294)}, 0),
        "deep_page": ("operator", whenever, 30),
        "skpd_staff_own": ("dpmptsp", whenever, 0),
    }


def search_body(spec: dict[str, Any], fields: dict[str, Any], page: int) -> dict[str, Any]:
    """The request the page's search callback gets: "next" pressed on `page` - 1, or Search for page 0."""
    trigger = "history-next" if page else "history-search"
    inputs = [{**i, "value": 1 if i["id"] == trigger else None} for i in spec["inputs"]]
    state = []
    for s in spec["state"]:
        name = s["id"].removeprefix("history-")
        value = (
            page - 1 if s["id"] == "history-page" and page else fields.get(name) if s["property"] == "value" else None
        )
        state.append({**s, "value": value})
    return {"output": spec["output"], "outputs": _outputs(spec["output"]), "inputs": inputs, "state": state,
            "changedPropIds": [f"{trigger}.n_clicks"]}  # fmt: skip


def _outputs(key: str) -> list[dict[str, str]]:
    return [{"id": part.split(".")[0], "property": part.split(".")[1]} for part in key.strip(".").split("...")]


def open_body(spec: dict[str, Any], incident_id: int) -> dict[str, Any]:
    button = {"id": incident_id, "type": "history-open"}
    return {
        "output": spec["output"],
        "outputs": {"id": {"id": incident_id, "type": "history-body"}, "property": "children"},
        "inputs": [{"id": button, "property": "n_clicks", "value": 1}],
        "state": [],
        "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"],
    }


def first_row(answer: dict[str, Any]) -> int | None:
    found = json.dumps(answer["response"]["history-results"])
    start = found.find('"#')
    return int(found[start + 2 : found.index('"', start + 2)]) if start >= 0 else None


def measure(rig: call_rig.Rig, url: str, rounds: int) -> dict[str, Any]:
    """The searches' figures against a server already running on the rig's file (workers warmed)."""
    plan = searches(rig.engine, random.Random(19))
    sessions = {user: call_rig.signed_in(url, user) for user in ("operator", "dpmptsp")}
    deps = sessions["operator"].get(url + "/_dash-dependencies", timeout=30).json()
    find = next(d for d in deps if "history-results.children" in d["output"])
    opener = next(d for d in deps if "history-body" in d["output"])
    bodies = {name: (user, search_body(find, fields, page)) for name, (user, fields, page) in plan.items()}
    for user, body in bodies.values():  # each worker's first answers build its caches
        call_rig.dash_post(sessions[user], url, body)
    floor = call_rig.floor_requests(sessions["operator"], url, rounds * len(bodies))
    by_search: dict[str, list[float]] = {name: [] for name in bodies}
    opened: list[float] = []
    for i in range(rounds):
        for name, (user, body) in bodies.items():
            elapsed, answer = call_rig.dash_post(sessions[user], url, body)
            by_search[name].append(elapsed)
            row = first_row(answer)
            if row is not None:
                opened.append(call_rig.dash_post(sessions[user], url, open_body(opener, row))[0])
        so_far = percentile([t for v in by_search.values() for t in v], 95)
        say(f"round {i + 1}/{rounds}: p95 so far {so_far:.1f} ms")
    every = [t for v in by_search.values() for t in v]
    p95, floor_p95 = percentile(every, 95), percentile(floor, 95)
    say(f"floor p95 {floor_p95:.1f} ms; search p95 {p95:.1f} ms over {len(every)} searches")
    return {
        "history_search_p95_ms": round(p95, 1),
        "history_search_p50_ms": round(percentile(every, 50), 1),
        "history_open_p95_ms": round(percentile(opened, 95), 1),
        "floor_request_p95_ms": round(floor_p95, 1),
        "search_ratio_to_floor": round(p95 / floor_p95, 2),
        "goal_ms": GOAL_MS,
        "by_search_p95_ms": {name: round(percentile(v, 95), 1) for name, v in by_search.items()},
    }


def bench(history: int, rounds: int) -> dict[str, Any]:
    rig = call_rig.build(history, say=say)
    try:
        with call_rig.served(rig) as url:
            call_rig.warm(url, call_rig.signed_in(url, "operator"))
            return {"bench": "history", "history_incidents": rig.history, **measure(rig, url, rounds)}
    finally:
        rig.remove()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=100_000, help="past incidents in storage")
    parser.add_argument("--rounds", type=int, default=10, help="times each search is timed")
    args = parser.parse_args(argv)
    print(json.dumps(bench(args.history, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
