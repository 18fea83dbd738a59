"""The bupati opens the Reports page in Chromium, downloads yesterday's daily report and it reads: its first page
rendered to PNG by Debian's pdftoppm, kept with the browser tests' screenshots."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from pypdf import PdfReader

from tests.dashboard.test_browser import browser
from tests.support.browser import sign_in

pytestmark = pytest.mark.browser

# The module's one Chromium, as test_browser.py starts it; the live server with a running center's data is
# tests/conftest.py's `seeded_server`, one per test process (a copy of the fixture here seeded it twice).
__all__ = ["browser"]

TIMEOUT_MS = 5_000


def test_the_bupati_downloads_yesterdays_report_and_it_reads(browser, seeded_server, screenshot_dir):
    from dashboard.queries import reports as queries
    from dashboard.reports import jobs, periods
    from dashboard.reports.__main__ import run
    from scc.clock import to_wita, utcnow
    from scc.settings import load_settings
    from scc.storage import open_storage

    settings = load_settings(data_dir=seeded_server["data_dir"])
    engine = open_storage(seeded_server["db_url"])
    yesterday = to_wita(utcnow()).date() - timedelta(days=1)
    try:  # what the reports process does with an operator's request, done here
        start, end = periods.span("daily", yesterday)
        queries.ask(engine, "daily", yesterday, start, end, "operator")
        job = jobs.claim(engine)
        assert job is not None and job.first == yesterday
        run(engine, settings, job)
    finally:
        engine.dispose()
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in(page, seeded_server["url"], "bupati")
        page.goto(seeded_server["url"] + "/reports")
        link = page.locator("#reports-table a", has_text="PDF").first
        link.wait_for()
        assert page.locator("#reports-ask-panel").count() == 0, "the bupati reads and downloads, never asks"
        page.screenshot(path=str(screenshot_dir / "reports-bupati-1366x768.png"))
        with page.expect_download() as info:
            link.click()
        pdf = screenshot_dir / "laporan-harian.pdf"
        info.value.save_as(pdf)
    finally:
        context.close()
    text = PdfReader(pdf).pages[0].extract_text()
    assert "Laporan Harian Kabupaten Soppeng" in text and "Panggilan dan waktu respons per jalur" in text
    stem = screenshot_dir / "report-daily-page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)], check=True
    )
    assert stem.with_suffix(".png").stat().st_size > 20_000
