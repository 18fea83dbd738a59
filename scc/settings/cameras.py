"""Camera records (docs/design.md §3.2.1).

Credentials live in `username`/`password`, never inside the URLs, so a URL
can be logged or shown safely; `password` is a SecretStr and prints as stars.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from .base import Code, Position, ShortName, Strict


class Camera(Strict):
    id: Code = Field(description="Stable camera id, used in URLs and storage.")
    name: str = Field(min_length=1, description="Name shown to operators (Indonesian).")
    site: str = Field(min_length=1, description="Site or building.")
    site_short: ShortName = Field(
        description="The site's name on a camera tile, so 'Ruang Tunggu' says whose; one per site, unique."
    )
    skpd: Code = Field(description="SKPD that owns the camera.")
    district: Code = Field(description="District the camera is in.")
    link: Literal["fibre", "radio"] = Field(description="LAN link kind; radio drops in rain.")
    uplink: Code = Field(
        description="The link (a fibre run or a radio hop) the camera reaches the command center over; "
        "cameras on one uplink drop together, and the wall shows one banner for them."
    )
    status: Literal["active", "planned"] = Field(description="Planned cameras are listed but not connected.")
    position: Position = Field(description="Approximate position.")
    main_url: str | None = Field(default=None, description="RTSP main stream, without credentials.")
    sub_url: str | None = Field(default=None, description="RTSP sub stream (low resolution), without credentials.")
    username: str | None = Field(default=None, description="RTSP user name.")
    password: SecretStr | None = Field(default=None, description="RTSP password, from an environment variable.")

    @field_validator("main_url", "sub_url")
    @classmethod
    def _url_without_credentials(cls, url: str | None) -> str | None:
        if url is None:
            return url
        parts = urlsplit(url)
        if parts.scheme not in ("rtsp", "rtsps"):
            raise ValueError("must be an rtsp:// or rtsps:// URL")
        if not parts.hostname:
            raise ValueError("has no host")
        if parts.username or parts.password:
            raise ValueError("must not contain credentials; use the camera's username and password keys")
        return url

    @model_validator(mode="after")
    def _active_needs_stream(self) -> Camera:
        if self.status == "active" and not self.main_url:
            raise ValueError("an active camera needs main_url")
        return self

    def stream_url(self, which: Literal["main", "sub"] = "main") -> str:
        """The URL to open, with credentials. Only ever hand this to OpenCV/FFmpeg."""
        url = self.sub_url if which == "sub" and self.sub_url else self.main_url
        if url is None:
            raise ValueError(f"camera {self.id} has no stream URL")
        if not self.username:
            return url
        parts = urlsplit(url)
        secret = self.password.get_secret_value() if self.password else ""
        userinfo = quote(self.username, safe="") + (":" + quote(secret, safe="") if secret else "")
        return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc}"))

    def simulated(self, host: str, port: int) -> Camera:
        """This camera with its streams on the local RTSP simulator, at /<id>/main and /<id>/sub."""
        if self.status != "active":
            return self
        base = f"rtsp://{host}:{port}/{self.id}"
        return self.model_copy(update={"main_url": f"{base}/main", "sub_url": f"{base}/sub"})


class CamerasFile(Strict):
    cameras: list[Camera] = Field(default_factory=list)
