"""The operators' pages in Debian's Chromium against the production server (the `live_server` fixture).

The "done when" of the call-center pages: an operator signs in, takes a fire
call on a district's line with the keyboard only, sends that district's
truck, marks it on scene, resolved, and closes it, in under a minute, and
the board shows the truck free again. Board, intake form and incident page
are photographed at 1920x1080 (the folder the dashboard's browser tests use)
and must fit the wall screen without a scrollbar where they are wall pages.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.intake import take_call
from dashboard import i18n
from scc.clock import utcnow
from scc.settings import load_settings
from scc.storage import open_storage
from scc.storage.callcenter import call_log
from tests.support.browser import sign_in

pytestmark = pytest.mark.browser

ID = i18n.catalog("id")


@pytest.fixture(scope="module")
def shots(screenshot_dir) -> Path:
    return screenshot_dir


@pytest.fixture(scope="module")
def server(live_server) -> dict:
    """The live server with a few open incidents on other lines, as a working day has."""
    settings = load_settings()
    engine = open_storage(live_server["db_url"])
    try:
        calls = [
            dict(line_code="psc-119", caller_number="0813 1111 2222", district="lalabata", village="Lemba",
                 category="medical", priority=1, summary="Ibu hamil pendarahan"),
            dict(line_code="p2tp2a", caller_number="0813 3333 4444", district="ganra", village="Ganra",
                 category="violence", priority=2, summary="Anak dipukul tetangga"),
            dict(line_code="polres-110", district="marioriwawo", village="Takalala", category="crime",
                 priority=3, summary="Motor hilang di parkiran pasar", caller_withheld=True),
            dict(line_code="psc-119", caller_number="0813 5555 6666", district="lalabata", category="complaint",
                 skpd_code="dpmptsp", priority=3, summary="Izin usaha belum terbit",
                 received_at=utcnow().replace(microsecond=0) - __import__("datetime").timedelta(days=5)),
        ]  # fmt: skip
        for fields in calls:
            take_call(engine, settings, fields, operator="admin")
    finally:
        engine.dispose()
    return live_server


def shoot(page, folder: Path, name: str) -> None:
    page.locator("#wita-clock .clock-time").wait_for(state="visible")
    page.wait_for_timeout(200)  # one frame for scc.js to cut the lists to the screen
    page.screenshot(path=str(folder / f"{name}.png"))


def no_scrollbar(page) -> None:
    sizes = page.evaluate(
        """() => ({sh: document.documentElement.scrollHeight, ih: window.innerHeight,
                  sw: document.documentElement.scrollWidth, iw: window.innerWidth})"""
    )
    assert sizes["sh"] <= sizes["ih"] and sizes["sw"] <= sizes["iw"], sizes


def unit_free(page, code: str) -> str | None:
    return page.locator(f"#board-unit-list [data-unit='{code}']").get_attribute("data-free")


def citta_count(page, url: str, table: str, column: int) -> int:
    """Citta's figure in a district table of the KPI or map page (today's range); 0 when it has no row."""
    page.goto(url)
    page.locator(f"#{table} tbody tr").first.wait_for()
    cells = [row.locator("td").all_inner_texts() for row in page.locator(f"#{table} tbody tr").all()]
    found = [c for c in cells if c and c[0].strip() == "Citta"]
    return int(found[0][column].replace(".", "").strip()) if found else 0


def test_operator_takes_a_fire_call_and_closes_it_with_the_keyboard(server, page, shots):
    base = server["url"]
    sign_in(page, base, "operator")
    on_map = citta_count(page, base + "/calls/map", "map-table", 2)
    in_kpi = citta_count(page, base + "/calls/kpi", "kpi-times-district-panel table", 1)
    page.goto(base + "/calls")
    page.locator("#calls-table").wait_for()
    assert unit_free(page, "truk-citta") == "1"
    shoot(page, shots, "calls-board")
    no_scrollbar(page)

    started = time.monotonic()
    # From the board to the form with the keyboard: the big button is a link.
    page.focus("#board-take-call")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/calls/new$"))
    line = page.locator("#intake-line")
    line.wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'intake-line'")
    kb = page.keyboard
    kb.type("Damkar Citta")  # a native select picks by typing its option's name
    assert line.input_value() == "damkar-citta"
    # The fire post's line fills in what it always is: a fire, in its own district. Typing picks "Damkar
    # Lalabata" at its first letter, then Citta's: the form follows each pick, the last one wins.
    page.wait_for_function("document.getElementById('intake-district').value === 'citta'")
    assert page.locator("#intake-category").input_value() == "fire"
    kb.press("Tab")
    kb.type("0812 7777 1234")
    kb.press("Tab")
    assert page.evaluate("document.activeElement.id") == "intake-district"
    kb.press("Tab")
    kb.press("1")
    assert page.locator("#intake-priority input[value='1']").is_checked()
    kb.press("Tab")
    assert page.evaluate("document.activeElement.id") == "intake-summary"
    kb.type("Rumah panggung terbakar, api besar")
    # What helps find the place and the caller comes after: past the button and the category.
    for _ in range(3):
        kb.press("Tab")
    assert page.evaluate("document.activeElement.id") == "intake-name"
    kb.type("Pak Andi")
    kb.press("Tab")
    kb.type("Tinco")
    kb.press("Tab")
    kb.type("depan pasar Citta")
    shoot(page, shots, "calls-intake")
    kb.press("Control+Enter")

    page.wait_for_url(re.compile(r"/calls/\d+$"))
    # One call, taken once: Ctrl+Enter in a text field also fired that field's own Enter, and the second
    # request joined the first's incident as a repeat call (seen as /calls/506?linked=1).
    engine = open_storage(server["db_url"])
    try:
        with engine.connect() as conn:
            logged = conn.scalar(select(func.count()).where(call_log.c.caller_number == "+6281277771234"))
    finally:
        engine.dispose()
    assert logged == 1
    page.locator("#incident-actions").wait_for()
    unit = page.locator("#incident-unit")
    assert unit.input_value() == "truk-citta", "the district's own truck comes first"

    def step(button: str, status: str) -> None:
        page.click(button)
        page.locator(f"#incident-head [data-status='{status}']").wait_for()

    step("#incident-dispatch", "dispatched")
    step("#incident-to-on_scene", "on_scene")
    shoot(page, shots, "calls-incident")
    step("#incident-to-resolved", "resolved")
    step("#incident-to-closed", "closed")
    assert page.locator("#incident-to-closed").is_hidden() and page.locator("#incident-dispatch").is_hidden()
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"took {elapsed:.1f} s"
    events = page.locator("#incident-events tbody tr")
    assert events.count() >= 6  # received, sent, dispatched, on scene, resolved, closed

    page.click("#incident-back")
    page.locator("#calls-table").wait_for()
    assert unit_free(page, "truk-citta") == "1"
    # The KPIs and the map show it: one more incident in Citta today.
    assert citta_count(page, base + "/calls/map", "map-table", 2) == on_map + 1
    assert citta_count(page, base + "/calls/kpi", "kpi-times-district-panel table", 1) == in_kpi + 1


def test_board_counts_complaints_apart_and_fits_the_wall(server, page, shots):
    sign_in(page, server["url"], "bupati")
    page.goto(server["url"] + "/calls")
    page.locator("#calls-table").wait_for()
    # The overdue complaint is counted on its own card, which leads to the complaints page; its row is
    # not among the emergencies.
    assert int(page.locator("#board-complaints .kpi-value").inner_text()) >= 1
    assert page.locator("#board-complaints").get_attribute("data-tone") == "alarm"
    link = page.locator("#board-complaints-link")  # how many are overdue, and the way to them, on screen
    assert link.is_visible() and link.get_attribute("href") == "/complaints"
    assert "Izin usaha belum terbit" not in page.locator("#calls-table").inner_text()
    assert page.locator("#board-take-call").count() == 0  # the bupati watches, does not take calls
    no_scrollbar(page)
    shoot(page, shots, "calls-board-viewer")
    page.locator("#calls-table a.incident-link").first.click()
    page.locator("#incident-details").wait_for()
    assert page.locator("#incident-actions").count() == 0
    shoot(page, shots, "calls-incident-viewer")
