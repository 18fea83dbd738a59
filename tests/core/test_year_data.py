"""The year benchmark's builder (benchmarks/year_data.py) writes what a year of running and of housekeeping
leaves: its roll-ups are what housekeeping computes from the same raw rows, its raw rows are ingest's own,
and each growing table holds rows only inside its retention window and one day past it."""

from __future__ import annotations

import shutil
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from scc import housekeeping
from scc.clock import as_utc
from scc.settings import load_settings
from scc.storage import open_storage
from scc.storage.cameras import camera_activity
from scc.storage.metrics import metric_corrections, metric_daily, metric_hourly, metric_samples, rejected_messages
from scc.storage.platform import housekeeping_marks
from tests.support.web import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmarks import each other as scripts do

import year_data

END = datetime.fromisoformat("2026-11-20T05:17:00+00:00")
DAYS = 3


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Any:
    """Three days, with every raw window stretched past them, so every reading is kept raw as well."""
    folder = tmp_path_factory.mktemp("year")
    config = folder / "config"
    shutil.copytree(ROOT / "config", config)
    year_data.install_all(config)
    settings = load_settings(config, folder)
    policies = dict(settings.retention)
    for table in ("metric_samples", "camera_activity", "rejected_messages"):
        policies[table] = policies[table].model_copy(update={"days": DAYS + 2})
    settings = _with(settings, retention=policies)
    engine = open_storage(f"sqlite:///{folder / 'scc.db'}")
    result = year_data.build(
        engine, settings, END, days=DAYS, incidents=3000, activity_every_s=600, say=lambda *_: None
    )
    yield engine, settings, result
    engine.dispose()


def _with(settings: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(settings, **changes)


def _table(engine: Any, table: Any, key: list[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(table)).mappings().all()
    out = {}
    for r in rows:
        row = {k: as_utc(v) if isinstance(v, datetime) else v for k, v in r.items() if k != "rolled_at"}
        out[tuple(row[k] for k in key)] = row
    return out


def test_its_roll_ups_are_those_housekeeping_computes_from_its_raw_rows(built):
    engine, _settings, result = built
    assert result.rows["metric_corrections"] > 0, "corrections are part of what is rolled up"
    hourly_key, daily_key = ["skpd_code", "metric_key", "hour"], ["skpd_code", "metric_key", "day"]
    ours_hourly, ours_daily = _table(engine, metric_hourly, hourly_key), _table(engine, metric_daily, daily_key)
    with engine.connect() as conn:
        mark = as_utc(
            conn.scalar(select(housekeeping_marks.c.upto).where(housekeeping_marks.c.job == housekeeping.JOB))
        )
    assert mark == END.replace(minute=0) - timedelta(days=1)
    with engine.begin() as conn:
        for table in (metric_hourly, metric_daily, housekeeping_marks):
            conn.execute(delete(table))
    housekeeping.roll_up(engine, mark)  # what housekeeping makes of the raw rows that had arrived by the mark
    theirs_hourly, theirs_daily = _table(engine, metric_hourly, hourly_key), _table(engine, metric_daily, daily_key)
    assert len(ours_hourly) > 1000
    assert ours_hourly == theirs_hourly
    assert ours_daily == theirs_daily


def test_raw_rows_are_ingests_own(built):
    """A sample written by the builder reads back as one ingest stores: the samples are unique per unit,
    metric and time, each with its arrival after its reading."""
    engine, _settings, _ = built
    c = metric_samples.c
    with engine.connect() as conn:
        late = conn.scalar(select(func.count()).select_from(metric_samples).where(c.received_at <= c.ts))
        fixed = conn.execute(select(metric_corrections.c.old_value, metric_corrections.c.new_value)).all()
    assert late == 0
    assert fixed and all(old == 2 * new for old, new in fixed)


def test_each_growing_table_holds_its_window_and_a_day_more(tmp_path):
    """Ten days: longer than camera activity's window (7 days), shorter than rejections' (30)."""
    folder = tmp_path
    shutil.copytree(ROOT / "config", folder / "config")
    settings = load_settings(folder / "config", folder)
    engine = open_storage(f"sqlite:///{folder / 'scc.db'}")
    year_data.build(engine, settings, END, days=10, incidents=1000, activity_every_s=600, say=lambda *_: None)
    with engine.connect() as conn:
        oldest_activity = as_utc(conn.scalar(select(func.min(camera_activity.c.at))))
        oldest_rejection = as_utc(conn.scalar(select(func.min(rejected_messages.c.received_at))))
    window = timedelta(days=settings.retention["camera_activity"].days or 0)
    assert END - window - timedelta(days=1) <= oldest_activity < END - window
    assert END - timedelta(days=10) <= oldest_rejection < END - timedelta(days=9), "no older than the first day"
    engine.dispose()
