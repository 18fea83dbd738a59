"""The call center's fixtures: the shipped settings, and a fresh database per test on each backend."""

from __future__ import annotations

import pytest

from scc.settings import load_settings
from scc.storage import open_storage


@pytest.fixture(scope="module")
def settings():
    return load_settings()


@pytest.fixture
def engine(database_url):
    engine = open_storage(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
