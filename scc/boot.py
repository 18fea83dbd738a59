"""How every process of the command center begins, in one place.

Logging to stderr (the supervisor's output), files readable by their owner
only, the installation's secrets from the data directory (so a process started
alone, not by `scc run`, finds them too), then the settings, or an exit that
names every configuration problem.
"""

from __future__ import annotations

import logging
import os
import sys

from . import secrets
from .settings import InvalidConfig, Settings, default_data_dir, load_settings


def begin() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    os.umask(0o077)  # the database, its journal, secrets, certificates and logs: owner only
    secrets.load(default_data_dir())


def settings_or_exit() -> Settings:
    """`begin()`, then the settings; a configuration error ends the process with its list."""
    begin()
    try:
        return load_settings()
    except InvalidConfig as exc:
        sys.exit(f"Configuration error:\n{exc}")
