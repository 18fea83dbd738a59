"""How the camera processes run: the RTSP simulator, the camera workers and the WebRTC relay.

The camera records themselves are in `cameras.py` (config/cameras.yaml); this is
the `cameras:` section of config/scc.yaml.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Strict


class RainConfig(Strict):
    """When the simulated radio links drop, as rain does to the real ones."""

    enabled: bool = Field(default=True, description="Radio cameras drop and return on the schedule below.")
    every_s: float = Field(default=300, gt=0, description="Seconds from the start of one shower to the next.")
    down_s: float = Field(default=40, gt=0, description="Seconds a radio link stays down in each shower.")
    mode: Literal["freeze", "down"] = Field(
        default="freeze",
        description="How a shower drops a camera: freeze (sessions stay, frames stop, new opens hang, as a radio "
        "link in rain does) or down (mounts gone and clients closed, as a host that vanished).",
    )

    @model_validator(mode="after")
    def _down_shorter_than_period(self) -> RainConfig:
        if self.down_s >= self.every_s:
            raise ValueError("down_s must be shorter than every_s, or the links never return")
        return self


class SimulatorConfig(Strict):
    """The demo's cameras: a real RTSP server (GStreamer) painting synthetic streams."""

    host: str = Field(default="127.0.0.1", description="Address the RTSP simulator listens on.")
    port: int = Field(default=8554, ge=1, le=65535, description="RTSP port of the simulator.")
    rain: RainConfig = Field(default_factory=RainConfig, description="Drop schedule of the radio cameras.")


class WorkersConfig(Strict):
    """The OpenCV camera workers: reading, analysis, status, snapshots."""

    processes: int = Field(default=2, ge=1, le=32, description="Worker processes the cameras are spread over.")
    analysis_fps: float = Field(default=5.0, gt=0, le=30, description="Frames per second analysed per camera.")
    open_timeout_s: float = Field(default=5.0, gt=0, description="Give up opening a stream after this long.")
    read_timeout_s: float = Field(default=5.0, gt=0, description="Give up waiting for a frame after this long.")
    stale_after_s: float = Field(default=2.0, gt=0, description="No new frame for this long: stale.")
    offline_after_s: float = Field(default=4.0, gt=0, description="No new frame for this long: offline.")
    backoff_min_s: float = Field(default=1.0, gt=0, description="First wait before reconnecting.")
    backoff_max_s: float = Field(default=60.0, gt=0, description="Longest wait between reconnects.")
    activity_every_s: float = Field(default=10.0, gt=0, description="Interval of the stored activity series.")
    snapshot_every_s: float = Field(default=300.0, gt=0, description="Keep one snapshot per camera this often.")
    snapshot_retention_h: float = Field(default=72.0, gt=0, description="Delete kept snapshots older than this.")
    snapshot_disk_mb: float = Field(default=1024.0, gt=0, description="Cap on the disk used by kept snapshots.")

    @model_validator(mode="after")
    def _ordered(self) -> WorkersConfig:
        if self.offline_after_s <= self.stale_after_s:
            raise ValueError("offline_after_s must be longer than stale_after_s")
        if self.backoff_max_s < self.backoff_min_s:
            raise ValueError("backoff_max_s must not be shorter than backoff_min_s")
        return self


class RelayConfig(Strict):
    """The WebRTC relay (aiortc): one source per watched camera, fanned out to every viewer."""

    host: str = Field(default="127.0.0.1", description="Address of the relay's signalling port (loopback).")
    port: int = Field(default=8555, ge=1, le=65535, description="Signalling port the web app forwards offers to.")
    ice_addresses: list[str] = Field(
        default_factory=list,
        description="LAN addresses offered as ICE candidates; empty: every address of this machine but loopback.",
    )
    linger_s: float = Field(default=5.0, ge=0, description="Keep pulling a camera this long after its last viewer.")
    reconnect_max_s: float = Field(
        default=2.0,
        gt=0,
        description="Longest wait between the relay's reconnects to a watched camera that dropped: "
        "someone is looking at it, so it comes back soon after the camera does.",
    )

    @field_validator("ice_addresses")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        for value in values:
            ipaddress.ip_address(value)  # raises ValueError with the bad text
        return values


class CamerasConfig(Strict):
    simulate: bool = Field(
        default=False,
        description="Replace every active camera's URLs by the local RTSP simulator's (the demo and the tests).",
    )
    simulator: SimulatorConfig = Field(default_factory=SimulatorConfig, description="The RTSP simulator.")
    workers: WorkersConfig = Field(default_factory=WorkersConfig, description="The camera workers.")
    relay: RelayConfig = Field(default_factory=RelayConfig, description="The WebRTC relay.")
