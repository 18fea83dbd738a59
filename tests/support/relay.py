"""The WebRTC relay as the tests start it, and what they hand it: a real offer, the workers' word on a camera."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import requests
from pydantic import SecretStr
from sqlalchemy import delete, insert

from scc.cameras_access import sign_grant
from scc.settings import load_settings
from scc.storage.cameras import camera_state

from .procs import ChildProcess
from .services import free_port

OFFER = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"  # enough to reach the camera; no real peer behind it


class RelayProcess(ChildProcess):
    """`python -m streams.cameras.relay` as a child process on a free loopback port."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        super().__init__(log_dir / f"relay-{self.port}.log")
        self.env = {**env, "SCC_RELAY_PORT": str(self.port)}
        self.url = f"http://127.0.0.1:{self.port}"
        # The key the relay will check grants with: the same settings, read from the same environment.
        self.secret = load_settings(environ=self.env).app.web.secret_key

    def start(self, timeout: float = 30) -> RelayProcess:
        self.launch([sys.executable, "-m", "streams.cameras.relay"], self.env)
        deadline = time.monotonic() + timeout
        while not self._serves():
            if not self.alive():
                raise RuntimeError(f"relay exited: {self.log_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"relay not serving after {timeout:.0f} s: {self.log_text()[-2000:]}")
            time.sleep(0.2)
        return self

    def _serves(self) -> bool:
        try:
            return self.state_response().status_code == 200
        except requests.RequestException:
            return False

    def state_response(self, grant: str | None = None) -> requests.Response:
        """GET /state with `grant`, or with a fresh state grant of this installation when None."""
        token = state_grant(self.secret) if grant is None else grant
        return requests.get(self.url + "/state", headers={"Authorization": f"Bearer {token}"}, timeout=5)

    def state(self) -> dict[str, Any]:
        response = self.state_response()
        response.raise_for_status()
        return response.json()

    def offer(self, camera: str, stream: str = "sub", grant: str | None = None, sdp: str = OFFER) -> requests.Response:
        headers = {"Content-Type": "application/sdp"}
        if grant is not None:
            headers["Authorization"] = f"Bearer {grant}"
        return requests.post(f"{self.url}/whep/{camera}?stream={stream}", data=sdp, headers=headers, timeout=30)


def state_grant(secret: SecretStr, who: str = "tests") -> str:
    """A grant for the relay's GET /state, signed with the installation's key as the web app would."""
    from streams.cameras.relay import STATE_SCOPE  # aiortc and GStreamer take seconds to import

    return sign_grant(secret, who, STATE_SCOPE)


def browser_like_offer() -> str:
    """A real SDP offer (aiortc's, receive-only video, H.264 only), as the wall's players make."""
    from aiortc import RTCPeerConnection, RTCRtpReceiver

    async def make() -> str:
        pc = RTCPeerConnection()
        transceiver = pc.addTransceiver("video", direction="recvonly")
        codecs = RTCRtpReceiver.getCapabilities("video").codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType.lower() == "video/h264"])
        await pc.setLocalDescription(await pc.createOffer())
        sdp: str = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(make())


def mdns_offer() -> str:
    """An offer whose one host candidate is named by mDNS, as Chromium names its own unless the page
    may use a camera or microphone. No end-of-candidates: the relay's ICE keeps waiting for more (the
    name resolves nowhere), so whatever it opened for the name is still open after the answer."""
    lines = [line for line in browser_like_offer().split("\r\n") if line]
    kept = [line for line in lines if not line.startswith(("a=candidate:", "a=end-of-candidates"))]
    candidate = f"a=candidate:1 1 udp 2122260223 {uuid.uuid4()}.local 50000 typ host"
    return "\r\n".join([*kept, candidate]) + "\r\n"


class Bound(NamedTuple):
    protocol: str  # tcp (listening only) or udp
    address: str
    port: int


def bound_sockets(pid: int) -> set[Bound]:
    """The TCP sockets process `pid` listens on and every UDP socket it holds, with their local
    addresses, from its open files and its network namespace's tables in /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if inode not in inodes or (table.startswith("tcp") and state != "0A"):  # 0A: LISTEN
                continue
            address, port = local.split(":")
            # The kernel prints the address as 32-bit words in the machine's own byte order.
            words = [int(address[i : i + 8], 16) for i in range(0, len(address), 8)]
            raw = b"".join(struct.pack("=I", w) for w in words)
            family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
            found.add(Bound(table.rstrip("6"), socket.inet_ntop(family, raw), int(port, 16)))
    return found


def set_camera_state(engine: Any, camera_id: str, status: str | None, codec: str | None = None) -> None:
    """What the camera workers would have stored of a camera (None: nothing)."""
    with engine.begin() as conn:
        conn.execute(delete(camera_state).where(camera_state.c.camera_id == camera_id))
        if status is not None:
            now = datetime.now(UTC)
            row = {"camera_id": camera_id, "status": status, "codec": codec, "updated_at": now, "reconnects": 0}
            conn.execute(insert(camera_state).values(**row))
