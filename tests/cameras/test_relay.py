"""The WebRTC relay and the web app's live-video routes, against the real RTSP simulator and a real relay process.

What needs no media path runs here, on loopback: grants, who may view which
camera, the guard in front of the routes, the relay refusing anything without
a grant, a codec the relay cannot pass through, cameras that refuse us, and
that no camera password reaches a response or a log line. WebRTC itself needs
addresses that aiortc and Chromium both offer as ICE candidates, which loopback
is not (docs/field-notes.md "WebRTC needs a non-loopback address"): `test_live_view_in_a_private_network` runs
test_relay_live.py inside a network namespace of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from scc.cameras_access import end_scope, may_view, read_grant, sign_grant, view_scope
from scc.settings import load_settings
from scc.storage.cameras import snapshot_path
from tests.support.dashapp import client
from tests.support.relay import (
    OFFER,
    RelayProcess,
    bound_sockets,
    browser_like_offer,
    mdns_offer,
    set_camera_state,
    state_grant,
)
from tests.support.services import free_port
from tests.support.web import ROOT

PASSWORD = "test-camera-password"  # tests/conftest.py gives every camera this password


# -- grants and roles ---------------------------------------------------------------


def test_a_grant_is_for_one_user_one_scope_and_short_lived():
    from pydantic import SecretStr

    key, other_key = SecretStr("k" * 40), SecretStr("o" * 40)
    scope = view_scope("rsud-lobi", "sub")
    token = sign_grant(key, "operator", scope, now=1000.0)
    grant = read_grant(key, token, scope, now=1010.0)
    assert grant is not None and grant.user == "operator"
    assert read_grant(key, token, scope, now=1031.0) is None  # expired after 30 s
    assert read_grant(key, token, view_scope("rsud-lobi", "main"), now=1010.0) is None
    assert read_grant(key, token, view_scope("rsud-igd", "sub"), now=1010.0) is None
    assert read_grant(key, token, end_scope("abc"), now=1010.0) is None
    assert read_grant(other_key, token, scope, now=1010.0) is None
    body, mac = token.split(".")
    forged = sign_grant(other_key, "admin", scope, now=1000.0).split(".")[0] + "." + mac
    assert read_grant(key, forged, scope, now=1010.0) is None
    for junk in ("", "x", "a.b", "a.b.c", body, "." * 2000, "é.é"):
        assert read_grant(key, junk, scope, now=1010.0) is None


def test_who_may_view_which_camera():
    settings = load_settings()
    cams = {c.id: c for c in settings.cameras}
    own, other = cams["dpmptsp-loket"], cams["rsud-lobi"]
    planned = next(c for c in settings.cameras if c.status == "planned")
    for role in ("admin", "operator", "viewer"):
        assert may_view(role, None, own) and may_view(role, None, other)
        assert not may_view(role, None, planned)
    assert may_view("skpd", "dpmptsp", own)
    assert not may_view("skpd", "dpmptsp", other)
    assert not may_view("skpd", None, own)
    assert not may_view("nobody", None, own)


# -- the web app's routes --------------------------------------------------------------


def whep(c, camera: str, stream: str = "sub", sdp: str = OFFER, **kw: Any):
    return c.post(f"/cameras/{camera}/whep?stream={stream}", data=sdp, content_type="application/sdp", **kw)


def test_anonymous_gets_what_every_guarded_route_gives(stack):
    app = stack["app"]
    assert whep(client(app), "rsud-lobi").status_code == 401
    assert client(app).delete("/cameras/whep/abcdefghijkl").status_code == 401
    r = client(app).get("/cameras/rsud-lobi/snapshot.jpg")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_skpd_staff_may_not_watch_another_units_camera(stack):
    c = client(stack["app"], "dpmptsp")
    r = whep(c, "rsud-lobi")
    assert r.status_code == 403, r.get_data(as_text=True)
    assert c.get("/cameras/rsud-lobi/snapshot.jpg").status_code == 403
    assert stack["relay"].state()["sources"] == []  # refused before the relay was asked
    # Its own unit's camera passes the web app's check and reaches the relay, which opens the
    # camera and then refuses this offer (no real peer behind it).
    r = whep(c, "dpmptsp-ruang-tunggu")
    assert r.status_code == 400 and "offer refused" in r.get_json()["error"]


def test_requests_that_name_no_camera_or_a_wrong_stream(stack):
    c = client(stack["app"], "operator")
    assert whep(c, "no-such-camera").status_code == 404
    planned = next(x for x in stack["settings"].cameras if x.status == "planned")
    assert whep(c, planned.id).status_code == 404
    assert whep(c, "rsud-lobi", stream="4k").status_code == 400
    r = c.post("/cameras/rsud-lobi/whep", data=OFFER, content_type="text/plain")
    assert r.status_code == 415
    other_origin = stack["app"].server.test_client()
    other_origin.environ_base["HTTP_ORIGIN"] = "http://evil.example"
    assert whep(other_origin, "rsud-lobi").status_code == 403


def test_snapshot_is_the_newest_file_or_404(stack):
    c = client(stack["app"], "bupati")
    assert c.get("/cameras/rsud-igd/snapshot.jpg").status_code == 404
    path = snapshot_path(stack["settings"].data_dir, "rsud-igd")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9")
    r = c.get("/cameras/rsud-igd/snapshot.jpg")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert r.data == path.read_bytes() and r.headers["Cache-Control"] == "no-store"
    assert c.get("/cameras/..%2F..%2Fscc.db/snapshot.jpg").status_code == 404


def test_relay_refuses_requests_without_a_valid_grant(stack):
    relay, settings = stack["relay"], stack["settings"]
    key = settings.app.web.secret_key
    assert relay.offer("rsud-lobi").status_code == 401
    assert relay.offer("rsud-lobi", grant="nonsense").status_code == 401
    assert relay.offer("rsud-lobi", grant=sign_grant(key, "operator", view_scope("rsud-igd", "sub"))).status_code == 401
    assert (
        relay.offer("rsud-lobi", "main", sign_grant(key, "operator", view_scope("rsud-lobi", "sub"))).status_code == 401
    )
    expired = sign_grant(key, "operator", view_scope("rsud-lobi", "sub"), now=time.time() - 60)
    assert relay.offer("rsud-lobi", grant=expired).status_code == 401
    from pydantic import SecretStr

    foreign = sign_grant(SecretStr("another-installation-" + "x" * 20), "operator", view_scope("rsud-lobi", "sub"))
    assert relay.offer("rsud-lobi", grant=foreign).status_code == 401
    assert requests.delete(relay.url + "/whep/abcdefghijkl", timeout=5).status_code == 401
    ended = sign_grant(key, "operator", end_scope("abcdefghijkl"))
    r = requests.delete(relay.url + "/whep/abcdefghijkl", headers={"Authorization": f"Bearer {ended}"}, timeout=5)
    assert r.status_code == 404
    assert not any(s["camera"] == "rsud-lobi" for s in relay.state()["sources"])  # nothing was opened


def test_the_relay_state_wants_a_state_grant(stack):
    """What the relay is pulling and for how many is for the installation's own tools, not for any
    process on the machine: a grant for a camera, an expired one or another installation's is refused."""
    from pydantic import SecretStr

    from streams.cameras.relay import STATE_SCOPE

    relay, key = stack["relay"], stack["settings"].app.web.secret_key
    assert requests.get(relay.url + "/state", timeout=5).status_code == 401
    for grant in (
        "nonsense",
        sign_grant(key, "operator", view_scope("rsud-lobi", "sub")),
        sign_grant(key, "operator", end_scope("abcdefghijkl")),
        sign_grant(key, "tests", STATE_SCOPE, now=time.time() - 60),
        state_grant(SecretStr("another-installation-" + "x" * 20)),
    ):
        assert relay.state_response(grant).status_code == 401, grant
    r = relay.state_response(state_grant(key))
    assert r.status_code == 200 and set(r.json()) == {"sources", "viewers"}, r.text


def test_every_relay_route_wants_a_grant(stack):
    """Enumerated from the relay's own router, so a route added later is held to it too."""
    from streams.cameras.relay import Relay

    routes = {(r.method, r.resource.canonical) for r in Relay(stack["settings"], stack["engine"]).app().router.routes()}
    assert ("GET", "/state") in routes and len(routes) >= 4, routes
    url = stack["relay"].url
    for method, path in routes:
        filled = path.replace("{camera}", "rsud-lobi").replace("{session}", "abcdefghijkl")
        r = requests.request(method, url + filled, params={"cameras": "rsud-lobi"}, data=OFFER, timeout=10)
        assert r.status_code == 401, (method, path, r.status_code, r.text)
    assert not any(s["camera"] == "rsud-lobi" for s in stack["relay"].state()["sources"])


def test_the_relay_holds_no_socket_on_every_interface(stack):
    """Chromium names its host candidates by mDNS (a random `.local` name) unless the page may use a
    camera or microphone, which the wall may not. Resolving such a name takes a socket on every
    interface (0.0.0.0:5353) in the mDNS group, answering the whole LAN. The relay holds its signalling
    port on its configured host and its ICE sockets on the machine's own addresses, nothing else."""
    relay, settings = stack["relay"], stack["settings"]
    grant = sign_grant(settings.app.web.secret_key, "operator", view_scope("rsud-lobi", "sub"))
    r = relay.offer("rsud-lobi", grant=grant, sdp=mdns_offer())
    assert r.status_code == 201, r.text
    session = r.headers["Location"].rsplit("/", 1)[1]
    try:
        held = bound_sockets(relay.pid)  # the viewer's ICE still waits for candidates: all is open
        assert ("tcp", settings.app.cameras.relay.host, relay.port) in held, held
        assert not {b for b in held if b.address in ("0.0.0.0", "::") or b.port == 5353}, held
    finally:
        ended = sign_grant(settings.app.web.secret_key, "operator", end_scope(session))
        requests.delete(f"{relay.url}/whep/{session}", headers={"Authorization": f"Bearer {ended}"}, timeout=5)


def test_streams_the_relay_cannot_pass_through_are_clear_errors(stack):
    c = client(stack["app"], "operator")
    for stream, codec in (("main", "H.265"), ("sub", "MJPEG")):
        started = time.monotonic()
        r = whep(c, "dpmptsp-loket", stream)
        assert r.status_code == 415, (codec, r.status_code, r.get_data(as_text=True))
        assert "cannot be passed through" in r.get_json()["error"] or "H.264 only" in r.get_json()["error"]
        assert time.monotonic() - started < 15, f"{codec}: took {time.monotonic() - started:.1f} s"
    r = whep(c, "dukcapil-loket-ktp")
    assert r.status_code == 502 and "404 Not Found" in r.get_json()["error"], r.get_data(as_text=True)
    assert stack["relay"].state()["sources"] == [] or all(
        s["camera"] not in ("dpmptsp-loket", "dukcapil-loket-ktp") for s in stack["relay"].state()["sources"]
    )


def test_a_camera_the_workers_see_playing_is_answered_before_its_open(stack, tmp_path):
    """The workers' stored word decides whether an answer may go before the camera is open. Told a
    camera plays H.264 when its sub stream is really MJPEG, the relay answers at once, finds out at
    the open and lets that viewer go; the next viewer of that camera waits for the open and hears 415."""
    engine = stack["engine"]
    relay = RelayProcess(stack["env"], tmp_path).start()  # its own: the module's relay saw this camera fail
    key = stack["settings"].app.web.secret_key
    grant = sign_grant(key, "operator", view_scope("dpmptsp-loket", "sub"))
    offer = browser_like_offer()
    try:
        set_camera_state(engine, "dpmptsp-loket", "online", "h264")
        r = relay.offer("dpmptsp-loket", grant=grant, sdp=offer)
        assert r.status_code == 201 and "m=video" in r.text, r.text
        deadline = time.monotonic() + 15
        while relay.state()["viewers"] or any(s["camera"] == "dpmptsp-loket" for s in relay.state()["sources"]):
            assert time.monotonic() < deadline, relay.state()
            time.sleep(0.2)
        assert "answered before the open" in relay.log_text()
        # Having failed, it is in doubt whatever the workers say: the next viewer waits and hears why.
        r = relay.offer("dpmptsp-loket", grant=grant, sdp=offer)
        assert r.status_code == 415 and "cannot be passed through" in r.text, r.text
    finally:
        relay.stop()
        set_camera_state(engine, "dpmptsp-loket", None)


def test_a_camera_that_refuses_our_password(stack, tmp_path):
    env = {**stack["env"], "SCC_CAMERA_PASSWORD": "wrong-password-for-this-test"}
    relay = RelayProcess(env, tmp_path).start()
    try:
        key = stack["settings"].app.web.secret_key
        r = relay.offer("rsud-lobi", grant=sign_grant(key, "operator", view_scope("rsud-lobi", "sub")))
        assert r.status_code == 502 and "401 Unauthorized" in r.text
        assert "wrong-password-for-this-test" not in r.text + relay.log_text()
    finally:
        relay.stop()


def test_web_app_says_so_when_the_relay_is_not_running(stack):
    from dashboard.app import create_app

    settings = load_settings(
        stack["settings"].config_dir, stack["settings"].data_dir, {**stack["env"], "SCC_RELAY_PORT": str(free_port())}
    )
    app = create_app(settings, stack["app"].server.config["SCC_CONTEXT"].engine)
    r = whep(client(app, "operator"), "rsud-lobi")
    assert r.status_code == 503 and "relay" in r.get_json()["error"]


def test_no_camera_password_in_any_response_or_log(stack):
    c = client(stack["app"], "admin")
    texts = [
        whep(c, cam, stream).get_data(as_text=True)
        for cam, stream in (("dpmptsp-loket", "main"), ("dukcapil-loket-ktp", "sub"), ("rsud-lobi", "sub"))
    ]
    texts.append(json.dumps(stack["relay"].state()))
    texts.append(stack["relay"].log_text())
    assert stack["relay"].log_text(), "the relay logged nothing: the scan would prove nothing"
    for text in texts:
        assert PASSWORD not in text
        assert "rtsp://" not in text


# -- the feed under every viewer ---------------------------------------------------------


def test_a_stalled_camera_resumes_under_the_same_track(camera_env):
    """A frozen radio link: the feed notices within the read timeout, reconnects with back-off once the
    camera returns, and carries on under the same track, its timestamps moving on by the time away."""
    import asyncio

    from streams.cameras.relay_feed import CameraFeed

    settings, sim = camera_env.settings, camera_env.sim
    camera = next(c for c in settings.cameras if c.id == "gasis-1")

    async def run() -> tuple[list[tuple[float, int]], float, int]:
        feed = CameraFeed(camera, "sub", settings.app.cameras)
        await feed.open()
        track = feed.subscribe()
        seen: list[tuple[float, int]] = []
        try:
            while len(seen) < 5:
                seen.append((time.monotonic(), (await track.recv()).pts))
            await asyncio.to_thread(sim.freeze, camera.id)
            frozen_at = time.monotonic()
            waiting = asyncio.ensure_future(track.recv())
            while not feed.last_error:  # the feed noticed the stall: now the camera may return
                assert time.monotonic() - frozen_at < 20, "the stall went unnoticed"
                if waiting.done():
                    seen.append((time.monotonic(), waiting.result().pts))  # frames already on their way
                    waiting = asyncio.ensure_future(track.recv())
                await asyncio.sleep(0.1)
            await asyncio.to_thread(sim.up, camera.id)
            seen.append((time.monotonic(), (await asyncio.wait_for(waiting, 40)).pts))
            while len(seen) < 15:
                seen.append((time.monotonic(), (await asyncio.wait_for(track.recv(), 10)).pts))
            return seen, frozen_at, feed.reconnects
        finally:
            await feed.close()

    try:
        seen, frozen_at, reconnects = asyncio.run(run())
    finally:
        sim.up(camera.id)
    assert reconnects >= 1
    stamps = [pts for _, pts in seen]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), "timestamps went backwards"
    gap = max(range(1, len(seen)), key=lambda i: seen[i][0] - seen[i - 1][0])
    away_s = seen[gap][0] - seen[gap - 1][0]
    assert away_s >= 3, "the feed never stalled"
    # The viewers' clock moves on by about the time the camera was away, never backwards or standing still.
    assert away_s - 1.0 <= (stamps[gap] - stamps[gap - 1]) / 90000 <= away_s + 3.0
    assert seen[gap][0] - frozen_at < 25, "the feed took too long to come back"


# -- WebRTC, in a network namespace of its own -----------------------------------------------


@pytest.mark.browser
def test_a_viewer_joining_a_running_feed_starts_on_its_newest_keyframe(camera_env):
    """The feed keeps the packets since the newest keyframe: a viewer joining mid-GOP gets them first,
    stamped a tick apart up to the newest (decoded at once, not played at the GOP's age), then the
    live packets. A fresh feed's first packet is a keyframe: what comes before it in a session joined
    mid-GOP would not decode."""
    import asyncio

    from streams.cameras.relay_feed import CameraFeed
    from streams.cameras.relay_rtsp import starts_decoding

    settings = camera_env.settings
    camera = next(c for c in settings.cameras if c.id == "rsud-lobi")

    async def run() -> tuple[list[Any], list[Any], float]:
        feed = CameraFeed(camera, "sub", settings.app.cameras)
        opened = time.monotonic()
        await feed.open()
        try:
            first = feed.subscribe()
            head = [await asyncio.wait_for(first.recv(), 5)]
            first_after = time.monotonic() - opened
            await asyncio.sleep(1.5)  # the next keyframe, and a few packets after it
            late = feed.subscribe()
            joined = [await asyncio.wait_for(late.recv(), 5) for _ in range(12)]
            first.stop()
            late.stop()
            return head, joined, first_after
        finally:
            await feed.close()

    head, joined, first_after = asyncio.run(run())
    assert starts_decoding(bytes(head[0])), "a fresh feed must start on a keyframe"
    assert first_after < 2.0, f"the first packet took {first_after:.2f} s (a keyframe comes every second)"
    assert starts_decoding(bytes(joined[0])), "a late viewer must start on a keyframe"
    stamps = [p.pts for p in joined]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    catch_up = next(i for i in range(1, len(stamps)) if stamps[i] - stamps[i - 1] > 1)
    assert catch_up >= 2, "the late viewer got no GOP to catch up with"
    assert all(stamps[i] - stamps[i - 1] == 1 for i in range(1, catch_up)), stamps
    assert 9000 <= stamps[catch_up] - stamps[catch_up - 1] <= 36000, "live packets keep the camera's own pace"


def test_live_view_in_a_private_network(tmp_path):
    """Runs test_relay_live.py (Chromium, the web app, the relay and the simulator) inside a fresh
    network namespace with a veth pair: WebRTC needs a non-loopback address on both sides."""
    if not (shutil.which("unshare") and shutil.which("ip")):
        pytest.fail("util-linux's unshare and iproute2's ip are needed for the WebRTC tests")
    figures = tmp_path / "figures.json"
    setup = (
        "ip link set lo up && ip link add scc-a type veth peer name scc-b && "
        "ip addr add 198.18.0.1/24 dev scc-a && ip link set scc-a up && ip link set scc-b up && "
        'ip route add default dev scc-a && exec "$0" "$@"'
    )
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    command = [*unshare, "--", "sh", "-c", setup, sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
    command += ["-o", "addopts=-p no:dash", str(Path(__file__).with_name("test_relay_live.py"))]
    env = {**os.environ, "SCC_TEST_NETNS": "198.18.0.1", "SCC_RELAY_FIGURES": str(figures)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    print(output[-6000:])
    assert done.returncode == 0, output[-12000:]
    assert re.search(r"\b\d+ passed\b", output) and " skipped" not in output, output[-3000:]
    print("relay figures:", figures.read_text())
