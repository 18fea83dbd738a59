"""Serve the dashboard with gunicorn (threads in several processes), never Flask's debug server."""

from __future__ import annotations

import logging
import os
import re
import ssl
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gunicorn.app.base import BaseApplication

from scc import health, secrets
from scc.settings import InvalidConfig, Settings, default_data_dir, load_settings
from scc.storage import connect, open_storage

HEARTBEAT_S = 5
_HOST_NAME = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")


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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    os.umask(0o077)
    secrets.load(default_data_dir())  # started alone (not by `scc run`), it reads the installation's secrets too
    try:
        settings = load_settings()
    except InvalidConfig as exc:
        sys.exit(f"Configuration error:\n{exc}")
    open_storage(settings.database_url).dispose()  # migrate once, before the workers start
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
        "when_ready": lambda _arbiter: _start_companions(settings),
    }
    if settings.tls_files:
        cert, key = settings.tls_files
        for path in (cert, key):
            if not path.is_file():
                sys.exit(f"TLS is on (web.tls) but {path} does not exist; `scc setup --self-signed NAME` makes one.")
        options.update(certfile=str(cert), keyfile=str(key))
    _Gunicorn(options, settings).run()


def _start_companions(settings: Settings) -> None:
    """In gunicorn's master, once it listens: the heartbeat and the HTTP-to-HTTPS redirect."""
    web = settings.app.web
    scheme = "https" if web.tls.enabled else "http"
    host = "127.0.0.1" if web.host in ("0.0.0.0", "::") else web.host
    url = f"{scheme}://{host}:{web.port}/login"
    # The master checks its own workers over loopback; the certificate is for other hosts' names.
    context = ssl._create_unverified_context() if web.tls.enabled else None

    def probe() -> tuple[int, str]:
        # The web server's heartbeat: a server that is up but not answering goes stale.
        started = time.monotonic()
        with urllib.request.urlopen(url, timeout=HEARTBEAT_S, context=context) as response:
            response.read()
        return 0, f"answers in {(time.monotonic() - started) * 1000:.0f} ms"

    health.Heartbeat(connect(settings.database_url, pooled=False), "web", HEARTBEAT_S, probe).start()
    if web.tls.http_redirect_port:
        redirect_to_https(web.host, web.tls.http_redirect_port, web.port)


def redirect_to_https(host: str, port: int, https_port: int) -> ThreadingHTTPServer:
    """Plain HTTP on `port` answers every request with a redirect to the same path over HTTPS."""

    class Redirect(BaseHTTPRequestHandler):
        def _go(self) -> None:
            asked = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            name = asked if _HOST_NAME.fullmatch(asked) else host
            self.send_response(301)
            self.send_header("Location", f"https://{name}:{https_port}{self.path[:2000]}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD = do_POST = _go

        def log_message(self, format: str, *args: Any) -> None:
            pass  # nothing a client sends goes to the log unbounded

    server = ThreadingHTTPServer((host, port), Redirect)
    threading.Thread(target=server.serve_forever, name="https-redirect", daemon=True).start()
    return server


if __name__ == "__main__":
    main()
