"""The WebRTC relay as the tests start it, and what they hand it: a real offer, the workers' word on a camera."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import delete, insert

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

    def start(self, timeout: float = 30) -> RelayProcess:
        self.launch([sys.executable, "-m", "streams.cameras.relay"], self.env)
        self.wait_serving(self.url + "/state", timeout, "relay")
        return self

    def state(self) -> dict[str, Any]:
        return requests.get(self.url + "/state", timeout=5).json()  # type: ignore[no-any-return]

    def offer(self, camera: str, stream: str = "sub", grant: str | None = None, sdp: str = OFFER) -> requests.Response:
        headers = {"Content-Type": "application/sdp"}
        if grant is not None:
            headers["Authorization"] = f"Bearer {grant}"
        return requests.post(f"{self.url}/whep/{camera}?stream={stream}", data=sdp, headers=headers, timeout=30)


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


def set_camera_state(engine: Any, camera_id: str, status: str | None, codec: str | None = None) -> None:
    """What the camera workers would have stored of a camera (None: nothing)."""
    with engine.begin() as conn:
        conn.execute(delete(camera_state).where(camera_state.c.camera_id == camera_id))
        if status is not None:
            now = datetime.now(UTC)
            row = {"camera_id": camera_id, "status": status, "codec": codec, "updated_at": now, "reconnects": 0}
            conn.execute(insert(camera_state).values(**row))
