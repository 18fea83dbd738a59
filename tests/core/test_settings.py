"""Settings: the shipped config is valid, and every kind of mistake is named with file, key path and line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scc.settings import InvalidConfig, load_settings

ENV = {"SCC_SECRET_KEY": "k" * 40, "SCC_CAMERA_PASSWORD": "cam-secret-pw"}


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def errors_of(config_dir: Path, environ=ENV) -> list[str]:
    with pytest.raises(InvalidConfig) as info:
        load_settings(config_dir, environ=environ)
    return [str(e) for e in info.value.errors]


def test_shipped_config_is_the_regency():
    s = load_settings(environ=ENV)
    assert len(s.skpd) == 38 and len({u.code for u in s.skpd}) == 38
    assert len(s.districts) == 8
    assert {"dpmptsp", "bpkd", "rsud", "bkpsdm", "dukcapil", "dinsos", "perdagangan", "kec-lalabata"} <= set(
        s.skpd_by_code
    )
    active = [c for c in s.cameras if c.status == "active"]
    planned = [c for c in s.cameras if c.status == "planned"]
    assert len(active) == 16 and len(planned) == 25
    assert all(c.main_url and c.password for c in active)
    assert all(c.main_url is None for c in planned)
    numbers = {line.code: line.numbers for line in s.call_lines}
    assert numbers["psc-119"] == ["119", "0484-119"]
    assert numbers["damkar-lalabata"] == ["0484-23501"]
    assert len([line for line in s.call_lines if line.service == "fire"]) == 8
    metrics = {(m.skpd, m.key): m for m in s.metrics}
    assert all((unit.code, "service_up") in metrics for unit in s.skpd)
    assert metrics[("dinsos", "kartu_macca_distributed")].target == 13161
    owners = {m.skpd for m in s.metrics if m.key != "service_up" and m.key != "website_up"}
    assert {"dpmptsp", "bpkd", "bkpsdm", "rsud", "dukcapil", "dinsos", "perdagangan"} <= owners


def test_unknown_key_names_file_path_and_line(config_dir):
    path = config_dir / "cameras.yaml"
    replace(path, "    link: fibre\n", "    link: fibre\n    zoom: 3\n")
    line = line_of(path, "zoom: 3")
    assert errors_of(config_dir) == [
        f"{path}:{line}: cameras[0].zoom: unknown key (not allowed here; check the spelling)"
    ]


def test_wrong_type_is_named(config_dir):
    path = config_dir / "scc.yaml"
    replace(path, "session_hours: 12", "session_hours: twelve")
    (error,) = errors_of(config_dir)
    assert error.startswith(f"{path}:{line_of(path, 'session_hours')}: web.session_hours: ")
    assert "integer" in error


def test_invalid_yaml_names_the_line(config_dir):
    path = config_dir / "districts.yaml"
    replace(path, "  - code: lalabata", "  - code: [lalabata")
    (error,) = errors_of(config_dir)
    assert error.startswith(f"{path}:") and "not valid YAML" in error


def test_camera_with_unknown_skpd_and_district(config_dir):
    path = config_dir / "cameras.yaml"
    replace(path, "    skpd: rsud\n", "    skpd: rsud-x\n")
    replace(path, "    district: lalabata\n", "    district: atlantis\n")
    errors = errors_of(config_dir)
    assert f"{path}:{line_of(path, 'skpd: rsud-x')}: cameras[0].skpd: unknown SKPD 'rsud-x'" in errors
    assert f"{path}:{line_of(path, 'district: atlantis')}: cameras[0].district: unknown district 'atlantis'" in errors


def test_metric_owner_must_exist(config_dir):
    path = config_dir / "metrics.yaml"
    replace(path, "    skpd: dpmptsp\n", "    skpd: nobody\n")
    (error,) = errors_of(config_dir)
    assert error.startswith(f"{path}:{line_of(path, 'skpd: nobody')}: metrics[0].skpd: unknown SKPD 'nobody'")


def test_duplicate_camera_id(config_dir):
    path = config_dir / "cameras.yaml"
    second = load_settings(config_dir, environ=ENV).cameras[1].id
    first = load_settings(config_dir, environ=ENV).cameras[0].id
    replace(path, f"  - id: {second}\n", f"  - id: {first}\n")
    (error,) = errors_of(config_dir)
    assert f"cameras[1].id: duplicate id '{first}'" in error
    assert error.startswith(f"{path}:{line_of(path, f'- id: {first}', 2)}:")


def test_missing_secret_names_the_variable(config_dir):
    errors = errors_of(config_dir, environ={"SCC_CAMERA_PASSWORD": "x"})
    path = config_dir / "scc.yaml"
    assert errors == [
        f"{path}:{line_of(path, 'secret_key: ${')}: web.secret_key: environment variable SCC_SECRET_KEY is not set"
    ]


def test_secret_written_literally_is_refused(config_dir):
    path = config_dir / "cameras.yaml"
    replace(path, 'password: "${SCC_CAMERA_PASSWORD}"', "password: hunter2hunter2")
    (error,) = errors_of(config_dir)
    assert error.startswith(f"{path}:{line_of(path, 'hunter2')}: cameras[0].password: secrets are never written")


def test_credentials_in_camera_url_are_refused(config_dir):
    path = config_dir / "cameras.yaml"
    text = path.read_text()
    url = text.split("main_url: ", 1)[1].split("\n", 1)[0]
    replace(path, f"main_url: {url}", f"main_url: {url.replace('rtsp://', 'rtsp://admin:pw@')}")
    (error,) = errors_of(config_dir)
    assert "cameras[0].main_url" in error and "must not contain credentials" in error


def test_camera_password_never_printed_but_used_for_the_stream():
    cam = next(c for c in load_settings(environ=ENV).cameras if c.status == "active")
    assert "cam-secret-pw" not in repr(cam) and "cam-secret-pw" not in str(cam.model_dump())
    assert "cam-secret-pw" not in (cam.main_url or "")
    assert cam.stream_url().startswith(f"rtsp://{cam.username}:cam-secret-pw@")


def test_bad_config_stops_startup_with_one_clear_message(config_dir, tmp_path):
    replace(config_dir / "skpd.yaml", "    kind: sekretariat\n", "    kind: ministry\n")
    env = {**os.environ, **ENV, "SCC_CONFIG_DIR": str(config_dir), "SCC_DATA_DIR": str(tmp_path / "data")}
    for command in (["check-config"], ["run", "--demo"]):
        done = subprocess.run(
            [sys.executable, "-m", "scc", *command], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, done.stderr
        assert (
            f"{config_dir / 'skpd.yaml'}:{line_of(config_dir / 'skpd.yaml', 'kind: ministry')}: skpd[0].kind: "
            in done.stderr
        )
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "data" / "scc.db").exists(), "nothing may start on a bad config"


def test_secret_with_a_default_in_the_file_is_refused(config_dir):
    path = config_dir / "scc.yaml"
    replace(path, "secret_key: ${SCC_SECRET_KEY}", "secret_key: ${SCC_SECRET_KEY:-a-default-that-is-a-secret}")
    (error,) = errors_of(config_dir)
    assert error.startswith(f"{path}:{line_of(path, 'secret_key: ${')}: web.secret_key: secrets are never written")


def test_unsupported_database_url_is_named(config_dir):
    for url, message in (
        ("postgresql+psycopg//nohost", "is not a database URL"),
        ("mysql://root@127.0.0.1/scc", "database 'mysql' is not supported"),
    ):
        (error,) = errors_of(config_dir, environ={**ENV, "SCC_DATABASE_URL": url})
        path = config_dir / "scc.yaml"
        assert error.startswith(f"{path}:{line_of(path, 'url: ${')}: database.url: ") and message in error


def test_simulated_cameras_read_the_local_rtsp_server_with_their_own_credentials():
    real = load_settings(environ=ENV)
    sim = load_settings(environ={**ENV, "SCC_CAMERAS_SIMULATED": "true", "SCC_RTSP_PORT": "18554"})
    assert not real.app.cameras.simulate and sim.app.cameras.simulate
    lobby = sim.camera_by_id["rsud-lobi"]
    assert lobby.main_url == "rtsp://127.0.0.1:18554/rsud-lobi/main"
    assert lobby.stream_url("sub") == "rtsp://admin:cam-secret-pw@127.0.0.1:18554/rsud-lobi/sub"
    assert real.camera_by_id["rsud-lobi"].main_url.startswith("rtsp://10.20.1.11")
    assert all(c.main_url is None for c in sim.cameras if c.status == "planned")
    radio = {c.uplink for c in sim.cameras if c.link == "radio"}
    assert "radio-gasis" in radio and "fibre-kota" not in radio


def test_camera_timing_that_cannot_work_is_refused(config_dir):
    path = config_dir / "scc.yaml"
    replace(path, "rain: {enabled: true, every_s: 300, down_s: 40}", "rain: {enabled: true, every_s: 30, down_s: 40}")
    replace(path, "offline_after_s: 4", "offline_after_s: 1")
    errors = errors_of(config_dir)
    assert any("cameras.simulator.rain" in e and "down_s must be shorter" in e for e in errors), errors
    assert any("cameras.workers" in e and "offline_after_s must be longer" in e for e in errors), errors


def test_every_table_needs_a_retention_policy_that_fits_the_schema(config_dir):
    """A table added to the schema without a policy stops the start, naming it; so does a policy for no
    table, or one dated by a column its table has not."""
    path = config_dir / "retention.yaml"
    text = path.read_text()
    start = text.index("  audit_log:\n")
    end = text.index("  refusals:\n")
    path.write_text(text[:start] + text[end:])
    assert errors_of(config_dir) == [
        f"{path}:{line_of(path, 'tables:')}: tables: table 'audit_log' has no retention policy"
    ]
    path.write_text(text.replace("    by: corrected_at\n", "    by: fixed_at\n"))
    assert errors_of(config_dir) == [
        f"{path}:{line_of(path, 'by: fixed_at')}: tables.metric_corrections.by: "
        "table 'metric_corrections' has no column 'fixed_at'"
    ]
    path.write_text(text + "  snapshots:\n    keep: forever\n    why: Pictures.\n")
    assert errors_of(config_dir) == [
        f"{path}:{line_of(path, 'snapshots:')}: tables.snapshots: no table 'snapshots' in the schema"
    ]
    path.write_text(text.replace("    days: 30\n    by: received_at\n", "    days: 30\n"))
    [missing] = errors_of(config_dir)
    assert "keep: days needs `days` and `by`" in missing


def test_a_roll_up_outlives_what_is_rolled_up_into_it(config_dir):
    """A corrected reading recomputes its hour from the raw rows and its day from the hours: hours kept
    for less time than the raw rows would leave a day recomputed from part of itself."""
    path = config_dir / "retention.yaml"
    text = path.read_text()
    start = text.index("  metric_hourly:\n")
    days = text.index("    days:", start)
    path.write_text(text[:days] + "    days: 60\n" + text[text.index("\n", days) + 1 :])
    assert errors_of(config_dir) == [
        f"{path}:{line_of(path, 'days: 60')}: tables.metric_hourly.days: "
        "'metric_hourly' is kept 60 days, not longer than 'metric_samples', which is rolled up into it"
    ]


def test_the_nightly_backups_time_and_folder_are_checked(config_dir, tmp_path):
    """An unquoted time is a number to YAML, and a folder inside config/ would put every archive into the next."""
    path = config_dir / "retention.yaml"
    text = path.read_text()
    replace(path, '  at: "02:00"', "  at: 22:30")
    assert errors_of(config_dir) == [
        f'{path}:{line_of(path, "at: 22:30")}: backups.at: write the time in quotes, as "22:30"'
    ]
    path.write_text(text.replace('  at: "02:00"', '  at: "24:00"'))
    line = line_of(path, 'at: "24:00"')
    assert errors_of(config_dir) == [
        f"{path}:{line}: backups.at: '24:00' is not a time of day as HH:MM (00:00 to 23:59)"
    ]
    path.write_text(text.replace("  dir: backups", f"  dir: {config_dir / 'kept'}"))
    assert errors_of(config_dir) == [
        f"{path}:{line_of(path, 'dir: ')}: backups.dir: {config_dir.resolve() / 'kept'} is inside the configuration "
        f"directory {config_dir.resolve()}, which each backup holds: choose another"
    ]
    path.write_text(text.replace('  at: "02:00"', '  at: "23:45"').replace("  keep_count: 7", "  keep_count: 2"))
    settings = load_settings(config_dir, tmp_path / "data", environ=ENV)
    assert settings.backups.time_of_day.strftime("%H:%M") == "23:45" and settings.backups.keep_count == 2
    assert settings.backup_dir == tmp_path / "data" / "backups"
