"""The call-center benchmarks' rig (benchmarks/call_rig.py) still builds, and quickly: the benchmarks are
not run by the suite, so a change to the services they seed through would otherwise show only when
someone next measures."""

from __future__ import annotations

import sys
import time

from sqlalchemy import func, select

from scc.storage.callcenter import OPEN_STATUSES, incidents
from tests.support.web import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmarks import each other as scripts do

import call_rig


def test_the_rig_holds_the_past_the_shift_and_the_users_in_seconds():
    started = time.perf_counter()
    rig = call_rig.build(500, shift=5, say=lambda *_: None)
    try:
        elapsed = time.perf_counter() - started
        with rig.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(incidents)).scalar_one()
            still_open = conn.execute(
                select(func.count()).select_from(incidents).where(incidents.c.status.in_(OPEN_STATUSES))
            ).scalar_one()
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        assert rig.history == 500 and total == 505 and still_open == 5
        assert mode == "wal"
        assert elapsed < 10, f"the rig took {elapsed:.1f} s"
    finally:
        rig.remove()
    assert not rig.folder.exists()
