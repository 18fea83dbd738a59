"""What `scc run` starts, in order. Later capabilities add their workers here."""

from __future__ import annotations

import sys

from .settings import Settings
from .supervisor import ProcessSpec


def plan(settings: Settings, *, demo: bool) -> list[ProcessSpec]:
    python = sys.executable
    return [
        # The web server: Dash pages behind gunicorn (several processes; state lives in storage).
        ProcessSpec("web", "web", [python, "-m", "dashboard"]),
    ]
