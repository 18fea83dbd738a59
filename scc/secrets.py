"""Secrets generated for this installation, kept in <data dir>/secrets.env.

The file is created once (mode 600) by `scc setup` and read by every process
before the settings are loaded; variables already in the environment win, so
a deployment can set them elsewhere (systemd, a vault) instead.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE = "secrets.env"


def ensure(data_dir: Path, names: tuple[str, ...]) -> Path:
    """Create or complete the secrets file with a random value for each missing name."""
    path = data_dir / FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    existing = read(path)
    missing = [n for n in names if n not in existing and n not in os.environ]
    if missing or not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as out:
            for name in missing:
                out.write(f"{name}={secrets.token_urlsafe(32)}\n")
    os.chmod(path, 0o600)
    return path


def set_values(data_dir: Path, values: dict[str, str]) -> None:
    """Set (or replace) plain settings in the installation's environment file."""
    path = data_dir / FILE
    kept = [
        line
        for line in (path.read_text().splitlines() if path.exists() else [])
        if line.split("=", 1)[0].strip() not in values
    ]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(f"{line}\n" for line in kept) + "".join(f"{k}={v}\n" for k, v in values.items()))
    for name, value in values.items():
        os.environ[name] = value


def read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def load(data_dir: Path) -> None:
    for name, value in read(data_dir / FILE).items():
        os.environ.setdefault(name, value)
