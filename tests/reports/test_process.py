"""The real `reports` process, as `scc run` starts it: at start it makes the reports a machine that was off
has missed, then one asked for on the page, beats its heartbeat, and ends on SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from datetime import timedelta

from sqlalchemy import select

from dashboard.queries import reports as queries
from dashboard.reports import periods
from scc import health
from scc.clock import to_wita, utcnow
from scc.settings import load_settings
from scc.storage import open_storage
from scc.storage.reports import reports
from tests.alerts.test_process import wait_for
from tests.support.procs import ChildProcess
from tests.support.web import ROOT


def test_the_process_catches_up_makes_what_is_asked_and_stops(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    with (config / "scc.yaml").open("a") as f:
        f.write("reports:\n  catch_up_days: 2\n  poll_s: 0.2\n  schedule_after_s: 0\n")
    settings = load_settings(config, tmp_path / "data")
    engine = open_storage(settings.database_url)
    today = to_wita(utcnow()).date()
    # The last two days, the day before yesterday always owed, yesterday once this morning's 07:00 WITA has passed.
    owed = [today - timedelta(days=2), today - timedelta(days=1)]
    owed = [d for d in owed if periods.due_at("daily", d, settings.app.reports.time_of_day) <= utcnow()]
    child = ChildProcess(tmp_path / "reports.log")
    env = {**os.environ, "SCC_DATA_DIR": str(settings.data_dir), "SCC_CONFIG_DIR": str(config)}
    child.launch([sys.executable, "-m", "dashboard.reports"], env)
    try:

        def ready(kind: str) -> set[str]:
            with engine.connect() as conn:
                rows = conn.execute(select(reports).where(reports.c.kind == kind, reports.c.status == "ready"))
                return {to_wita(r.period_start).date().isoformat() for r in rows}

        wait_for(lambda: ready("daily") >= {d.isoformat() for d in owed}, 60, "the missed daily reports", child)
        for row in queries.listing(engine):
            for name in row.files:
                assert (settings.data_dir / "reports" / str(row.id) / name).stat().st_size > 500, name
        asked = today - timedelta(days=30)  # older than the catch-up: made only when asked for
        start, end = periods.span("daily", asked)
        queries.ask(engine, "daily", asked, start, end, "operator")
        wait_for(lambda: asked.isoformat() in ready("daily"), 30, "the report asked for", child)
        wait_for(lambda: "reports" in {c.name for c in health.read_all(engine)}, 30, "heartbeat", child)
        beat = {c.name: c for c in health.read_all(engine)}["reports"]
        assert beat.status == "up", beat
        assert child.process is not None
        child.process.send_signal(signal.SIGTERM)
        assert child.process.wait(timeout=30) == 0, child.log_text()[-2000:]
    finally:
        child.kill()
        engine.dispose()
