"""The floors of the camera benchmark (benchmarks/cameras.py), each run as a process of its own.

    python benchmarks/camera_floor.py decode URL [URL ...]   # bare OpenCV: read every stream, nothing else
    python benchmarks/camera_floor.py relay PORT URL         # bare aiortc: one H.264 passthrough per offer
    python benchmarks/camera_floor.py latency N URL [URL ...] # the cameras' own latency, read on arrival

`decode` opens each RTSP stream with the same FFmpeg options and timeouts as the camera workers and
only calls read() in one thread per stream: no status, no snapshots, no activity, no storage. It
prints "ready N" once N streams gave a frame. `relay` is the smallest aiortc passthrough there is: a
MediaPlayer(decode=False) per offer straight into an RTCPeerConnection with no STUN, no MediaRelay,
no grants, no reconnects; POST /offer (SDP) answers, and it prints "ready" once it listens.
`latency` decodes N frames of each stream the moment they arrive, with GStreamer's RTSP client and
depayloader as the relay uses them, and reads the timecode painted into each against the clock:
the simulated camera and RTSP, with no relay, no WebRTC and no browser. It prints one JSON list of
the samples in ms.
The URLs carry camera credentials: they come in argv from the benchmark and are never printed.
"""

from __future__ import annotations

import os

# Before cv2 loads: the same environment as streams/cameras/worker.py sets for itself.
os.environ.setdefault("OPENCV_FFMPEG_IS_THREAD_SAFE", "1")
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp|analyzeduration;500000|probesize;32768")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

import asyncio
import sys
import threading
from typing import Any


def decode(urls: list[str]) -> None:
    import cv2

    cv2.setNumThreads(1)
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 5000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 5000, cv2.CAP_PROP_N_THREADS, 1]
    got_frame: set[int] = set()
    lock = threading.Lock()

    def read(k: int, url: str) -> None:
        while True:
            cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
            while cap.isOpened():
                ok, _frame = cap.read()
                if not ok:
                    break
                if k not in got_frame:
                    with lock:
                        got_frame.add(k)
                        if len(got_frame) == len(urls):
                            print(f"ready {len(urls)}", flush=True)
            cap.release()

    threads = [threading.Thread(target=read, args=(k, url), daemon=True) for k, url in enumerate(urls)]
    for t in threads:
        t.start()
    threading.Event().wait()


def relay(port: int, url: str) -> None:
    from aiohttp import web
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaPlayer

    peers: set[Any] = set()

    async def offer(request: web.Request) -> web.Response:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        peers.add(pc)
        player = MediaPlayer(url, format="rtsp", decode=False, options={"rtsp_transport": "tcp"})
        pc.addTrack(player.video)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=await request.text(), type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return web.Response(status=201, text=pc.localDescription.sdp, content_type="application/sdp")

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/offer", offer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


def latency(n: int, urls: list[str]) -> None:
    import json
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support.video import rtsp_lags_ms

    samples = [round(lag, 1) for url in urls for lag in rtsp_lags_ms(url, n, timeout_s=30)]
    print(json.dumps(samples), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "decode":
        decode(sys.argv[2:])
    elif sys.argv[1] == "latency":
        latency(int(sys.argv[2]), sys.argv[3:])
    elif sys.argv[1] == "relay":
        relay(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit("usage: camera_floor.py decode URL... | relay PORT URL | latency N URL...")
