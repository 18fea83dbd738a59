"""Live video in Chromium through the real relay and the real web app, inside a network namespace of its own.

Started by test_relay.py::test_live_view_in_a_private_network, which runs this
file in a fresh namespace (`unshare -n`) with loopback up and a veth pair at
198.18.0.1: aiortc leaves 127.0.0.1 out of its candidates and Chromium offers
no loopback candidate (docs/field-notes.md "WebRTC needs a non-loopback address"),
so WebRTC needs that address. Everything runs inside: the RTSP simulator, the
relay, the web server (gunicorn) and Chromium. Outside such a namespace its
tests are deselected (tests/conftest.py).

The figures (first frame, glass-to-glass latency read from the painted
timecode, relay CPU per viewer) go to SCC_RELAY_FIGURES as JSON.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from scc.percentiles import percentile
from scc.storage import open_storage
from tests.cameras.test_relay import PASSWORD
from tests.support import video
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.procs import rss_kb
from tests.support.relay import RelayProcess, bound_sockets
from tests.support.rtsp import RtspSimulator, set_rain
from tests.support.services import free_port
from tests.support.web import PASSWORDS, ROOT, WebServer, seed_users

ICE_ADDRESS = os.environ.get("SCC_TEST_NETNS", "")
# Collected only inside the namespace (tests/conftest.py deselects these elsewhere).
pytestmark = [pytest.mark.browser, pytest.mark.inside_netns]

LINGER_S = 2.0
FIGURES: dict[str, Any] = {}

TILE = """([id, camera, stream]) => {
  const tile = document.createElement("div");
  tile.className = "live-tile";
  tile.id = id;
  tile.dataset.camera = camera;
  tile.dataset.stream = stream;
  tile.innerHTML = '<video muted playsinline autoplay></video><img alt="">';
  document.body.appendChild(tile);
  return performance.now();
}"""


def relay_config(target: Path) -> Path:
    """config/ with rain off, a short linger and the namespace's address as the only ICE candidate."""
    shutil.copytree(ROOT / "config", target)
    set_rain(target, enabled=False)
    path = target / "scc.yaml"
    text, n = re.subn(r"(?m)^(\s+)linger_s: \S+$", rf"\g<1>linger_s: {LINGER_S}", path.read_text())
    text, m = re.subn(r"(?m)^(\s+)ice_addresses: \[\]$", rf'\g<1>ice_addresses: ["{ICE_ADDRESS}"]', text)
    assert n == 1 and m == 1, "config/scc.yaml: cameras.relay has no one-line linger_s / ice_addresses"
    path.write_text(text)
    return target


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("live")
    sim = RtspSimulator(relay_config(base / "config"), base / "sim").start()
    data_dir = base / "data"
    data_dir.mkdir(mode=0o700)
    relay = RelayProcess({**sim.env, "SCC_DATA_DIR": str(data_dir)}, base)
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    seed_users(engine)
    engine.dispose()
    web = WebServer(data_dir, free_port())
    web.env.update({**relay.env, "SCC_WEB_PORT": str(web.port)})
    pw = sync_playwright().start()
    try:
        relay.start()
        web.start()
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--disable-features=WebRtcHideLocalIpsWithMdns"],
        )
        yield {"sim": sim, "relay": relay, "web": web, "browser": browser, "playwright": pw}
        browser.close()
    finally:
        pw.stop()
        web.stop()
        relay.stop()
        sim.stop()
        path = os.environ.get("SCC_RELAY_FIGURES")
        if path:
            Path(path).write_text(json.dumps(FIGURES))


@pytest.fixture
def open_page(stack) -> Iterator[Callable[[str], Page]]:
    contexts = []

    def make(username: str) -> Page:
        context = stack["browser"].new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        return signed_in(context.new_page(), stack["web"].url, username)

    yield make
    for context in contexts:
        context.close()


def signed_in(page: Page, url: str, username: str) -> Page:
    page.goto(url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login)"))
    page.goto(url + "/account")
    page.wait_for_selector("#react-entry-point")
    return page


def add_tile(page: Page, tile_id: str, camera: str, stream: str = "sub") -> float:
    return float(page.evaluate(TILE, [tile_id, camera, stream]))


def wait_state(page: Page, tile_id: str, state: str, timeout_s: float) -> None:
    page.wait_for_function(
        "([id, state]) => document.getElementById(id).dataset.state === state",
        arg=[tile_id, state],
        timeout=timeout_s * 1000,
    )


def painted_ms(page: Page, tile_id: str) -> tuple[int | None, float]:
    """(the timecode painted into the next shown frame, when it was shown), both epoch ms."""
    return video.painted_ms(page, f"#{tile_id} video")


def decoded(page: Page, tile_id: str) -> int:
    return int(
        page.evaluate(
            "(id) => document.querySelector('#' + id + ' video').getVideoPlaybackQuality().totalVideoFrames", tile_id
        )
    )


def sources(stack, camera: str) -> list[dict[str, Any]]:
    return [s for s in stack["relay"].state()["sources"] if s["camera"] == camera]


def wait_for(check: Callable[[], bool], timeout_s: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout_s:.0f} s")


def test_chromium_plays_a_camera_through_the_relay(stack, open_page):
    page = open_page("operator")
    started = add_tile(page, "t1", "rsud-lobi")
    wait_state(page, "t1", "live", 20)
    first_frame_s = (float(page.evaluate("performance.now()")) - started) / 1000
    before = decoded(page, "t1")
    time.sleep(2)
    assert decoded(page, "t1") >= before + 5, "the video is not advancing (5 fps expected)"
    latencies = []
    for _ in range(20):
        painted, shown = painted_ms(page, "t1")
        if painted is not None:
            latencies.append(shown - painted)
    assert len(latencies) >= 15, f"the painted timecode read in only {len(latencies)} of 20 frames"
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    assert 0 < p50 < 1500, f"glass-to-glass p50 {p50:.0f} ms"
    assert sources(stack, "rsud-lobi")[0]["viewers"] == 1
    fps = float(page.get_attribute("#t1", "data-fps") or 0)
    assert fps >= 3, f"data-fps {fps}"
    FIGURES.update(first_frame_s=round(first_frame_s, 2), latency_p50_ms=round(p50), latency_p95_ms=round(p95))


def test_two_viewers_share_one_source_released_after_the_last(stack, open_page):
    first, second = open_page("operator"), open_page("bupati")
    add_tile(first, "a", "rsud-igd")
    add_tile(second, "b", "rsud-igd")
    wait_state(first, "a", "live", 20)
    wait_state(second, "b", "live", 20)
    shared = sources(stack, "rsud-igd")
    assert len(shared) == 1 and shared[0]["viewers"] == 2, shared
    playing = stack["sim"].state()["cameras"]["rsud-igd"]["playing"]
    assert playing["sub"] == 1, playing

    # Relay CPU per viewer is a figure of benchmarks/cameras.py, measured against its floor there.
    first.evaluate("document.getElementById('a').remove()")
    wait_for(lambda: sources(stack, "rsud-igd")[0]["viewers"] == 1, 10, "the first viewer's session ended")
    before = decoded(second, "b")
    time.sleep(1.5)
    assert decoded(second, "b") > before, "the remaining viewer stopped playing"

    second.evaluate("document.getElementById('b').remove()")
    left = time.monotonic()
    wait_for(lambda: sources(stack, "rsud-igd")[0]["viewers"] == 0, 10, "the last viewer's session ended")
    assert sources(stack, "rsud-igd")[0]["lingering"]
    wait_for(lambda: not sources(stack, "rsud-igd"), 15, "the source released after linger_s")
    released_s = time.monotonic() - left
    assert released_s >= LINGER_S - 0.5, "released before linger_s"
    wait_for(
        lambda: stack["sim"].state()["cameras"]["rsud-igd"]["playing"]["sub"] == 0,
        15,
        "the camera's stream stopped at the simulator (the relay let it go)",
    )
    FIGURES.update(release_after_last_viewer_s=round(released_s, 2))


def test_camera_down_and_up_resumes_the_open_tile(stack, open_page):
    page = open_page("operator")
    add_tile(page, "c", "rsud-loket")
    wait_state(page, "c", "live", 20)
    before, _ = painted_ms(page, "c")
    assert before is not None
    sim = stack["sim"]
    sim.down("rsud-loket")
    down_at = time.monotonic()
    try:
        wait_state(page, "c", "reconnecting", 15)  # the video froze: the tile says so and offers again
        frozen_s = time.monotonic() - down_at
        time.sleep(2)
    finally:
        sim.up("rsud-loket")
    up_at = time.monotonic()
    wait_state(page, "c", "live", 45)
    resumed_s = time.monotonic() - up_at
    after, _ = painted_ms(page, "c")
    assert after is not None and after > before + 2000, (before, after)
    FIGURES.update(frozen_detect_s=round(frozen_s, 2), resume_after_camera_returns_s=round(resumed_s, 2))


def test_chromium_naming_itself_by_mdns_plays_and_the_relay_holds_no_socket_on_every_interface(stack):
    """Chromium as it ships names its host candidates by mDNS (random `.local` names; the module's
    browser turns that off). The relay resolves no such name, which would take a socket on every
    interface in the mDNS group: ICE pairs with the address Chromium's checks come from. All it
    holds is its signalling port on loopback and its ICE sockets on the one configured address."""
    relay = stack["relay"]
    browser = stack["playwright"].chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = signed_in(browser.new_page(), stack["web"].url, "operator")
        offers: list[str] = []
        page.on("request", lambda r: offers.append(r.post_data or "") if r.url.endswith("/whep?stream=sub") else None)
        add_tile(page, "m", "rsud-parkir")
        wait_state(page, "m", "live", 20)
        candidates = [line for offer in offers for line in offer.splitlines() if line.startswith("a=candidate:")]
        assert candidates and all(".local " in c for c in candidates), candidates
        before = decoded(page, "m")
        wait_for(lambda: decoded(page, "m") >= before + 5, 5, "the video advances")
        held = bound_sockets(relay.pid)
    finally:
        browser.close()
    assert {b for b in held if b.protocol == "tcp"} == {("tcp", "127.0.0.1", relay.port)}, held
    udp = {b.address for b in held if b.protocol == "udp"}
    assert udp == {ICE_ADDRESS}, held


def test_no_camera_password_in_any_log(stack):
    logs = {"relay": stack["relay"].log_text(), "web": stack["web"].log_path.read_text(errors="replace")}
    assert "camera rsud-lobi (sub)" in logs["relay"], "the relay logged nothing about the cameras it opened"
    for name, text in logs.items():
        assert PASSWORD not in text, f"the camera password is in the {name} log"


def test_relay_beats_its_heartbeat_with_its_cpu(stack):
    from scc import health

    engine = open_storage(f"sqlite:///{stack['relay'].env['SCC_DATA_DIR']}/scc.db")
    try:
        beats = {c.name: c for c in health.read_all(engine)}
    finally:
        engine.dispose()
    assert "cameras-relay" in beats, sorted(beats)
    assert re.search(r"\d+ streams, \d+ viewers, CPU \d+\.\d%", beats["cameras-relay"].detail), beats["cameras-relay"]


def relay_rss_kb(relay: Any) -> int:
    kb = rss_kb(relay.process.pid)
    assert kb is not None, "the relay has exited"
    return kb


def playing(page: Page, tile_id: str) -> bool:
    state, fps = page.evaluate(
        "(id) => { const t = document.getElementById(id); return [t.dataset.state, Number(t.dataset.fps || 0)]; }",
        tile_id,
    )
    return state == "live" and fps >= 3


def test_short_soak_two_tiles_through_flapping_cameras(stack, open_page):
    """The suite's short soak (the benchmark runs ten minutes and watches memory over it): two watched
    cameras drop and return three times, vanished, stalled and vanished again; each time both tiles play
    again, the relay keeps running, and its memory, once warm, stays flat."""
    page = open_page("operator")
    cameras = ["gasis-1", "gasis-2"]
    for k, camera in enumerate(cameras):
        add_tile(page, f"s{k}", camera)
    for k in range(len(cameras)):
        wait_state(page, f"s{k}", "live", 20)
    sim, relay = stack["sim"], stack["relay"]
    warm_kb = 0
    for cycle in range(3):
        fault = sim.down if cycle % 2 == 0 else sim.freeze
        for camera in cameras:
            fault(camera)
        time.sleep(3)
        for camera in cameras:
            sim.up(camera)
        for k in range(len(cameras)):
            # Down for 3 s, so a tile that plays again at >= 3 fps (over the player's 2 s window) shows new frames.
            wait_for(lambda k=k: playing(page, f"s{k}"), 30, f"cycle {cycle}: tile s{k} plays again")
        assert relay.process.poll() is None, "the relay died"
        if cycle == 0:
            warm_kb = relay_rss_kb(relay)
    grown = 100 * (relay_rss_kb(relay) - warm_kb) / warm_kb
    FIGURES.update(short_soak_relay_rss_growth_pct=round(grown, 1))
    assert grown <= 10, f"the relay grew {grown:.1f} % over two flaps"
    assert {s["camera"] for s in relay.state()["sources"]} >= set(cameras)
