"""The alert bar and the alerts page in Chromium, on the seeded server: the real evaluator raises alerts from
the seeded center's own state (a call nobody was sent to, dark cameras, silent units), an operator
acknowledges one with a note on /alerts, and the bar on the page says one fewer is waiting. Screenshots of
the page, the bar, and the wall in kiosk mode with the bar in its header. The sound: a wall browser plays the
tone for the critical alerts and stops once they are acknowledged; one that holds sound back shows the button
that unlocks it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.dashboard.test_browser import EN, ID, browser, fits_the_screen, reset_language, sign_in
from tests.dashboard.test_browser_readable import SIZES, look

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the module's one Chromium, as test_browser.py starts it

TIMEOUT_MS = 15_000
OWN = "dpmptsp-ruang-tunggu"  # a camera of DPMPTSP that the seed leaves dark
OWN_NAME = "DPMPTSP - Ruang Tunggu"  # its name, as the page shows it (config/cameras.yaml)
UNSEEN = re.compile(r"(\d+) belum dilihat")
AUTOPLAY = "--autoplay-policy=no-user-gesture-required"  # as the README starts the wall's browser


@pytest.fixture(scope="module")
def raised(seeded_server) -> dict[str, int]:
    """Two rounds of the evaluator over the seeded database; the alerts in sight by subject."""
    from scc.alerts import evaluator
    from scc.alerts.queries import in_sight
    from scc.clock import utcnow
    from scc.settings import load_settings
    from scc.storage import open_storage
    from tests.support.seed import cameras_report

    engine = open_storage(seeded_server["db_url"])
    settings = load_settings()
    try:
        now = utcnow()
        cameras_report(engine, now)  # the seed may be minutes old, its camera rows with it
        for step in range(2):
            evaluator.evaluate(engine, settings, now + timedelta(seconds=2 * step))
        found = {a.subject: a.id for a in in_sight(engine)}
    finally:
        engine.dispose()
    assert OWN in found, f"the seed no longer leaves {OWN} dark: {sorted(found)}"
    return found


@pytest.fixture
def page_of(browser, seeded_server):
    contexts = []

    def open_as(username: str):
        context = browser.new_context(viewport=SIZES["1920x1080"])
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, seeded_server["url"], username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def unseen(page) -> int:
    found = UNSEEN.search(page.locator("#alerts-bar").inner_text())
    return int(found.group(1)) if found else 0


def test_operator_acknowledges_with_a_note_and_the_bar_changes(page_of, seeded_server, raised, screenshot_dir):
    base = seeded_server["url"]
    page = page_of("operator")
    page.goto(base + "/alerts")
    page.wait_for_selector("#alerts-open-table")
    page.wait_for_selector("#alerts-bar .alerts-bar-unseen")
    bar = page.locator("#alerts-bar").inner_text()
    assert ID["alert_severity.critical"] in bar and ID["alert_severity.warning"] in bar, bar
    assert page.locator("#alerts-bar .icon-alarm").count() == 1, "critical: its shape, not its colour alone"
    before = unseen(page)
    assert before == len(raised)
    page.screenshot(path=str(screenshot_dir / "alerts-operator-id.png"))
    page.locator("#alerts-strip").screenshot(path=str(screenshot_dir / "alerts-bar-operator.png"))

    page.click("#alerts-ack-pick")
    page.keyboard.type(OWN_NAME)
    page.keyboard.press("Enter")
    page.fill("#alerts-ack-note", "Teknisi menuju lokasi")
    page.click("#alerts-ack")
    page.wait_for_selector(f"#alerts-ack-message :text('#{raised[OWN]}')")
    row = page.locator("#alerts-open-table tr", has_text=OWN_NAME)
    row.filter(has_text="Teknisi menuju lokasi").wait_for()
    assert "operator" in row.inner_text()
    page.wait_for_function(  # the bar's own timer reads it again within a few seconds
        "(n) => (document.querySelector('#alerts-bar').innerText.match(/(\\d+) belum dilihat/) || [0, 0])[1] == n",
        arg=before - 1,
    )
    page.locator("#alerts-strip").screenshot(path=str(screenshot_dir / "alerts-bar-after-ack.png"))
    page.screenshot(path=str(screenshot_dir / "alerts-operator-after-ack.png"))
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        assert not look(page, f"/alerts {size}"), look(page, f"/alerts {size}")


def test_the_bupati_sees_every_alert_and_no_control(page_of, seeded_server, raised, screenshot_dir):
    page = page_of("bupati")
    page.goto(seeded_server["url"] + "/alerts")
    page.wait_for_selector("#alerts-open-table")
    assert page.locator("#alerts-open-table tbody tr").count() == len(raised)
    for control in ("#alerts-ack", "#alerts-ack-pick", "#alerts-silence", "#alerts-lift"):
        assert page.locator(control).count() == 0, control
    page.screenshot(path=str(screenshot_dir / "alerts-bupati-id.png"))
    base = seeded_server["url"]
    try:
        page.request.post(base + "/language", form={"lang": "en", "next": "/alerts"}, headers={"Origin": base})
        page.goto(base + "/alerts")
        page.wait_for_selector("#alerts-open-table")
        assert page.locator("h2.page-title").inner_text() == EN["alerts.title"]
        assert EN["alert_severity.critical"] in page.locator("#alerts-bar").inner_text()
        page.screenshot(path=str(screenshot_dir / "alerts-bupati-en.png"))
    finally:
        reset_language(base, "bupati")


def test_skpd_staff_see_their_units_alerts(page_of, seeded_server, raised, screenshot_dir):
    page = page_of("dpmptsp")
    page.goto(seeded_server["url"] + "/alerts")
    page.wait_for_selector("#alerts-open-table")
    text = page.locator("#alerts-open-table").inner_text()
    assert OWN_NAME in text and "Pemadam Kebakaran" not in text
    assert page.locator("#alerts-silence").count() == 0
    page.screenshot(path=str(screenshot_dir / "alerts-dpmptsp-id.png"))


def test_the_wall_shows_the_bar_in_its_header_without_scrolling(page_of, seeded_server, raised, screenshot_dir):
    page = page_of("operator")
    page.goto(seeded_server["url"] + "/?kiosk=1")
    page.wait_for_selector("#alerts-bar .status")
    header = page.locator("#scc-top").bounding_box()
    strip = page.locator("#alerts-bar").bounding_box()
    assert header and strip and strip["y"] + strip["height"] <= header["y"] + header["height"] + 1, (header, strip)
    page.locator("#scc-top").screenshot(path=str(screenshot_dir / "alerts-bar-kiosk-1920.png"))
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(200)  # scc.js fits the panels to the new size on its next frames
        fit = fits_the_screen(page)
        assert fit["scrollHeight"] <= fit["innerHeight"] and fit["scrollWidth"] <= fit["innerWidth"], (size, fit)
        bar, brand, clock = (page.locator(s).bounding_box() for s in ("#alerts-bar", "#brand", "#wita-clock"))
        assert bar and brand and clock
        assert brand["x"] + brand["width"] <= bar["x"], (size, "the bar over the wordmark")
        assert bar["x"] + bar["width"] <= clock["x"], (size, "the bar over the clock")
        assert ID["alert_severity.critical"] in page.locator("#alerts-bar").inner_text(), size
        assert not look(page, f"kiosk / {size}", kiosk=True), look(page, f"kiosk / {size}", kiosk=True)
        page.screenshot(path=str(screenshot_dir / f"alerts-kiosk-overview-{size}.png"))


def test_the_wall_sounds_a_critical_alert_until_it_is_acknowledged(browser, seeded_server, raised, screenshot_dir):
    """A wall browser told `?sound=1` (its account left silent) plays the tone for the seeded critical alerts,
    with Chromium started as the README starts the wall's (autoplay allowed); once they are acknowledged it
    plays no more. The tone is counted by alerts_sound.js's hook, no sound card needed."""
    from scc.alerts import service
    from scc.alerts.queries import in_sight
    from scc.storage import open_storage
    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    base = seeded_server["url"]
    wall = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, AUTOPLAY])
    engine = open_storage(seeded_server["db_url"])
    try:
        context = wall.new_context(viewport=SIZES["1920x1080"])
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        sign_in(page, base, "operator")
        page.goto(base + "/?kiosk=1&sound=1")
        page.wait_for_function("() => window.sccAlertTones >= 1")
        critical = [a.id for a in in_sight(engine) if a.severity == "critical" and not a.acknowledged]
        assert critical, "the seed no longer raises a critical alert"
        heard = page.get_attribute("html", "data-alert-tone-for") or ""
        assert sorted(int(i) for i in heard.split()) == sorted(critical), (heard, critical)
        assert page.locator("#alerts-sound-unlock").is_hidden(), "autoplay allowed: nothing to click"
        tones = page.evaluate("window.sccAlertTones")
        for alert_id in critical:
            service.acknowledge(engine, alert_id, by="operator", note="ditangani")
        page.wait_for_function("() => document.getElementById('alerts-sound').getAttribute('data-due') === ''")
        assert page.evaluate("window.sccAlertTones") == tones, "acknowledged: no tone again"
        page.locator("#scc-top").screenshot(path=str(screenshot_dir / "alerts-sound-kiosk.png"))
    finally:
        engine.dispose()
        wall.close()


# A browser that holds sound back until a click, as Chromium does for a page nobody touched: resume() waits
# for a click (not for user activation: Playwright's evaluate() grants that). No server: the asset alone, on a
# page with the shell's feed and button.
HELD_BACK = """
let clicked = false;
document.addEventListener("click", () => { clicked = true; }, true);
window.AudioContext = class {
  constructor() { this.state = "suspended"; this.currentTime = 0; this.destination = {}; }
  resume() {
    return new Promise((done) => {
      const start = () => { this.state = "running"; done(); };
      if (clicked) { start(); } else { document.addEventListener("click", start); }
    });
  }
  createOscillator() { return { frequency: {}, connect: (g) => g, start() {}, stop() {} }; }
  createGain() { return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (d) => d }; }
};
"""
SHELL = """<!doctype html><html><body>
<button id="alerts-sound-unlock" type="button" hidden>Klik untuk mengaktifkan suara</button>
<div id="alerts-sound" hidden data-on="0" data-due=""></div></body></html>"""


def test_held_back_sound_waits_for_a_click_then_plays_each_generation_once(browser):
    from pathlib import Path

    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.add_init_script(HELD_BACK)
        page.route("http://scc.test/", lambda route: route.fulfill(body=SHELL, content_type="text/html"))
        page.goto("http://scc.test/")
        page.add_script_tag(path=str(Path("dashboard/assets/alerts_sound.js").resolve()))

        def feed(on: str, due: str) -> None:
            page.evaluate(
                "([on, due]) => { const f = document.getElementById('alerts-sound');"
                " f.setAttribute('data-due', due); f.setAttribute('data-on', on); }",
                [on, due],
            )

        def tones() -> int:
            return page.evaluate("window.sccAlertTones || 0")

        feed("1", "7:1")
        page.wait_for_selector("#alerts-sound-unlock", state="visible")
        assert tones() == 0, "held back: nothing played yet"
        page.click("#alerts-sound-unlock")
        page.wait_for_function("() => window.sccAlertTones === 1")
        page.wait_for_selector("#alerts-sound-unlock", state="hidden")
        feed("1", "7:1 9:1")
        page.wait_for_function("() => window.sccAlertTones === 2")
        assert page.get_attribute("html", "data-alert-tone-for") == "9", "only the new one was not heard yet"
        feed("1", "7:2 9:1")  # 7's re-notify time came
        page.wait_for_function("() => window.sccAlertTones === 3")
        feed("1", "9:1")  # 7 acknowledged
        feed("0", "")  # the screen turned silent
        feed("0", "11:1")
        page.evaluate("() => new Promise((done) => setTimeout(done))")  # past the observer's turn: any tone is played
        assert tones() == 3
    finally:
        context.close()
