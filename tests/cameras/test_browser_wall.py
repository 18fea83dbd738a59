"""The video wall and the camera health page in Debian's Chromium, against the production web server.

Two stacks. The first is the web server alone, seeded with camera states, outages and heartbeats: the
wall fits a 1920x1080 kiosk with no scrollbar, one banner stands for a dead link, a status refresh
rewrites the overlays and never the players, a click enlarges a camera on its main stream, the layout
is remembered per user, the tour turns the pages; the health page draws its tables and timeline.

The second is live video: the RTSP simulator, a camera worker, the WebRTC relay, the web server and
Chromium, all inside a private network namespace (WebRTC needs a non-loopback address on both sides:
docs/field-notes.md "WebRTC needs a non-loopback address"), as tests/cameras/test_relay.py runs its own
live tests. The wall must show its 16 tiles playing. Screenshots go to SCC_SCREENSHOT_DIR, or a folder
under pytest's base temporary directory.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, update

from dashboard import i18n
from scc import health
from scc.clock import utcnow
from scc.settings import load_settings
from scc.storage import open_storage
from scc.storage.cameras import camera_outages, camera_state, wall_prefs
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.support.services import free_port
from tests.support.web import ROOT, WebServer, seed_users

pytestmark = pytest.mark.browser

WALL = {"width": 1920, "height": 1080}
ID = i18n.catalog("id")
NETNS = os.environ.get("SCC_TEST_NETNS", "")
STATES = """() => [...document.querySelectorAll('#wall-players .live-tile')].map(t => ({
    camera: t.dataset.camera, state: t.dataset.state, fps: t.dataset.fps,
    width: t.querySelector('video').videoWidth}))"""


@pytest.fixture(scope="module")
def shots(screenshot_dir) -> Path:
    return screenshot_dir


def fits(page) -> dict[str, int]:
    return page.evaluate(
        """() => ({sh: document.documentElement.scrollHeight, ih: window.innerHeight,
                  sw: document.documentElement.scrollWidth, iw: window.innerWidth})"""
    )


# -- the wall and the health page on seeded data ----------------------------------------------------


def dead_link(settings) -> tuple[str, list[str]]:
    """A radio uplink with two or more installed cameras: the one the seed cuts."""
    active = [c for c in settings.cameras if c.status == "active"]
    for uplink in dict.fromkeys(c.uplink for c in active):
        members = [c.id for c in active if c.uplink == uplink]
        if len(members) >= 2 and uplink.startswith("radio"):
            return uplink, members
    raise AssertionError("config/cameras.yaml has no radio uplink with two installed cameras")


def seed_cameras(engine, settings) -> dict[str, Any]:
    now = utcnow()
    uplink, dark = dead_link(settings)
    active = [c for c in settings.cameras if c.status == "active"]
    failing = next(c.id for c in active if c.id not in dark and c.id != active[0].id)
    states, outages = [], []
    for i, cam in enumerate(active):
        state, error = "online", None
        if cam.id in dark:
            state, error = "offline", "timeout: no frame for 5 s"
        elif cam.id == failing:
            state, error = "error", "401 Unauthorized"
        states.append(
            dict(
                camera_id=cam.id, status=state, last_frame_at=now - timedelta(seconds=1 if state == "online" else 95),
                fps=5.0 if state == "online" else 0.0, width=640, height=360, codec="h264",
                reconnects=i % 4, last_error=error, updated_at=now,
            )
        )  # fmt: skip
        if i % 3 == 0:  # a short outage earlier today for every third camera
            start = now - timedelta(hours=2 + i)
            outages.append(dict(camera_id=cam.id, uplink=cam.uplink, started_at=start,
                                ended_at=start + timedelta(minutes=10 + i), reason="connection refused"))  # fmt: skip
    for cam in dark:  # the rain took the link down 95 s ago, and it is still down
        outages.append(dict(camera_id=cam, uplink=uplink, started_at=now - timedelta(seconds=95), ended_at=None,
                            reason="timeout: no frame for 5 s"))  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(camera_state), states)
        conn.execute(insert(camera_outages), outages)
    health.beat(engine, "cameras-worker-0", interval_s=3600, detail="8 cameras, cpu 6.1%")
    health.beat(engine, "cameras-worker-1", interval_s=3600, detail="8 cameras, cpu 5.4%")
    health.beat(engine, "cameras-relay", interval_s=3600, detail="3 sources, 4 viewers, cpu 2.2%")
    return {"uplink": uplink, "dark": dark, "failing": failing, "first": active[0].id}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("wall")
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    seed_users(engine)
    facts = seed_cameras(engine, load_settings())
    server = WebServer(data_dir, free_port(), workers=1).start()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield {**facts, "url": server.url, "engine": engine, "browser": browser}
        browser.close()
    server.stop()
    engine.dispose()


@pytest.fixture
def page(seeded):
    context = seeded["browser"].new_context(viewport=WALL)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_wall_fits_the_kiosk_and_keeps_its_players(seeded, page, shots):
    base, engine = seeded["url"], seeded["engine"]
    sign_in(page, base, "operator")
    page.goto(base + "/cameras?kiosk=1")
    page.wait_for_function("document.querySelectorAll('#wall-players .live-tile').length === 16")
    tiles = page.locator("#wall-players .live-tile")
    assert {tiles.nth(i).get_attribute("data-stream") for i in range(16)} == {"sub"}
    assert page.locator("#wall-players .live-tile video").count() == 16
    assert page.locator("#wall-overlays .tile-overlay").count() == 16
    page.wait_for_timeout(300)
    size = fits(page)
    assert size["sh"] <= size["ih"] and size["sw"] <= size["iw"], f"the kiosk wall scrolls: {size}"
    page.screenshot(path=str(shots / "wall-kiosk-4x4.png"))

    # One banner for the dead link; its cameras say "link down" in grey, no alarm each.
    banner = page.locator(".wall-banner")
    assert banner.count() == 1
    assert f"({len(seeded['dark'])} kamera)" in banner.inner_text()
    quiet = page.locator("#wall-overlays .tile-overlay[data-status='link-down']")
    assert quiet.count() == len(seeded["dark"])
    assert all("tone-alarm" not in (quiet.nth(i).get_attribute("class") or "") for i in range(quiet.count()))
    failing = page.locator(f"#wall-overlays .tile-overlay[data-camera='{seeded['failing']}']")
    assert "tone-alarm" in failing.get_attribute("class") and ID["fault.login"] in failing.inner_text()
    assert failing.locator(".ov-error").get_attribute("title") == "401 Unauthorized"  # the worker's own words
    assert ID["camera.error"] in failing.inner_text()
    # Planned cameras take no tile: they are listed apart.
    assert page.locator("#cameras-planned-list .plan-item").count() >= 1
    shown = set(page.eval_on_selector_all("#wall-players .live-tile", "ts => ts.map(t => t.dataset.camera)"))
    assert not shown & {c.id for c in load_settings().cameras if c.status == "planned"}

    # A status refresh rewrites the overlays and leaves every <video> element where it was.
    page.evaluate("document.querySelectorAll('#wall-players video').forEach(v => { v.dataset.mark = 'kept'; })")
    first = seeded["first"]
    with engine.begin() as conn:
        conn.execute(
            update(camera_state)
            .where(camera_state.c.camera_id == first)
            .values(status="stale", last_error="no frame for 3 s", updated_at=utcnow())
        )
    overlay = page.locator(f"#wall-overlays .tile-overlay[data-camera='{first}']")
    overlay.filter(has_text=ID["camera.stale"]).wait_for(timeout=20_000)  # refresh every 5 s
    assert page.locator("#wall-players video[data-mark='kept']").count() == 16, "a refresh rebuilt the players"

    # A click enlarges the camera on its main stream; closing removes that player again.
    overlay.click()
    big = page.locator("#wall-enlarged.open .live-tile[data-stream='main']")
    big.wait_for(state="visible")
    assert big.get_attribute("data-camera") == first
    # This stack has no relay: the player cannot play, and says so in words over the black picture.
    said = big.locator(".live-state")
    said.wait_for(state="visible")
    state, words = said.evaluate(
        "(el) => [el.closest('.live-tile').dataset.state, getComputedStyle(el, '::before').content]"
    )
    assert state in ("connecting", "reconnecting", "snapshot")
    assert words.strip('"') == ID[f"cameras.player_{state}"]
    page.screenshot(path=str(shots / "wall-enlarged.png"))
    page.click("#wall-close")
    page.locator("#wall-enlarged.open").wait_for(state="detached")
    assert page.locator("#wall-enlarged .live-tile").count() == 0


def test_layout_is_remembered_and_the_tour_turns_pages(seeded, page, shots):
    base, engine = seeded["url"], seeded["engine"]
    try:
        sign_in(page, base, "bupati")
        page.goto(base + "/cameras")
        page.wait_for_function("document.querySelectorAll('#wall-players .live-tile').length === 16")
        page.locator("#wall-layout label", has_text="2x2").click()
        page.locator("#wall-group label", has_text=ID["cameras.by_site"]).click()
        page.wait_for_function("document.querySelectorAll('#wall-players .live-tile').length === 4")
        first_group = page.locator("#wall-group-name").inner_text()
        page.click("#wall-next")
        page.wait_for_function(f"document.querySelector('#wall-group-name').innerText !== {first_group!r}")
        page.screenshot(path=str(shots / "wall-2x2-by-site.png"))
        # Remembered for the user: a fresh page load comes back as 2x2 by site.
        page.reload()
        page.wait_for_function("document.querySelectorAll('#wall-players .live-tile').length === 4")
        assert page.locator("#wall-layout label.active").inner_text().strip() == "2x2"
        assert page.locator("#wall-players").get_attribute("class").endswith("side-2")
        # The tour: every 10 s the next page.
        before = page.locator("#wall-pager .pager-count").inner_text()
        page.locator("#wall-tour label", has_text="10 s").click()
        started = time.monotonic()
        page.wait_for_function(
            f"document.querySelector('#wall-pager .pager-count').innerText !== {before!r}", timeout=25_000
        )
        assert 5 <= time.monotonic() - started <= 22
    finally:
        with engine.begin() as conn:
            conn.execute(wall_prefs.delete())


def test_the_health_page(seeded, page, shots):
    base = seeded["url"]
    sign_in(page, base, "admin")
    response = page.goto(base + "/cameras/health")
    if response.status == 404:
        pytest.fail("/cameras/health is not served: dashboard/app.py's PAGES must list cameras_health")
    page.locator("#camhealth-chart .main-svg").first.wait_for(state="visible")
    assert page.locator("#camhealth-camera-table tbody tr").count() == 16
    processes = page.locator("#camhealth-process-table").inner_text()
    assert "cameras-worker-0" in processes and "cameras-relay" in processes and "6,1 %" in processes
    links = page.locator("#camhealth-link-table").inner_text()
    assert " ".join(p.capitalize() for p in seeded["uplink"].split("-")) in links
    page.screenshot(path=str(shots / "cameras-health.png"), full_page=True)
    # SKPD staff: their own cameras only, no process table.
    context = seeded["browser"].new_context(viewport=WALL)
    try:
        own = context.new_page()
        sign_in(own, base, "dpmptsp")
        own.goto(base + "/cameras/health")
        own.locator("#camhealth-camera-table").wait_for()
        count = own.locator("#camhealth-camera-table tbody tr").count()
        mine = [c for c in load_settings().cameras if c.skpd == "dpmptsp" and c.status == "active"]
        assert count == len(mine) and own.locator("#camhealth-process-table").count() == 0
        own.goto(base + "/cameras?kiosk=1")
        own.wait_for_function(f"document.querySelectorAll('#wall-players .live-tile').length === {len(mine)}")
        own.screenshot(path=str(shots / "dpmptsp-wall-kiosk.png"))
    finally:
        context.close()


# -- live video: the whole chain inside a private network namespace ----------------------------------


def test_live_wall_in_a_private_network(tmp_path, shots):
    """Runs test_live_wall_inside (below) in a fresh network namespace with a veth pair."""
    if not (shutil.which("unshare") and shutil.which("ip")):
        pytest.fail("util-linux's unshare and iproute2's ip are needed for the WebRTC tests")
    setup = (
        "ip link set lo up && ip link add scc-a type veth peer name scc-b && "
        "ip addr add 198.18.0.1/24 dev scc-a && ip link set scc-a up && ip link set scc-b up && "
        'ip route add default dev scc-a && exec "$0" "$@"'
    )
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    command = [*unshare, "--", "sh", "-c", setup, sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
    command += ["-o", "addopts=-p no:dash", f"{__file__}::test_live_wall_inside"]
    env = {**os.environ, "SCC_TEST_NETNS": "198.18.0.1", "SCC_SCREENSHOT_DIR": str(shots)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    print(output[-4000:])
    assert done.returncode == 0, output[-12000:]
    assert re.search(r"\b1 passed\b", output), output[-3000:]


@pytest.mark.inside_netns
def test_live_wall_inside(tmp_path, shots):
    """The operator's kiosk wall with the 16 simulated cameras playing through the relay, and a worker
    writing their states, photographed once they all play."""
    from playwright.sync_api import sync_playwright

    from tests.cameras.test_relay_live import relay_config
    from tests.support.relay import RelayProcess
    from tests.support.rtsp import RtspSimulator

    sim = RtspSimulator(relay_config(tmp_path / "config"), tmp_path / "sim").start()
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    seed_users(engine)
    relay = RelayProcess({**sim.env, "SCC_DATA_DIR": str(data_dir)}, tmp_path)
    web = WebServer(data_dir, free_port(), workers=1)
    web.env.update({**relay.env, "SCC_WEB_PORT": str(web.port)})
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115  (the worker's whole life)
    worker = subprocess.Popen(
        [sys.executable, "-m", "streams.cameras.worker", "--slice", "0/1"],
        env=relay.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    pw = sync_playwright().start()
    try:
        relay.start()
        web.start()
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--disable-features=WebRtcHideLocalIpsWithMdns"]
        )
        page = browser.new_context(viewport=WALL).new_page()
        sign_in(page, web.url, "operator")
        started = time.monotonic()
        page.goto(web.url + "/cameras?kiosk=1")
        page.wait_for_function("document.querySelectorAll('#wall-players .live-tile').length === 16")
        states: list[Any] = []
        deadline = time.monotonic() + 90  # generous: two cores shared with other work
        while time.monotonic() < deadline:
            states = page.evaluate(STATES)
            if sum(1 for s in states if s["state"] == "live" and s["width"] > 0) == 16:
                break
            time.sleep(0.5)
        else:
            page.screenshot(path=str(shots / "wall-live-16-failed.png"))
            raise AssertionError(f"not all 16 tiles play: {states}\nrelay: {relay.log_text()[-3000:]}")
        all_live_s = time.monotonic() - started
        # Overlays say "online" once the worker's states arrive (refresh every 5 s).
        page.wait_for_function(
            'document.querySelectorAll("#wall-overlays .tile-overlay.tone-ok").length >= 14', timeout=30_000
        )
        page.wait_for_timeout(1500)  # a couple of frames more, for the photograph
        size = fits(page)
        assert size["sh"] <= size["ih"] and size["sw"] <= size["iw"], size
        page.screenshot(path=str(shots / "wall-live-16.png"))
        widths = page.evaluate("[...document.querySelectorAll('#wall-players video')].map(v => v.videoWidth)")
        assert widths == [640] * 16, widths
        print(f"16 live tiles after {all_live_s:.1f} s")
        browser.close()
    finally:
        pw.stop()
        worker.terminate()
        worker.wait(timeout=20)
        log.close()
        web.stop()
        relay.stop()
        sim.stop()
        engine.dispose()
