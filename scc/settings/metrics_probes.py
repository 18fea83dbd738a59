"""How the `probes` process checks the units' public services (each unit's `service` in skpd.yaml)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from .base import Strict


class ProbesConfig(Strict):
    interval_s: int = Field(default=300, ge=10, le=3600, description="Seconds between two rounds of checks.")
    timeout_s: float = Field(
        default=10, gt=0, le=60, description="Longest one check may take, connection to last byte; then it is down."
    )
    concurrency: int = Field(
        default=16,
        ge=1,
        le=256,
        description="Checks at once: a round of N services with H hanging takes about timeout_s while H < concurrency.",
    )
    allow_remote: bool = Field(
        default=False,
        description="Probe addresses beyond this machine. Off, every service URL must be a loopback address (the "
        "demo, the tests); a real install turns it on to reach the units' sites.",
    )
    simulate: bool = Field(
        default=False,
        description="The demo: probe every unit at the local simulator's site (http://127.0.0.1:<simulator_port>/"
        "<code>/, its short name expected on the page) instead of skpd.yaml's services.",
    )
    simulator_port: int = Field(default=8470, ge=1, le=65535, description="The demo's sites, on loopback.")
    ca_file: Path | None = Field(
        default=None, description="A CA certificate (PEM) trusted besides the system's, e.g. the regency's own CA."
    )
