"""Live camera video for the browser: WHEP signalling and snapshots, behind the one guard.

The browser knows camera ids, never a URL or a credential. The guard in
auth.py has already refused an anonymous request (401, or the sign-in page
for a GET) and a write from another origin; here the signed-in user must also
be allowed to view that camera (scc.cameras_access.may_view), else 403. The
web app then signs a short-lived grant for this user and this camera stream
and forwards the offer to the WebRTC relay on loopback, which refuses
anything without such a grant.

- `POST /cameras/<id>/whep?stream=sub|main` (body: an SDP offer): 201, the SDP
  answer, `Location: /cameras/whep/<session id>`;
- `DELETE /cameras/whep/<session id>`: ends that viewing session;
- `GET /cameras/<id>/snapshot.jpg`: the newest snapshot the camera workers
  wrote (the player's fallback when WebRTC cannot play), 404 if none.

`prepare_streams` is no route: the wall page calls it when it draws a page of
tiles, and the relay starts opening their cameras before the browser asks.
"""

from __future__ import annotations

import http.client
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify, request, send_file
from flask_login import current_user

from scc.cameras_access import STREAMS, Stream, end_scope, may_view, prepare_scope, sign_grant, view_scope
from scc.settings import Settings
from scc.settings.cameras import Camera
from scc.settings.cameras_services import RelayConfig
from scc.storage.cameras import snapshot_path

from .context import AppContext
from .security import quote

log = logging.getLogger(__name__)

MAX_OFFER_BYTES = 64 * 1024
# Opening a camera (up to its open timeout) and gathering ICE candidates, with room to spare.
RELAY_TIMEOUT_S = 20.0
PREPARE_TIMEOUT_S = 2.0
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Asking the relay to prepare a wall page must not hold the page's own answer: one thread sends them.
_PREPARING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-prepare")


def prepare_streams(settings: Settings, user: Any, camera_ids: list[str]) -> None:
    """Ask the relay, without waiting for it, to open the sub streams of the cameras of a wall page just
    drawn for `user` (those that user may view). A relay that does not answer changes nothing: the tiles
    then open their cameras as they ask."""
    cameras = settings.camera_by_id
    ids = [i for i in camera_ids if i in cameras and may_view(user.role, user.skpd_code, cameras[i])]
    if not ids:
        return
    grant = sign_grant(settings.app.web.secret_key, user.username, prepare_scope(ids))
    relay = settings.app.cameras.relay
    _PREPARING.submit(_prepare, relay, "/prepare?cameras=" + ",".join(ids), grant)


def _prepare(relay: RelayConfig, path: str, grant: str) -> None:
    answer = _send(relay, "POST", path, grant, b"", PREPARE_TIMEOUT_S)
    if answer is not None and answer.status != 202:
        log.warning("the relay refused to prepare a wall page: %d %s", answer.status, quote(answer.text, 200))


def install(server: Flask, ctx: AppContext) -> None:
    cameras = ctx.settings.camera_by_id
    relay = ctx.settings.app.cameras.relay
    secret = ctx.settings.app.web.secret_key

    def viewable(camera_id: str) -> tuple[Camera | None, Response | None]:
        camera = cameras.get(camera_id)
        if camera is None or camera.status != "active":
            return None, _error(404, "no such camera")
        if not may_view(current_user.role, current_user.skpd_code, camera):
            log.warning("refused camera %s to %s (%s)", camera.id, current_user.username, current_user.role)
            return None, _error(403, "not allowed to view this camera")
        return camera, None

    def forward(method: str, path: str, grant: str, body: bytes = b"") -> _Relayed | None:
        return _send(relay, method, path, grant, body, RELAY_TIMEOUT_S)

    @server.post("/cameras/<camera_id>/whep")
    def whep_offer(camera_id: str) -> Response:
        camera, refused = viewable(camera_id)
        if refused is not None or camera is None:
            return refused or _error(404, "no such camera")
        stream_arg = request.args.get("stream", "sub")
        if stream_arg not in STREAMS:
            return _error(400, "stream must be sub or main")
        stream: Stream = "main" if stream_arg == "main" else "sub"
        if request.mimetype != "application/sdp":
            return _error(415, "the offer is application/sdp")
        offer = request.get_data(cache=False)
        if not offer or len(offer) > MAX_OFFER_BYTES:
            return _error(400, "an SDP offer is required")
        grant = sign_grant(secret, current_user.username, view_scope(camera.id, stream))
        answer = forward("POST", f"/whep/{camera.id}?stream={stream}", grant, offer)
        if answer is None:
            return _error(503, "live video is not available right now (the relay is not running)")
        text = answer.text
        if answer.status != 201:
            log.warning(
                "camera %s (%s) for %s: relay said %d %s",
                camera.id,
                stream,
                current_user.username,
                answer.status,
                quote(text, 200),
            )
            return _error(answer.status if 400 <= answer.status < 600 else 502, text)
        session_id = answer.location.rsplit("/", 1)[-1]
        log.info("camera %s (%s) watched by %s", camera.id, stream, current_user.username)
        response = Response(text, status=201, mimetype="application/sdp")
        response.headers["Location"] = f"/cameras/whep/{session_id}"
        response.headers["Cache-Control"] = "no-store"
        return response

    @server.delete("/cameras/whep/<session_id>")
    def whep_end(session_id: str) -> Response:
        if not _SESSION_ID.match(session_id):
            return _error(404, "no such session")
        grant = sign_grant(secret, current_user.username, end_scope(session_id))
        answer = forward("DELETE", f"/whep/{session_id}", grant)
        if answer is None:
            return _error(503, "the relay is not running")
        if answer.status == 204:
            return Response(status=204)
        return _error(answer.status, answer.text)

    @server.get("/cameras/<camera_id>/snapshot.jpg")
    def snapshot(camera_id: str) -> Response:
        camera, refused = viewable(camera_id)
        if refused is not None or camera is None:
            return refused or _error(404, "no such camera")
        path = snapshot_path(ctx.settings.data_dir, camera.id)
        if not path.is_file():
            return _error(404, "no snapshot yet")
        response = send_file(path, mimetype="image/jpeg", max_age=0)
        response.headers["Cache-Control"] = "no-store"
        return response


def _send(relay: RelayConfig, method: str, path: str, grant: str, body: bytes, timeout_s: float) -> _Relayed | None:
    conn = http.client.HTTPConnection(relay.host, relay.port, timeout=timeout_s)
    headers = {"Authorization": f"Bearer {grant}", "Content-Type": "application/sdp"}
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return _Relayed(response.status, text, response.getheader("Location") or "")
    except OSError as exc:
        log.error("camera relay unreachable on %s:%d: %s", relay.host, relay.port, exc)
        return None
    finally:
        conn.close()


@dataclass(frozen=True, slots=True)
class _Relayed:
    status: int
    text: str
    location: str


def _error(status: int, text: str) -> Response:
    response = jsonify(error=text)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
