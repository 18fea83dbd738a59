"""The simulator's control port: break a camera on purpose, over loopback HTTP.

    POST /cameras/<id>/down     mounts gone (404), clients closed: a host that vanished
    POST /cameras/<id>/freeze   sessions stay, frames stop: a stalled radio link
    POST /cameras/<id>/up       back to normal (the rain schedule still applies to radio cameras)
    GET  /state                 JSON: every camera's state, rain, mounts playing

It listens on 127.0.0.1 only and has no authentication: it is a test and demo
tool, never started by production.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger("scc.cameras.sim")

ACTIONS = {"down": "down", "freeze": "frozen", "up": "up"}


def start(simulator: Any, on_main_loop: Callable[[Callable[[], Any]], Any], port: int) -> ThreadingHTTPServer:
    """Serve the control port from a thread; every change runs on the server's own main loop."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/state":
                self._reply(200, on_main_loop(simulator.state))
            else:
                self._reply(404, {"error": "unknown path"})

        def do_POST(self) -> None:
            parts = self.path.strip("/").split("/")
            if len(parts) != 3 or parts[0] != "cameras" or parts[2] not in ACTIONS:
                self._reply(404, {"error": "unknown path"})
            elif parts[1] not in simulator.cameras:
                self._reply(404, {"error": "unknown camera"})
            else:
                camera_id, state = parts[1], ACTIONS[parts[2]]
                self._reply(200, on_main_loop(lambda: simulator.set_manual(camera_id, state)))

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("control: " + format, *args)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sim-control", daemon=True).start()
    return server
