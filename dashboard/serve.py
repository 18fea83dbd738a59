"""Serve the dashboard with gunicorn (threads in several processes), never Flask's debug server."""

from __future__ import annotations

import logging
import sys

from gunicorn.app.base import BaseApplication

from scc.settings import InvalidConfig, Settings, load_settings
from scc.storage import connect, open_storage


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, settings: Settings):
        self.options = options
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
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
    }, settings).run()


if __name__ == "__main__":
    main()
