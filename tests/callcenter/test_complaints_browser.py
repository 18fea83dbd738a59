"""Complaints and the history in Debian's Chromium against the production server (gunicorn): an operator
reads a complaint's exchange and closes it with the keyboard alone, filters the list, finds a closed
incident by its number; SKPD staff see their own. Photographed at 1920x1080 in both languages and at
1366x768; no page scrolls sideways; axe-core finds no serious or critical violation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from callcenter import complaints, lifecycle
from callcenter.intake import take_call
from callcenter.sim.history import seed_history
from scc.clock import utcnow
from tests.conftest import free_port
from tests.dashboard.test_browser import axe_problems, status_badges_speak
from tests.support.web import PASSWORDS, WebServer, seed_users

pytestmark = pytest.mark.browser

WALL = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 768}
TIMEOUT_MS = 15_000
SETTLED_NOTE = "Truk sampah tambahan dikirim pagi ini; pasar sudah bersih"


def seed_cases(engine, settings) -> dict[str, int]:
    """A month of finished incidents, and complaints in every state: two overdue, open, settled."""
    now = utcnow()
    seed_history(engine, settings, 1500, end=now - timedelta(hours=2), days=30, seed=5)
    days = settings.call_policy.complaint_days
    spec = {
        "late_old": ("pupr", "Jalan rusak berlubang di depan SD", "citta", days + 3),
        "late": ("dpmptsp", "Izin usaha belum terbit sejak sebulan", "lalabata", days + 1),
        "open": ("dukcapil", "KTP-el belum jadi", "ganra", 0.5),
        "settled": ("dlh", "Sampah menumpuk di pasar sentral", "lalabata", 2),
        "own_settled": ("dpmptsp", "Antrean perizinan lama", "liliriaja", 1.5),
    }
    ids = {}
    for i, (name, (unit, text, district, ago)) in enumerate(spec.items()):
        ids[name] = take_call(
            engine, settings,
            dict(line_code="psc-119", category="complaint", skpd_code=unit, summary=text, district=district,
                 village="Tinco", caller_name="Besse", caller_number=f"0812-3456-78{i:02d}", priority=3,
                 received_at=now - timedelta(days=ago)),
            operator="operator",
        ).incident_id  # fmt: skip
    complaints.reply(engine, ids["late"], "dpmptsp", operator="dpmptsp", note="Berkas sedang diperiksa tim teknis")
    complaints.settle(engine, ids["settled"], "dlh", operator="dlh-staff", version=1, note=SETTLED_NOTE)
    complaints.settle(engine, ids["own_settled"], "dpmptsp", operator="dpmptsp", version=1, note="Loket tambahan")
    fire = take_call(
        engine, settings,
        dict(line_code="damkar-citta", category="fire", district="citta", caller_number="0813-5555-0199", priority=1),
        operator="operator",
    ).incident_id  # fmt: skip
    v = lifecycle.dispatch(engine, settings, fire, "truk-citta", operator="operator", version=1)
    for step in ("on_scene", "resolved", "closed"):
        v = lifecycle.advance(engine, fire, step, operator="operator", version=v)
    ids["fire"] = fire
    return ids


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from scc.settings import load_settings
    from scc.storage import open_storage

    data_dir = tmp_path_factory.mktemp("complaints-live")
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    seed_users(engine)
    ids = seed_cases(engine, load_settings())
    engine.dispose()
    web = WebServer(data_dir, free_port()).start()
    yield web.url, ids
    web.stop()


@pytest.fixture
def page_as(browser, server):
    contexts = []

    def open_as(username: str, viewport: dict = WALL):
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(server[0] + "/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORDS[username])
        with page.expect_navigation():
            page.click("#login-submit")
        return page

    yield open_as
    for context in contexts:
        context.close()


def photograph(page, folder: Path, name: str) -> None:
    page.locator("#wita-clock .clock-time").wait_for(state="visible")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sideways(page) -> int:
    """How far the page scrolls sideways (0: not at all)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def cut(page) -> list[str]:
    """Text in the rows, their heads, the filters or an opened exchange that is wider than its box."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.case-cell, .case-head, .exchange-item > span, .case-facts dd,'
                                               + ' .filter-label, .pager-where')]
              .filter(el => el.scrollWidth > el.clientWidth + 1)
              .map(el => el.className + ': ' + el.innerText.slice(0, 60))"""
    )


def row_numbers(page, list_id: str) -> list[int]:
    texts = page.locator(f"#{list_id} > li summary > .case-cell:first-child").all_inner_texts()
    return [int(t.split("#")[-1]) for t in texts]


def test_an_operator_reads_the_units_note_and_closes_the_complaint_by_keyboard(page_as, server, screenshot_dir):
    base, ids = server
    page = page_as("operator")
    page.goto(base + "/complaints")
    page.locator("#complaints-rows").wait_for()
    order = row_numbers(page, "complaints-rows")
    assert order[:2] == [ids["late_old"], ids["late"]], "the most overdue first"
    assert order.index(ids["open"]) < order.index(ids["settled"]), "open before settled"
    assert ids["fire"] not in order
    assert page.locator("#complaints-rows > li.case-late").count() == 2
    assert "Lewat tenggat" in page.locator("#complaints-rows > li.case-late").first.inner_text()
    assert page.locator("#complaints-overdue .kpi-value").inner_text() == "2"
    assert sideways(page) == 0
    photograph(page, screenshot_dir, "operator-id-complaints-list")
    problems = axe_problems(page, "operator /complaints") + status_badges_speak(page, "operator /complaints")

    summary = page.locator(f"#complaint-row-{ids['settled']} > summary")
    summary.focus()
    page.keyboard.press("Enter")  # the row opens, and its exchange is read
    note = page.locator(f"#complaint-settlement-{ids['settled']}")
    note.wait_for()
    assert SETTLED_NOTE in note.inner_text() and "dlh-staff" in note.inner_text()
    assert cut(page) == []
    assert "Sampah menumpuk" in page.locator(f"#complaint-row-{ids['settled']}").inner_text()
    photograph(page, screenshot_dir, "operator-id-complaints-open")
    page.keyboard.press("Tab")  # the close button comes next
    assert page.evaluate("() => document.activeElement.innerText").startswith("Tutup pengaduan")
    page.keyboard.press("Enter")
    page.locator("#complaint-alert.alert-success").wait_for()
    assert f"#{ids['settled']}" in page.locator("#complaint-alert").inner_text()
    page.wait_for_function(f"() => !document.querySelector('#complaint-row-{ids['settled']}')")

    page.select_option("#complaints-unit", "dpmptsp")
    page.wait_for_function(f"() => !document.querySelector('#complaint-row-{ids['late_old']}')")
    assert row_numbers(page, "complaints-rows") == [ids["late"], ids["own_settled"]]
    page.select_option("#complaints-state", "closed")
    page.select_option("#complaints-unit", "dlh")
    page.locator(f"#complaint-row-{ids['settled']}").wait_for()  # the one just closed, with the closed ones
    problems += axe_problems(page, "operator /complaints filtered")
    assert not problems, "\n".join(problems)


def test_the_history_finds_a_closed_incident_by_its_number(page_as, server, screenshot_dir):
    base, ids = server
    page = page_as("operator")
    page.goto(base + "/complaints")
    page.click("#complaints-history-link")
    page.locator("#history-rows").wait_for()
    assert page.locator("#history-rows > li").count() == 25  # a page of the month, newest first
    assert "lebih dari 1.000 ditemukan" in page.locator("#history-where").inner_text()
    photograph(page, screenshot_dir, "operator-id-history")
    problems = axe_problems(page, "operator /history") + status_badges_speak(page, "operator /history")

    page.fill("#history-number", f"#{ids['fire']}")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#history-rows > li').length === 1")
    page.locator(f"#history-row-{ids['fire']} > summary").focus()
    page.keyboard.press("Enter")
    exchange = page.locator(f"#history-exchange-{ids['fire']}")
    exchange.wait_for()
    assert "Truk Damkar Citta" in exchange.inner_text() and cut(page) == []
    photograph(page, screenshot_dir, "operator-id-history-open")
    problems += axe_problems(page, "operator /history opened")

    page.request.post(base + "/language", form={"lang": "en", "next": "/"}, headers={"Origin": base})
    page.goto(base + "/history")
    page.locator("#history-rows").wait_for()
    assert "more than 1,000 found" in page.locator("#history-where").inner_text()
    photograph(page, screenshot_dir, "operator-en-history")
    page.request.post(base + "/language", form={"lang": "id", "next": "/"}, headers={"Origin": base})
    assert not problems, "\n".join(problems)


def test_skpd_staff_see_their_own_complaints_and_history(page_as, server, screenshot_dir):
    base, ids = server
    page = page_as("dpmptsp")
    page.goto(base + "/complaints")
    page.locator("#complaints-rows").wait_for()
    assert set(row_numbers(page, "complaints-rows")) == {ids["late"], ids["own_settled"]}
    page.locator(f"#complaint-row-{ids['late']} > summary").click()
    page.locator(f"#complaint-exchange-{ids['late']}").wait_for()
    assert "Berkas sedang diperiksa" in page.locator(f"#complaint-exchange-{ids['late']}").inner_text()
    assert page.locator(".case-close").count() == 0  # closing is the command center's
    photograph(page, screenshot_dir, "dpmptsp-id-complaints-list")
    page.goto(base + "/history")
    page.locator("#history-results").wait_for()
    assert "DPMPTSP" in page.locator(".page-title").inner_text()
    assert page.locator("#history-category").is_disabled() and page.locator("#history-skpd").is_disabled()
    photograph(page, screenshot_dir, "dpmptsp-id-history")
    problems = axe_problems(page, "dpmptsp /history") + status_badges_speak(page, "dpmptsp /history")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ["/complaints", "/history"])
def test_nothing_scrolls_sideways_on_a_laptop(page_as, server, screenshot_dir, path):
    base, _ = server
    page = page_as("operator", LAPTOP)
    page.goto(base + path)
    page.locator("#complaints-rows, #history-rows").first.wait_for()
    page.locator(".case-line").first.click()
    page.locator(".case-body .exchange").first.wait_for()
    assert sideways(page) == 0 and cut(page) == []
    photograph(page, screenshot_dir, f"operator-id-{path.strip('/')}-1366")
