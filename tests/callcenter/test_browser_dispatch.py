"""Dispatch with the keyboard in Debian's Chromium, against the production server: never a wrong kind.

The issue's "done when": an operator takes a P1 medical call on the PSC 119 line in each of the 8
districts with the keyboard alone, and with both ambulances in each state (both free, one out, both out)
the incident page never preselects a unit of another kind; with both out it preselects nothing and says
so. Then, still by keyboard: Enter in the unit list sends the ambulance, the focus moves to the next
step, 8 asks to cancel and Enter with a reason ends it. One page session walks the districts; the
ambulances are put in each state through the services, on the module's own server and database.
The expected units are written here: the PSC 119 ambulances.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter import lifecycle
from callcenter.intake import take_call
from dashboard import i18n
from scc.storage.callcenter import incidents
from tests.conftest import free_port
from tests.support.web import PASSWORDS, WebServer, seed_users

pytestmark = pytest.mark.browser

WALL = {"width": 1920, "height": 1080}
TIMEOUT_MS = 15_000
ID = i18n.catalog("id")
AMBULANCES = ("ambulans-1", "ambulans-2")
DISTRICTS = {  # code -> the name an operator types in the district list
    "lalabata": "Lalabata",
    "liliriaja": "Liliriaja",
    "ganra": "Ganra",
    "citta": "Citta",
    "lilirilau": "Lilirilau",
    "donri-donri": "Donri",
    "marioriwawo": "Marioriwawo",
    "marioriawa": "Marioriawa",
}
STATES = ("free", "one", "both")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The production web server with its own database, so the ambulances are this module's to move."""
    from scc.storage import open_storage

    data_dir = tmp_path_factory.mktemp("dispatch-live")
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    seed_users(engine)
    engine.dispose()
    server = WebServer(data_dir, free_port()).start()
    yield {"url": server.url, "db_url": f"sqlite:///{data_dir / 'scc.db'}"}
    server.stop()


@pytest.fixture(scope="module")
def services(server):
    from scc.settings import load_settings
    from scc.storage import open_storage

    engine = open_storage(server["db_url"])
    yield engine, load_settings()
    engine.dispose()


class Ambulances:
    """Puts the two ambulances in a state by sending them to other incidents (and bringing them back)."""

    def __init__(self, engine, settings) -> None:
        self.engine, self.settings, self.fillers, self.n = engine, settings, {}, 0

    def set(self, state: str, turn: int) -> set[str]:
        out = {"free": set(), "one": {AMBULANCES[turn % 2]}, "both": set(AMBULANCES)}[state]
        for unit, incident_id in list(self.fillers.items()):
            if unit not in out:  # its incident is over: the unit is free again
                lifecycle.advance(self.engine, incident_id, "cancelled", operator="test", version=2, reason="Uji")
                del self.fillers[unit]
        for unit in out - set(self.fillers):
            self.n += 1
            taken = take_call(self.engine, self.settings, {
                "line_code": "psc-119", "category": "medical", "priority": 3, "district": "citta",
                "caller_number": f"0813 5500 {self.n:04d}", "summary": "Kontrol pasien"}, operator="test")  # fmt: skip
            lifecycle.dispatch(self.engine, self.settings, taken.incident_id, unit, operator="test", version=1)
            self.fillers[unit] = taken.incident_id
        return out


def focused(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def wait_focus(page, element_id: str) -> None:
    page.wait_for_function(f"document.activeElement && document.activeElement.id === {element_id!r}")


def shoot(page, folder: Path, name: str) -> None:
    page.locator("#wita-clock .clock-time").wait_for(state="visible")
    page.screenshot(path=str(folder / f"{name}.png"))


def check_preselection(page, out: set[str]) -> str:
    """The unit list as the incident page draws it with these ambulances out: an ambulance that is free,
    or nothing at all and the alarm in words. Returns the preselected unit."""
    value = page.locator("#incident-unit").input_value()
    free = set(AMBULANCES) - out
    if free:
        assert value in free, f"{value!r} preselected with {sorted(out) or 'no'} ambulance out"
        assert page.locator("#incident-no-unit").count() == 0
    else:
        assert value == "", f"{value} preselected with both ambulances out"
        alarm = page.locator("#incident-no-unit")
        assert alarm.get_attribute("role") == "alert"
        assert ID["dispatch.none_free"].format(kinds="Ambulans") in alarm.inner_text()
        assert alarm.locator("a.incident-link").count() == 2, "both busy ambulances offered, with their incidents"
    wait_focus(page, "incident-unit")  # the page puts the keyboard on the unit list
    return value


def take_call_with_keys(page, base: str, n: int, district: str) -> int:
    """From the board to the incident page with the keyboard only: PSC 119, P1, medical. The board's N
    opens the form; the line gives the category, so a typical call needs the first five fields alone."""
    page.goto(base + "/calls")
    page.locator("#board-take-call").wait_for()
    kb = page.keyboard
    kb.press("n")
    page.wait_for_url(re.compile(r"/calls/new$"))
    wait_focus(page, "intake-line")
    kb.type("PSC")  # the PSC 119 line, picked by typing its name in the native list
    assert page.locator("#intake-line").input_value() == "psc-119"
    kb.press("Tab")
    kb.type(f"0812 4400 {n:04d}")
    kb.press("Tab")
    kb.type(DISTRICTS[district])
    assert page.locator("#intake-district").input_value() == district
    kb.press("Tab")
    kb.press("1")
    kb.press("Tab")
    kb.type("Orang tua pingsan, tidak sadar")
    # The line's own category, filled in by the server's answer to the line's pick: waited for, as a
    # person sees it arrive (read at once, it was still empty once in a busy full run).
    page.wait_for_function("document.getElementById('intake-category').value === 'medical'")
    kb.press("Enter")
    page.wait_for_url(re.compile(r"/calls/\d+$"))
    page.locator("#incident-actions").wait_for()
    return int(page.url.rsplit("/", 1)[1])


def status_of(engine, number: int) -> str:
    with engine.connect() as conn:
        return conn.execute(select(incidents.c.status).where(incidents.c.id == number)).scalar_one()


def test_p1_medical_calls_in_every_district_never_preselect_a_wrong_kind(server, services, browser, screenshot_dir):
    engine, settings = services
    ambulances = Ambulances(engine, settings)
    context = browser.new_context(viewport=WALL)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    base = server["url"]
    page.goto(base + "/login")
    page.fill("#username", "operator")
    page.fill("#password", PASSWORDS["operator"])
    with page.expect_navigation():
        page.click("#login-submit")
    page.wait_for_selector("#logout", state="attached")
    seen: list[str] = []
    try:
        for turn, district in enumerate(DISTRICTS):
            # Each district starts from another state, so the call is also taken once in each.
            order = STATES[turn % 3 :] + STATES[: turn % 3]
            out = ambulances.set(order[0], turn)
            number = take_call_with_keys(page, base, turn, district)
            seen.append(check_preselection(page, out))
            if turn == 0:
                shoot(page, screenshot_dir, "calls-dispatch-ambulance")
            for state in order[1:]:
                out = ambulances.set(state, turn)
                page.reload()
                page.locator("#incident-actions").wait_for()
                seen.append(check_preselection(page, out))
                if state == "both" and turn == 1:
                    shoot(page, screenshot_dir, "calls-dispatch-none-free")
            # Enter in the unit list sends what it shows (nothing, with both out), and the keyboard goes on.
            pick = page.locator("#incident-unit").input_value()
            page.keyboard.press("Enter")
            if pick:
                page.locator("#incident-head [data-status='dispatched']").wait_for()
                assert page.locator("#incident-details").inner_text().count(settings.unit_by_code[pick].name) == 1
                wait_focus(page, "incident-to-on_scene")
            else:
                page.locator("#incident-invalid").wait_for()
                assert status_of(engine, number) == "received" and focused(page) == "incident-unit"
            # 8 asks to cancel; the reason is required; Enter confirms and the unit is free again.
            page.keyboard.press("8")
            wait_focus(page, "incident-reason-cancelled")
            if turn == 2:
                page.keyboard.press("Enter")  # no reason yet: asked again, under the field
                page.locator("#incident-reason-cancelled-error").filter(has_text=ID["confirm.reason_needed"]).wait_for()
                assert status_of(engine, number) == "received" or pick
                shoot(page, screenshot_dir, "calls-dispatch-cancel-asks")
            page.keyboard.type("Latihan: panggilan uji")
            page.keyboard.press("Enter")
            page.locator("#incident-head [data-status='cancelled']").wait_for()
            wait_focus(page, "incident-back")
            assert status_of(engine, number) == "cancelled"
        assert {v for v in seen if v} == set(AMBULANCES), "both ambulances were suggested in their turn"
        assert len(seen) == 24 and seen.count("") == 8, "with both out (once a district) nothing was preselected"
        # The board counts the ambulances on their own: red, in words, when both are out.
        ambulances.set("both", 0)
        page.goto(base + "/calls")
        chip = page.locator("#board-kinds [data-kind='ambulance']")
        assert chip.get_attribute("data-tone") == "alarm" and "0/2" in chip.inner_text()
        assert ID["kind.all_out"] in chip.inner_text()
        shoot(page, screenshot_dir, "calls-board-kinds")
    finally:
        context.close()
