"""Plain HTTP on web.tls.http_redirect_port: every request is sent on to HTTPS.

A process of its own (the supervisor starts it when the port is set), so
that gunicorn's master runs no thread of ours between its forks.

    python -m dashboard.redirect
"""

from __future__ import annotations

import http.client
import logging
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from scc import boot, health
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
    settings = boot.settings_or_exit()
    web = settings.app.web
    if not (web.tls.enabled and web.tls.http_redirect_port):
        sys.exit("web.tls.http_redirect_port is not set (it needs TLS on): nothing to redirect")
    server = redirect_server(web.host, web.tls.http_redirect_port, web.port)

    def probe() -> tuple[int, str]:
        conn = http.client.HTTPConnection(web.local_host, web.tls.http_redirect_port, timeout=HEARTBEAT_S)
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
