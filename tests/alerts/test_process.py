"""The real `alerts` process: started as `scc run` would, it raises an alert from what storage says, follows
it as storage changes, beats its heartbeat, and ends on SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from datetime import timedelta

from scc import health
from scc.alerts import queries
from scc.clock import utcnow
from scc.settings import load_settings
from scc.storage import open_storage
from tests.alerts.conftest import incident, set_incident
from tests.support.procs import ChildProcess
from tests.support.web import ROOT


def wait_for(check: Callable[[], bool], timeout_s: float, what: str, child: ChildProcess) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        assert child.alive(), f"the process ended while waiting for {what}: {child.log_text()[-2000:]}"
        time.sleep(0.1)
    raise AssertionError(f"no {what} after {timeout_s} s: {child.log_text()[-2000:]}")


def test_the_process_raises_follows_and_stops(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    settings = load_settings(config, tmp_path / "data")
    engine = open_storage(settings.database_url)
    waiting = incident(engine, utcnow() - timedelta(minutes=10), priority=1)  # past any dispatch target
    child = ChildProcess(tmp_path / "alerts.log")
    env = {**os.environ, "SCC_DATA_DIR": str(settings.data_dir), "SCC_CONFIG_DIR": str(config)}
    child.launch([sys.executable, "-m", "scc.alerts"], env)
    try:

        def the_call() -> queries.AlertView | None:
            return next((v for v in queries.in_sight(engine) if v.subject == str(waiting)), None)

        wait_for(lambda: the_call() is not None, 60, "alert for the waiting call", child)
        alert = the_call()
        assert alert is not None and alert.rule == "call-not-dispatched" and alert.state == "firing"
        assert alert.notify_count == 1 and alert.severity == "critical"
        wait_for(lambda: "alerts" in {c.name for c in health.read_all(engine)}, 30, "heartbeat", child)
        beats = {c.name: c for c in health.read_all(engine)}
        assert beats["alerts"].status == "up" and "rules every 2 s" in beats["alerts"].detail, beats["alerts"]
        set_incident(engine, waiting, status="dispatched", dispatched_at=utcnow())
        wait_for(lambda: queries.get(engine, alert.id).state == "resolved", 30, "the alert resolved", child)
        assert child.process is not None
        child.process.send_signal(signal.SIGTERM)
        assert child.process.wait(timeout=30) == 0, child.log_text()[-2000:]
        assert f"alert #{alert.id} call-not-dispatched {waiting}: firing -> resolved" in child.log_text()
    finally:
        child.kill()
        engine.dispose()
