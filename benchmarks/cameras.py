"""CCTV benchmark (issue 7): the real simulator, workers, relay, web server and Chromium on this machine.

    .venv/bin/python benchmarks/cameras.py [--soak-s 600] [--quick]

Progress goes to stderr; the last stdout line is one JSON object:
{"bench": "cameras", "cameras": N, "ingest_cpu_pct_per_camera": ..., "dead_detect_s_max": ...,
 "recover_s_max": ..., "relay_cpu_pct_per_viewer": ..., "wall16_server_cpu_pct": ..., "latency_p50_ms": ...,
 "latency_p95_ms": ..., "first_frame_s_p95": ..., "soak_rss_growth_pct": ..., <floors, ratios, extras>}
Goals (CPU in % of ONE core): ingest+analysis per camera <= 1; a dead camera offline within 5 s and online
within 3 s of its return; relay per viewed stream <= 2; a 16-tile wall in Chromium, the server (workers +
relay + web) <= 100 (50% of the two cores; the simulator's CPU is reported apart); glass-to-glass p50 <= 400 ms,
p95 <= 800 ms; first frame <= 1.5 s; a soak with the radio cameras flapping every 30 s: no crash, RSS growth
of workers and relay <= 5%.

WebRTC needs a non-loopback address on both sides
(docs/field-notes.md "WebRTC needs a non-loopback address"), so the script re-runs itself in a private
network namespace (`unshare -n`, a veth pair at 198.18.0.1) as tests/cameras/test_relay.py does;
everything, Chromium included, runs inside. Floors, measured in the same run:
  - ingest: bare OpenCV reading the same 16 sub streams (camera_floor.py decode), in the same window
    as the workers; `ingest_ratio_to_floor` = ours / floor;
  - relay: bare aiortc passthrough to one Chromium viewer (camera_floor.py relay) against our relay
    with one viewer; `relay_ratio_to_floor` = ours / floor.
Dead/recover: the time from the simulator's control port taking a camera down (mounts gone) or
freezing it (a stalled radio link) to the status the wall reads from storage, then from `up`
back to online. Latency: the timecode painted into each frame, read from the frame Chromium
presents (requestVideoFrameCallback), against its presentation time; its floor is the same
timecode read on arrival from the simulator by GStreamer's RTSP client (camera_floor.py latency),
no relay, no browser; `latency_ratio_to_floor` = ours / floor (p50s). First frame: from the
tile entering the page to its player saying `live`, over every tile of three wall loads.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SCC_SECRET_KEY", "bench-secret-key-" + "x" * 32)
os.environ.setdefault("SCC_CAMERA_PASSWORD", "bench")

import requests  # noqa: E402

from benchmarks.camera_rig import (  # noqa: E402
    BARE_OFFER,
    TILE_CLOCK,
    CpuWindow,
    Stack,
    descendants,
    rss_kb,
    say,
    wait_for,
)
from scc.percentiles import percentile  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.services import free_port  # noqa: E402
from tests.support.video import painted_ms  # noqa: E402
from tests.support.web import PASSWORDS  # noqa: E402

NETNS_ADDRESS = "198.18.0.1"
WALL = {"width": 1920, "height": 1080}
RESULT: dict[str, Any] = {
    "bench": "cameras",
    "cameras": None,
    "ingest_cpu_pct_per_camera": None,
    "dead_detect_s_max": None,
    "recover_s_max": None,
    "relay_cpu_pct_per_viewer": None,
    "wall16_server_cpu_pct": None,
    "latency_p50_ms": None,
    "latency_p95_ms": None,
    "first_frame_s_p95": None,
    "soak_rss_growth_pct": None,
}


def in_namespace(argv: list[str]) -> int:
    setup = (
        "ip link set lo up && ip link add scc-a type veth peer name scc-b && "
        f"ip addr add {NETNS_ADDRESS}/24 dev scc-a && ip link set scc-a up && ip link set scc-b up && "
        'ip route add default dev scc-a && exec "$0" "$@"'
    )
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    env = {**os.environ, "SCC_BENCH_NETNS": NETNS_ADDRESS}
    return subprocess.run([*unshare, "--", "sh", "-c", setup, sys.executable, __file__, *argv], env=env).returncode


def cpu_window(groups: dict[str, Any], seconds: float) -> dict[str, float]:
    window = CpuWindow(groups).start()
    time.sleep(seconds)
    return window.stop()


# --- ingest ---------------------------------------------------------------------------------------------------


def bench_ingest(stack: Stack, window_s: float) -> dict[str, Any]:
    n = len(stack.cameras)
    wait_for(lambda: sum(s == "online" for s in stack.states().values()) == n, 90, "every camera online")
    urls = [c.stream_url("sub") for c in stack.cameras]
    floor = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "camera_floor.py"), "decode", *urls],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert floor.stdout is not None
        line = floor.stdout.readline()  # "ready N" once every stream gave a frame
        assert line.startswith("ready"), "the decode floor did not get a frame from every stream"
        time.sleep(3)
        groups = {**stack.server_groups(), "floor": lambda: [floor.pid]}
        cpu = cpu_window(groups, window_s)
    finally:
        floor.kill()
        floor.wait()
    say("ingest window:", cpu)
    ours, bare = cpu["workers"] / n, cpu["floor"] / n
    return {
        "cameras": n,
        "ingest_cpu_pct_per_camera": round(ours, 2),
        "ingest_floor_decode_cpu_pct_per_camera": round(bare, 2),
        "ingest_ratio_to_floor": round(ours / bare, 2) if bare else None,
        "simulator_cpu_pct_16_sub": cpu["simulator"],
    }


# --- dead and back ------------------------------------------------------------------------------------------


def timed_status(stack: Stack, ids: list[str], want: str, timeout_s: float) -> dict[str, float]:
    started, seen = time.monotonic(), {}
    while len(seen) < len(ids) and time.monotonic() - started < timeout_s:
        states = stack.states()
        for cid in ids:
            if cid not in seen and states.get(cid) == want:
                seen[cid] = time.monotonic() - started
        time.sleep(0.1)
    missing = [c for c in ids if c not in seen]
    if missing:
        say(f"not {want} within {timeout_s:.0f} s:", missing)
    return {c: seen.get(c, float("inf")) for c in ids}


def bench_dead(stack: Stack) -> dict[str, Any]:
    radio = [c.id for c in stack.cameras if c.link == "radio"][:2]
    fibre = [c.id for c in stack.cameras if c.link != "radio"][:2]
    ids = radio + fibre
    dead: list[float] = []
    back: list[float] = []
    for fault in ("down", "freeze"):
        for cid in ids:
            getattr(stack.sim, fault)(cid)
        gone = timed_status(stack, ids, "offline", 30)
        time.sleep(2)  # down a little longer than it takes to notice: a short shower
        for cid in ids:
            stack.sim.up(cid)
        came = timed_status(stack, ids, "online", 60)
        say(f"{fault}: offline after", gone, "online after", came)
        dead += gone.values()
        back += came.values()
        wait_for(lambda: all(s == "online" for s in stack.states().values()), 90, "every camera online again")
    return {
        "dead_detect_s_max": round(max(dead), 2),
        "dead_detect_s_p50": round(percentile(dead, 50) or 0, 2),
        "recover_s_max": round(max(back), 2),
        "recover_s_p50": round(percentile(back, 50) or 0, 2),
        "dead_recover_samples": len(dead),
    }


# --- the wall in Chromium -----------------------------------------------------------------------------------


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    with page.expect_navigation():
        page.click("#login-submit")


ALL_LIVE = """(n) => [...document.querySelectorAll('#wall-players .live-tile')].filter(
  t => t.dataset.state === 'live' && t.querySelector('video').videoWidth > 0).length === n"""


def open_wall(page: Any, base: str, n: int) -> list[float]:
    """Load the wall, wait for every tile to play; each tile's first frame in seconds."""
    page.goto(base + "/cameras?kiosk=1")
    page.wait_for_function(ALL_LIVE, arg=n, timeout=90_000)
    tiles = page.evaluate("window.__tiles")
    return [(t["live"] - t["added"]) / 1000 for t in tiles.values() if t["live"] is not None]


def painted_latency(page: Any, selector: str, k: int) -> float | None:
    painted, shown_at = painted_ms(page, selector, k)
    return None if painted is None else shown_at - painted


def bench_wall(stack: Stack, browser: Any, window_s: float, samples: int) -> dict[str, Any]:
    n = len(stack.cameras)
    context = browser.new_context(viewport=WALL)
    context.add_init_script(TILE_CLOCK)
    page = context.new_page()
    sign_in(page, stack.web.url, "operator")
    cold = open_wall(page, stack.web.url, n)
    first = list(cold)
    for _ in range(2):  # reloads join sources that still linger: what an operator sees switching pages
        first += open_wall(page, stack.web.url, n)
    time.sleep(5)
    browser_pid = browser_pids()
    cpu = cpu_window({**stack.server_groups(), "chromium": lambda: browser_pid}, window_s)
    say("wall window:", cpu)
    viewers = stack.relay_state()["viewers"]
    latencies = []
    for k in range(samples):
        lat = painted_latency(page, "#wall-players .live-tile video", k % n)
        if lat is not None:
            latencies.append(lat)
    context.close()
    floor = rtsp_latency_floor(stack, 10)
    server = cpu["workers"] + cpu["relay"] + cpu["web"]
    return {
        "relay_cpu_pct_per_viewer": round(cpu["relay"] / max(viewers, 1), 2),
        "wall16_server_cpu_pct": round(server, 1),
        "wall16_server_pct_of_two_cores": round(server / 2, 1),
        "wall16_workers_cpu_pct": cpu["workers"],
        "wall16_relay_cpu_pct": cpu["relay"],
        "wall16_web_cpu_pct": cpu["web"],
        "wall16_simulator_cpu_pct": cpu["simulator"],
        "wall16_chromium_cpu_pct": cpu["chromium"],
        "wall16_relay_viewers": viewers,
        "latency_p50_ms": round(percentile(latencies, 50) or 0),
        "latency_p95_ms": round(percentile(latencies, 95) or 0),
        "latency_samples": f"{len(latencies)}/{samples}",
        "latency_floor_rtsp_ms_p50": round(percentile(floor, 50) or 0),
        "latency_ratio_to_floor": round((percentile(latencies, 50) or 0) / (percentile(floor, 50) or 1), 2),
        "first_frame_s_p95": round(percentile(first, 95) or 0, 2),
        "first_frame_s_p50": round(percentile(first, 50) or 0, 2),
        "first_frame_s_cold_p95": round(percentile(cold, 95) or 0, 2),
        "first_frame_samples": len(first),
    }


def rtsp_latency_floor(stack: Stack, per_camera: int) -> list[float]:
    """The cameras' own glass-to-arrival latency: each sub stream read by GStreamer's RTSP client, as the
    relay reads it, and decoded; no relay, no browser."""
    urls = [c.stream_url("sub") for c in stack.cameras]
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "camera_floor.py"), "latency", str(per_camera), *urls],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    samples: list[float] = json.loads(out.stdout.strip().splitlines()[-1])
    say(f"latency floor (simulator + RTSP, no relay, no browser): p50 {percentile(samples, 50)} ms")
    return samples


def browser_pids() -> list[int]:
    mine = descendants(os.getpid())
    out = []
    for pid in mine:
        try:
            if b"chromium" in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(pid)
        except OSError:
            pass
    return out


# --- one viewer: our relay against bare aiortc -------------------------------------------------------------


def bench_one_viewer(stack: Stack, browser: Any, window_s: float) -> dict[str, Any]:
    camera = stack.cameras[0]
    wait_for(lambda: not stack.relay_state()["sources"], 30, "the relay released the wall's sources")
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, stack.web.url, "operator")
    page.goto(stack.web.url + "/account")
    page.wait_for_selector("#react-entry-point")
    page.evaluate(
        """(camera) => { const t = document.createElement("div"); t.className = "live-tile"; t.id = "one";
        t.dataset.camera = camera; t.dataset.stream = "sub";
        t.innerHTML = '<video muted playsinline autoplay></video><img alt="">'; document.body.appendChild(t); }""",
        camera.id,
    )
    page.wait_for_function("document.getElementById('one').dataset.state === 'live'", timeout=30_000)
    time.sleep(3)
    ours = cpu_window({"relay": stack.server_groups()["relay"]}, window_s)["relay"]
    context.close()
    wait_for(lambda: not stack.relay_state()["sources"], 30, "the relay released the source")

    port = free_port()
    floor = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "camera_floor.py"), "relay", str(port), camera.stream_url("sub")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert floor.stdout is not None and floor.stdout.readline().startswith("ready")
        context = browser.new_context()
        page = context.new_page()
        page.goto(stack.web.url + "/login")  # any page of ours: a secure-enough context for WebRTC
        offer = page.evaluate(BARE_OFFER)
        answer = requests.post(f"http://127.0.0.1:{port}/offer", data=offer, timeout=30)
        answer.raise_for_status()
        page.evaluate("(sdp) => window.__pc.setRemoteDescription({type: 'answer', sdp})", answer.text)
        page.wait_for_function("document.getElementById('bare').videoWidth > 0", timeout=30_000)
        time.sleep(3)
        bare = cpu_window({"floor": lambda: [floor.pid]}, window_s)["floor"]
        context.close()
    finally:
        floor.kill()
        floor.wait()
    say(f"one viewer: relay {ours}%, bare aiortc {bare}%")
    return {
        "relay_cpu_pct_one_viewer": ours,
        "relay_floor_aiortc_cpu_pct_one_viewer": bare,
        "relay_ratio_to_floor": round(ours / bare, 2) if bare else None,
    }


# --- soak ---------------------------------------------------------------------------------------------------


def bench_soak(stack: Stack, browser: Any, soak_s: float) -> dict[str, Any]:
    n = len(stack.cameras)
    radio = [c.id for c in stack.cameras if c.link == "radio"]
    context = browser.new_context(viewport=WALL)
    context.add_init_script(TILE_CLOCK)
    page = context.new_page()
    sign_in(page, stack.web.url, "operator")
    open_wall(page, stack.web.url, n)
    procs = {p.name: p.pid for p in [*stack.workers, stack.relay] if p is not None}
    before = {name: rss_kb(pid) for name, pid in procs.items()}
    stop = threading.Event()
    cycles = [0]

    def flap() -> None:  # every 30 s the radio cameras drop for 15 s, alternately stalled and vanished
        while not stop.wait(15):
            fault = "freeze" if cycles[0] % 2 == 0 else "down"
            for cid in radio:
                getattr(stack.sim, fault)(cid)
            stop.wait(15)
            for cid in radio:
                stack.sim.up(cid)
            cycles[0] += 1

    flapper = threading.Thread(target=flap, daemon=True)
    started = time.monotonic()
    flapper.start()
    peak = dict(before)
    halfway: dict[str, int] = {}
    while time.monotonic() - started < soak_s and not stack.crashed():
        time.sleep(5)
        for name, pid in procs.items():
            peak[name] = max(peak[name], rss_kb(pid))
        if not halfway and time.monotonic() - started >= soak_s / 2:
            halfway = {name: rss_kb(pid) for name, pid in procs.items()}
    stop.set()
    flapper.join(timeout=30)
    for cid in radio:
        stack.sim.up(cid)
    crashed = stack.crashed()
    recovered = True
    try:
        wait_for(lambda: all(s == "online" for s in stack.states().values()), 60, "every camera online after soak")
        page.wait_for_function(ALL_LIVE, arg=n, timeout=60_000)
    except Exception as exc:  # a figure, not a crash of the benchmark
        say("after the soak:", exc)
        recovered = False
    after = {name: rss_kb(pid) for name, pid in procs.items() if name not in crashed}
    context.close()
    growth = {name: round(100 * (after[name] - before[name]) / before[name], 1) for name in after}
    # A leak keeps growing; memory that warms up to a working set levels off: the second half tells them apart.
    late = {name: round(100 * (after[name] - halfway[name]) / halfway[name], 1) for name in after if halfway.get(name)}
    say("soak RSS kB before", before, "halfway", halfway, "after", after, "peak", peak, "growth %", growth)
    return {
        "soak_rss_growth_pct": max(growth.values()) if growth else None,
        "soak_rss_growth_pct_by_process": growth,
        "soak_rss_growth_second_half_pct_by_process": late,
        "soak_s": round(time.monotonic() - started),
        "soak_flap_cycles": cycles[0],
        "soak_radio_cameras": len(radio),
        "soak_crashed": crashed,
        "soak_all_back_online_and_live": recovered,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--soak-s", type=float, default=600)
    parser.add_argument("--quick", action="store_true", help="short windows and a 60 s soak: a smoke run")
    args = parser.parse_args()
    if not os.environ.get("SCC_BENCH_NETNS"):
        if not (shutil.which("unshare") and shutil.which("ip")):
            sys.exit("util-linux's unshare and iproute2's ip are needed (WebRTC runs in a private network namespace)")
        return in_namespace(sys.argv[1:])
    soak_s = 60.0 if args.quick else args.soak_s
    window_s = 10.0 if args.quick else 20.0
    from playwright.sync_api import sync_playwright

    result = dict(RESULT)
    stack = Stack(NETNS_ADDRESS)
    finished = False
    pw = sync_playwright().start()
    try:
        say("starting simulator, workers, relay, web server in", stack.dir)
        stack.start()
        result.update(bench_ingest(stack, window_s))
        result.update(bench_dead(stack))
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--disable-features=WebRtcHideLocalIpsWithMdns"]
        )
        result.update(bench_wall(stack, browser, window_s, 32 if args.quick else 80))
        result.update(bench_one_viewer(stack, browser, window_s))
        say(f"soak {soak_s:.0f} s, radio cameras flapping every 30 s")
        result.update(bench_soak(stack, browser, soak_s))
        browser.close()
        finished = True
    finally:
        pw.stop()
        stack.stop()
        load = os.getloadavg()
        result["load_avg_1_5_15"] = [round(x, 1) for x in load]
        if finished:  # else its logs stay for a look
            shutil.rmtree(stack.dir, ignore_errors=True)
        else:
            say("logs kept in", stack.dir)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
