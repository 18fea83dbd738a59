"""Shared fixtures: real SQLite and PostgreSQL databases, a real production web server.

PostgreSQL is the suite's own throwaway cluster, started on a free port for
the session and removed afterwards (tests/support/services.py), unless
SCC_TEST_PG_URL points at an existing server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.support.services import free_port, postgres_url
from tests.support.web import ROOT, seed_users

# Secrets every test process sees (the real values come from secrets.env in production).
os.environ.setdefault("SCC_SECRET_KEY", "test-secret-key-" + "x" * 32)
os.environ.setdefault("SCC_CAMERA_PASSWORD", "test-camera-password")

__all__ = ["free_port"]  # tests import it from here


@pytest.fixture
def config_dir(tmp_path) -> Path:
    """A private copy of config/ that a test may break on purpose."""
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


@pytest.fixture(scope="session")
def pg_admin_url():
    """A PostgreSQL server for the session: SCC_TEST_PG_URL, or a throwaway cluster."""
    with postgres_url() as url:
        yield url


@pytest.fixture(scope="session")
def pg_database_url(pg_admin_url):
    """A fresh, empty PostgreSQL database for this test session, dropped afterwards."""
    name = f"scc_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_admin_url.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scc.db'}"
    pg = request.getfixturevalue("pg_database_url")
    engine = create_engine(pg, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # each test starts from an empty database
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return pg


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The production web server (gunicorn, as `scc run` starts it) on a free port,
    with one user per role. Yields its base URL."""
    from scc.storage import open_storage

    data_dir = tmp_path_factory.mktemp("live")
    port = free_port()
    env = {
        **os.environ,
        "SCC_DATA_DIR": str(data_dir),
        "SCC_WEB_PORT": str(port),
        "SCC_WEB_HOST": "127.0.0.1",
        "SCC_WEB_WORKERS": "2",
    }
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    seed_users(engine)
    engine.dispose()
    log = open(data_dir / "web.log", "w")  # noqa: SIM115  (open for the server's whole life)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/login", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.2)
        if proc.poll() is not None:
            raise RuntimeError(f"web server died: {(data_dir / 'web.log').read_text()}")
    else:
        proc.kill()
        raise RuntimeError("web server did not start in 60 s")
    yield {"url": base, "data_dir": data_dir, "db_url": f"sqlite:///{data_dir / 'scc.db'}"}
    proc.terminate()
    proc.wait(timeout=20)
    log.close()
