"""Plain HTTP on web.tls.http_redirect_port: every request is sent on to HTTPS.

A process of its own (the supervisor starts it when the port is set), so
that gunicorn's master runs no thread of ours between its forks.

    python -m dashboard.redirect
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from scc import health, secrets
from scc.settings import InvalidConfig, default_data_dir, load_settings
from scc.storage import connect

HEARTBEAT_S = 10
_HOST_NAME = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")


def redirect_server(host: str, port: int, https_port: int) -> ThreadingHTTPServer:
    """A server on `port` answering every request with a 301 to the same path over HTTPS."""

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

    return ThreadingHTTPServer((host, port), Redirect)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    os.umask(0o077)
    secrets.load(default_data_dir())
    try:
        settings = load_settings()
    except InvalidConfig as exc:
        sys.exit(f"Configuration error:\n{exc}")
    web = settings.app.web
    if not (web.tls.enabled and web.tls.http_redirect_port):
        sys.exit("web.tls.http_redirect_port is not set (it needs TLS on): nothing to redirect")
    server = redirect_server(web.host, web.tls.http_redirect_port, web.port)
    own = "127.0.0.1" if web.host in ("0.0.0.0", "::") else web.host

    def probe() -> tuple[int, str]:
        conn = http.client.HTTPConnection(own, web.tls.http_redirect_port, timeout=HEARTBEAT_S)
        try:
            conn.request("HEAD", "/")
            status = conn.getresponse().status
        finally:
            conn.close()
        if status != 301:
            raise RuntimeError(f"answered {status}, not 301")
        return 0, f"port {web.tls.http_redirect_port} -> HTTPS port {web.port}"

    health.Heartbeat(connect(settings.database_url), "web-redirect", HEARTBEAT_S, probe).start()
    logging.getLogger(__name__).info(
        "redirecting http://%s:%d to HTTPS port %d", web.host, web.tls.http_redirect_port, web.port
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
