"""Camera reads: every configured camera with its stored state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from scc.settings import Settings
from scc.storage.cameras import CameraDisplayStatus, camera_state


@dataclass(frozen=True)
class CameraRow:
    id: str
    name: str
    site: str
    skpd: str
    district: str
    link: str
    planned: bool
    status: CameraDisplayStatus
    last_frame_at: datetime | None
    fps: float | None
    reconnects: int
    last_error: str | None


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def without_credentials(text: str) -> str:
    """An error text as a page may show it: FFmpeg and OpenCV repeat the URL they opened,
    and that URL carries the camera's user name and password."""
    return _USERINFO.sub(r"\1***@", text)


def cameras(engine: Engine, settings: Settings) -> list[CameraRow]:
    """Every configured camera; status 'nodata' when its worker has not reported, 'planned' when not installed."""
    with engine.connect() as conn:
        states = {r.camera_id: r for r in conn.execute(select(camera_state))}
    out = []
    for cam in settings.cameras:
        state = states.get(cam.id)
        planned = cam.status == "planned"
        status: CameraDisplayStatus = "planned" if planned else (state.status if state else "nodata")
        out.append(
            CameraRow(
                id=cam.id,
                name=cam.name,
                site=cam.site,
                skpd=cam.skpd,
                district=cam.district,
                link=cam.link,
                planned=planned,
                status=status,
                last_frame_at=state.last_frame_at if state else None,
                fps=state.fps if state else None,
                reconnects=state.reconnects if state else 0,
                last_error=without_credentials(state.last_error) if state and state.last_error else None,
            )
        )
    return out
