"""Dispatch benchmark: is the first suggestion the right kind of unit, and how long does it take?

    .venv/bin/python benchmarks/dispatch.py [--incidents 1000] [--history 100000] [--seed 19]

Progress goes to stderr; the last stdout line is one JSON object:
{"bench": "dispatch", "suggest_right_kind_pct": ..., "suggest_p95_ms": ..., "suggest_p50_ms": ...,
 "floor_p95_ms": ..., "suggest_ratio_to_floor": ..., "incidents": 1000, "with_a_free_unit": ...,
 "none_free_cases": ..., "none_free_preselected": ..., "none_free_busy_offered_pct": ...,
 "pick_sent_ok_pct": ..., "history_incidents": ...}
Goal: the first suggestion of the right kind in 100 % of the incidents for which a unit of that kind is
free; where none is free, nothing preselected (none_free_preselected 0) and the busy ones offered.

A fresh SQLite file (WAL, migrated as in production) gets `history` finished incidents over the past
year (callcenter.history, with their units), so the load query ("missions in the last 24 hours") has
a real table under it. Then the incidents: the emergency categories in turn, the 8 districts in turn,
taken through the intake service, in groups of 10 sharing one state of the units: each group puts
every unit out on another incident with a probability that cycles through 0, 30, 60, 90 and 100 %
(so some groups have a kind, or everything, out). For each incident the benchmark times
`callcenter.dispatch.suggest` as the incident page calls it (its reads included) and judges the first
suggestion against its own list of the kinds each category needs (written below, not read from the
configuration it tests) and the units it put out itself. Every suggested unit is then really sent
(lifecycle.dispatch, untimed) to check it was free, and taken back.
Floor, measured in the same run on the same file: `lifecycle.busy_units`, the one read any suggestion
must make (the units out now), timed as often.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SCC_SECRET_KEY", "bench-secret-key-" + "x" * 32)
os.environ.setdefault("SCC_CAMERA_PASSWORD", "bench")

from web import percentile  # noqa: E402  (benchmarks/ is on the path when run as a script)

from callcenter import dispatch, lifecycle  # noqa: E402
from callcenter.history import seed_history  # noqa: E402
from callcenter.intake import take_call  # noqa: E402
from scc.clock import utcnow  # noqa: E402
from scc.settings import load_settings  # noqa: E402
from scc.storage import open_storage  # noqa: E402

# What each emergency sends, as the regency works (PSC 119 for the sick and injured, the fire brigade
# for fires and, with no rescue unit in the documents, for disasters; P2TP2A or the police for
# violence against a woman or child; the police for crime).
EXPECTED = {
    "medical": {"ambulance"},
    "fire": {"fire_truck"},
    "disaster": {"fire_truck"},
    "violence": {"protection_team", "police_patrol"},
    "crime": {"police_patrol"},
}
LINE = {"medical": "psc-119", "fire": "damkar-lalabata", "disaster": "damkar-lalabata", "violence": "p2tp2a",
        "crime": "polres-110"}  # fmt: skip
BUSY_SHARES = (0.0, 0.3, 0.6, 0.9, 1.0)
GROUP = 10


def say(*parts: Any) -> None:
    print("[dispatch-bench]", *parts, file=sys.stderr, flush=True)


class Units:
    """Puts units out on filler incidents (and brings them back) through the real services."""

    def __init__(self, engine: Any, settings: Any) -> None:
        self.engine, self.settings, self.out, self.n = engine, settings, {}, 0

    def set(self, busy: set[str]) -> None:
        for unit, (incident_id, version) in list(self.out.items()):
            if unit not in busy:
                lifecycle.advance(self.engine, incident_id, "cancelled", operator="bench", version=version,
                                  reason="bench")  # fmt: skip
                del self.out[unit]
        for unit in busy - set(self.out):
            self.n += 1
            taken = take_call(self.engine, self.settings, {
                "line_code": "polres-110", "category": "crime", "district": "citta", "priority": 3,
                "caller_number": f"0813{self.n:08d}"}, operator="bench")  # fmt: skip
            v = lifecycle.dispatch(self.engine, self.settings, taken.incident_id, unit, operator="bench", version=1)
            self.out[unit] = (taken.incident_id, v)


def bench(incidents: int, history: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="scc-dispatch-bench-"))
    settings = load_settings()
    engine = open_storage(f"sqlite:///{folder / 'scc.db'}")
    started = time.perf_counter()
    written = seed_history(engine, settings, history, end=utcnow() - timedelta(minutes=30), days=365, seed=seed)
    say(f"history: {written} past incidents in {time.perf_counter() - started:.1f} s")
    units, kind_of = Units(engine, settings), {u.code: u.kind for u in settings.response_units}
    categories, districts = list(EXPECTED), [d.code for d in settings.districts]
    suggest_ms: list[float] = []
    floor_ms: list[float] = []
    right = with_free = none_free = preselected = busy_offered = picks = sent_ok = 0
    wrong: list[str] = []
    for i in range(incidents):
        if i % GROUP == 0:
            share = BUSY_SHARES[(i // GROUP) % len(BUSY_SHARES)]
            units.set({code for code in kind_of if rng.random() < share})
            if i % 100 == 0:
                say(f"{i} of {incidents} incidents")
        category, district = categories[i % len(categories)], districts[(i // len(categories)) % len(districts)]
        taken = take_call(engine, settings, {
            "line_code": LINE[category], "category": category, "district": district, "priority": 1 + i % 3,
            "caller_number": f"0812{i:08d}"}, operator="bench")  # fmt: skip
        t0 = time.perf_counter()
        offer = dispatch.suggest(engine, settings, category, district)
        t1 = time.perf_counter()
        lifecycle.busy_units(engine)
        t2 = time.perf_counter()
        suggest_ms.append((t1 - t0) * 1000)
        floor_ms.append((t2 - t1) * 1000)
        free_right = [u for u, kind in kind_of.items() if kind in EXPECTED[category] and u not in units.out]
        if free_right:
            with_free += 1
            if offer.pick is not None and offer.pick.unit.kind in EXPECTED[category]:
                right += 1
            else:
                wrong.append(f"{category} in {district}: {offer.pick and offer.pick.unit.code} with {free_right} free")
        else:
            none_free += 1
            preselected += offer.pick is not None
            busy_offered += bool(offer.busy) and all(o.unit.kind in EXPECTED[category] for o in offer.busy)
        if offer.pick is not None:  # really send it: refused as busy would mean a busy unit was suggested
            picks += 1
            try:
                v = lifecycle.dispatch(engine, settings, taken.incident_id, offer.pick.unit.code, operator="bench",
                                       version=taken.version)  # fmt: skip
                sent_ok += 1
                lifecycle.advance(engine, taken.incident_id, "cancelled", operator="bench", version=v, reason="bench")
            except Exception as exc:  # counted, and named in the log
                say(f"sending {offer.pick.unit.code} failed: {exc}")
        else:
            lifecycle.advance(engine, taken.incident_id, "cancelled", operator="bench", version=1, reason="bench")
    engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    for line in wrong[:10]:
        say("wrong kind first:", line)
    p95, floor_p95 = percentile(suggest_ms, 95), percentile(floor_ms, 95)
    say(f"right kind first {right}/{with_free}; none free {none_free} (preselected {preselected}); "
        f"suggest p95 {p95:.2f} ms, floor p95 {floor_p95:.2f} ms")  # fmt: skip
    return {
        "suggest_right_kind_pct": round(100 * right / with_free, 2) if with_free else None,
        "suggest_p95_ms": round(p95, 2),
        "suggest_p50_ms": round(percentile(suggest_ms, 50), 2),
        "floor_p95_ms": round(floor_p95, 2),
        "suggest_ratio_to_floor": round(p95 / floor_p95, 2),
        "incidents": incidents,
        "with_a_free_unit": with_free,
        "none_free_cases": none_free,
        "none_free_preselected": preselected,
        "none_free_busy_offered_pct": round(100 * busy_offered / none_free, 2) if none_free else None,
        "pick_sent_ok_pct": round(100 * sent_ok / picks, 2) if picks else None,
        "history_incidents": written,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1000, help="generated incidents to suggest units for")
    parser.add_argument("--history", type=int, default=100_000, help="past incidents in storage")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args(argv)
    print(json.dumps({"bench": "dispatch", **bench(args.incidents, args.history, args.seed)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
