"""The processes the camera benchmark (benchmarks/cameras.py) runs and how it reads their CPU and memory.

Everything is the real thing, each in a temporary directory of its own with free ports: the RTSP
simulator with its control port, one camera worker per slice, the WebRTC relay, the production web
server (gunicorn, as tests/support/web.py starts it) and Debian's Chromium. CPU comes from
/proc/<pid>/stat deltas (utime + stime of every process of a group, children included while they
live), in % of ONE core; RSS from /proc/<pid>/status.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from scc.settings import Settings
from scc.storage import open_storage
from scc.storage.cameras import camera_state
from tests.support.procs import ChildProcess
from tests.support.procs import rss_kb as proc_rss_kb
from tests.support.relay import state_grant
from tests.support.rtsp import RtspSimulator, set_rain
from tests.support.services import free_port
from tests.support.web import ROOT, WebServer, seed_users

TICK = os.sysconf("SC_CLK_TCK")

# A tile's first frame and its state changes, recorded by the page itself from the moment it exists:
# window.__tiles[camera] = {added, live, states: [[state, t]]} (performance.now() ms).
TILE_CLOCK = """
window.__tiles = {};
new MutationObserver((records) => {
  const now = performance.now();
  for (const r of records) {
    const nodes = r.type === "childList" ? [...r.addedNodes] : [r.target];
    for (const n of nodes) {
      if (!(n instanceof HTMLElement)) continue;
      const tiles = n.classList.contains("live-tile") ? [n] : [...n.querySelectorAll(".live-tile")];
      for (const t of tiles) {
        const key = t.dataset.camera + "/" + t.dataset.stream;
        const rec = window.__tiles[key] || (window.__tiles[key] = {added: now, live: null, states: []});
        const s = t.dataset.state;
        if (s && (!rec.states.length || rec.states[rec.states.length - 1][0] !== s)) rec.states.push([s, now]);
        if (s === "live" && rec.live === null) rec.live = now;
      }
    }
  }
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"]});
"""

# A bare WebRTC viewer for the relay floor: H.264 only (else aiortc answers VP8 and nothing decodes).
BARE_OFFER = """async () => {
  const pc = new RTCPeerConnection({iceServers: []});
  window.__pc = pc;
  const tr = pc.addTransceiver("video", {direction: "recvonly"});
  tr.setCodecPreferences(RTCRtpReceiver.getCapabilities("video").codecs.filter(c => /h264/i.test(c.mimeType)));
  const video = document.createElement("video");
  video.muted = true; video.autoplay = true; video.playsInline = true; video.id = "bare";
  document.body.appendChild(video);
  pc.ontrack = (e) => { video.srcObject = e.streams[0] || new MediaStream([e.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((ok) => {
    if (pc.iceGatheringState === "complete") return ok();
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && ok());
  });
  return pc.localDescription.sdp;
}"""


def say(*parts: object) -> None:
    print("[cameras-bench]", *parts, file=sys.stderr, flush=True)


# --- /proc -----------------------------------------------------------------------------------------------


def cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def rss_kb(pid: int) -> int:
    """Resident memory in kB, 0 once the process has exited."""
    return proc_rss_kb(pid) or 0


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (children found by their parent id)."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, p in parent.items() if p in frontier]
        found += frontier
    return found


class CpuWindow:
    """CPU of named groups of processes over one window, in % of one core: start(), then stop()."""

    def __init__(self, groups: dict[str, Callable[[], Iterable[int]]]) -> None:
        self.groups = groups

    def start(self) -> CpuWindow:
        self._pids = {name: list(pids()) for name, pids in self.groups.items()}
        self._t0 = time.monotonic()
        self._before = {pid: cpu_ticks(pid) for pids in self._pids.values() for pid in pids}
        return self

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self._t0
        out = {}
        for name, pids in self._pids.items():
            used = 0
            for pid in pids:
                before, after = self._before.get(pid), cpu_ticks(pid)
                if before is not None and after is not None:
                    used += after - before
            out[name] = round(100 * used / TICK / wall, 2)
        return out


# --- the stack ----------------------------------------------------------------------------------------------


class Proc(ChildProcess):
    """A named child process with its log file (python -m <module> ...), started at once."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        super().__init__(log_dir / f"{name}.log")
        self.name = name
        self.launch(argv, env)


def bench_config(target: Path, ice_address: str) -> Path:
    """config/ with rain off (the benchmark makes its own weather) and the namespace's ICE address."""
    shutil.copytree(ROOT / "config", target)
    set_rain(target, enabled=False)
    path = target / "scc.yaml"
    text, n = re.subn(r"(?m)^(\s+)ice_addresses: \[\]$", rf'\g<1>ice_addresses: ["{ice_address}"]', path.read_text())
    assert n == 1, "config/scc.yaml: cameras.relay has no one-line `ice_addresses: []`"
    path.write_text(text)
    return target


class Stack:
    """Simulator, workers, relay and web server over one data directory."""

    def __init__(self, ice_address: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="scc-cameras-bench-"))
        self.sim = RtspSimulator(bench_config(self.dir / "config", ice_address), self.dir / "sim", test_mounts=False)
        self.data_dir = self.dir / "data"
        self.data_dir.mkdir(mode=0o700)
        self.engine = open_storage(f"sqlite:///{self.data_dir / 'scc.db'}")
        seed_users(self.engine)
        self.workers: list[Proc] = []
        self.relay: Proc | None = None
        self.relay_port = free_port()
        self.web = WebServer(self.data_dir, free_port())
        self.settings: Settings | None = None

    @property
    def env(self) -> dict[str, str]:
        return {**self.sim.env, "SCC_DATA_DIR": str(self.data_dir), "SCC_RELAY_PORT": str(self.relay_port)}

    @property
    def cameras(self) -> list[Any]:
        assert self.settings is not None
        return [c for c in self.settings.cameras if c.status == "active"]

    def start(self) -> Stack:
        self.sim.start()
        self.settings = self.sim.settings(self.data_dir)
        n = self.settings.app.cameras.workers.processes
        py = sys.executable
        for k in range(n):
            argv = [py, "-m", "streams.cameras.worker", "--slice", f"{k}/{n}"]
            self.workers.append(Proc(f"worker-{k}", argv, self.env, self.dir))
        self.relay = Proc("relay", [py, "-m", "streams.cameras.relay"], self.env, self.dir)
        wait_for(self._relay_serves, 30, "the relay serves")
        self.web.env.update({**self.env, "SCC_WEB_PORT": str(self.web.port)})
        self.web.start()
        return self

    def states(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {
                r.camera_id: r.status for r in conn.execute(select(camera_state.c.camera_id, camera_state.c.status))
            }

    def _relay_state(self) -> requests.Response:
        assert self.settings is not None
        grant = state_grant(self.settings.app.web.secret_key, "benchmark")
        return requests.get(
            f"http://127.0.0.1:{self.relay_port}/state", headers={"Authorization": f"Bearer {grant}"}, timeout=5
        )

    def _relay_serves(self) -> bool:
        try:
            return self._relay_state().status_code == 200
        except requests.RequestException:
            return False

    def relay_state(self) -> dict[str, Any]:
        response = self._relay_state()
        response.raise_for_status()
        return response.json()

    def server_groups(self) -> dict[str, Callable[[], Iterable[int]]]:
        assert self.relay is not None and self.web.process is not None and self.sim.process is not None
        relay, web, sim = self.relay.pid, self.web.process.pid, self.sim.process.pid
        return {
            "workers": lambda: [w.pid for w in self.workers],
            "relay": lambda: [relay],
            "web": lambda: descendants(web),
            "simulator": lambda: descendants(sim),
        }

    def crashed(self) -> list[str]:
        procs = [*self.workers, self.relay]
        dead = [p.name for p in procs if p is not None and not p.alive()]
        if self.web.process is None or self.web.process.poll() is not None:
            dead.append("web")
        if self.sim.process is None or self.sim.process.poll() is not None:
            dead.append("simulator")
        return dead

    def stop(self) -> None:
        for proc in [*self.workers, self.relay]:
            if proc is not None:
                proc.stop()
        self.web.stop()
        self.sim.stop()
        self.engine.dispose()


def wait_for(check: Callable[[], bool], timeout_s: float, what: str, every_s: float = 0.2) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if check():
            return time.monotonic() - started
        time.sleep(every_s)
    raise RuntimeError(f"{what}: not within {timeout_s:.0f} s")
