"""Fixtures shared by the camera tests: the real RTSP simulator and the settings that read it.

- `rtsp_sim` (session): one simulator for the whole session, every active camera of the
  shipped config/ plus the test mounts /test/h265 and /test/mjpeg, rain OFF (so no radio
  camera drops in the middle of another test). A test that takes a camera down or freezes
  it must bring it back with `rtsp_sim.up(id)` (a `finally:`), or use `make_rtsp_sim`.
- `make_rtsp_sim(rain=..., **kw)` (function): a private simulator with its own config copy,
  e.g. with a short rain schedule; stopped after the test.
- `camera_env` (function): a fresh data directory (mode 700) plus the config and environment
  under which a worker, the relay or the web app reads the session simulator's cameras:
  `.config_dir`, `.data_dir`, `.env` (for subprocess.Popen), `.settings` (Settings, cameras with
  simulated URLs and credentials), `.sim` (the RtspSimulator).
- `stack` (module): a relay process of the module's own and an in-process web app over the
  session simulator, two cameras pointed at its fault mounts (`camera_config`):
  {"relay", "app", "settings", "sim", "env", "engine"}.
- `CAPTURE_OPTIONS` is the OPENCV_FFMPEG_CAPTURE_OPTIONS the readers here use (TCP, short probe);
  this conftest sets it for the test process, before any test opens a capture.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from scc.settings import Settings, load_settings
from scc.storage import open_storage
from tests.support.relay import RelayProcess
from tests.support.rtsp import CAPTURE_OPTIONS, RtspSimulator, set_rain
from tests.support.web import ROOT, seed_users

os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", CAPTURE_OPTIONS)


def copy_config(target: Path, *, rain: dict[str, Any] | None = None) -> Path:
    """A copy of config/ with the given rain schedule (set_rain's keywords); rain off when None."""
    shutil.copytree(ROOT / "config", target)
    set_rain(target, **(rain or {"enabled": False}))
    return target


@pytest.fixture(scope="session")
def rtsp_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspSimulator]:
    base = tmp_path_factory.mktemp("cameras-sim")
    sim = RtspSimulator(copy_config(base / "config"), base / "data").start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def make_rtsp_sim(tmp_path: Path) -> Iterator[Callable[..., RtspSimulator]]:
    started: list[RtspSimulator] = []

    def make(*, rain: dict[str, Any] | None = None, **options: Any) -> RtspSimulator:
        base = tmp_path / f"cameras-sim-{len(started)}"
        sim = RtspSimulator(copy_config(base / "config", rain=rain), base / "data", **options)
        started.append(sim)
        return sim.start()

    try:
        yield make
    finally:
        for sim in started:
            sim.stop()


@dataclass(frozen=True)
class CameraEnv:
    sim: RtspSimulator
    config_dir: Path
    data_dir: Path
    env: dict[str, str]
    settings: Settings


@pytest.fixture
def camera_env(rtsp_sim: RtspSimulator, tmp_path: Path) -> CameraEnv:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    env = {**rtsp_sim.env, "SCC_DATA_DIR": str(data_dir)}
    settings = load_settings(rtsp_sim.config_dir, data_dir, env)
    return CameraEnv(rtsp_sim, rtsp_sim.config_dir, data_dir, env, settings)


def camera_config(source: Path, target: Path, *, sim_port: int) -> Path:
    """A copy of `source` (a config/ dir) whose active cameras read the simulator as simulation would,
    except two that point at its fault mounts: dpmptsp-loket at the H.265 (main) and MJPEG (sub) test
    mounts, dukcapil-loket-ktp at a path that does not exist. Simulation itself must then be off."""
    shutil.copytree(source, target)
    path = target / "cameras.yaml"
    doc = yaml.safe_load(path.read_text())
    base = f"rtsp://127.0.0.1:{sim_port}"
    faults = {
        "dpmptsp-loket": (f"{base}/test/h265", f"{base}/test/mjpeg"),
        "dukcapil-loket-ktp": (f"{base}/no-such-camera/main", f"{base}/no-such-camera/sub"),
    }
    for camera in doc["cameras"]:
        if camera["status"] == "active":
            cid = camera["id"]
            camera["main_url"], camera["sub_url"] = faults.get(cid, (f"{base}/{cid}/main", f"{base}/{cid}/sub"))
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return target


@pytest.fixture(scope="module")
def stack(rtsp_sim, tmp_path_factory):
    """The session's simulator, a relay and an in-process web app reading the same settings: the
    simulated cameras, except the fault cameras of `camera_config` (so simulation is off)."""
    base = tmp_path_factory.mktemp("relay")
    data_dir = base / "data"
    data_dir.mkdir(mode=0o700)
    config_dir = camera_config(rtsp_sim.config_dir, base / "config", sim_port=rtsp_sim.port)
    env = {
        **rtsp_sim.env,
        "SCC_CONFIG_DIR": str(config_dir),
        "SCC_DATA_DIR": str(data_dir),
        "SCC_CAMERAS_SIMULATED": "false",
    }
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")  # first, so the relay's heartbeat finds its table
    seed_users(engine)
    relay = RelayProcess(env, base).start()
    env["SCC_RELAY_PORT"] = str(relay.port)
    from dashboard.app import create_app

    settings = load_settings(config_dir, data_dir, env)
    app = create_app(settings, engine)
    app.server.config["TESTING"] = True
    try:
        yield {"relay": relay, "app": app, "settings": settings, "sim": rtsp_sim, "env": env, "engine": engine}
    finally:
        relay.stop()
        engine.dispose()
