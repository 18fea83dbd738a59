"""The demo's SKPD simulators: plausible figures by the clock, and every unit publishing through its own account."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

from scc import health
from scc.clock import WITA
from scc.storage import open_storage
from streams.agent import contract
from streams.metrics.sim.units import (
    CEILING_S,
    FLOOR_S,
    Simulator,
    dead_websites,
    figure,
    flaky_units,
    period,
)
from tests.support.web import ROOT

MONDAY, THURSDAY, FRIDAY, SATURDAY = 23, 26, 27, 28  # November 2026


def metric(settings, key):
    return next(m for m in settings.metrics if m.key == key)


def at(day: int, hour: float) -> datetime:
    return datetime(2026, 11, day, int(hour), round(hour % 1 * 60), tzinfo=WITA)


def mean(settings, key, when, samples=200) -> float:
    rng = random.Random(7)
    return sum(figure(metric(settings, key), when, rng, settings.office_days) for _ in range(samples)) / samples


def gained(settings, key, day, hour) -> float:
    """How much a running total grows in the hour after `hour`."""
    m, rng = metric(settings, key), random.Random(1)
    return figure(m, at(day, hour + 1), rng, settings.office_days) - figure(m, at(day, hour), rng, settings.office_days)


def test_every_figure_stays_in_its_range(settings):
    rng = random.Random(3)
    start = at(MONDAY, 0)
    for m in settings.metrics:
        for step in range(0, 8 * 24 * 60, 47):  # a week and a day, at odd minutes
            value = figure(m, start + timedelta(minutes=step), rng, settings.office_days, site_alive=step % 2 == 0)
            assert m.min <= value <= m.max, (m.skpd, m.key, value)
            if m.kind in ("counter", "flag") or m.unit in ("count", "people"):
                assert value == int(value), (m.key, value)


def test_a_weekday_morning_is_busier_than_the_night(settings):
    assert mean(settings, "dukcapil_queue_length", at(MONDAY, 10)) > 10 * mean(
        settings, "dukcapil_queue_length", at(MONDAY, 22)
    )
    assert gained(settings, "laside_permits_received", MONDAY, 9.5) > 10 * max(
        1, gained(settings, "laside_permits_received", MONDAY, 21.5)
    )
    # The hospital does not keep office hours: patients still come in at night, just fewer.
    night_patients = sum(gained(settings, "rsud_igd_patients", MONDAY, hour) for hour in (1, 2, 3))
    assert night_patients > 0


def test_friday_afternoon_is_quieter(settings):
    for hour in (12.0, 14.5):  # Friday prayers, then a short afternoon
        assert mean(settings, "dukcapil_queue_length", at(FRIDAY, hour)) < 0.6 * mean(
            settings, "dukcapil_queue_length", at(THURSDAY, hour)
        )
    friday = sum(gained(settings, "laside_permits_received", FRIDAY, h) for h in (13.5, 14.5))
    thursday = sum(gained(settings, "laside_permits_received", THURSDAY, h) for h in (13.5, 14.5))
    assert friday < 0.7 * thursday


def test_running_totals_grow_through_the_day_and_start_again_at_midnight(settings):
    m, rng = metric(settings, "laside_permits_received"), random.Random(5)
    day = [figure(m, at(MONDAY, 0) + timedelta(minutes=10 * i), rng, settings.office_days) for i in range(24 * 6)]
    assert day == sorted(day) and day[0] == 0 and 700 < day[-1] < 1500  # "over 1,000 a day"
    assert figure(m, at(MONDAY + 1, 0), rng, settings.office_days) == 0
    saturday = figure(m, at(SATURDAY, 23.9), rng, settings.office_days)
    assert saturday < 0.1 * day[-1]  # near nothing at the weekend


def test_flags_and_the_websites_of_2018(settings):
    codes = [unit.code for unit in settings.skpd]
    dead = dead_websites(codes)
    assert len(dead) == 19 and dead == dead_websites(reversed(codes))  # 19 of 38, always the same
    rng = random.Random(9)
    up, site = metric(settings, "service_up"), metric(settings, "website_up")
    readings = [figure(up, at(MONDAY, 10), rng, settings.office_days) for _ in range(500)]
    assert 0.9 < sum(readings) / len(readings) < 1
    assert {figure(site, at(MONDAY, 10), rng, settings.office_days, site_alive=False) for _ in range(100)} == {0}
    assert sum(figure(site, at(MONDAY, 10), rng, settings.office_days, site_alive=True) for _ in range(100)) > 90


def test_every_metric_moves_on_the_wall_and_flaky_units_are_fixed(settings):
    for m in settings.metrics:
        assert FLOOR_S <= period(m) <= CEILING_S
    assert period(metric(settings, "dukcapil_queue_length"), speed=1) == CEILING_S
    flaky = flaky_units(settings.skpd)
    assert len(flaky) == 4 and flaky == flaky_units(tuple(reversed(settings.skpd)))
    assert all(code.startswith("kec-") for code in flaky)


def _all_due(simulator: Simulator) -> None:
    for unit in simulator.units.values():
        unit.due = dict.fromkeys(unit.due, 0.0)


def _telemetry(client, count, timeout=15.0) -> dict[str, list[dict]]:
    """`count` telemetry messages (arrays unpacked), by unit."""
    by_unit: dict[str, list[dict]] = {}
    deadline = time.monotonic() + timeout
    while sum(map(len, by_unit.values())) < count:
        message = client.receive(timeout=max(0.1, deadline - time.monotonic()))
        code, kind = contract.parse_topic(message.topic) or ("", "")
        if kind == contract.TELEMETRY:
            data = json.loads(message.payload)
            by_unit.setdefault(code, []).extend(data if isinstance(data, list) else [data])
    return by_unit


def test_every_unit_publishes_through_its_own_account_and_a_dropped_link_drains(scc_broker):
    settings = scc_broker.settings
    catalog = {(m.skpd, m.key): m for m in settings.metrics}
    watcher = scc_broker.admin()
    watcher.subscribe(f"{contract.PREFIX}/+/{contract.TELEMETRY}")
    simulator = Simulator(settings, seed=1, reconnect_delay=(0.1, 0.5)).start()
    try:
        assert simulator.tick() == 38
        by_unit = _telemetry(watcher, 38)
        assert set(by_unit) == {unit.code for unit in settings.skpd}  # each account passed the ACL
        for code, messages in by_unit.items():
            for key, value in messages[0]["values"].items():
                m = catalog[(code, key)]
                assert m.min <= value <= m.max
        flaky = simulator.flaky[0]
        simulator.drop_link(flaky, seconds=3600)
        for _ in range(3):
            _all_due(simulator)
            simulator.tick()
        unit = simulator.units[flaky]
        assert unit.publisher.backlog() == 3 and not unit.publisher.connected
        assert all(other.publisher.flush(10) for other in simulator.units.values() if other is not unit)
        backlog, detail = simulator.probe()
        assert backlog == 3 and f"links down: {flaky}" in detail
        _telemetry(watcher, 3 * 37)  # the others went on meanwhile
        simulator.restore_link(flaky)
        assert unit.publisher.flush(10), unit.publisher.last_error
        assert len(_telemetry(watcher, 3)[flaky]) == 3
    finally:
        simulator.close()
        watcher.close()
    assert (settings.data_dir / "simulator" / f"{flaky}.db").exists()


def test_the_simulator_process_beats_publishes_and_stops_on_sigterm(scc_broker, config_dir, tmp_path):
    settings = scc_broker.settings
    open_storage(settings.database_url).dispose()
    watcher = scc_broker.admin()
    watcher.subscribe(f"{contract.PREFIX}/+/{contract.TELEMETRY}")
    env = {
        **os.environ,
        "SCC_CONFIG_DIR": str(config_dir),
        "SCC_DATA_DIR": str(settings.data_dir),
        "SCC_MQTT_PORT": str(scc_broker.port),
    }
    log = tmp_path / "simulator.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams.metrics.sim", "--seed", "1"],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        assert len(_telemetry(watcher, 38)) == 38
        engine = open_storage(settings.database_url)
        deadline = time.monotonic() + 15
        beats: list[health.ComponentHealth] = []
        while not beats and time.monotonic() < deadline:
            beats = [c for c in health.read_all(engine) if c.name == "metrics-sim" and c.beat_at is not None]
            time.sleep(0.2)
        engine.dispose()
        assert beats and beats[0].status == "up" and "38 units" in beats[0].detail, beats
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        watcher.close()
    assert "Traceback" not in log.read_text(), log.read_text()
