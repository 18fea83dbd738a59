"""A lobby fleet of public boards against a running server: each TV asks for its board's data every 10 s.

benchmarks/regent.py takes `make_links` and `board_load` (issue 22's `board_callback_p95_ms`, goal <= 100 ms
for 50 boards). Each token is one TV; the TVs start spread over the first refresh interval, as TVs switched
on through a morning are, then each asks every `refresh_s` seconds, as boards.js does, on its own connection.
Every answer must be 200: a 429 means the rate limits do not fit the fleet, and fails the run.

By hand, against a server whose database this machine can open:
    python benchmarks/boards_load.py http://127.0.0.1:8050 --seconds 60 [--boards 50]
(the links it makes are revoked at the end). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scc import boards  # noqa: E402  (after the sys.path line)
from scc.percentiles import percentile  # noqa: E402

REFRESH_S = 10.0
BENCH = boards.Actor("benchmark", "admin", None)


def make_links(engine: Any, settings: Any, n: int) -> list[str]:
    """`n` display links, spread over the configured boards in turn; their tokens."""
    units = [b.skpd for b in settings.boards.boards]
    if not units:
        raise RuntimeError("config/boards.yaml lists no board")
    return [boards.create_link(engine, settings, units[i % len(units)], f"TV {i + 1}", BENCH)[1] for i in range(n)]


def revoke_links(engine: Any, settings: Any, tokens: list[str]) -> None:
    for token in tokens:
        link = boards.lookup(engine, token)
        if link is not None:
            boards.revoke_link(engine, settings, link.id, BENCH)


def board_load(base_url: str, tokens: list[str], seconds: float, refresh_s: float = REFRESH_S) -> list[float]:
    """One TV per token for `seconds`, each asking for its data every `refresh_s`; the latencies in ms."""
    base = base_url.rstrip("/")
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = time.monotonic() + 0.5
    end = start + seconds

    def tv(index: int, token: str) -> None:
        session = requests.Session()
        url = f"{base}/board/{token}/data"
        due = start + refresh_s * index / len(tokens)
        while due < end:
            time.sleep(max(0.0, due - time.monotonic()))
            began = time.perf_counter()
            try:
                response = session.get(url, timeout=30)
                status = str(response.status_code)
            except requests.RequestException as exc:
                status = type(exc).__name__
            took = (time.perf_counter() - began) * 1000
            with lock:
                if status == "200":
                    latencies.append(took)
                else:
                    failures.append(f"TV {index + 1}: {status}")
            due += refresh_s
        session.close()

    threads = [threading.Thread(target=tv, args=(i, t), daemon=True) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(failures) + len(latencies)} board requests failed: {failures[:5]}")
    return latencies


def main() -> None:
    from scc.settings import load_settings
    from scc.storage import open_storage

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the running server, e.g. http://127.0.0.1:8050")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--boards", type=int, default=50)
    args = parser.parse_args()
    settings = load_settings()
    engine = open_storage(settings.database_url)
    tokens = make_links(engine, settings, args.boards)
    try:
        times = board_load(args.url, tokens, args.seconds)
    finally:
        revoke_links(engine, settings, tokens)
        engine.dispose()
    out = {
        "bench": "boards",
        "board_data_p50_ms": round(percentile(times, 50) or 0.0, 1),
        "board_data_p95_ms": round(percentile(times, 95) or 0.0, 1),
        "board_data_max_ms": round(max(times, default=0.0), 1),
        "board_requests": len(times),
        "boards": args.boards,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
