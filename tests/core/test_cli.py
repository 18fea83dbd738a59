"""The `scc user` command line, against a real database."""

from __future__ import annotations

import os
import subprocess
import sys

from scc import audit, users
from scc.storage import open_storage
from tests.support.web import ROOT


def scc(tmp_path, *args, stdin: str | None = None):
    env = {**os.environ, "SCC_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "scc", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def test_add_disable_enable_reset_list(tmp_path):
    done = scc(tmp_path, "user", "add", "staf.bpkd", "--role", "skpd", "--skpd", "bpkd", "--name", "Staf BPKD")
    assert done.returncode == 0, done.stderr
    password = done.stdout.strip().rsplit(" ", 1)[-1]
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    assert users.authenticate(engine, "staf.bpkd", password).skpd_code == "bpkd"

    assert scc(tmp_path, "user", "disable", "staf.bpkd").returncode == 0
    assert users.authenticate(engine, "staf.bpkd", password) is None
    assert scc(tmp_path, "user", "enable", "staf.bpkd").returncode == 0
    done = scc(tmp_path, "user", "reset", "staf.bpkd")
    new_password = done.stdout.strip().rsplit(" ", 1)[-1]
    assert users.authenticate(engine, "staf.bpkd", password) is None
    assert users.authenticate(engine, "staf.bpkd", new_password) is not None

    listing = scc(tmp_path, "user", "list").stdout
    assert "staf.bpkd" in listing and "skpd" in listing and "bpkd" in listing
    actions = [r["action"] for r in audit.recent(engine)]
    assert actions[:4] == ["user.reset_password", "user.enable", "user.disable", "user.create"]
    assert audit.recent(engine)[0]["actor"].startswith("cli:")
    engine.dispose()


def test_password_from_stdin_and_clear_errors(tmp_path):
    done = scc(tmp_path, "user", "add", "op2", "--role", "operator", "--password-stdin", stdin="a-long-password\n")
    assert done.returncode == 0 and "a-long-password" not in done.stdout
    done = scc(tmp_path, "user", "add", "op2", "--role", "operator")
    assert done.returncode == 1 and "already exists" in done.stderr
    done = scc(tmp_path, "user", "add", "x9", "--role", "skpd", "--skpd", "nowhere")
    assert done.returncode == 1 and "unknown SKPD code 'nowhere'" in done.stderr
    done = scc(tmp_path, "user", "disable", "ghost")
    assert done.returncode == 1 and "no user 'ghost'" in done.stderr
    done = scc(tmp_path, "user", "add", "op3", "--role", "operator", "--password-stdin", stdin="short\n")
    assert done.returncode == 1 and "at least" in done.stderr


def test_first_admin_password_from_environment(tmp_path):
    env = {**os.environ, "SCC_DATA_DIR": str(tmp_path), "SCC_ADMIN_PASSWORD": "chosen-admin-pass"}
    done = subprocess.run(
        [sys.executable, "-m", "scc", "setup"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    assert users.authenticate(engine, "admin", "chosen-admin-pass").role == "admin"
    engine.dispose()


def test_a_data_directory_not_set_up_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SCC_SECRET_KEY"}
    env["SCC_DATA_DIR"] = str(tmp_path / "fresh")
    for args in (["user", "list"], ["check-config"]):
        done = subprocess.run(
            [sys.executable, "-m", "scc", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2
        assert "secrets.env" in done.stderr and "scc setup" in done.stderr and str(tmp_path / "fresh") in done.stderr
        assert "SCC_SECRET_KEY is not set" not in done.stderr


def test_setup_keeps_the_data_directory_to_its_owner(tmp_path):
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "SCC_SECRET_KEY"}
    env["SCC_DATA_DIR"] = str(data)
    done = subprocess.run(
        [sys.executable, "-m", "scc", "setup"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert data.stat().st_mode & 0o777 == 0o700
    files = [p for p in data.iterdir() if p.name.startswith("scc.db") or p.name == "secrets.env"]
    assert {p.name for p in files} >= {"scc.db", "secrets.env"}
    for path in files:
        assert path.stat().st_mode & 0o077 == 0, f"{path.name} is readable by others"


def test_self_signed_certificate_for_the_lan(tmp_path):
    from scc import tls

    done = scc(tmp_path, "setup", "--self-signed", "scc.soppeng.lan", "127.0.0.1")
    assert done.returncode == 0, done.stderr
    cert, key = tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"
    assert tls.fingerprint(cert) in done.stdout
    assert key.stat().st_mode & 0o077 == 0
    assert "https://127.0.0.1:" in done.stdout
    assert "SCC_TLS_CERT=tls/cert.pem" in (tmp_path / "secrets.env").read_text()
    assert "PRIVATE KEY" not in done.stdout + done.stderr
    again = scc(tmp_path, "setup", "--self-signed", "other.lan")  # e.g. the regency's own cert is there now
    assert again.returncode == 1 and "--force" in again.stderr and tls.fingerprint(cert) in done.stdout


def test_setup_generates_a_broker_password_for_every_account_once(tmp_path):
    from scc import secrets
    from scc.settings import load_settings
    from scc.settings.metrics_broker import ADMIN_USER, ALERTS_READER_USER, ALERTS_USER, INGEST_USER, password_env

    env = {k: v for k, v in os.environ.items() if not k.startswith("SCC_MQTT_PASSWORD_")}
    env["SCC_DATA_DIR"] = str(tmp_path)
    env["SCC_MQTT_PASSWORD_BPKD"] = "set-by-the-deployment"  # already in the environment: not generated
    setup = [sys.executable, "-m", "scc", "setup"]
    done = subprocess.run(setup, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    generated = secrets.read(tmp_path / secrets.FILE)
    codes = [unit.code for unit in load_settings().skpd]
    services = (INGEST_USER, ADMIN_USER, ALERTS_USER, ALERTS_READER_USER)
    expected = {password_env(user) for user in (*codes, *services)} - {"SCC_MQTT_PASSWORD_BPKD"}
    assert len(codes) == 38 and {name for name in generated if name.startswith("SCC_MQTT_")} == expected
    values = [generated[name] for name in expected]
    assert len(set(values)) == len(values) and min(len(value) for value in values) >= 32
    for name in expected:
        assert generated[name] not in done.stdout + done.stderr
    assert str(tmp_path / secrets.FILE) in done.stdout and "MQTT broker: 127.0.0.1:1884" in done.stdout

    again = subprocess.run(setup, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert secrets.read(tmp_path / secrets.FILE) == generated  # kept, not regenerated
