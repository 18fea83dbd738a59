"""Processes the tests and benchmarks start: a child with its output in one log file, and what /proc says."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parents[2]


class ChildProcess:
    """`argv` run from the repository root, stdout and stderr appended to `log_path`.

    With `own_group` the child leads a process group of its own, so `kill` takes its workers too."""

    def __init__(self, log_path: Path, *, own_group: bool = False) -> None:
        self.log_path = log_path
        self.own_group = own_group
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[str] | None = None

    def launch(self, argv: list[str], env: dict[str, str]) -> None:
        self._log = open(self.log_path, "a")  # noqa: SIM115  (open for the child's whole life)
        self.process = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=self.own_group
        )

    @property
    def pid(self) -> int:
        assert self.process is not None, "not launched"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_serving(self, url: str, timeout: float, what: str) -> None:
        """Until GET `url` answers 200; RuntimeError with the log's tail if the child exits or never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{what} exited: {self.log_text()[-2000:]}")
            try:
                if requests.get(url, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{what} not serving after {timeout:.0f} s: {self.log_text()[-2000:]}")

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, and SIGKILL if it has not ended within `timeout`."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()

    def kill(self) -> None:
        """SIGKILL at once: what a power cut or the OOM killer does."""
        if self.process is not None and self.process.poll() is None:
            if self.own_group:
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.kill()
            self.process.wait(timeout=20)
        self._close()

    def _close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def rss_kb(pid: int) -> int | None:
    """The process's resident memory in kB; None once it has exited (a zombie has no VmRSS)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None
