"""The WebRTC relay: live camera video to browsers, one camera pull fanned out to every viewer.

`python -m streams.cameras.relay` listens on loopback (settings
`cameras.relay`) for WHEP-style signalling that only the web app sends:

- `POST /whep/<camera id>?stream=sub|main`, body an SDP offer, header
  `Authorization: Bearer <grant>`: 201 with the SDP answer (non-trickle: every
  candidate is in it) and `Location: /whep/<session id>`;
- `DELETE /whep/<session id>` with a grant to end that session: 204;
- `POST /prepare?cameras=<id>,<id>...` with a grant for that list: 202, and the
  sub streams of those cameras the workers see playing start opening now, so a
  page of the wall that the web app has just drawn finds them open when its
  tiles' offers come; each is let go after `linger_s` if no tile asks for it;
- `GET /state` with a grant for `STATE_SCOPE`: the streams being relayed and
  their viewers (camera ids and counts only).

A grant (scc.cameras_access) is signed by the web app for one user and one
camera stream, after it checked the user may see that camera; a grant for
/state is signed with the same installation key by whoever reads it (the tests
and the benchmark; the web app and health need none, the relay's heartbeat
carries its counts). On every route, without a valid grant for it the relay
answers 401. Cameras are pulled only while someone watches (relay_source.py),
and no URL or password ever leaves this process: errors name the camera by id.

The relay resolves no mDNS name (`refuse_mdns`): it holds no socket on every
interface, only its signalling port and its ICE sockets on the configured
addresses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

import aioice.ice
import aioice.mdns
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import SessionDescription
from sqlalchemy import Engine

from scc import boot
from scc.cameras_access import STREAMS, Stream, end_scope, prepare_scope, read_grant, view_scope
from scc.health import CpuMeter, Heartbeat
from scc.settings import Settings
from scc.storage.cameras import playing_live, plays_live
from scc.storage.db import connect

from . import relay_heap
from .relay_feed import SourceError
from .relay_source import Source, Sources

log = logging.getLogger("scc.cameras.relay")

MAX_OFFER_BYTES = 64 * 1024  # a browser's offer is a few kB
MAX_PREPARE = 25  # a page of the wall: 5x5 on a 4K screen
CONNECT_WITHIN_S = 30.0  # a viewer whose ICE never completes is let go, with the camera it held
STATE_SCOPE = "state"  # a grant for GET /state (what the relay pulls, for whom): the installation's tools


@dataclass
class Viewer:
    session_id: str
    user: str
    source: Source
    pc: RTCPeerConnection
    started: float
    ended: bool = False
    deadline: asyncio.Task[None] | None = None


class Relay:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.secret = settings.app.web.secret_key
        self.cameras = {c.id: c for c in settings.cameras if c.status == "active"}
        self.sources = Sources(settings.app.cameras, self._source_failed)
        self.viewers: dict[str, Viewer] = {}
        self._endings: set[asyncio.Task[None]] = set()

    # -- signalling ---------------------------------------------------------------

    async def offer(self, request: web.Request) -> web.Response:
        camera_id = request.match_info["camera"]
        stream = request.query.get("stream", "sub")
        if stream not in STREAMS:
            return _error(400, "stream must be sub or main")
        watch: Stream = "main" if stream == "main" else "sub"
        grant = read_grant(self.secret, _bearer(request), view_scope(camera_id, watch))
        if grant is None:
            return _error(401, "a valid grant from the web app is required")
        camera = self.cameras.get(camera_id)
        if camera is None:
            return _error(404, "no such active camera")
        if request.content_length is not None and request.content_length > MAX_OFFER_BYTES:
            return _error(413, "offer too large")
        offer = await request.text()
        if "m=video" not in offer:
            return _error(400, "the offer has no video")
        asked = time.monotonic()
        # A tile's answer need not wait for its camera's RTSP handshake and first keyframe when the
        # workers say that camera plays in H.264 right now: a wall's offers then leave Chromium's six
        # connections at once instead of in rounds of six opens. The main stream (often another codec)
        # and any camera in doubt wait, so a fault is answered with its own status and text.
        early = watch == "sub" and await asyncio.to_thread(plays_live, self.engine, camera.id)
        try:
            source = await self.sources.acquire(camera, watch, wait=not early)
        except SourceError as exc:
            log.warning("%s (asked by %s)", exc, grant.user)
            return _error(exc.status, str(exc))
        opened = time.monotonic()
        try:
            answer, pc = await self._answer(source, offer)
        except ValueError as exc:
            self.sources.release(source)
            log.warning("camera %s: refused the offer of %s: %s", source.feed.label, grant.user, exc)
            return _error(400, f"offer refused: {exc}")
        viewer = Viewer(secrets.token_urlsafe(18), grant.user, source, pc, time.monotonic())
        self.viewers[viewer.session_id] = viewer
        self._watch(viewer)
        log.info(
            "camera %s: viewer %s joined (%d watching), answered in %.0f ms (%.0f ms for the stream)",
            source.feed.label,
            grant.user,
            source.viewers,
            1000 * (time.monotonic() - asked),
            1000 * (opened - asked),
        )
        return web.Response(
            status=201,
            text=answer,
            content_type="application/sdp",
            headers={"Location": f"/whep/{viewer.session_id}"},
        )

    async def prepare(self, request: web.Request) -> web.Response:
        # On a cold 16-tile wall a camera joined mid-GOP waits up to a second for its next keyframe, and
        # the tiles' offers reach the relay over half a second (Chromium makes sixteen, then sends them six
        # at a time). Opened while the browser still draws the page, measured over three cold walls each:
        # first frame p50 1.20 -> 0.59 s.
        ids = [i for i in request.query.get("cameras", "").split(",") if i]
        if not ids or len(ids) > MAX_PREPARE:
            return _error(400, f"name 1 to {MAX_PREPARE} cameras")
        grant = read_grant(self.secret, _bearer(request), prepare_scope(ids))
        if grant is None:
            return _error(401, "a valid grant from the web app is required")
        cameras = [self.cameras[i] for i in ids if i in self.cameras]
        live = await asyncio.to_thread(playing_live, self.engine, [c.id for c in cameras])
        opening = [c.id for c in cameras if c.id in live and self.sources.prepare(c, "sub")]
        if opening:
            log.info("opening %d stream(s) for a wall page of %s before its tiles ask", len(opening), grant.user)
        return web.json_response({"opening": opening}, status=202)

    async def _answer(self, source: Source, offer: str) -> tuple[str, RTCPeerConnection]:
        # No STUN: the LAN has no internet, and a public server only made connecting slower.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            if not any(t.kind == "video" for t in pc.getTransceivers()):
                raise ValueError("no video in the offer")
            pc.addTrack(source.subscribe())
            answer = await pc.createAnswer()
            _require_h264(answer.sdp)
            await pc.setLocalDescription(answer)  # gathers every candidate: the answer is complete
        except Exception as exc:
            await _close(pc)
            raise ValueError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        return pc.localDescription.sdp, pc

    def _source_failed(self, source: Source, error: SourceError) -> None:
        """A stream answered before it was open could not be opened: its viewers will get no video."""
        viewers = [v for v in self.viewers.values() if v.source is source]
        if not viewers:
            return  # whoever waited for the open heard why, and the offer's log line says it
        log.warning("%s; ending %d viewer(s) answered before the open", error, len(viewers))
        for viewer in viewers:
            task = asyncio.ensure_future(self.end(viewer, "the camera could not be opened"))
            self._endings.add(task)
            task.add_done_callback(self._endings.discard)

    def _watch(self, viewer: Viewer) -> None:
        @viewer.pc.on("connectionstatechange")
        async def changed() -> None:
            if viewer.pc.connectionState in ("failed", "closed"):
                await self.end(viewer, f"connection {viewer.pc.connectionState}")

        async def must_connect() -> None:
            await asyncio.sleep(CONNECT_WITHIN_S)
            if viewer.pc.connectionState != "connected":
                await self.end(viewer, "never connected")

        viewer.deadline = asyncio.ensure_future(must_connect())

    async def hang_up(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session"]
        grant = read_grant(self.secret, _bearer(request), end_scope(session_id))
        if grant is None:
            return _error(401, "a valid grant from the web app is required")
        viewer = self.viewers.get(session_id)
        if viewer is None:
            return _error(404, "no such session")
        if viewer.user != grant.user:
            return _error(403, "not your session")
        await self.end(viewer, "closed by the viewer")
        return web.Response(status=204)

    async def end(self, viewer: Viewer, why: str) -> None:
        if viewer.ended:
            return
        viewer.ended = True
        if viewer.deadline is not None and viewer.deadline is not asyncio.current_task():
            viewer.deadline.cancel()
        self.viewers.pop(viewer.session_id, None)
        self.sources.release(viewer.source)
        log.info(
            "camera %s: viewer %s left (%s; %d watching)",
            viewer.source.feed.label,
            viewer.user,
            why,
            viewer.source.viewers,
        )
        await _close(viewer.pc)

    async def state(self, request: web.Request) -> web.Response:
        # Which cameras are pulled and how many watch: not for any process on the machine to read.
        if read_grant(self.secret, _bearer(request), STATE_SCOPE) is None:
            return _error(401, "a valid grant from the web app is required")
        return web.json_response(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        return {
            "sources": [
                {
                    "camera": s.feed.camera.id,
                    "stream": s.feed.stream,
                    "viewers": s.viewers,
                    "lingering": s.linger is not None,
                    "packets": s.feed.packets,
                    "reconnects": s.feed.reconnects,
                    "last_error": s.feed.last_error,
                }
                for s in self.sources
            ],
            "viewers": len(self.viewers),
        }

    async def close(self) -> None:
        for viewer in list(self.viewers.values()):
            await self.end(viewer, "relay stopping")
        await self.sources.close()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_OFFER_BYTES)
        app.router.add_post("/whep/{camera}", self.offer)
        app.router.add_delete("/whep/{session}", self.hang_up)
        app.router.add_post("/prepare", self.prepare)
        app.router.add_get("/state", self.state)
        return app


async def _close(pc: RTCPeerConnection) -> None:
    """Close a viewer's connection and end its track, so its feed stops queueing packets for it."""
    tracks = [sender.track for sender in pc.getSenders() if sender.track is not None]
    await pc.close()
    for track in tracks:
        track.stop()


def _bearer(request: web.Request) -> str | None:
    value = request.headers.get("Authorization", "")
    return value[7:].strip() if value.startswith("Bearer ") else None


def _error(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")


def _require_h264(sdp: str) -> None:
    """The camera's packets are H.264; aiortc answers with the browser's first choice, so that must be it."""
    for media in SessionDescription.parse(sdp).media:
        if media.kind == "video":
            if not media.rtp.codecs or media.rtp.codecs[0].mimeType.lower() != "video/h264":
                raise ValueError("the offer must prefer H.264 (the relay passes the camera's H.264 through)")
            return
    raise ValueError("no video in the answer")


def restrict_ice(addresses: list[str]) -> None:
    """Offer only these local addresses as ICE candidates. aiortc has no setting for it; it asks
    aioice, which asks this one function for the machine's addresses."""
    if not addresses:
        return
    every = aioice.ice.get_host_addresses
    present = set(every(use_ipv4=True, use_ipv6=True))
    missing = [a for a in addresses if a not in present]
    if missing:
        log.warning("relay.ice_addresses not on this machine (not offered): %s", ", ".join(missing))

    def configured(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in every(use_ipv4=use_ipv4, use_ipv6=use_ipv6) if a in addresses]

    aioice.ice.get_host_addresses = configured


class _Unresolved:
    async def resolve(self, hostname: str, timeout: float | None = None) -> None:
        return None


async def _no_mdns(subscriber: object) -> aioice.mdns.MDnsProtocol:
    return cast(aioice.mdns.MDnsProtocol, _Unresolved())


def refuse_mdns() -> None:
    """Never resolve a browser's mDNS candidate (a random `.local` name, which Chromium offers in place
    of its own addresses unless the page may use a camera or microphone). aioice resolves one with a
    socket bound to every interface (0.0.0.0:5353) in the mDNS group, open to the whole LAN, and
    holds the answer up to a second while it asks. The relay needs no name: the browser's own checks
    reach its candidates, and ICE pairs with the address they come from (a peer-reflexive candidate)."""
    if not hasattr(aioice.ice, "get_or_create_mdns_protocol"):
        # Another aioice: it may resolve names some other way, on every interface. Better not to start.
        raise RuntimeError("aioice.ice has no get_or_create_mdns_protocol: cannot keep mDNS off")
    aioice.ice.get_or_create_mdns_protocol = _no_mdns


class Redact(logging.Filter):
    """Camera credentials out of every log line, whoever writes it: aiortc's MediaPlayer names its
    URL, password included, in its own warnings."""

    _USERINFO = re.compile(r"(rtsps?://)[^/@\s]*@")

    def __init__(self, secrets_: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets_ if s]

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = self._USERINFO.sub(r"\1***@", text)
        for secret in self.secrets:
            clean = clean.replace(secret, "***")
        if clean != text:
            record.msg, record.args = clean, None
        return True


def redact_logs(settings: Settings) -> None:
    passwords = [c.password.get_secret_value() for c in settings.cameras if c.password]
    for handler in logging.getLogger().handlers:
        handler.addFilter(Redact(passwords))


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    config = settings.app.cameras.relay
    restrict_ice(config.ice_addresses)
    refuse_mdns()
    engine = connect(settings.database_url)
    relay = Relay(settings, engine)
    # Opening and closing a camera stream (the RTSP handshake) runs in a thread. asyncio's default
    # pool has cpu+4 threads: a wall of 16 unwatched cameras then opened 6 at a time, and the last tiles
    # waited three opens (first frame p95 3.9 s). One thread per stream that can be open at once.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=2 * len(relay.cameras) + 4, thread_name_prefix="camera-open")
    )
    runner = web.AppRunner(relay.app(), access_log=None)  # the web app logs who watches what
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    log.info("relay listening on %s:%d (signalling, loopback)", config.host, config.port)
    meter = CpuMeter()
    loop = asyncio.get_running_loop()

    def probe() -> tuple[int, str]:
        doc = asyncio.run_coroutine_threadsafe(_snapshot(relay), loop).result(timeout=5)
        return doc["viewers"], f"{len(doc['sources'])} streams, {doc['viewers']} viewers, CPU {meter.percent():.1f}%"

    heartbeat = Heartbeat(engine, "cameras-relay", 5, probe).start()
    trimming = boot.end_if_it_fails(asyncio.ensure_future(relay_heap.trim_every()))
    try:
        await stop.wait()
    finally:
        trimming.cancel()
        heartbeat.stop()
        await relay.close()
        await runner.cleanup()
        engine.dispose()


async def _snapshot(relay: Relay) -> dict[str, Any]:
    return relay.snapshot()


def main() -> None:
    relay_heap.limit_arenas()  # before GStreamer's and asyncio's threads start
    settings = boot.settings_or_exit()
    redact_logs(settings)
    logging.getLogger("aiortc").setLevel(logging.WARNING)
    logging.getLogger("aioice").setLevel(logging.WARNING)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
