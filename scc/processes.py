"""What `scc run` starts, in order. Later capabilities add their workers here."""

from __future__ import annotations

import sys

from .settings import Settings
from .supervisor import ProcessSpec


def plan(settings: Settings, *, demo: bool) -> list[ProcessSpec]:
    python = sys.executable
    specs = [
        # The web server: Dash pages behind gunicorn (several processes; state lives in storage).
        ProcessSpec("web", "web", [python, "-m", "dashboard"]),
    ]
    if settings.app.web.tls.enabled and settings.app.web.tls.http_redirect_port:
        # Plain HTTP answered with a redirect to HTTPS, in a process of its own.
        specs.append(ProcessSpec("web-redirect", "web", [python, "-m", "dashboard.redirect"]))
    return specs
