"""The call center's fixtures (settings and a fresh database per test come from tests/conftest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

TIMEOUT_MS = 15_000
WALL = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page at the wall's size in its own context (no cookies from another test)."""
    context = browser.new_context(viewport=WALL)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


class Clock:
    """A settable now for the call simulator, and for the services it calls (`services_on`)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def services_on(clock: Clock, monkeypatch) -> Clock:
    """Intake and lifecycle read `clock`, so every stored time follows the simulated hours."""
    from callcenter import intake, lifecycle

    monkeypatch.setattr(intake, "utcnow", clock)
    monkeypatch.setattr(lifecycle, "utcnow", clock)
    return clock


def run_for(sim, clock: Clock, span: timedelta, tick: timedelta) -> None:
    """Step the simulator every `tick` of simulated time for `span`."""
    end = clock.at + span
    while clock.at < end:
        clock.at += tick
        sim.step()


def intake_request(app, values: dict) -> dict:
    """The request the intake form's button sends, with these controls' values (by id; the rest None)."""
    from tests.support.dashapp import callback_body

    body = callback_body(app, next(k for k in app.callback_map if "intake-go.href" in k))
    for item in body["state"]:
        item["value"] = values.get(item["id"])
    for item in body["inputs"]:
        if item["id"] == "intake-submit":
            item["value"] = 1
    body["changedPropIds"] = ["intake-submit.n_clicks"]
    return body
