"""config/alerts.yaml: the shipped rules load, and a rule naming something unknown stops the start with file,
line and key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scc.settings import load_settings
from tests.core.test_settings import ENV, errors_of, line_of, replace


def rule(text: str) -> str:
    """One rule, indented as a list item of `rules:`."""
    return "".join(f"    {line}\n" if i else f"  - {line}\n" for i, line in enumerate(text.strip().splitlines()))


def with_rules(config_dir, *rules: str):
    path = config_dir / "alerts.yaml"
    path.write_text("evaluate_every_s: 2\nrules:\n" + "".join(rule(r) for r in rules))
    return path


BASE = "name: {id: Uji, en: Test}\nseverity: warning\n"


def test_the_shipped_rules_load_with_their_timing():
    s = load_settings(environ=ENV)
    rules = {r.id: r for r in s.alerts.rules}
    assert {r.kind for r in rules.values()} == {
        "camera_down", "uplink_down", "unit_silent", "metric_threshold", "incident_not_dispatched",
        "incident_on_scene", "complaint_overdue", "process_down", "service_down", "disk_full", "unit_rejections",
    }  # fmt: skip
    assert rules["camera-down"].for_ == timedelta(minutes=3)
    assert rules["dukcapil-queue"].above == 30 and rules["dukcapil-queue"].window == timedelta(minutes=15)
    assert rules["complaint-overdue"].renotify == timedelta(days=1)
    assert rules["on-scene-long"].renotify is None
    assert rules["service-down"].failed_checks == 2 and rules["service-down"].certificate_days_below is None
    assert rules["service-certificate"].kind == "service_down" and rules["service-certificate"].severity == "info"
    assert rules["service-certificate"].certificate_days_below == 14
    assert rules["disk-full"].above_percent == 90 and rules["disk-full"].route == ["admin"]
    assert rules["unit-rejections"].more_than == 20 and rules["unit-rejections"].within == timedelta(minutes=10)


@pytest.mark.parametrize(
    ("body", "needle", "key", "message"),
    [
        ("kind: camera_down\ncameras: [rsud-lobi, rsud-dapur]", "rsud-dapur", "cameras[1]",
         "unknown camera 'rsud-dapur'"),
        ("kind: camera_down\ncameras: {uplink: radio-mars}", "radio-mars", "cameras.uplink",
         "unknown uplink 'radio-mars'"),
        ("kind: camera_down\ncameras: {district: [citta, atlantis]}", "atlantis", "cameras.district[1]",
         "unknown district 'atlantis'"),
        ("kind: uplink_down\nuplinks: [radio-gasis, radio-bulan]", "radio-bulan", "uplinks[1]",
         "unknown uplink 'radio-bulan'"),
        ("kind: unit_silent\nunits: [dinkes, dinas-hujan]", "dinas-hujan", "units[1]", "unknown SKPD 'dinas-hujan'"),
        ("kind: metric_threshold\nmetric: queue_of_nobody\nabove: 3", "queue_of_nobody", "metric",
         "unknown metric 'queue_of_nobody' (no unit reports it)"),
        ("kind: metric_threshold\nmetric: dukcapil_queue_length\nunits: [rsud]\nabove: 3", "units: [rsud]", "units[0]",
         "SKPD 'rsud' does not report 'dukcapil_queue_length'"),
        ("kind: incident_not_dispatched\nlines: [psc-119, psc-911]", "psc-911", "lines[1]",
         "unknown call line 'psc-911'"),
        ("kind: complaint_overdue\nunits: {district: narnia}", "narnia", "units.district", "unknown district 'narnia'"),
        ("kind: service_down\nunits: [dukcapil, dinas-web]", "dinas-web", "units[1]", "unknown SKPD 'dinas-web'"),
        ("kind: service_down\ncertificate_days_below: 14\nunits: {district: [mordor]}", "mordor", "units.district[0]",
         "unknown district 'mordor'"),
        ("kind: unit_rejections\nunits: [rsud, rsud-lama]", "rsud-lama", "units[1]", "unknown SKPD 'rsud-lama'"),
    ],
)  # fmt: skip
def test_an_unknown_name_is_an_error_with_file_line_and_key(config_dir, body, needle, key, message):
    path = with_rules(config_dir, "id: r1\n" + BASE + body)
    assert f"{path}:{line_of(path, needle)}: rules[0].{key}: {message}" in errors_of(config_dir)


def test_an_unknown_process_lists_the_known_ones(config_dir):
    path = with_rules(config_dir, "id: r1\n" + BASE + "kind: process_down\nprocesses: [web, ingest]")
    (error,) = errors_of(config_dir)
    assert error.startswith(f"{path}:{line_of(path, 'processes:')}: rules[0].processes[1]: unknown process 'ingest'")
    assert "metrics-ingest" in error and "housekeeping" in error and "supervisor" in error


def test_mistakes_inside_a_rule_name_the_rules_own_keys(config_dir):
    path = with_rules(
        config_dir,
        "id: r1\n" + BASE + "kind: camera_down\nfor: 5 minutes",
        "id: r2\n" + BASE + "kind: camera_down\nabove: 3",
        "id: r3\n" + BASE + "kind: volcano_up",
        "id: r4\n" + BASE,
        "id: r1\n" + BASE + "kind: uplink_down\nuplinks: {skpd: [rsud]}",
        "id: r6\n" + BASE + "kind: metric_threshold\nmetric: dukcapil_queue_length",
        "id: r7\n" + BASE + "kind: incident_not_dispatched\nwithin: [{priority: 1, after: 2m}]",
        "id: r8\n" + BASE + "kind: service_down\nfailed_checks: 3\ncertificate_days_below: 14",
        "id: r9\n" + BASE + "kind: disk_full\nunits: [rsud]",
        "id: r10\n" + BASE + "kind: unit_rejections\nwithin: 0s",
    )
    errors = errors_of(config_dir)
    expected = [
        f"{path}:{line_of(path, 'for: 5 minutes')}: rules[0].for: '5 minutes' is not a duration: "
        "write it as 30s, 5m, 2h or 1d",
        f"{path}:{line_of(path, 'above: 3')}: rules[1].above: unknown key (not allowed here; check the spelling)",
        f"{path}:{line_of(path, 'kind: volcano_up')}: rules[2].kind: unknown kind 'volcano_up' (known: camera_down, ",
        f"{path}:{line_of(path, 'id: r4')}: rules[3].kind: required key is missing",
        f"{path}:{line_of(path, 'uplinks: {skpd')}: rules[4].uplinks: a group here is one of district, not 'skpd'",
        f"{path}:{line_of(path, 'id: r6')}: rules[5]: give `above`, `below` or both (a band)",
        f"{path}:{line_of(path, 'id: r7')}: rules[6]: priority 2 is watched but has no delay in `within`",
        f"{path}:{line_of(path, 'id: r8')}: rules[7]: a rule watches failed checks or the certificate",
        f"{path}:{line_of(path, 'units: [rsud]')}: rules[8].units: unknown key (not allowed here; check the spelling)",
        f"{path}:{line_of(path, 'within: 0s')}: rules[9].within: ",
    ]
    for want in expected:
        assert any(e.startswith(want) for e in errors), (want, errors)


def test_a_rule_id_is_used_once(config_dir):
    path = with_rules(config_dir, "id: r1\n" + BASE + "kind: camera_down", "id: r1\n" + BASE + "kind: uplink_down")
    line = line_of(path, "id: r1", 2)
    assert f"{path}:{line}: rules[1].id: duplicate id 'r1' (first at rules[0])" in errors_of(config_dir)


def test_a_band_is_below_under_above(config_dir):
    path = config_dir / "alerts.yaml"
    replace(path, "    above: 30\n", "    above: 30\n    below: 40\n")
    (error,) = errors_of(config_dir)
    assert error.startswith(f"{path}:{line_of(path, 'id: dukcapil-queue')}: rules[3]: below (40.0) must be under above")
