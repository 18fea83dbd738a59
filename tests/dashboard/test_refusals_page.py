"""Refused sign-ins through the real sign-in route, counted per account, and the admin's page showing them
with the broker's refusals: counts, last time in WITA, reasons in words, in both languages; admins only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import get_args

import pytest

from dashboard import i18n
from dashboard.access import ROUTER
from scc import refusals, users
from scc.storage.platform import RefusalChannel, RefusalKind, RefusalReason
from tests.support.dashapp import callback_body, client, make_app, post_callback
from tests.support.web import PASSWORDS

LAST = datetime(2026, 11, 23, 1, 5, 7, tzinfo=UTC)  # 09.05 WITA


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    dash_app = make_app(tmp_path_factory.mktemp("refusals") / "scc.db")
    yield dash_app
    dash_app.server.config["SCC_CONTEXT"].engine.dispose()


def engine_of(app):
    return app.server.config["SCC_CONTEXT"].engine


def sign_in(c, username: str, password: str) -> int:
    return c.post("/login", data={"username": username, "password": password}).status_code


def audit_tab(app, c) -> str:
    body = callback_body(app, ROUTER)
    body["inputs"][0]["value"] = "/admin"
    body["inputs"][1]["value"] = "?tab=audit"
    r = post_callback(c, body)
    assert r.status_code == 200
    return json.dumps(r.get_json(), ensure_ascii=False)  # the texts as the page shows them, unescaped


def stored(app) -> dict[tuple[str, str, str, str], refusals.Refusal]:
    return {r.key: r for r in refusals.recent(engine_of(app))}


def test_refused_sign_ins_are_counted_per_account_and_unknown_names_per_address(app):
    assert sign_in(client(app, addr="10.20.0.7"), "operator", "not-the-password") == 401
    guesser = client(app, addr="10.20.0.66")
    for name in ("root", "administrator", "kepala-dinas-yang-sangat-panjang-sekali-namanya"):
        assert sign_in(guesser, name, "123456") == 401
    users.set_active(engine_of(app), "bupati", False, actor="test")
    try:
        assert sign_in(client(app, addr="10.20.0.8"), "bupati", PASSWORDS["bupati"]) == 401
    finally:
        users.set_active(engine_of(app), "bupati", True, actor="test")
    brake = client(app, addr="10.20.0.9")
    codes = [sign_in(brake, "dpmptsp", f"guess-{i}") for i in range(7)]
    assert codes == [401] * 5 + [429] * 2

    rows = stored(app)
    operator = rows[("web", "operator", "signin", "")]
    assert (operator.attempts, operator.reason, operator.detail) == (1, "password", "10.20.0.7")
    unknown = rows[("web", refusals.UNKNOWN, "signin", "10.20.0.66")]
    assert (unknown.attempts, unknown.reason) == (3, "unknown_account")
    assert unknown.detail == "kepala-dinas-yang-sangat-panjan…"  # the last name tried, cut
    assert rows[("web", "bupati", "signin", "")].reason == "disabled"
    braked = rows[("web", "dpmptsp", "signin", "")]
    assert (braked.attempts, braked.reason, braked.detail) == (7, "throttled", "10.20.0.9")
    assert sign_in(client(app, addr="10.20.0.7"), "operator", PASSWORDS["operator"]) == 302
    assert stored(app)[operator.key].attempts == 1, "a good sign-in is no refusal"


def test_the_admin_sees_who_was_refused_in_words_and_wita(app):
    refusals.record(
        engine_of(app),
        [
            refusals.refusal("broker", "publish", "acl", "dpmptsp", "", "scc/v1/skpd/bpkd/telemetry", LAST),
            refusals.refusal("broker", "signin", "not_authorised", refusals.UNKNOWN, "10.20.0.55", "port 8883", LAST),
            refusals.refusal("web", "signin", "password", "kasir", "10.20.0.56", at=LAST),
            refusals.refusal("web", "signin", "throttled", refusals.UNKNOWN, "10.20.0.57", "tamu", LAST),
        ],
        now=LAST,
    )
    admin = client(app, "admin")
    text = audit_tab(app, admin)
    assert "refusals-table" in text and "audit-table" in text
    for shown in (
        "Akses yang ditolak",
        "Broker (MQTT)",
        "Mengirim data",
        "Tidak diizinkan ACL",
        "scc/v1/skpd/bpkd/telemetry",
        "akun tak dikenal (10.20.0.55)",
        "Nama atau kata sandi ditolak",
        "Login web",
        "Kata sandi salah",
        "Terlalu sering gagal: ditahan",
        "23 Nov 2026 09.05 WITA",
        "hanya alamat asalnya",  # the broker names no account for a refused sign-in: said on the page
    ):
        assert shown in text, shown
    admin.post("/language", data={"lang": "en"})
    text = audit_tab(app, admin)
    for shown in ("Refused access", "Not allowed by the ACL", "unknown account (10.20.0.55)", "09:05 WITA"):
        assert shown in text, shown
    admin.post("/language", data={"lang": "id"})

    for username in ("operator", "bupati", "dpmptsp"):
        text = audit_tab(app, client(app, username))
        assert "refusals-table" not in text and "10.20.0.55" not in text, username


def test_every_channel_kind_and_reason_has_its_words():
    for lang in i18n.LANGUAGES:
        catalog = i18n.catalog(lang)
        keys = [
            *(f"refusal_channel.{v}" for v in get_args(RefusalChannel)),
            *(f"refusal_kind.{v}" for v in get_args(RefusalKind)),
            *(f"refusal_reason.{v}" for v in get_args(RefusalReason)),
        ]
        assert [k for k in keys if k not in catalog] == [], lang


@pytest.mark.browser
def test_the_refusals_read_in_a_browser_and_pass_axe(seeded_server, screenshot_dir):
    """The audit tab with refusals on it, as Chromium draws it: in words, no serious axe-core violation."""
    from playwright.sync_api import sync_playwright

    from scc.storage import open_storage
    from tests.dashboard.test_browser import WALL, axe_problems, sign_in
    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    engine = open_storage(seeded_server["db_url"])
    try:
        refusals.record(
            engine,
            [
                refusals.refusal("broker", "publish", "acl", "dpmptsp", "", "scc/v1/skpd/bpkd/telemetry", LAST),
                refusals.refusal("broker", "signin", "not_authorised", refusals.UNKNOWN, "10.20.0.55", "port 1", LAST),
            ],
            now=LAST,
        )
    finally:
        engine.dispose()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=WALL).new_page()
            sign_in(page, seeded_server["url"], "admin")
            page.goto(seeded_server["url"] + "/admin?tab=audit")
            table = page.locator("#refusals-table")
            table.wait_for(state="visible")
            row = table.locator("tr", has_text="10.20.0.55").inner_text()
            assert "akun tak dikenal" in row and "Nama atau kata sandi ditolak" in row and "port 1" in row
            assert "Tidak diizinkan ACL" in table.locator("tr", has_text="scc/v1/skpd/bpkd/telemetry").inner_text()
            page.screenshot(path=str(screenshot_dir / "admin-id-admin-refusals.png"))
            assert axe_problems(page, "admin id /admin?tab=audit") == []
        finally:
            browser.close()
