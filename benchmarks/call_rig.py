"""The call center's benchmark rig: a year of past incidents in a fresh SQLite file, and the server on it.

Shared by dispatch.py, history.py and calls_board.py, so that the three measure the same thing:
  - `build`: a fresh SQLite file in a temporary folder, migrated and in WAL mode as in production
    (scc.storage.open_storage), one user per role (tests/support/web.py), `history` finished incidents
    over the past 365 days (callcenter.sim.history.seed_history: timelines, units, calls, complaints routed
    to their SKPDs), and on request a busy shift's open incidents, some with units out (`open_shift`);
  - `served`: the production server (gunicorn, as `scc run` starts it) on that file, on loopback;
  - `dash_post` and `floor_requests`: a callback as Dash's front end asks for it, timed end to end,
    and the floor the HTTP figures are judged against (an authenticated request that does nothing of
    ours: GET /login answered 302, as benchmarks/web.py measures it).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # web.py, when imported from elsewhere (a test)
os.environ.setdefault("SCC_SECRET_KEY", "bench-secret-key-" + "x" * 32)
os.environ.setdefault("SCC_CAMERA_PASSWORD", "bench")

from web import free_port, session_for, start_server, stop_server, warm_workers  # noqa: E402

from callcenter import lifecycle  # noqa: E402
from callcenter.intake import take_call  # noqa: E402
from callcenter.sim.history import seed_history  # noqa: E402
from scc.clock import utcnow  # noqa: E402
from scc.settings import Settings, load_settings  # noqa: E402
from scc.storage import open_storage  # noqa: E402
from tests.support.web import PASSWORDS, seed_users  # noqa: E402


@dataclass
class Rig:
    folder: Path  # the server's data dir: scc.db and web.log
    settings: Settings
    history: int  # past incidents written
    engine: Any  # this process's own engine on the file (the server opens its own)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.folder / 'scc.db'}"

    def remove(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


def build(history: int, *, seed: int = 1, shift: int = 0, say: Any = print) -> Rig:
    """A fresh file with `history` past incidents and `shift` open ones (0: none)."""
    folder = Path(tempfile.mkdtemp(prefix="scc-call-rig-"))
    settings = load_settings()
    engine = open_storage(f"sqlite:///{folder / 'scc.db'}")
    seed_users(engine)
    started = time.perf_counter()
    # Ended an hour ago: nothing of the past is still open, and "today" holds only the shift.
    written = seed_history(engine, settings, history, end=utcnow() - timedelta(hours=1), days=365, seed=seed)
    say(f"history: {written} past incidents in {time.perf_counter() - started:.1f} s")
    if shift:
        open_shift(engine, settings, shift)
    return Rig(folder, settings, written, engine)


def open_shift(engine: Any, settings: Settings, n: int = 25) -> None:
    """A busy shift's open incidents, through the real services: fires across the districts' lines over
    the last hour or so, the first of each line with its district's truck out."""
    lines = [line.code for line in settings.call_lines if line.district]
    for i in range(n):
        line = settings.call_line_by_code[lines[i % len(lines)]]
        taken = take_call(engine, settings, {
            "line_code": line.code, "district": line.district, "category": "fire", "caller_number": f"0813{i:07d}",
            "received_at": utcnow() - timedelta(minutes=3 * i)}, operator="bench")  # fmt: skip
        truck = f"truk-{line.district}"
        if i < len(lines) and truck in settings.unit_by_code:
            lifecycle.dispatch(engine, settings, taken.incident_id, truck, operator="bench", version=taken.version)


@contextmanager
def served(rig: Rig) -> Iterator[str]:
    """The production server on the rig's file; yields its base URL. Workers are as configured."""
    port = free_port()
    env = {**os.environ, "SCC_DATA_DIR": str(rig.folder), "SCC_WEB_PORT": str(port), "SCC_WEB_HOST": "127.0.0.1"}
    env.pop("SCC_DATABASE_URL", None)  # the rig's file, whatever the shell says
    url = f"http://127.0.0.1:{port}"
    proc = start_server(env, rig.folder / "web.log", url)
    try:
        yield url
    finally:
        stop_server(proc)


def signed_in(url: str, username: str) -> requests.Session:
    return session_for(url, username, PASSWORDS[username])


def warm(url: str, session: requests.Session) -> None:
    """Every worker has set Dash up (its first request does) before anything is timed."""
    warm_workers(url, session.cookies.get_dict())


def dash_post(session: requests.Session, url: str, body: dict[str, Any]) -> tuple[float, Any]:
    """One callback as Dash's front end asks for it: (milliseconds end to end, the answer)."""
    start = time.perf_counter()
    r = session.post(url + "/_dash-update-component", json=body, timeout=60)
    elapsed = (time.perf_counter() - start) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"HTTP {r.status_code}: {r.text[:300]}")
    return elapsed, r.json()


def floor_requests(session: requests.Session, url: str, n: int) -> list[float]:
    """`n` authenticated requests that do nothing of ours (the guard, the session lookup, a redirect)."""
    out = []
    for _ in range(n):
        start = time.perf_counter()
        r = session.get(url + "/login", allow_redirects=False, timeout=30)
        if r.status_code != 302:
            raise RuntimeError(f"floor: HTTP {r.status_code}")
        out.append((time.perf_counter() - start) * 1000)
    return out
