"""Many cameras flapping (the alerts benchmark's flap phase, benchmarks/alerts.py, on a smaller scale): every
camera dark half of every 30 s for ten minutes of the evaluator's clock raises at most one alert per camera
and per uplink, never two open at once for one subject."""

from __future__ import annotations

import sys

from tests.support.web import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmarks import each other as scripts do

from alerts import run_flap


def test_flapping_cameras_raise_at_most_one_alert_each(engine, settings):
    found = run_flap(engine, settings, 20, minutes=6)
    assert found["flap_max_open_per_subject"] == 1
    assert 0 < found["flap_alerts"] <= found["flap_cameras"] + found["flap_uplinks"], found
    assert set(found["flap_fired_by_rule"]) <= {"camera-down", "uplink-down"}, found
