"""What tests share about the web app: the repository root, one user per role, signing in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import requests
from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[2]

PASSWORDS = {
    "admin": "admin-pass-123",
    "operator": "operator-pass-123",
    "bupati": "bupati-pass-123",
    "dpmptsp": "dpmptsp-pass-123",
}
ROLE_OF = {"admin": "admin", "operator": "operator", "bupati": "viewer", "dpmptsp": "skpd"}


def seed_users(engine: Engine) -> None:
    """One user per role (an existing one, such as setup's admin, gets the test password)."""
    from scc import users

    for username, password in PASSWORDS.items():
        if users.get_by_username(engine, username):
            users.reset_password(engine, username, actor="test", password=password)
            continue
        users.create_user(
            engine,
            username=username,
            role=ROLE_OF[username],
            password=password,
            skpd_code="dpmptsp" if username == "dpmptsp" else None,
            actor="test",
        )


def login(base: str, username: str, password: str | None = None) -> requests.Session:
    """A requests session signed in as `username` (sending the Origin a browser would)."""
    session = requests.Session()
    session.headers["Origin"] = base
    r = session.post(
        base + "/login",
        data={"username": username, "password": password or PASSWORDS[username]},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302, f"login of {username} failed: {r.status_code}"
    return session


class WebServer:
    """The production web server (gunicorn, as `scc run` starts it) on `port`, its storage in `data_dir`."""

    def __init__(self, data_dir: Path, port: int, workers: int = 2) -> None:
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "SCC_DATA_DIR": str(data_dir),
            "SCC_WEB_PORT": str(port),
            "SCC_WEB_HOST": "127.0.0.1",
            "SCC_WEB_WORKERS": str(workers),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[str] | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "web.log"

    def start(self, timeout: float = 60) -> WebServer:
        self._log = open(self.log_path, "a")  # noqa: SIM115  (open for the server's whole life)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dashboard"],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill() takes the workers too
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/login", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
            if self.process.poll() is not None:
                raise RuntimeError(f"web server died: {self.log_path.read_text()}")
        self.kill()
        raise RuntimeError(f"web server did not start in {timeout:.0f} s")

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: what a power cut or the OOM killer does."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
        self._close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self._close()

    def _close(self) -> None:
        if self._log:
            self._log.close()
            self._log = None
