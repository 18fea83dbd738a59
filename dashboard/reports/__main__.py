"""The `reports` process: makes the scheduled reports and those asked for on the Reports page.

Every `reports.poll_s` seconds a round: the scheduled reports due by now get their rows (from
schedule_after_s after the start, so that the processes started with it write first; then those missed while
the machine was off, within catch_up_days), then every request waiting is made, one at a
time, a person's before the schedule's; once an hour, reports past keep_days go with their files. It
beats its heartbeat from its loop after a round that finished (its detail: the last report made and how
long it took), so a loop stuck or failing goes stale in health. SIGTERM or SIGINT end it after the
report under way; one cut short by a kill is `making` in storage and is made again at the next start.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
import time

from sqlalchemy import Engine

from scc import boot
from scc.health import Heartbeat
from scc.settings import Settings
from scc.storage import open_storage

from . import jobs
from .make import make

log = logging.getLogger("dashboard.reports")

NAME = "reports"
HEARTBEAT_S = 30
PRUNE_S = 3600
NICE = 10


def main() -> None:
    settings = boot.settings_or_exit()
    # Background work: the web workers, ingest and the camera workers go first when the CPU is short (a catch-up
    # after days off makes dozens of reports at start, a few tenths of a second each).
    os.nice(NICE)
    engine = open_storage(settings.database_url)
    config = settings.app.reports
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    last = ["none made yet"]
    beat = Heartbeat(engine, NAME, HEARTBEAT_S, lambda: (0, last[0]))
    pruned_at = 0.0
    started = time.monotonic()
    jobs.folder(settings).mkdir(parents=True, exist_ok=True)
    again = jobs.recover(engine)
    if again:
        log.info("reports: %d cut short by the last stop, made again", again)
    log.info("reports: daily at %s WITA, weekly on Mondays, into %s", config.at, jobs.folder(settings))
    while not stop.is_set():
        try:
            if config.scheduled and time.monotonic() - started >= config.schedule_after_s:
                added = jobs.schedule(engine, settings)
                if added:
                    log.info("reports: %d scheduled reports due", added)
            while not stop.is_set() and (job := jobs.claim(engine)) is not None:
                last[0] = run(engine, settings, job)
                beat.tick()
            if time.monotonic() - pruned_at >= PRUNE_S:
                gone = jobs.prune(engine, settings)
                pruned_at = time.monotonic()
                if gone:
                    log.info("reports: %d past their retention deleted with their files", gone)
        except Exception:
            # The database away or busy, or a fault: logged, and tried again next round. No beat: a loop that
            # keeps failing must show as stale, not up.
            log.exception("reports: the round did not finish")
        else:
            beat.tick()
        stop.wait(config.poll_s)
    engine.dispose()


def run(engine: Engine, settings: Settings, job: jobs.Job) -> str:
    """Make one report into its folder; a report that cannot be made is marked failed with why."""
    target = jobs.report_folder(settings, job.id)
    started = time.monotonic()
    try:
        shutil.rmtree(target, ignore_errors=True)  # what a run cut short left
        files = make(engine, settings, job.kind, job.first, job.skpd_code, target)
    except Exception as exc:
        log.exception("reports: report %d (%s %s %s) failed", job.id, job.kind, job.skpd_code, job.first)
        jobs.fail(engine, job, f"{type(exc).__name__}: {exc}")
        return f"report {job.id} failed"
    took = time.monotonic() - started
    jobs.finish(engine, job, files, took)
    what = f"{job.kind} {job.skpd_code + ' ' if job.skpd_code else ''}{job.first.isoformat()}"
    log.info("reports: %s made in %.1f s", what, took)
    return f"last: {what} in {took:.1f} s"


if __name__ == "__main__":
    main()
