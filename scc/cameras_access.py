"""Who may watch which camera, and the short-lived grants the web app hands the WebRTC relay.

The relay is a separate process on loopback that never sees a session cookie.
The web app checks the signed-in user against `may_view`, then signs a grant
for that one user and one scope (a camera's stream, ending one viewing
session, or opening a page of the wall's streams ahead of its tiles) that
lives a few seconds; the relay refuses anything without a valid
one. The key is derived from the installation's web secret, so a grant can
never pass for a session cookie, nor a cookie for a grant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from .settings.cameras import Camera

Stream = Literal["main", "sub"]
STREAMS: tuple[Stream, ...] = ("main", "sub")
# Long enough for the web app to forward an offer on loopback, short enough that a grant seen in a
# log or a crash dump is useless a moment later.
GRANT_TTL_S = 30.0
_WATCH_REGENCY = frozenset({"admin", "operator", "viewer"})
_PURPOSE = b"scc camera relay grant v1"


def may_view(role: str, skpd_code: str | None, camera: Camera) -> bool:
    """Staff who watch the regency see every active camera; SKPD staff only their own unit's."""
    if camera.status != "active":
        return False
    if role in _WATCH_REGENCY:
        return True
    return role == "skpd" and skpd_code is not None and camera.skpd == skpd_code


def view_scope(camera_id: str, stream: Stream) -> str:
    return f"view:{camera_id}:{stream}"


def end_scope(session_id: str) -> str:
    return f"end:{session_id}"


def prepare_scope(camera_ids: list[str]) -> str:
    """Opening these cameras' sub streams ahead of the tiles that will ask for them (a page of the wall)."""
    return "prepare:" + ",".join(sorted(camera_ids))


@dataclass(frozen=True, slots=True)
class Grant:
    user: str
    scope: str
    expires: float


def _key(secret: SecretStr) -> bytes:
    return hmac.new(secret.get_secret_value().encode(), _PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_grant(secret: SecretStr, user: str, scope: str, ttl_s: float = GRANT_TTL_S, now: float | None = None) -> str:
    """A token for `user` and `scope`, valid `ttl_s` seconds."""
    expires = (time.time() if now is None else now) + ttl_s
    body = _b64(json.dumps({"u": user, "s": scope, "e": round(expires, 3)}, separators=(",", ":")).encode())
    mac = hmac.new(_key(secret), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_grant(secret: SecretStr, token: str | None, scope: str, now: float | None = None) -> Grant | None:
    """The grant in `token` if it is ours, unexpired and for exactly `scope`; None otherwise."""
    if not token or len(token) > 1024 or token.count(".") != 1:
        return None
    body, mac = token.split(".")
    expected = hmac.new(_key(secret), body.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        fields = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(fields, dict):
        return None
    user, granted, expires = fields.get("u"), fields.get("s"), fields.get("e")
    if not isinstance(user, str) or not isinstance(granted, str) or not isinstance(expires, int | float):
        return None
    if granted != scope or expires < (time.time() if now is None else now):
        return None
    return Grant(user=user, scope=granted, expires=float(expires))
