"""Serve the dashboard with gunicorn (threads in several processes), never Flask's debug server."""

from __future__ import annotations

import logging
import sys
import time
import urllib.request
from typing import Any

from gunicorn.app.base import BaseApplication

from scc import health
from scc.settings import InvalidConfig, Settings, load_settings
from scc.storage import connect, open_storage

HEARTBEAT_S = 5


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any], settings: Settings):
        self.options = options
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Each worker builds its own app and engine after the fork: no shared connections.
        from .app import create_app
        return create_app(self.settings, connect(self.settings.database_url)).server  # main() has migrated


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = load_settings()
    except InvalidConfig as exc:
        sys.exit(f"Configuration error:\n{exc}")
    open_storage(settings.database_url).dispose()  # migrate once, before the workers start
    web = settings.app.web

    def when_ready(_arbiter: Any) -> None:
        # The web server's heartbeat: the master asks its own workers for the
        # sign-in page, so a server that is up but not answering goes stale.
        url = f"http://127.0.0.1:{web.port}/login" if web.host in ("0.0.0.0", "::") else \
            f"http://{web.host}:{web.port}/login"

        def probe() -> tuple[int, str]:
            started = time.monotonic()
            with urllib.request.urlopen(url, timeout=HEARTBEAT_S) as response:
                response.read()
            return 0, f"answers in {(time.monotonic() - started) * 1000:.0f} ms"

        health.Heartbeat(connect(settings.database_url, pooled=False), "web", HEARTBEAT_S, probe).start()

    _Gunicorn({
        "bind": f"{web.host}:{web.port}",
        "workers": web.workers,
        "worker_class": "gthread",
        "threads": web.threads,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "proc_name": "scc-web",
        "when_ready": when_ready,
    }, settings).run()


if __name__ == "__main__":
    main()
