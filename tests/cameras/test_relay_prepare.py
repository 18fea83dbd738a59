"""A page of the wall, drawn by the web app, has its cameras opened by the relay before its tiles ask.

Against the real simulator and a real relay process (conftest's `stack`, a relay of this module's own):
the relay's `/prepare` wants a grant for exactly the list it is given, opens only cameras the workers
see playing, lets a prepared stream go after `linger_s` when no tile asks, and hands it to the tile
that does; the wall page asks for the cameras its user may see, and no others.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from dashboard.access import ROUTER
from scc.cameras_access import prepare_scope, sign_grant, view_scope
from tests.support.dashapp import callback_body, client, post_callback
from tests.support.relay import browser_like_offer, set_camera_state


def prepare(relay: Any, ids: list[str], grant: str | None) -> requests.Response:
    headers = {} if grant is None else {"Authorization": f"Bearer {grant}"}
    return requests.post(f"{relay.url}/prepare", params={"cameras": ",".join(ids)}, headers=headers, timeout=10)


def source(relay: Any, camera: str) -> dict[str, Any] | None:
    return next((s for s in relay.state()["sources"] if s["camera"] == camera), None)


def wait_for(check: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_prepare_wants_a_grant_for_exactly_that_list(stack):
    relay, key = stack["relay"], stack["settings"].app.web.secret_key
    ids = ["rsud-lobi", "rsud-igd"]
    assert prepare(relay, ids, None).status_code == 401
    assert prepare(relay, ids, "nonsense").status_code == 401
    assert prepare(relay, ids, sign_grant(key, "operator", prepare_scope(["rsud-lobi"]))).status_code == 401
    assert prepare(relay, ids, sign_grant(key, "operator", view_scope("rsud-lobi", "sub"))).status_code == 401
    expired = sign_grant(key, "operator", prepare_scope(ids), now=time.time() - 60)
    assert prepare(relay, ids, expired).status_code == 401
    too_many = [f"cam-{k}" for k in range(26)]
    assert prepare(relay, too_many, sign_grant(key, "operator", prepare_scope(too_many))).status_code == 400
    assert requests.post(f"{relay.url}/prepare", timeout=10).status_code == 400
    assert source(relay, "rsud-lobi") is None and source(relay, "rsud-igd") is None  # nothing was opened


def test_a_prepared_stream_opens_at_once_and_goes_after_linger_unless_a_tile_asks(stack):
    relay, engine, sim = stack["relay"], stack["engine"], stack["sim"]
    key = stack["settings"].app.web.secret_key
    ids = ["rsud-lobi", "rsud-igd", "no-such-camera"]
    try:
        set_camera_state(engine, "rsud-lobi", "online", "h264")
        set_camera_state(engine, "rsud-igd", "offline")  # the workers see it dark: not opened for nothing
        r = prepare(relay, ids, sign_grant(key, "operator", prepare_scope(ids)))
        assert r.status_code == 202 and r.json() == {"opening": ["rsud-lobi"]}, r.text
        lobi = source(relay, "rsud-lobi")
        assert lobi is not None and lobi["viewers"] == 0 and lobi["lingering"]
        assert source(relay, "rsud-igd") is None
        wait_for(lambda: sim.state()["cameras"]["rsud-lobi"]["playing"]["sub"] >= 1, 10, "the camera was opened")
        wait_for(lambda: (source(relay, "rsud-lobi") or {}).get("packets", 0) > 0, 10, "its packets arrive")
        # Asked again while open: nothing new is opened.
        again = prepare(relay, ids, sign_grant(key, "operator", prepare_scope(ids)))
        assert again.json() == {"opening": []}
        # No tile asked: let go after linger_s (5 s in config/scc.yaml), the camera's session ended.
        wait_for(lambda: source(relay, "rsud-lobi") is None, 15, "the prepared stream was let go")
        wait_for(lambda: sim.state()["cameras"]["rsud-lobi"]["playing"]["sub"] == 0, 10, "the session ended")

        # A tile that asks within linger_s gets the stream already open, and keeps it.
        prepare(relay, ids, sign_grant(key, "operator", prepare_scope(ids)))
        wait_for(lambda: (source(relay, "rsud-lobi") or {}).get("packets", 0) > 0, 10, "its packets arrive")
        offer = relay.offer("rsud-lobi", grant=sign_grant(key, "operator", view_scope("rsud-lobi", "sub")),
                            sdp=browser_like_offer())  # fmt: skip
        assert offer.status_code == 201, offer.text
        time.sleep(6)  # past linger_s
        kept = source(relay, "rsud-lobi")
        assert kept is not None and kept["viewers"] == 1 and not kept["lingering"] and kept["reconnects"] == 0
    finally:
        set_camera_state(engine, "rsud-lobi", None)
        set_camera_state(engine, "rsud-igd", None)


def test_the_wall_page_prepares_the_cameras_its_user_may_see(stack):
    """Drawing the wall asks the relay for its first page's cameras; SKPD staff only ever get their own
    unit's opened."""
    relay, engine, app = stack["relay"], stack["engine"], stack["app"]
    body = callback_body(app, ROUTER)
    body["inputs"][0]["value"] = "/cameras"
    try:
        for camera in ("rsud-parkir", "dpmptsp-ruang-tunggu"):
            set_camera_state(engine, camera, "online", "h264")
        assert post_callback(client(app, "dpmptsp"), body).status_code == 200
        wait_for(lambda: source(relay, "dpmptsp-ruang-tunggu") is not None, 5, "their unit's camera was prepared")
        assert source(relay, "rsud-parkir") is None, "another unit's camera was opened for SKPD staff"
        assert post_callback(client(app, "operator"), body).status_code == 200  # the hospital's page first
        wait_for(lambda: source(relay, "rsud-parkir") is not None, 5, "the operator's page was prepared")
    finally:
        for camera in ("rsud-parkir", "dpmptsp-ruang-tunggu"):
            set_camera_state(engine, camera, None)
