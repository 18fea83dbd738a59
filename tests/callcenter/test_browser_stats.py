"""The call center's figures, map and complaints pages in Debian's Chromium (Playwright), against the real
production server (gunicorn) with a fortnight of calls, incidents and complaints.

The server is this module's own (its own database), so the seeded complaints
and call log change nothing the other browser tests count. Every page is
photographed at 1920x1080 into the screenshots folder the dashboard's browser
tests use; the wall pages must fit the screen, and no request may leave
127.0.0.1 (Plotly's geo traces would fetch outlines and tiles from a CDN).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import insert

from scc.clock import utcnow
from tests.conftest import free_port
from tests.support.web import PASSWORDS, WebServer, seed_users

pytestmark = pytest.mark.browser

WALL = {"width": 1920, "height": 1080}
TIMEOUT_MS = 15_000


def seed_calls(engine, settings, now: datetime, days: int = 14, per_day: int = 40, seed: int = 9) -> dict[str, int]:
    """`days` of emergencies (each with its call), missed calls from an imported PBX log, and complaints
    for three SKPD (dpmptsp's own among them), some past their deadline."""
    from scc.storage.callcenter import call_log, incidents

    rng = random.Random(seed)
    lines = [line.code for line in settings.call_lines]
    districts = [d.code for d in settings.districts]
    rows, calls, complaints = [], [], []
    for i in range(days * per_day):
        received = now - timedelta(seconds=rng.uniform(60, days * 86400))
        dispatch, scene = rng.uniform(1, 12), rng.uniform(8, 45)
        open_ = (now - received) < timedelta(hours=4) and i % 3 == 0
        line, district = rng.choice(lines), rng.choice(districts)
        rows.append(
            dict(
                line_code=line,
                district=district,
                category=rng.choice(["medical", "fire", "crime"]),
                summary="Seed",
                status="dispatched" if open_ else "resolved",
                received_at=received,
                dispatched_at=received + timedelta(minutes=dispatch),
                on_scene_at=None if open_ else received + timedelta(minutes=scene),
                resolved_at=None if open_ else received + timedelta(minutes=scene + 30),
                source="intake",
                created_by="operator",
            )
        )
        calls.append(
            dict(at=received, line_code=line, district=district, outcome="answered", source="intake", digest=None)
        )
    for j in range(days * 6):
        calls.append(
            dict(
                at=now - timedelta(seconds=rng.uniform(60, days * 86400)),
                line_code=rng.choice(lines),
                district=rng.choice(districts),
                outcome=rng.choice(["abandoned", "unanswered"]),
                source="csv",
                digest=f"seed-missed-{j}",
            )
        )
    for k, (unit, late) in enumerate([("dpmptsp", True), ("dpmptsp", False), ("pupr", True), ("dinkes", False)] * 3):
        received = now - timedelta(days=5 if late else 1, minutes=k)
        complaints.append(
            dict(
                line_code="psc-119",
                district=districts[k % len(districts)],
                village="Desa Contoh",
                category="complaint",
                summary=f"Pengaduan layanan {k + 1}: antrean dan pelayanan lambat",
                status="resolved" if k == 11 else "received",
                received_at=received,
                due_at=received + timedelta(days=settings.call_policy.complaint_days),
                skpd_code=unit,
                resolved_at=received + timedelta(hours=5) if k == 11 else None,
                source="intake",
                created_by="operator",
            )
        )
    with engine.begin() as conn:
        conn.execute(insert(incidents), rows)
        conn.execute(insert(incidents), complaints)
        conn.execute(insert(call_log), calls)
    return {"incidents": len(rows) + len(complaints), "call_log": len(calls)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn (`python -m dashboard`) on a free port, its database seeded with the running center and
    a fortnight of calls."""
    from scc.settings import load_settings
    from scc.storage import open_storage
    from tests.support.seed import seed

    data_dir = tmp_path_factory.mktemp("stats-live")
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    seed_users(engine)
    settings = load_settings()
    seed(engine, settings, samples_n=2000, incidents_n=0)  # the calls are seed_calls' own, counted below
    seed_calls(engine, settings, utcnow())
    engine.dispose()
    server = WebServer(data_dir, free_port()).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def shots(screenshot_dir) -> Path:
    return screenshot_dir


@pytest.fixture
def page_as(browser, server):
    """A signed-in 1920x1080 page, and every URL it requested."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(viewport=WALL)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(server + "/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORDS[username])
        with page.expect_navigation():
            page.click("#login-submit")
        return page, requested

    yield open_as
    for context in contexts:
        context.close()


def fits(page) -> dict:
    return page.evaluate(
        """() => ({h: document.documentElement.scrollHeight, ih: window.innerHeight,
                  w: document.documentElement.scrollWidth, iw: window.innerWidth})"""
    )


def photograph(page, folder: Path, name: str) -> None:
    page.locator("#wita-clock .clock-time").wait_for(state="visible")
    page.wait_for_timeout(300)  # plotly's resize and scc.js's fitting
    page.screenshot(path=str(folder / f"{name}.png"))


def assert_local(requested: list[str]) -> None:
    away = {urlsplit(u).hostname for u in requested if not u.startswith(("data:", "blob:"))} - {"127.0.0.1"}
    assert not away, f"requests left 127.0.0.1: {away}"


@pytest.mark.parametrize("username", ["bupati", "operator"])
def test_kpi_and_map_fit_the_wall_and_stay_local(page_as, server, shots, username):
    page, requested = page_as(username)
    page.goto(server + "/calls/kpi")
    page.locator("#kpi-chart-hour .main-svg").first.wait_for(state="visible")
    page.locator("#kpi-times-district tbody tr").first.wait_for(state="visible")
    assert page.locator("#kpi-calls .trend-word").inner_text().strip() in {"naik", "turun", "sama"}
    photograph(page, shots, f"{username}-id-calls-kpi-today")
    size = fits(page)
    assert size["h"] <= size["ih"] and size["w"] <= size["iw"], f"/calls/kpi scrolls: {size}"

    page.locator("#kpi-window label", has_text="7 hari").click()
    page.wait_for_function(
        "() => document.querySelector('#kpi-period') && !document.querySelector('#kpi-body[data-dash-is-loading]')"
    )
    page.wait_for_timeout(500)
    photograph(page, shots, f"{username}-id-calls-kpi-7d")
    size = fits(page)
    assert size["h"] <= size["ih"] and size["w"] <= size["iw"], f"/calls/kpi 7d scrolls: {size}"

    page.goto(server + "/calls/map?range=7d")
    page.locator("#map-figure .main-svg").first.wait_for(state="visible")
    assert page.locator("#map-figure").get_by_text("Posisi perkiraan").count() >= 1
    assert page.locator("#map-table tbody tr").count() == 8
    photograph(page, shots, f"{username}-id-calls-map")
    size = fits(page)
    assert size["h"] <= size["ih"] and size["w"] <= size["iw"], f"/calls/map scrolls: {size}"

    if username == "bupati":  # the bupati's view in English too, then back to Indonesian
        page.request.post(server + "/language", form={"lang": "en", "next": "/"}, headers={"Origin": server})
        page.goto(server + "/calls/kpi?range=7d")
        page.locator("#kpi-chart-hour .main-svg").first.wait_for(state="visible")
        assert page.locator("#kpi-scene .trend-word").inner_text().strip() in {"slower", "faster", "unchanged"}
        photograph(page, shots, f"{username}-en-calls-kpi-7d")
        size = fits(page)
        page.request.post(server + "/language", form={"lang": "id", "next": "/"}, headers={"Origin": server})
        assert size["h"] <= size["ih"] and size["w"] <= size["iw"], f"/calls/kpi in English scrolls: {size}"
    assert_local(requested)


def test_an_operator_imports_a_call_log_and_sees_its_bad_rows(page_as, server, shots, tmp_path):
    rows = ["Waktu;Nomor Tujuan;Penelepon;Kecamatan;Status;Durasi"]
    rows += [f"20/11/2026 10.{i:02d};119;0852990022{i:02d};Citta;Terputus;0:05" for i in range(4)]
    rows += ["20/11/2026 25.00;119;085299002299;Citta;Dijawab;1:00", "20/11/2026 11.00;119;0852;Kota X;Dijawab;1"]
    csv = tmp_path / "pbx-citta.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    page, requested = page_as("operator")
    page.goto(server + "/calls/import")
    page.locator("#import-columns tbody tr").first.wait_for(state="visible")
    page.set_input_files("#import-upload input[type=file]", str(csv))
    page.locator("#import-report").wait_for(state="visible")
    assert page.locator("#import-stored").inner_text() == "4"
    assert page.locator("#import-problems tbody tr").count() == 2
    photograph(page, shots, "operator-id-calls-import")
    assert_local(requested)
