"""Dashboard fixtures: the dashboard in-process, one user per role.

The live server seeded with a running center's data (`seeded_server`) and where screenshots go
(`screenshot_dir`) are in tests/conftest.py, shared with the other folders' browser tests.
"""

from __future__ import annotations

import pytest


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
