"""The camera worker process against the real RTSP simulator (GStreamer), with real OpenCV and FFmpeg.

One worker (`python -m streams.cameras.worker --slice 0/1`) reads, in one process,
four simulator cameras and every fault the issue names: a wrong password, a path
that does not exist, a closed port, a port that accepts TCP and never answers,
and the H.265 and MJPEG test mounts. The tests drop, stall and restore cameras
through the simulator's control port and watch what the worker stores.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import pytest
import yaml
from sqlalchemy import Engine, select

from scc.storage import open_storage
from scc.storage.cameras import camera_activity, camera_outages, camera_state, snapshot_path
from scc.storage.platform import heartbeats
from streams.cameras.timecode import read_timecode
from tests.support.rtsp import RtspSimulator
from tests.support.services import free_port
from tests.support.web import ROOT

WRONG_PASSWORD = "wrong-Pa55-zq7"
OFFLINE_WITHIN_S = 5.0  # the goal
ONLINE_WITHIN_S = 3.0  # the goal, after the stream returns
NOISE_S = 1.0  # a loaded 2-core machine: added to the goals above, the figures are printed


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    engine: Engine
    data_dir: Path
    log_path: Path
    sim: RtspSimulator
    up: str  # stays up throughout
    drops: str  # dropped and restored
    stalls: str  # frozen and restored
    late: str  # down when the worker starts
    hung: socket.socket

    def states(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return {r.camera_id: r for r in conn.execute(select(camera_state))}

    def outages(self, camera_id: str) -> list[Any]:
        with self.engine.connect() as conn:
            query = select(camera_outages).where(camera_outages.c.camera_id == camera_id)
            return list(conn.execute(query.order_by(camera_outages.c.id)))


def wait_for(what: str, check: Callable[[], Any], timeout: float, running: Running | None = None) -> float:
    """Seconds until `check()` is truthy; fails with the worker's last log lines after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if running and running.process.poll() is not None:
            break
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    tail = running.log_path.read_text(errors="replace")[-3000:] if running else ""
    raise AssertionError(f"not within {timeout:.0f} s (or the worker ended): {what}\n{tail}")


def status_of(running: Running, camera_id: str) -> str | None:
    row = running.states().get(camera_id)
    return row.status if row else None


def write_config(sim: RtspSimulator, config_dir: Path, hung_port: int) -> dict[str, str]:
    """config/ of the session simulator, with cameras.yaml holding four of its cameras and every fault."""
    import shutil

    shutil.copytree(sim.config_dir, config_dir)
    scc_yaml = config_dir / "scc.yaml"
    text = scc_yaml.read_text()
    text = re.sub(r"\n    snapshot_every_s: \d+", "", text)
    text, count = re.subn(
        r"\n    analysis_fps: 5\n", "\n    analysis_fps: 5\n    activity_every_s: 1\n    snapshot_every_s: 2\n", text
    )
    assert count == 1, "config/scc.yaml changed: cameras.workers.analysis_fps not found"
    scc_yaml.write_text(text)

    shipped = yaml.safe_load((config_dir / "cameras.yaml").read_text())["cameras"]
    active = [c for c in shipped if c["status"] == "active"]
    base = f"rtsp://127.0.0.1:{sim.port}"

    def camera(source: dict[str, Any], camera_id: str, url: str, **changes: Any) -> dict[str, Any]:
        return {**source, "id": camera_id, "main_url": url, "sub_url": url, **changes}

    roles = {"up": active[0]["id"], "drops": active[1]["id"], "stalls": active[2]["id"], "late": active[3]["id"]}
    cameras = [camera(c, c["id"], f"{base}/{c['id']}/sub") for c in active[:4]]
    template = active[0]
    cameras += [
        camera(template, "fault-password", f"{base}/{template['id']}/sub", password="${SCC_TEST_WRONG_PASSWORD}"),
        camera(template, "fault-path", f"{base}/no-such-camera/sub"),
        camera(template, "fault-refused", f"rtsp://127.0.0.1:{free_port()}/x/sub"),
        camera(template, "fault-hung", f"rtsp://127.0.0.1:{hung_port}/x/sub"),
        camera(template, "codec-h265", f"{base}/test/h265", username=None, password=None),
        camera(template, "codec-mjpeg", f"{base}/test/mjpeg", username=None, password=None),
    ]
    (config_dir / "cameras.yaml").write_text(yaml.safe_dump({"cameras": cameras}, sort_keys=False))
    return roles


@pytest.fixture(scope="module")
def running(rtsp_sim: RtspSimulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    base = tmp_path_factory.mktemp("worker")
    data_dir = base / "data"
    data_dir.mkdir(mode=0o700)
    hung = socket.create_server(("127.0.0.1", 0), backlog=16)  # accepts TCP, never says a word
    roles = write_config(rtsp_sim, base / "config", hung.getsockname()[1])
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    env = {
        **os.environ,
        "SCC_CONFIG_DIR": str(base / "config"),
        "SCC_DATA_DIR": str(data_dir),
        "SCC_CAMERAS_SIMULATED": "false",
        "SCC_TEST_WRONG_PASSWORD": WRONG_PASSWORD,
    }
    rtsp_sim.down(roles["late"])
    log_path = base / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams.cameras.worker", "--slice", "0/1"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    run = Running(process, engine, data_dir, log_path, rtsp_sim, hung=hung, **roles)
    try:
        yield run
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for camera_id in roles.values():
            rtsp_sim.up(camera_id)
        hung.close()
        engine.dispose()


def test_cameras_come_online_with_their_measured_stream(running):
    wait_for("the simulator's cameras online", lambda: status_of(running, running.up) == "online", 30, running)
    wait_for(
        "a measured fps",
        lambda: (running.states()[running.up].fps or 0) > 0 and status_of(running, running.stalls) == "online",
        15,
        running,
    )
    row = running.states()[running.up]
    assert 4.0 <= row.fps <= 6.0, row.fps  # the sub stream is 5 fps
    assert (row.width, row.height, row.codec, row.last_error) == (640, 360, "h264", None)
    assert row.reconnects == 0 and row.last_frame_at is not None and row.activity is not None


def test_each_fault_has_a_clear_status_and_text_while_the_others_stay_online(running):
    def faults_settled() -> bool:
        states = running.states()
        return all(states.get(c) is not None and states[c].last_error for c in ("fault-password", "fault-hung"))

    wait_for("every fault judged", faults_settled, 30, running)
    wait_for("the codec mounts online", lambda: status_of(running, "codec-mjpeg") == "online", 15, running)
    states = running.states()
    expect = {
        "fault-password": ("error", "401"),
        "fault-path": ("error", "404"),
        "fault-refused": ("offline", "refused"),
        "fault-hung": ("offline", "timeout"),
    }
    for camera_id, (status, text) in expect.items():
        assert (states[camera_id].status, text) == (status, text) and text in states[camera_id].last_error, camera_id
        assert running.outages(camera_id) and running.outages(camera_id)[0].ended_at is None, camera_id
    # H.265 and MJPEG decode here, but the relay cannot pass them to a browser: the codec says so.
    h265, mjpeg = states["codec-h265"], states["codec-mjpeg"]
    assert (h265.status, h265.codec, h265.width) == ("online", "hevc", 640) and "H.264 only" in h265.last_error
    assert (mjpeg.status, mjpeg.codec) == ("online", "MJPG") and "H.264 only" in mjpeg.last_error
    # A hung camera (it holds its reader for the whole open timeout, again and again) holds up nobody.
    assert status_of(running, running.up) == "online" and running.outages(running.up) == []


def test_a_camera_down_at_start_comes_online_when_it_appears(running):
    # The simulator answers 404 for a camera that is down; one never seen is then in error (a wrong path?).
    wait_for("the late camera judged", lambda: status_of(running, running.late) in ("offline", "error"), 15, running)
    assert "404" in running.states()[running.late].last_error
    running.sim.up(running.late)
    took = wait_for("the late camera online", lambda: status_of(running, running.late) == "online", 30, running)
    print(f"camera down at start: online {took:.2f} s after its stream appeared")
    assert took <= ONLINE_WITHIN_S + NOISE_S
    (outage,) = running.outages(running.late)
    assert outage.ended_at is not None and outage.ended_at > outage.started_at


def test_a_server_that_drops_mid_stream_is_offline_within_5_s_and_back_within_3_s(running):
    cam = running.drops
    wait_for("online first", lambda: status_of(running, cam) == "online", 30, running)
    running.sim.down(cam)
    dead = wait_for("offline after the drop", lambda: status_of(running, cam) == "offline", 15, running)
    (outage,) = running.outages(cam)
    assert outage.ended_at is None and outage.reason and outage.uplink
    time.sleep(3)
    assert status_of(running, cam) == "offline"  # it worked before: a 404 now is trouble, not a setting
    running.sim.up(cam)
    back = wait_for("online after the return", lambda: status_of(running, cam) == "online", 30, running)
    print(f"drop: offline after {dead:.2f} s; online {back:.2f} s after the stream returned")
    assert dead <= OFFLINE_WITHIN_S + NOISE_S and back <= ONLINE_WITHIN_S + NOISE_S
    (outage,) = running.outages(cam)
    duration = (outage.ended_at - outage.started_at).total_seconds()
    assert 3 <= duration <= 3 + dead + back + 2, duration
    assert running.states()[cam].reconnects == 1
    assert status_of(running, running.up) == "online"


def test_a_stalled_stream_is_offline_within_5_s_and_online_when_it_moves_again(running):
    cam = running.stalls
    wait_for("online first", lambda: status_of(running, cam) == "online", 30, running)
    frozen_at = time.monotonic()
    running.sim.freeze(cam)
    try:
        seen: list[str | None] = []
        dead = wait_for(
            "offline after the stall",
            lambda: seen.append(status_of(running, cam)) or seen[-1] == "offline",
            15,
            running,
        )
        # Past a read timeout (FFmpeg then hands out a frame it held) and a reconnect: no blinking back.
        while time.monotonic() - frozen_at < 12:
            assert status_of(running, cam) == "offline", "a stalled camera blinked back"
            time.sleep(0.1)
    finally:
        running.sim.up(cam)
    print(f"stall: offline after {dead:.2f} s")
    assert "stale" in seen and dead <= OFFLINE_WITHIN_S + NOISE_S
    wait_for("online after the stall", lambda: status_of(running, cam) == "online", 30, running)
    (outage,) = running.outages(cam)
    assert outage.ended_at is not None and "no new frame" in outage.reason


def test_heartbeat_cpu_snapshots_and_activity(running):
    def beat() -> Any:
        with running.engine.connect() as conn:
            return conn.execute(select(heartbeats).where(heartbeats.c.name == "cameras-worker-0")).first()

    wait_for("a heartbeat", beat, 15, running)
    detail = beat().detail
    cpu = float(re.match(r"cpu (\d+(?:\.\d+)?)%; 10 cameras: ", detail)[1])  # type: ignore[index]
    print(f"camera worker: {detail}")
    assert cpu < 10 * 5  # a runaway loop, not a benchmark: the figure is in benchmarks/cameras.py
    latest = snapshot_path(running.data_dir, running.up)
    assert latest.stat().st_size > 5000 and latest.read_bytes()[:2] == b"\xff\xd8"
    # The newest frame, not one from a pile: the time the simulator painted into it is recent.
    painted_ms = read_timecode(cv2.imread(str(latest)))
    assert painted_ms is not None and 0 <= latest.stat().st_mtime * 1000 - painted_ms < 2000
    wait_for("two kept snapshots", lambda: len(list(latest.parent.glob("2*.jpg"))) >= 2, 15, running)
    with running.engine.connect() as conn:
        levels = list(conn.execute(select(camera_activity.c.level).where(camera_activity.c.camera_id == running.up)))
    assert len(levels) >= 2 and all(0 <= level <= 1 for (level,) in levels)
    assert max(level for (level,) in levels) > 0  # the simulator paints a moving pattern


def test_sigterm_stops_cleanly_and_no_password_is_anywhere(running):
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(15) == 0
    log = running.log_path.read_text(errors="replace")
    assert "stopping" in log and "401 Unauthorized" in log
    secrets = [os.environ["SCC_CAMERA_PASSWORD"], WRONG_PASSWORD]
    with running.engine.connect() as conn:
        texts = [r.last_error or "" for r in conn.execute(select(camera_state))]
        texts += [r.reason for r in conn.execute(select(camera_outages))]
        texts += [r.detail for r in conn.execute(select(heartbeats))]
    for secret in secrets:
        assert secret not in log, "a camera password in the worker's log"
        assert not any(secret in text for text in texts), "a camera password in a stored text"
    assert not re.search(r"rtsp://[^\s/]*@", log), "a URL with credentials in the worker's log"
