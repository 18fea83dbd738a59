"""The RTSP simulator (streams.cameras.sim) as a test server: a real GStreamer RTSP server on 127.0.0.1.

    sim = RtspSimulator(config_dir, data_dir).start()   # free ports unless given
    sim.url("rsud-lobi/sub")                             # rtsp://127.0.0.1:<port>/rsud-lobi/sub (no credentials)
    sim.url("rsud-lobi/sub", "admin", "secret")          # with credentials, for OpenCV only
    sim.down("rsud-lobi"); sim.freeze("gasis-1"); sim.up("rsud-lobi"); sim.state()
    sim.env                                              # environment for other processes that read the cameras
    sim.settings()                                       # the settings those processes see (simulated URLs)
    sim.stop()

`set_rain(config_dir, ...)` rewrites the rain schedule of a config/ copy, for a
simulator of a test's own.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import requests

from scc.settings import Settings, load_settings
from tests.support.procs import ChildProcess
from tests.support.services import HOST, free_port, port_is_open

# What every reader in the tests should use: TCP, and short probing so an open takes ~0.3 s, not ~5 s.
CAPTURE_OPTIONS = "rtsp_transport;tcp|analyzeduration;500000|probesize;32768"
RAIN_LINE = re.compile(r"^(\s+)rain: \{[^}]*\}$", re.MULTILINE)


def set_rain(config_dir: Path, *, enabled: bool = True, every_s: float = 300, down_s: float = 40, mode: str = "freeze"):
    """Give the simulator of `config_dir` (a copy of config/) another rain schedule."""
    path = config_dir / "scc.yaml"
    text, count = RAIN_LINE.subn(
        lambda m: (
            f"{m.group(1)}rain: {{enabled: {str(enabled).lower()}, every_s: {every_s}, down_s: {down_s}, mode: {mode}}}"
        ),
        path.read_text(),
    )
    assert count == 1, "config/scc.yaml has no one-line `rain: {...}` under cameras.simulator"
    path.write_text(text)


class RtspSimulator(ChildProcess):
    """`python -m streams.cameras.sim` as a child process, its control port on 127.0.0.1."""

    def __init__(
        self,
        config_dir: Path,
        data_dir: Path,
        port: int | None = None,
        control_port: int | None = None,
        *,
        test_mounts: bool = True,
        startup_timeout: float = 30.0,
    ) -> None:
        self.config_dir, self.data_dir = Path(config_dir), Path(data_dir)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._fixed_ports = port is not None, control_port is not None
        self.port = port or free_port()
        self.control_port = control_port or free_port()
        self.test_mounts = test_mounts
        self.startup_timeout = startup_timeout
        super().__init__(self.data_dir / "cameras-sim.log", own_group=True)

    @property
    def env(self) -> dict[str, str]:
        """The environment of a process that should read the simulated cameras (workers, relay, web)."""
        return {
            **os.environ,
            "SCC_CONFIG_DIR": str(self.config_dir),
            "SCC_DATA_DIR": str(self.data_dir),
            "SCC_CAMERAS_SIMULATED": "true",
            "SCC_RTSP_PORT": str(self.port),
        }

    def settings(self, data_dir: Path | None = None) -> Settings:
        return load_settings(self.config_dir, data_dir or self.data_dir, self.env)

    def url(self, path: str, username: str | None = None, password: str | None = None) -> str:
        userinfo = f"{username}:{password}@" if username is not None else ""
        return f"rtsp://{userinfo}{HOST}:{self.port}/{path.lstrip('/')}"

    # --- life ------------------------------------------------------------------

    def start(self) -> RtspSimulator:
        for _attempt in range(5):
            problem = self._launch()
            if problem is None:
                return self
            self.kill()
            if all(self._fixed_ports):
                break
            # Someone took a port between free_port() and the bind: new free ports (the fixed ones stay).
            self.port = self.port if self._fixed_ports[0] else free_port()
            self.control_port = self.control_port if self._fixed_ports[1] else free_port()
        raise RuntimeError(f"RTSP simulator did not start: {problem}\n{self.log_text()[-3000:]}")

    def _launch(self) -> str | None:
        argv = [sys.executable, "-m", "streams.cameras.sim", "--port", str(self.port)]
        argv += ["--control-port", str(self.control_port)]
        if self.test_mounts:
            argv.append("--test-mounts")
        self.launch(argv, self.env)
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"it exited with code {self.process.returncode}"
            if port_is_open(HOST, self.port):
                try:
                    requests.get(self._control("/state"), timeout=2).raise_for_status()
                    return None
                except requests.RequestException:
                    pass
            time.sleep(0.1)
        return f"not serving after {self.startup_timeout:.0f} s"

    def stop(self, timeout: float = 10) -> None:
        super().stop(timeout)

    # --- control port ------------------------------------------------------------

    def _control(self, path: str) -> str:
        return f"http://{HOST}:{self.control_port}{path}"

    def _post(self, camera_id: str, action: str) -> dict[str, Any]:
        response = requests.post(self._control(f"/cameras/{camera_id}/{action}"), timeout=10)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def down(self, camera_id: str) -> dict[str, Any]:
        """Mounts gone (404), every client of the camera disconnected: a host that vanished."""
        return self._post(camera_id, "down")

    def freeze(self, camera_id: str) -> dict[str, Any]:
        """Sessions stay, frames stop: a stalled radio link."""
        return self._post(camera_id, "freeze")

    def up(self, camera_id: str) -> dict[str, Any]:
        return self._post(camera_id, "up")

    def state(self) -> dict[str, Any]:
        response = requests.get(self._control("/state"), timeout=10)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def __enter__(self) -> RtspSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
