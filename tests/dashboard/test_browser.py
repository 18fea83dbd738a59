"""The dashboard as a person sees it: Debian's Chromium driven by Playwright
against the real production server (gunicorn) of the `live_server` fixture,
seeded with a running center's data (tests/support/seed.py).

One browser for the module, a fresh 1920x1080 context (cookies, storage) per
test. The browser is never downloaded: Debian's /usr/bin/chromium is used, and
only loopback traffic is expected. Every page is photographed for every user,
in both languages and in kiosk mode (the folder is printed at the end of the
run), and checked with axe-core: no serious or critical violation, colour
contrast included.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from dashboard import i18n
from tests.conftest import free_port
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.web import PASSWORDS, login, seed_users

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 15_000
WALL = {"width": 1920, "height": 1080}

ID = i18n.catalog("id")
EN = i18n.catalog("en")
TEXTS = {"id": ID, "en": EN}

# path -> (the nav link it marks, title key (None: the unit's name), an element only the rendered page has, file name)
PAGES = {
    "/": ("nav-overview", "overview.title", "#overview-camera-board", "overview"),
    "/bupati": ("nav-bupati", "regent.title", "#regent-lines", "regent"),
    "/cameras": ("nav-cameras", "cameras.title", "#wall-grid .live-tile", "cameras"),
    "/cameras/health": ("nav-cameras", "camhealth.title", "#camhealth-camera-table", "cameras-health"),
    "/calls": ("nav-calls", "calls.title", "#calls-table", "calls"),
    "/metrics": ("nav-metrics", "metrics.title", "#metrics-grid", "metrics"),
    "/metrics/compare": ("nav-metrics", "compare.title", "#chart-uptime .main-svg", "metrics-compare"),
    "/metrics/dpmptsp": ("nav-metrics", None, "#chart-laside_permits_issued .main-svg", "metrics-unit-dpmptsp"),
    "/metrics/bpkd": ("nav-metrics", None, "#chart-paddare_pbb_collected .main-svg", "metrics-unit-bpkd"),
    "/metrics/own": ("nav-metrics-own", "own.title", "#own-body > *", "metrics-own"),  # filled by a callback
    "/admin": ("nav-admin", "admin.title", "#users-table", "admin"),
    "/boards": ("nav-boards", "boards.title", "#boards-body > *", "boards"),
    "/calls/new": ("nav-calls", "intake.title", "#intake-form", "calls-new"),
    "/calls/kpi": ("nav-calls", "kpi.title", "#kpi-body > *", "calls-kpi"),
    "/calls/map": ("nav-calls", "map.title", "#map-body > *", "calls-map"),
    "/calls/import": ("nav-calls", "import.title", "#import-upload", "calls-import"),
    "/reports": ("nav-reports", "reports.title", "#reports-panel", "reports"),
    "/complaints": (
        "nav-complaints",
        None,
        "#complaints-all > *, #complaints-own-panel",
        "complaints",
    ),  # SKPD staff: their unit's name
}
WALL_PAGES = ["/", "/cameras", "/calls", "/metrics", "/metrics/compare", "/metrics/dpmptsp"]
STAFF_PAGES = [
    *("/", "/bupati", "/cameras", "/cameras/health", "/calls", "/calls/kpi", "/calls/map", "/complaints"),
    *("/metrics", "/metrics/compare", "/metrics/dpmptsp", "/metrics/bpkd", "/reports"),
]
CALL_TAKERS = ["/calls/new", "/calls/import"]
ALLOWED = {
    "admin": [*STAFF_PAGES, *CALL_TAKERS, "/metrics/own", "/admin", "/boards"],
    "operator": [*STAFF_PAGES, *CALL_TAKERS],
    "bupati": STAFF_PAGES,
    # its own unit's figures, complaints and cameras; another unit's page is a 403
    "dpmptsp": [
        "/metrics/own",
        "/metrics/dpmptsp",
        "/complaints",
        "/cameras",
        "/cameras/health",
        "/boards",
        "/reports",
    ],
}
NAV = {
    "admin": {"nav-overview", "nav-bupati", "nav-cameras", "nav-calls", "nav-complaints", "nav-metrics", "nav-admin"}
    | {"nav-reports", "nav-boards"},
    "operator": {"nav-overview", "nav-cameras", "nav-calls", "nav-complaints", "nav-metrics", "nav-reports"},
    "bupati": {"nav-bupati", "nav-overview", "nav-cameras", "nav-calls", "nav-complaints", "nav-metrics"}
    | {"nav-reports"},
    "dpmptsp": {"nav-metrics-own", "nav-complaints", "nav-cameras", "nav-reports", "nav-boards"},
}
HOME = {"admin": "/", "operator": "/", "bupati": "/bupati", "dpmptsp": "/metrics/own"}
# axe-core runs for the user who sees every page and for the one who sees the fewest.
AXE_USERS = {"admin", "dpmptsp"}
UNKNOWN = "/tidak-ada-halaman-ini"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def base(seeded_server) -> str:
    return seeded_server["url"]


@pytest.fixture
def new_page(browser):
    """Opens pages in fresh 1920x1080 browser contexts; all closed at the end of the test."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport=WALL)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def shoot(screenshot_dir):
    """Photographs the page once the wall has settled (clock drawn, lists cut to fit)."""

    def take(page, name: str) -> Path:
        page.locator("#wita-clock .clock-time").wait_for(state="visible")
        page.wait_for_timeout(150)  # one frame for scc.js to fit the lists
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take


def path_of(url: str) -> str:
    return urlsplit(url).path


def sign_in(page, base: str, username: str) -> None:
    """Sign in through the form and wait until the user's home page has rendered."""
    if path_of(page.url) != "/login":
        page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    with page.expect_navigation():
        page.click("#login-submit")
    assert path_of(page.url) == HOME[username], f"{username} landed on {page.url}"
    page.wait_for_selector("#logout", state="attached")  # hidden on a wall (kiosk) account


def visible_nav_ids(page) -> set[str]:
    page.wait_for_selector("nav a[id^='nav-']")
    return {link.get_attribute("id") for link in page.locator("a[id^='nav-']").all() if link.is_visible()}


def expect_page(page, path: str, texts: dict[str, str]) -> None:
    """The page at `path` has rendered: its heading and its own content are shown."""
    _, title_key, content, _ = PAGES[path]
    if title_key:
        heading = page.locator("h2", has_text=texts[title_key])
        heading.wait_for(state="visible")
        assert heading.inner_text().strip() == texts[title_key]
    page.locator(content).first.wait_for(state="visible")
    assert page.locator(".forbidden").count() == 0


def switch_language(page, lang: str) -> None:
    with page.expect_navigation():
        page.click(f"#lang-{lang}")
    assert page.locator("html").get_attribute("lang") == lang


def reset_language(base: str, username: str) -> None:
    """Leave the shared server as found: the user's stored language back to Indonesian."""
    session = login(base, username)
    session.post(base + "/language", data={"lang": "id", "next": "/"}, allow_redirects=False, timeout=10)
    session.post(base + "/logout", allow_redirects=False, timeout=10)


# -- what every page must show ---------------------------------------------------------------


def axe_problems(page, where: str) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now (colour contrast included)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    problems = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
            problems.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return problems


def status_badges_speak(page, where: str) -> list[str]:
    """Every status badge says its status in words (or an aria-label), never by colour alone."""
    mute = page.evaluate(
        """() => [...document.querySelectorAll('.status, .cam-chip, .kpi')]
              .filter(el => !(el.innerText || '').trim() && !el.getAttribute('aria-label'))
              .map(el => el.outerHTML.slice(0, 120))"""
    )
    count = page.locator(".status").count()
    # An admin's data-entry page before a unit is picked has nothing to judge yet; forms and the
    # KPI figures (their trends are arrows and words) show no status.
    idle = page.locator("#own-body > .empty-state, #intake-form, #import-upload, #kpi-body").count() > 0
    return [f"{where}: badge without words: {html}" for html in mute] + (
        [] if count or idle else [f"{where}: no status badge at all"]
    )


def fits_the_screen(page) -> dict:
    return page.evaluate(
        """() => ({scrollHeight: document.documentElement.scrollHeight, innerHeight: window.innerHeight,
                  scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})"""
    )


def nav_shown(page) -> bool:
    return page.locator("#scc-nav").is_visible() or any(
        link.is_visible() for link in page.locator("a[id^='nav-']").all()
    )


# -- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["admin", "operator", "bupati", "dpmptsp"])
def test_role_sees_only_its_pages(new_page, base, shoot, username):
    """Each user, in Indonesian: exactly their pages, each photographed, its badges in words;
    the others refused with a 403 inside the shell, the navigation still there. The admin's visit, every
    page and every admin tab, is also watched: everything comes from this server (works offline), no
    request fails, no error status, no console error."""
    page = new_page()
    watched = Watched(page, base) if username == "admin" else None
    page.goto(base + "/login")
    sign_in(page, base, username)

    expected_nav = NAV[username]
    assert visible_nav_ids(page) == expected_nav
    problems: list[str] = []
    for path in ALLOWED[username]:
        response = page.goto(base + path)
        assert response.status == 200, f"{username} {path}: HTTP {response.status}"
        assert path_of(page.url) == path
        expect_page(page, path, ID)
        assert visible_nav_ids(page) == expected_nav
        if PAGES[path][0] in expected_nav:  # pages reached from another page's tabs or links mark nothing
            active = page.locator(f"#{PAGES[path][0]}")
            assert "active" in (active.get_attribute("class") or ""), f"{path}: its nav link is not marked"
        shoot(page, f"{username}-id-{PAGES[path][3]}")
        problems += status_badges_speak(page, f"{username} {path}")
        if username in AXE_USERS:
            problems += axe_problems(page, f"{username} id {path}")

    # Every user's own account page (the password change), reached from the shell, marked there.
    page.click("#account-link")
    page.locator("#account-submit").wait_for(state="visible")
    assert "active" in (page.locator("#account-link").get_attribute("class") or "")
    shoot(page, f"{username}-id-account")
    if username in AXE_USERS:
        problems += axe_problems(page, f"{username} id /account")

    forbidden_paths = sorted(set(PAGES) - set(ALLOWED[username]) - {"/"})
    if "/" not in ALLOWED[username]:
        # "/" is not forbidden as such: it leads to the role's own home page.
        page.goto(base + "/")
        assert path_of(page.url) == HOME[username]
        expect_page(page, HOME[username], ID)
    # Every refused path answers 403 in this browser session; the shell around the refusal is one component,
    # drawn and looked at on the first (tests/dashboard/test_security.py refuses every route and callback).
    for path in forbidden_paths[1:]:
        status = page.request.get(base + path).status
        assert status == 403, f"{username} {path}: HTTP {status}"
    for path in forbidden_paths[:1]:
        response = page.goto(base + path)
        assert response.status == 403, f"{username} {path}: HTTP {response.status}"
        forbidden = page.locator(".forbidden")
        forbidden.wait_for(state="visible")
        assert ID["forbidden.title"] in forbidden.inner_text()
        assert ID["forbidden.body"] in forbidden.inner_text()
        assert visible_nav_ids(page) == expected_nav, "the 403 page keeps the navigation"
        shoot(page, f"{username}-id-403-{PAGES[path][3]}")
        if username in AXE_USERS:
            problems += axe_problems(page, f"{username} id 403 {path}")
    if watched is not None:
        visit_admin_tabs(page, base)
        problems += watched.problems()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("username", sorted(AXE_USERS))
def test_every_page_in_english(new_page, base, shoot, username):
    """The same pages in English, the 404 page too: photographed, their badges in words. For the user who sees
    every page and the one who sees the fewest (the others' pages are the admin's, fewer controls). axe-core
    looked at each page in Indonesian (contrast and roles do not change with the words); here at the 404
    page, for the document's language."""
    page = new_page()
    sign_in(page, base, username)
    problems: list[str] = []
    try:
        switch_language(page, "en")
        for path in ALLOWED[username]:
            page.goto(base + path)
            expect_page(page, path, EN)
            shoot(page, f"{username}-en-{PAGES[path][3]}")
            problems += status_badges_speak(page, f"{username} en {path}")
        response = page.goto(base + UNKNOWN)
        page.locator(".not-found").wait_for(state="visible")
        assert EN["notfound.title"] in page.locator(".not-found").inner_text()
        assert response.status == 404
        shoot(page, f"{username}-en-404")
        if username in AXE_USERS:
            problems += axe_problems(page, f"{username} en 404")
    finally:
        reset_language(base, username)
    assert not problems, "\n".join(problems)


# -- the wall: kiosk mode --------------------------------------------------------------------


@pytest.mark.parametrize("username", ["operator", "dpmptsp"])
def test_kiosk_mode_fits_the_wall(new_page, base, shoot, username):
    """`?kiosk=1`: no navigation and no scrollbar at 1920x1080 on every wall page, long lists paged
    ("1–8 dari 50"); the mode stays while the session browses on, and `?kiosk=0` ends it."""
    page = new_page()
    sign_in(page, base, username)
    pages = [p for p in WALL_PAGES if p in ALLOWED[username]]
    problems: list[str] = []
    for i, path in enumerate(pages):
        page.goto(base + path + ("?kiosk=1" if i == 0 else ""))  # only the first URL asks for it
        expect_page(page, path, ID)
        assert "kiosk" in (page.locator("html").get_attribute("class") or "").split(), f"{path}: not in kiosk mode"
        assert not nav_shown(page), f"{path}: navigation shown in kiosk mode"
        assert not page.locator("#logout").is_visible()
        assert page.locator("#wita-clock").is_visible(), "the wall keeps its clock"
        shoot(page, f"{username}-id-kiosk-{PAGES[path][3]}")
        size = fits_the_screen(page)
        assert size["scrollHeight"] <= size["innerHeight"], f"{path}: scrolls vertically {size}"
        assert size["scrollWidth"] <= size["innerWidth"], f"{path}: scrolls horizontally {size}"
        problems += status_badges_speak(page, f"{username} kiosk {path}")
        problems += axe_problems(page, f"{username} kiosk {path}")
        if path == "/calls":  # the running incidents do not fit: the wall turns their pages by itself
            more = page.locator("#calls-recent .fit-more")
            assert re.fullmatch(r"1–\d+ dari \d+", more.inner_text().strip()), more.inner_text()
            assert page.locator("#calls-table tbody tr:not([hidden])").count() >= 10
        if path == "/metrics":
            assert_all_units_shown(page)
    if "/metrics" in pages:  # the grid in English on the wall too
        try:
            page.request.post(base + "/language", form={"lang": "en", "next": "/metrics"}, headers={"Origin": base})
            page.goto(base + "/metrics")
            expect_page(page, "/metrics", EN)
            assert_all_units_shown(page)
            size = fits_the_screen(page)
            assert size["scrollHeight"] <= size["innerHeight"] and size["scrollWidth"] <= size["innerWidth"], size
            shoot(page, f"{username}-en-kiosk-metrics")
            problems += axe_problems(page, f"{username} en kiosk /metrics")
        finally:
            reset_language(base, username)
    page.goto(base + pages[0] + "?kiosk=0")
    expect_page(page, pages[0], ID)
    assert nav_shown(page), "?kiosk=0 brings the navigation back"
    assert not problems, "\n".join(problems)


def assert_all_units_shown(page) -> None:
    """All 38 units on the wall at once, each with its state in words: nothing cut, nothing counted away."""
    page.locator("#metrics-grid .unit-tile").first.wait_for(state="visible")
    page.wait_for_timeout(150)  # one frame for scc.js to fit the grid
    assert page.locator("#metrics-grid .unit-tile").count() == 38
    assert page.locator("#metrics-grid .unit-tile:not([hidden])").count() == 38, "units cut from the wall"
    assert page.locator("#metrics-units .fit-more").inner_text().strip() == ""
    cut = page.evaluate(
        """() => [...document.querySelectorAll('#metrics-grid .unit-state')]
              .filter(e => e.scrollWidth > e.clientWidth + 1 || !e.innerText.trim()).map(e => e.innerText)"""
    )
    assert cut == [], f"state words cut short: {cut}"


def test_a_unit_enters_figures_and_uploads_a_csv(new_page, base, shoot, tmp_path):
    """SKPD staff on their own page: a figure typed and sent, then a CSV with one bad row; each report says
    what was stored and what was refused, and the refused row joins the unit's rejections."""
    page = new_page()
    sign_in(page, base, "dpmptsp")
    page.locator("#own-form-panel").wait_for(state="visible")
    page.locator('input[id*="laside_permits_issued"]').fill("42")  # a pattern id is JSON in the page
    page.click("#own-submit")
    report = page.locator("#own-form-report")
    report.wait_for(state="visible")
    assert ID["own.stored"].format(n=1) in report.inner_text()
    sheet = tmp_path / "laporan.csv"
    sheet.write_text("kunci;nilai\nlaside_permits_received;15\nlaside_permits_received;banyak\n", encoding="utf-8")
    page.set_input_files("#own-upload input[type=file]", str(sheet))
    report = page.locator("#own-csv-report")
    report.wait_for(state="visible")
    text = report.inner_text()
    assert ID["own.stored"].format(n=1) + " (laporan.csv)" in text, text
    assert ID["own.at_line"].format(n=3) + " (laside_permits_received): " in text, text
    assert ID["own.err_not_a_number"].format(value="banyak") in text, text
    page.locator("#own-rejected-table", has_text="banyak").wait_for(state="visible")
    assert "42" in page.locator("#own-tiles").inner_text()
    report.scroll_into_view_if_needed()
    shoot(page, "dpmptsp-id-metrics-own-sent")
    problems = axe_problems(page, "dpmptsp /metrics/own after sending")
    assert not problems, "\n".join(problems)


def test_a_figure_out_of_range_is_refused_with_its_range(new_page, base):
    """Typed past the metric's maximum, a figure reaches the server, whose refusal gives the range; it is
    never taken for an empty field ("no figure entered")."""
    page = new_page()
    sign_in(page, base, "dpmptsp")
    page.locator("#own-form-panel").wait_for(state="visible")
    page.locator('input[id*="laside_permits_issued"]').fill("999999")
    page.click("#own-submit")
    report = page.locator("#own-form-report")
    report.wait_for(state="visible")
    text = report.inner_text()
    assert ID["own.no_values"] not in text, text
    assert ID["own.err_out_of_range"].format(value="999.999", low="0", high="5.000") in text, text
    assert "Izin diterbitkan (LaSIDE)" in text, "the field is named as the form names it"


def test_admin_makes_a_wall_account(new_page, base, seeded_server, shoot):
    """The admin's user form sets kiosk mode per user: that user's every page opens as a wall."""
    from scc import users
    from scc.storage import open_storage

    page = new_page()
    sign_in(page, base, "admin")
    page.goto(base + "/admin")
    expect_page(page, "/admin", ID)
    try:
        page.click("#target-user")
        page.locator(".dash-dropdown-option", has_text="operator").click()
        page.keyboard.press("Escape")
        switch = page.locator("#admin-kiosk")
        page.wait_for_timeout(300)  # the switch shows the user's current setting first
        assert not switch.is_checked()
        switch.check()
        page.click("#admin-kiosk-save")
        page.locator("#admin-result .alert-success").wait_for(state="visible")
        assert ID["admin.kiosk_on"].format(user="operator") in page.locator("#admin-result").inner_text()
        shoot(page, "admin-id-admin-kiosk-set")

        wall = new_page()
        sign_in(wall, base, "operator")
        expect_page(wall, "/", ID)
        wall.wait_for_function("document.documentElement.classList.contains('kiosk')")
        assert not nav_shown(wall)
        size = fits_the_screen(wall)
        assert size["scrollHeight"] <= size["innerHeight"] and size["scrollWidth"] <= size["innerWidth"], size
        shoot(wall, "operator-id-kiosk-account-overview")
    finally:
        engine = open_storage(seeded_server["db_url"])
        users.set_kiosk(engine, "operator", False, actor="test")
        engine.dispose()


# -- language ----------------------------------------------------------------------------------


def _nav_texts(page) -> tuple[str, str]:
    return (page.locator("#nav-cameras").inner_text().strip(), page.locator("h2").first.inner_text().strip())


def _marked_language(page) -> str:
    """The language the switch marks, checked the ways a person sees it: pressed, bold, underlined, ticked."""
    marked = []
    for lang in ("id", "en"):
        button = page.locator(f"#lang-{lang}")
        pressed = button.get_attribute("aria-pressed") == "true"
        look = button.evaluate(
            """b => { const s = getComputedStyle(b); const tick = b.querySelector('.lang-check');
                      return {bold: parseInt(s.fontWeight) >= 700,
                              underline: s.textDecorationLine.includes('underline'),
                              tick: !!tick && getComputedStyle(tick).display !== 'none'}; }"""
        )
        assert pressed == look["bold"] == look["underline"] == look["tick"], (lang, pressed, look)
        if pressed:
            marked.append(lang)
    assert len(marked) == 1, marked
    return marked[0]


def test_language_switch_and_persistence(new_page, base):
    username = "bupati"
    try:
        page = new_page()
        page.goto(base + "/login")
        assert page.locator("html").get_attribute("lang") == "id"
        assert page.locator("#login-submit").inner_text().strip() == ID["login.submit"] == "Masuk"
        assert page.locator("label[for=username]").inner_text().strip() == ID["login.username"]
        assert _marked_language(page) == "id"

        # The sign-in page in English, then back in Indonesian.
        switch_language(page, "en")
        assert path_of(page.url) == "/login"
        assert page.locator("#login-submit").inner_text().strip() == EN["login.submit"] == "Sign in"
        assert page.locator("label[for=password]").inner_text().strip() == EN["login.password"]
        assert _marked_language(page) == "en"
        switch_language(page, "id")
        assert page.locator("#login-submit").inner_text().strip() == "Masuk"

        # Signed in, the user's stored language (Indonesian) applies; switch from the navbar.
        sign_in(page, base, username)  # the bupati lands on his desk
        expect_page(page, "/bupati", ID)
        assert _nav_texts(page) == ("Kamera", "Meja Bupati")
        assert _marked_language(page) == "id"
        switch_language(page, "en")
        assert path_of(page.url) == "/bupati"
        expect_page(page, "/bupati", EN)
        assert _nav_texts(page) == ("Cameras", "Regent's desk")
        assert _marked_language(page) == "en"
        assert page.locator("#logout").inner_text().strip() == EN["nav.logout"]
        assert page.locator("#whoami").inner_text().endswith(EN["role.viewer"])
        # The clock speaks the page's language too: an English weekday, WITA.
        clock = page.locator("#wita-clock").inner_text()
        assert "WITA" in clock and re.search(r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday", clock)

        # Stored per user, not only in this browser: a fresh context (no cookies)
        # shows the sign-in page in Indonesian, and the dashboard in English.
        with page.expect_navigation():
            page.click("#logout")
        assert path_of(page.url) == "/login"
        other = new_page()
        other.goto(base + "/login")
        assert other.locator("#login-submit").inner_text().strip() == "Masuk"
        sign_in(other, base, username)
        expect_page(other, "/bupati", EN)
        assert _nav_texts(other) == ("Cameras", "Regent's desk")
        other.goto(base + "/cameras")
        expect_page(other, "/cameras", EN)

        # And back to Indonesian from the navbar, also stored.
        switch_language(other, "id")
        assert path_of(other.url) == "/cameras"
        expect_page(other, "/cameras", ID)
        assert other.locator("#nav-cameras").inner_text().strip() == "Kamera"
        clock = other.locator("#wita-clock").inner_text()
        assert "WITA" in clock and re.search(r"Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu", clock)
        with other.expect_navigation():
            other.click("#logout")
        third = new_page()
        sign_in(third, base, username)
        expect_page(third, "/bupati", ID)
        assert _nav_texts(third) == ("Kamera", "Meja Bupati")
        assert third.locator("html").get_attribute("lang") == "id"
    finally:
        reset_language(base, username)


# -- the shell: 404, favicon, sign-out ----------------------------------------------------------


def test_unknown_path_is_a_localized_404_inside_the_shell(new_page, base, shoot):
    page = new_page()
    sign_in(page, base, "operator")
    response = page.goto(base + UNKNOWN)
    not_found = page.locator(".not-found")
    not_found.wait_for(state="visible")
    assert ID["notfound.title"] in not_found.inner_text() and ID["notfound.body"] in not_found.inner_text()
    assert "404 - Page not found" not in page.content()
    assert visible_nav_ids(page) == NAV["operator"], "the 404 page keeps the shell"
    assert page.locator("#wita-clock").is_visible()
    shoot(page, "operator-id-404")
    assert response.status == 404
    with page.expect_navigation():
        not_found.locator("a", has_text=ID["forbidden.home"]).click()
    expect_page(page, "/", ID)


def test_favicon_and_wordmark_are_our_own(new_page, base):
    page = new_page()
    page.goto(base + "/login")
    assert page.locator("link[rel=icon]").get_attribute("href") == "/assets/favicon.svg"
    assert page.locator(".login-brand svg").is_visible(), "the sign-in page draws the mark itself"
    sign_in(page, base, "operator")
    assert page.locator("link[rel=icon]").get_attribute("href") == "/assets/favicon.svg"
    assert page.locator("html").get_attribute("data-bs-theme") == "dark"
    mark = page.locator("#brand img")
    mark.wait_for(state="visible")
    assert mark.evaluate("img => img.complete && img.naturalWidth > 0"), "the wordmark's image did not load"
    status, kind, body = page.evaluate(
        """async () => { const r = await fetch('/assets/favicon.svg');
                         return [r.status, r.headers.get('content-type'), await r.text()]; }"""
    )
    assert status == 200 and kind.startswith("image/svg+xml") and "<svg" in body
    assert body == (ROOT / "dashboard/templates/mark.svg").read_text(encoding="utf-8"), (
        "the sign-in page's mark and the favicon are the same drawing"
    )


def test_logout(new_page, base):
    page = new_page()
    sign_in(page, base, "operator")
    expect_page(page, "/", ID)
    with page.expect_navigation():
        page.click("#logout")
    assert path_of(page.url) == "/login"
    page.wait_for_selector("#login-submit")

    page.goto(base + "/")
    assert path_of(page.url) == "/login"
    page.wait_for_selector("#login-submit")
    # The old session is gone for Dash's own endpoints too.
    status = page.evaluate("async () => (await fetch('/_dash-layout')).status")
    assert status == 401


# -- offline ---------------------------------------------------------------------------------


# This server runs no camera relay and its cameras have no snapshots: the wall's players get 503
# and 404 from these two routes, and keep asking. Live video is tested with a real relay in
# tests/cameras/; here those answers are expected, but they must still come from this server.
VIDEO_ROUTES = re.compile(r"/cameras/(whep/[^/?]+|[^/?]+/(whep|snapshot\.jpg))(\?|$)")


class Watched:
    """Every request, response and console message of a page: each to this server, none failed, no error
    status, no console error (the wall's video routes aside, see VIDEO_ROUTES)."""

    def __init__(self, page, base: str) -> None:
        self.host = urlsplit(base).netloc
        self.foreign: list[str] = []
        self.failed: list[str] = []
        self.bad_status: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", self.on_request)
        page.on("requestfailed", self.on_failed)
        page.on("response", self.on_response)
        page.on("console", self.on_console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"uncaught: {exc}"))

    def on_request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob"):
            return
        if parts.scheme not in ("http", "https") or parts.netloc != self.host:
            self.foreign.append(f"{request.method} {request.url}")

    def on_failed(self, request) -> None:
        # A request still in flight when the test goes to the next page is cancelled by the browser itself
        # (net::ERR_ABORTED); a refused, reset or blocked one says so in its own words.
        if not VIDEO_ROUTES.search(urlsplit(request.url).path) and "ERR_ABORTED" not in (request.failure or ""):
            self.failed.append(f"{request.method} {request.url}: {request.failure}")

    def on_response(self, response) -> None:
        if response.status >= 400 and not VIDEO_ROUTES.search(urlsplit(response.url).path):
            self.bad_status.append(f"{response.request.method} {response.url}: HTTP {response.status}")

    def on_console(self, message) -> None:
        where = urlsplit(message.location.get("url", "")).path
        if message.type == "error" and not VIDEO_ROUTES.search(where):
            self.console_errors.append(f"{message.text} @ {message.location}")

    def problems(self) -> list[str]:
        return [
            *(f"request to another host: {r}" for r in self.foreign),
            *(f"failed request: {r}" for r in self.failed),
            *(f"error response: {r}" for r in self.bad_status),
            *(f"console error: {r}" for r in self.console_errors),
        ]


def visit_admin_tabs(page, base: str) -> None:
    page.goto(base + "/admin")
    tabs = page.locator("#admin-tabs .nav-link")
    tabs.first.wait_for(state="visible")
    labels = [tabs.nth(i).inner_text().strip() for i in range(tabs.count())]
    assert labels == [ID[k] for k in ("admin.users", "admin.config", "admin.audit", "admin.health", "admin.rejected")]
    for i, content in enumerate(["#users-table", "#config-table", "#audit-table", "#health-table", "#rejected-table"]):
        tabs.nth(i).click()
        page.locator(content).wait_for(state="visible")
        page.wait_for_load_state("networkidle")


# -- first page load after a start ------------------------------------------------------------


def test_fresh_workers_serve_dash_scripts(tmp_path):
    """Right after a (re)start, every gunicorn worker serves the page's scripts.

    Dash finishes setting itself up (registering its component libraries) in
    the first request a worker handles, and marks that done before doing it:
    requests that a gthread worker handles meanwhile on its other threads get
    500 for /_dash-component-suites/..., and the browser shows a blank page.
    This test starts its own server (production worker count), signs in, and
    fetches the page's scripts over many parallel connections, so that they
    reach workers that have not handled any request yet.
    """
    from scc.storage import open_storage

    port = free_port()
    env = {**os.environ, "SCC_DATA_DIR": str(tmp_path), "SCC_WEB_PORT": str(port), "SCC_WEB_HOST": "127.0.0.1"}
    env.pop("SCC_WEB_WORKERS", None)  # the production default (config/scc.yaml)
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    seed_users(engine)
    engine.dispose()
    base = f"http://127.0.0.1:{port}"
    with open(tmp_path / "web.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            # Wait for the socket only: an HTTP probe would set up a worker.
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, (tmp_path / "web.log").read_text()
                assert time.monotonic() < deadline, "web server did not listen in 60 s"
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            session = requests.Session()  # two requests: at most two workers set up
            session.headers["Origin"] = base  # as a browser sends it; a write from elsewhere is refused
            r = session.post(
                base + "/login",
                data={"username": "operator", "password": PASSWORDS["operator"]},
                allow_redirects=False,
                timeout=60,
            )
            assert r.status_code == 302
            index = session.get(base + "/", timeout=60)
            assert index.status_code == 200
            scripts = re.findall(r'<script src="(/_dash-component-suites/[^"]+)"', index.text)
            assert scripts, "the page loads no Dash scripts?"
            cookies = session.cookies.get_dict()
            parallel, rounds = 48, 3
            errors: list[str] = []

            def fetch(url: str, barrier: threading.Barrier) -> None:
                barrier.wait(timeout=30)
                # A new connection each, so the requests spread over the workers.
                r = requests.get(url, cookies=cookies, headers={"Connection": "close"}, timeout=30)
                if r.status_code != 200:
                    errors.append(f"HTTP {r.status_code} {url}")

            def booted() -> int:
                return (tmp_path / "web.log").read_text().count("Booting worker")

            for round_ in range(rounds):
                if round_:
                    # A graceful reload (SIGHUP, as after a configuration change):
                    # all-new workers, none of which has handled a request yet.
                    before = booted()
                    proc.send_signal(signal.SIGHUP)
                    deadline = time.monotonic() + 30
                    while booted() < before + 3 and time.monotonic() < deadline:
                        time.sleep(0.1)
                    time.sleep(1.0)  # old workers finish, new ones load the app
                barrier = threading.Barrier(parallel)
                threads = [
                    threading.Thread(target=fetch, args=(base + scripts[i % len(scripts)], barrier))
                    for i in range(parallel)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                if errors:
                    break
            assert not errors, (
                f"{len(errors)} script requests failed right after a (re)start, in round "
                f"{round_ + 1}:\n" + "\n".join(sorted(set(errors)))
            )
        finally:
            proc.terminate()
            proc.wait(timeout=20)
