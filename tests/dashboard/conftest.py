"""Dashboard fixtures: the live server seeded with a running center's data, and where screenshots go.

Screenshots of every page (per user, per language, and in kiosk mode) are
written by the browser tests to the `screenshot_dir` fixture (tests/conftest.py).
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def seeded_server(live_server) -> dict:
    """The live server with cameras' states, open and closed incidents, SKPD links and metric history
    (tests/support/seed.py), written once into its own database."""
    from scc.settings import load_settings
    from scc.storage import open_storage
    from tests.support.seed import seed

    engine = open_storage(live_server["db_url"])
    try:
        counts = seed(engine, load_settings())
    finally:
        engine.dispose()
    return {**live_server, "seeded": counts}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The dashboard in-process (Flask's test client), one user per role, for this module."""
    from tests.support.dashapp import make_app

    dash_app = make_app(tmp_path_factory.mktemp("app") / "scc.db")
    yield dash_app
    dash_app.server.config["SCC_CONTEXT"].engine.dispose()


@pytest.fixture(scope="module")
def access(app):
    return app.server.config["SCC_ACCESS"]
