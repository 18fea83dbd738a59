"""A public board in Chromium, as a lobby TV opens it: no sign-in, the figures written here with their age, no
scrolling at 1920x1080 and 1366x768; while the server does not answer (a restart) the last figures stay, their
age counting on until one says DATA LAMA in words, and the board carries on when it answers; a revoked link
clears the figures at the next refresh and says "Tautan tidak berlaku". The page's timers run on Playwright's
clock, so a 10 s refresh takes no 10 s. On the seeded server (its seed first: it writes every unit's figures,
these newer)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.dashboard.test_browser import browser, fits_the_screen
from tests.dashboard.test_browser_readable import SIZES

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the module's one Chromium, as test_browser.py starts it

TIMEOUT_MS = 5_000


def test_a_board_link_opens_without_sign_in_and_dies_when_revoked(browser, seeded_server, screenshot_dir):
    from scc import boards
    from scc.clock import utcnow
    from scc.settings import load_settings
    from scc.storage import open_storage
    from streams.metrics.store import Batch, write
    from streams.metrics.validate import Sample

    engine = open_storage(seeded_server["db_url"])
    settings = load_settings()
    admin = boards.Actor("admin", "admin", None)
    now = utcnow()
    try:
        samples = [
            Sample("dukcapil", "dukcapil_queue_length", now, 23, "board-test-1"),
            Sample("dukcapil", "dukcapil_ktp_el_printed", now - timedelta(seconds=20), 1234, "board-test-2"),
        ]
        write(engine, Batch(samples, [], []), now)
        boards.set_announcement(
            engine, settings, "dukcapil", "Perekaman KTP-el untuk pemilih pemula dibuka Sabtu pukul 08.00.", admin
        )
        link_id, token = boards.create_link(engine, settings, "dukcapil", "Ruang tunggu", admin)
    finally:
        engine.dispose()
    context = browser.new_context(viewport=SIZES["1920x1080"])
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.clock.install()
        page.goto(f"{seeded_server['url']}/board/{token}")
        assert "/login" not in page.url
        cards = page.locator("#board-figures .fig")
        cards.nth(1).wait_for()
        assert cards.nth(0).locator(".fig-value").inner_text() == "23"
        assert cards.nth(1).locator(".fig-value").inner_text() == "1.234"
        assert "DATA LAMA" not in page.inner_text("#board-figures")
        assert "pemilih pemula" in page.locator("#board-notice").inner_text()
        page.screenshot(path=str(screenshot_dir / "board-dukcapil-1920x1080.png"))
        for size in SIZES.values():
            page.set_viewport_size(size)
            fit = fits_the_screen(page)
            assert fit["scrollHeight"] <= fit["innerHeight"] and fit["scrollWidth"] <= fit["innerWidth"], (size, fit)
        page.screenshot(path=str(screenshot_dir / "board-dukcapil-1366x768.png"))

        page.route("**/data", lambda route: route.abort())  # the server away (a restart)
        page.clock.run_for(250_000)  # past the queue's 240 s (twice its 2-minute interval)
        page.get_by_text("Server tidak menjawab").wait_for()
        queue = cards.nth(0)
        page.wait_for_function("() => document.querySelector('.fig').innerText.includes('DATA LAMA')")
        assert queue.locator(".fig-value").inner_text() == "23" and "4 menit lalu" in queue.inner_text()
        page.screenshot(path=str(screenshot_dir / "board-away.png"))
        page.unroute("**/data")
        page.clock.run_for(11_000)
        page.get_by_text("Diperbarui pukul").wait_for()  # it answers again: fresh figures, their real age
        assert "DATA LAMA" not in page.inner_text("#board-figures")

        engine = open_storage(seeded_server["db_url"])
        try:
            boards.revoke_link(engine, settings, link_id, admin)
        finally:
            engine.dispose()
        page.clock.run_for(11_000)
        page.get_by_text("Tautan tidak berlaku").wait_for()
        assert page.locator("#board-figures").count() == 0 and "1.234" not in page.inner_text("body")
        page.screenshot(path=str(screenshot_dir / "board-revoked.png"))
    finally:
        context.close()
