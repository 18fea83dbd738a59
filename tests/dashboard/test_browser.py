"""The dashboard as a person sees it: Debian's Chromium driven by Playwright
against the real production server (gunicorn) of the `live_server` fixture.

One browser for the module, a fresh context (cookies, storage) per test.
The browser is never downloaded: Debian's /usr/bin/chromium is used, and only
loopback traffic is expected.
"""

from __future__ import annotations

import json
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

from tests.conftest import free_port
from tests.support.web import PASSWORDS, login, seed_users

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 15_000

ID = json.loads((ROOT / "dashboard/locales/id.json").read_text(encoding="utf-8"))
EN = json.loads((ROOT / "dashboard/locales/en.json").read_text(encoding="utf-8"))

# path -> (nav link id, title key, an element only the rendered page has)
PAGES = {
    "/": ("nav-overview", "overview.title", "#kpi-cameras"),
    "/cameras": ("nav-cameras", "cameras.title", "#cameras-table"),
    "/calls": ("nav-calls", "calls.title", "#call-lines"),
    "/metrics": ("nav-metrics", "metrics.title", "#metrics-table"),  # filled by a callback
    "/admin": ("nav-admin", "admin.title", "#users-table"),
}
ALLOWED = {
    "admin": ["/", "/cameras", "/calls", "/metrics", "/admin"],
    "operator": ["/", "/cameras", "/calls", "/metrics"],
    "bupati": ["/", "/cameras", "/calls", "/metrics"],
    "dpmptsp": ["/metrics"],
}
HOME = {"admin": "/", "operator": "/", "bupati": "/", "dpmptsp": "/metrics"}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def base(live_server) -> str:
    return live_server["url"]


@pytest.fixture
def new_page(browser):
    """Opens pages in fresh browser contexts; all closed at the end of the test."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


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
    page.wait_for_selector("#logout")


def visible_nav_ids(page) -> set[str]:
    page.wait_for_selector("nav a[id^='nav-']")
    return {link.get_attribute("id") for link in page.locator("a[id^='nav-']").all() if link.is_visible()}


def expect_page(page, path: str, texts: dict[str, str]) -> None:
    """The page at `path` has rendered: its heading and its own content are shown."""
    _, title_key, content = PAGES[path]
    heading = page.locator("h2", has_text=texts[title_key])
    heading.wait_for(state="visible")
    assert heading.inner_text().strip() == texts[title_key]
    page.locator(content).first.wait_for(state="visible")
    assert page.locator(".forbidden").count() == 0


# -- roles -----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["admin", "operator", "bupati", "dpmptsp"])
def test_role_sees_only_its_pages(new_page, base, username):
    page = new_page()
    page.goto(base + "/login")
    sign_in(page, base, username)

    expected_nav = {PAGES[p][0] for p in ALLOWED[username]}
    assert visible_nav_ids(page) == expected_nav

    for path in ALLOWED[username]:
        response = page.goto(base + path)
        assert response.status == 200, f"{username} {path}: HTTP {response.status}"
        assert path_of(page.url) == path
        expect_page(page, path, ID)
        assert visible_nav_ids(page) == expected_nav

    for path in sorted(set(PAGES) - set(ALLOWED[username])):
        response = page.goto(base + path)
        if path == "/":
            # "/" is not forbidden as such: it leads to the role's own home page.
            assert path_of(page.url) == HOME[username]
            expect_page(page, HOME[username], ID)
            continue
        assert response.status == 403, f"{username} {path}: HTTP {response.status}"
        page.locator(".forbidden").wait_for(state="visible")
        assert ID["forbidden.title"] in page.locator(".forbidden").inner_text()


# -- language ----------------------------------------------------------------------------


def _nav_texts(page) -> tuple[str, str]:
    return (page.locator("#nav-cameras").inner_text().strip(),
            page.locator("h2").first.inner_text().strip())


def test_language_switch_and_persistence(new_page, base):
    username = "bupati"
    try:
        page = new_page()
        page.goto(base + "/login")
        assert page.locator("html").get_attribute("lang") == "id"
        assert page.locator("#login-submit").inner_text().strip() == ID["login.submit"] == "Masuk"
        assert page.locator("label[for=username]").inner_text().strip() == ID["login.username"]

        # The sign-in page in English, then back in Indonesian.
        with page.expect_navigation():
            page.click("#lang-en")
        assert path_of(page.url) == "/login"
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("#login-submit").inner_text().strip() == EN["login.submit"] == "Sign in"
        assert page.locator("label[for=password]").inner_text().strip() == EN["login.password"]
        with page.expect_navigation():
            page.click("#lang-id")
        assert page.locator("#login-submit").inner_text().strip() == "Masuk"

        # Signed in, the user's stored language (Indonesian) applies; switch from the navbar.
        sign_in(page, base, username)
        expect_page(page, "/", ID)
        assert _nav_texts(page) == ("Kamera", "Ikhtisar Kabupaten Soppeng")
        with page.expect_navigation():
            page.click("#lang-en")
        assert path_of(page.url) == "/"
        expect_page(page, "/", EN)
        assert _nav_texts(page) == ("Cameras", "Soppeng Regency overview")
        assert page.locator("#logout").inner_text().strip() == EN["nav.logout"]
        assert page.locator("html").get_attribute("lang") == "en"

        # Stored per user, not only in this browser: a fresh context (no cookies)
        # shows the sign-in page in Indonesian, and the dashboard in English.
        with page.expect_navigation():
            page.click("#logout")
        assert path_of(page.url) == "/login"
        other = new_page()
        other.goto(base + "/login")
        assert other.locator("#login-submit").inner_text().strip() == "Masuk"
        sign_in(other, base, username)
        expect_page(other, "/", EN)
        assert _nav_texts(other) == ("Cameras", "Soppeng Regency overview")
        other.goto(base + "/cameras")
        expect_page(other, "/cameras", EN)

        # And back to Indonesian from the navbar, also stored.
        with other.expect_navigation():
            other.click("#lang-id")
        assert path_of(other.url) == "/cameras"
        expect_page(other, "/cameras", ID)
        assert other.locator("#nav-cameras").inner_text().strip() == "Kamera"
        with other.expect_navigation():
            other.click("#logout")
        third = new_page()
        sign_in(third, base, username)
        expect_page(third, "/", ID)
        assert _nav_texts(third) == ("Kamera", "Ikhtisar Kabupaten Soppeng")
        assert third.locator("html").get_attribute("lang") == "id"
    finally:
        # Leave the shared server as found, whatever failed above.
        session = login(base, username)
        session.post(base + "/language", data={"lang": "id", "next": "/"}, allow_redirects=False, timeout=10)
        session.post(base + "/logout", allow_redirects=False, timeout=10)


# -- sign-out ------------------------------------------------------------------------------


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


def test_everything_comes_from_the_server(new_page, base):
    """Admin opens every page and admin tab: every request goes to this server,
    none fails, and the console stays free of errors."""
    page = new_page()
    app_host = urlsplit(base).netloc
    foreign, failed, bad_status, console_errors = [], [], [], []

    def on_request(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob"):
            return
        if parts.scheme not in ("http", "https") or parts.netloc != app_host:
            foreign.append(f"{request.method} {request.url}")

    def on_failed(request):
        failed.append(f"{request.method} {request.url}: {request.failure}")

    def on_response(response):
        if response.status >= 400:
            bad_status.append(f"{response.request.method} {response.url}: HTTP {response.status}")

    def on_console(message):
        if message.type == "error":
            console_errors.append(f"{message.text} @ {message.location}")

    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))

    page.goto(base + "/login", wait_until="networkidle")
    sign_in(page, base, "admin")
    page.wait_for_load_state("networkidle")
    for path in ALLOWED["admin"]:
        page.goto(base + path, wait_until="networkidle")
        expect_page(page, path, ID)
        page.wait_for_load_state("networkidle")

    tabs = page.locator("#admin-tabs .nav-link")
    labels = [tabs.nth(i).inner_text().strip() for i in range(tabs.count())]
    assert labels == [ID["admin.users"], ID["admin.config"], ID["admin.audit"], ID["admin.health"]]
    for i, content in enumerate(["#users-table", "#config-table", "#audit-table", "#health-table"]):
        tabs.nth(i).click()
        page.locator(content).wait_for(state="visible")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(200)

    assert not foreign, "requests to other hosts:\n" + "\n".join(foreign)
    assert not failed, "failed requests:\n" + "\n".join(failed)
    assert not bad_status, "error responses:\n" + "\n".join(bad_status)
    assert not console_errors, "console errors:\n" + "\n".join(console_errors)


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
        proc = subprocess.Popen([sys.executable, "-m", "dashboard"], env=env, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT)
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
            r = session.post(base + "/login", data={"username": "operator", "password": PASSWORDS["operator"]},
                             allow_redirects=False, timeout=60)
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
                threads = [threading.Thread(target=fetch, args=(base + scripts[i % len(scripts)], barrier))
                           for i in range(parallel)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                if errors:
                    break
            assert not errors, (f"{len(errors)} script requests failed right after a (re)start, in round "
                                f"{round_ + 1}:\n" + "\n".join(sorted(set(errors))))
        finally:
            proc.terminate()
            proc.wait(timeout=20)
