"""Serve the dashboard with gunicorn (threads in several processes), never Flask's debug server.

Nothing runs in gunicorn's master but gunicorn: it forks workers (at start, and
again after a crash or a reload), and a thread of ours holding a lock at that
moment would leave the new worker deadlocked. The heartbeat therefore runs in
each worker, and the HTTP-to-HTTPS redirect is a process of its own
(dashboard/redirect.py, started by the supervisor).
"""

from __future__ import annotations

import gc
import os
import ssl
import sys
import time
import urllib.request
from typing import Any

from gunicorn.app.base import BaseApplication

from scc import boot, health
from scc.settings import Settings
from scc.storage import connect, open_storage
from scc.storage.db import UnknownSchema

HEARTBEAT_S = 5


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any], settings: Settings):
        self.options = options
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25 opens a control socket in $HOME by default: one per user, so a second
            # server (tests, a benchmark) would take it over. We never use gunicornc.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        # Each worker builds its own app and engine after the fork: no shared connections.
        from .app import create_app

        return create_app(self.settings, connect(self.settings.database_url)).server  # main() has migrated


def main() -> None:
    settings = boot.settings_or_exit()
    try:
        open_storage(settings.database_url).dispose()  # migrate once, before the workers start
    except UnknownSchema as exc:
        sys.exit(f"Database error: {exc}")
    web = settings.app.web
    options: dict[str, Any] = {
        "bind": f"{web.host}:{web.port}",
        "workers": web.workers,
        "worker_class": "gthread",
        "threads": web.threads,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "limit_request_line": 8190,
        "limit_request_field_size": 8190,
        "proc_name": "scc-web",
        "post_worker_init": lambda _worker: worker_ready(settings),
    }
    if settings.tls_files:
        cert, key = settings.tls_files
        for path in (cert, key):
            if not path.is_file():
                sys.exit(f"TLS is on (web.tls) but {path} does not exist; `scc setup --self-signed NAME` makes one.")
        options.update(certfile=str(cert), keyfile=str(key))
    _Gunicorn(options, settings).run()


def worker_ready(settings: Settings) -> health.Heartbeat:
    """A worker that has built its app: its objects frozen out of the collector's way, then its heartbeat.

    The app, its layouts and callbacks, the settings and the schema are some 150,000 objects that live as
    long as the worker. Left to the cyclic collector, each full collection walked them all: a request
    that happened to trigger one took 40-70 ms longer, the slowest twentieth of camera health's calls on
    a year's database (105 ms against 14). Frozen, they are never walked again; a startup object that
    later became garbage in a cycle would stay until the worker ends, which bounds it by the startup
    heap (collected just before)."""
    gc.collect()
    gc.freeze()
    return start_heartbeat(settings)


def start_heartbeat(settings: Settings) -> health.Heartbeat:
    """In each worker: the web server's heartbeat, by asking the server for its sign-in page.

    Whichever worker answers, a server that is up but not answering goes stale.
    """
    web = settings.app.web
    scheme = "https" if web.tls.enabled else "http"
    url = f"{scheme}://{web.local_host}:{web.port}/login"
    # Over loopback to ourselves: the certificate is for the names other hosts use.
    context = ssl._create_unverified_context() if web.tls.enabled else None
    pid = os.getpid()

    def probe() -> tuple[int, str]:
        started = time.monotonic()
        with urllib.request.urlopen(url, timeout=HEARTBEAT_S, context=context) as response:
            response.read()
        return 0, f"answers in {(time.monotonic() - started) * 1000:.0f} ms (asked by worker {pid})"

    return health.Heartbeat(connect(settings.database_url, pooled=False), "web", HEARTBEAT_S, probe).start()


if __name__ == "__main__":
    main()
