"""Shared fixtures: real SQLite and PostgreSQL databases, a real production web server.

PostgreSQL is the suite's own throwaway cluster, started on a free port for
the session and removed afterwards (tests/support/services.py), unless
SCC_TEST_PG_URL points at an existing server.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.services import free_port, postgres_url
from tests.support.web import ROOT, WebServer, seed_users

# Secrets every test process sees (the real values come from secrets.env in production).
os.environ.setdefault("SCC_SECRET_KEY", "test-secret-key-" + "x" * 32)
os.environ.setdefault("SCC_CAMERA_PASSWORD", "test-camera-password")

__all__ = ["free_port"]  # tests import it from here


@pytest.hookimpl(trylast=True)  # after pytest's tmp_path plugin has set itself up
def pytest_configure(config) -> None:
    """One screenshot folder for the run, chosen by the controlling process before pytest-xdist
    starts its workers (they inherit the environment), and printed at the end."""
    if hasattr(config, "workerinput") or os.environ.get("SCC_SCREENSHOT_DIR"):
        return
    os.environ["SCC_SCREENSHOT_DIR"] = str(config._tmp_path_factory.getbasetemp() / "screenshots")


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where the browser tests write their screenshots (SCC_SCREENSHOT_DIR)."""
    folder = Path(os.environ["SCC_SCREENSHOT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if hasattr(config, "workerinput"):
        return
    folder = Path(os.environ.get("SCC_SCREENSHOT_DIR", ""))
    shots = sorted(folder.glob("*.png")) if folder.is_dir() else []
    if shots:
        terminalreporter.write_sep("-", "screenshots")
        terminalreporter.write_line(f"{len(shots)} screenshots (1920x1080) in {folder}")


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


@pytest.fixture(scope="module")
def settings():
    """The project's own configuration (config/)."""
    from scc.settings import load_settings

    return load_settings()


@pytest.fixture
def engine(database_url):
    """Storage on a fresh database of each kind (database_url), migrated."""
    from scc.storage import open_storage

    engine = open_storage(database_url)
    yield engine
    engine.dispose()


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
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    seed_users(engine)
    engine.dispose()
    server = WebServer(data_dir, free_port()).start()
    yield {"url": server.url, "data_dir": data_dir, "db_url": f"sqlite:///{data_dir / 'scc.db'}"}
    server.stop()


@pytest.fixture(scope="session")
def seeded_server(live_server) -> dict:
    """The live server with cameras' states, open and closed incidents, SKPD links and metric history
    (tests/support/seed.py), written once into its own database: one per test process, for every
    folder's browser tests."""
    from scc.settings import load_settings
    from scc.storage import open_storage
    from tests.support.seed import seed

    engine = open_storage(live_server["db_url"])
    try:
        counts = seed(engine, load_settings())
    finally:
        engine.dispose()
    return {**live_server, "seeded": counts}


def pytest_collection_modifyitems(config, items):
    """Tests marked inside_netns run only in the network namespace their outer test creates.

    The outer test (e.g. test_relay.py::test_live_view_in_a_private_network) starts pytest on
    them inside `unshare -n` with SCC_TEST_NETNS set; outside, they are not collected on their own,
    so they are neither run twice nor reported as skipped.
    """
    if os.environ.get("SCC_TEST_NETNS"):
        return
    inner = [item for item in items if item.get_closest_marker("inside_netns")]
    if inner:
        config.hook.pytest_deselected(items=inner)
        items[:] = [item for item in items if not item.get_closest_marker("inside_netns")]
