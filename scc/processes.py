"""What `scc run` starts, in order. Later capabilities add their workers here."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from .settings import Settings
from .supervisor import ProcessSpec

_TCP_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
_LISTEN = "0A"  # the state LISTEN in those tables


def plan(settings: Settings, *, demo: bool) -> list[ProcessSpec]:
    python = sys.executable
    mqtt = settings.app.mqtt
    specs = [
        # The web server: Dash pages behind gunicorn (several processes; state lives in storage).
        ProcessSpec("web", "web", [python, "-m", "dashboard"]),
    ]
    if settings.app.web.tls.enabled and settings.app.web.tls.http_redirect_port:
        # Plain HTTP answered with a redirect to HTTPS, in a process of its own.
        specs.append(ProcessSpec("web-redirect", "web", [python, "-m", "dashboard.redirect"]))
    specs += [
        # Mosquitto, configured from config/, run as the child of a Python process that reads its log.
        ProcessSpec("metrics-broker", "metrics", [python, "-m", "streams.metrics.broker"], probe=listening(mqtt.port)),
        ProcessSpec("metrics-ingest", "metrics", [python, "-m", "streams.metrics.ingest"]),
        # Each unit's public website, checked every few minutes (config/skpd.yaml `service`).
        ProcessSpec("probes", "metrics", [python, "-m", "streams.metrics.probes"]),
    ]
    cams = settings.app.cameras
    if cams.simulate:
        # The demo's cameras: a real RTSP server (GStreamer) painting each active camera's streams;
        # first, so the workers find their cameras at once. Radio cameras drop on the rain schedule.
        specs.append(
            ProcessSpec(
                "cameras-sim", "cameras", [python, "-m", "streams.cameras.sim"], probe=listening(cams.simulator.port)
            )
        )
    # Camera workers, each reading every N-th camera, so a hung camera never delays the others.
    n = cams.workers.processes
    specs += [
        ProcessSpec(f"cameras-worker-{k}", "cameras", [python, "-m", "streams.cameras.worker", "--slice", f"{k}/{n}"])
        for k in range(n)
    ]
    # The WebRTC relay: pulls a camera only while someone watches it; the web app forwards offers to it.
    specs.append(ProcessSpec("cameras-relay", "cameras", [python, "-m", "streams.cameras.relay"]))
    # Roll-ups and retention (config/retention.yaml), in small batches every minute.
    specs.append(ProcessSpec("housekeeping", "platform", [python, "-m", "scc.housekeeping"]))
    # The rules of config/alerts.yaml over what storage says, a round every few seconds.
    specs.append(ProcessSpec("alerts", "platform", [python, "-m", "scc.alerts"]))
    # The daily and weekly reports (PDF, CSV), on schedule at 07:00 WITA and when asked for on the Reports page.
    specs.append(ProcessSpec("reports", "platform", [python, "-m", "dashboard.reports"]))
    if demo:
        # Every SKPD's unit, publishing plausible readings through the broker like a real one.
        specs.append(ProcessSpec("metrics-sim", "metrics", [python, "-m", "streams.metrics.sim"]))
        # The units' websites on loopback, for `probes` (probes.simulate): some up, some down in each way.
        port = settings.app.probes.simulator_port
        specs.append(
            ProcessSpec(
                "metrics-sites-sim", "metrics", [python, "-m", "streams.metrics.sim.sites"], probe=listening(port)
            )
        )
        # Calls ringing, units dispatched, incidents closed, through the call center's own services;
        # on an empty database it first writes a few weeks of past incidents for the KPI pages.
        specs.append(ProcessSpec("callcenter-sim", "callcenter", [python, "-m", "callcenter.sim"]))
    return specs


def listening(port: int) -> Callable[[], tuple[int, str]]:
    """A probe: does a socket listen on `port`?

    Read from the kernel's tables rather than by connecting: Mosquitto logs every connection,
    and a probe every few seconds would bury the units' own connections in its log.
    """

    def probe() -> tuple[int, str]:
        for table in _TCP_TABLES:
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == _LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    return 0, f"listening on port {port}"
        raise ConnectionError(f"nothing listens on port {port}")

    return probe
