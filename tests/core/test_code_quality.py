"""Lint, format and types are part of the suite: ruff on everything, mypy on the core and the dashboard."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.web import ROOT

BIN = Path(sys.executable).parent


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_lint():
    result = run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout[-6000:]


def test_ruff_format():
    result = run("ruff", "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, "run `.venv/bin/ruff format .`:\n" + result.stdout[-4000:]


def test_mypy():
    result = run("mypy", "--cache-dir", str(ROOT / ".mypy_cache"))
    assert result.returncode == 0, result.stdout[-8000:]
