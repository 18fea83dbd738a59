"""What tests share about the web app: the repository root, one user per role, signing in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import requests
from sqlalchemy import Engine

from .procs import ROOT, ChildProcess

__all__ = ["PASSWORDS", "ROLE_OF", "ROOT", "WebServer", "login", "seed_users"]

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


class WebServer(ChildProcess):
    """The production web server (gunicorn, as `scc run` starts it) on `port`, its storage in `data_dir`."""

    def __init__(self, data_dir: Path, port: int, workers: int = 2) -> None:
        super().__init__(data_dir / "web.log", own_group=True)  # kill() takes the workers too
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "SCC_DATA_DIR": str(data_dir),
            "SCC_WEB_PORT": str(port),
            "SCC_WEB_HOST": "127.0.0.1",
            "SCC_WEB_WORKERS": str(workers),
        }

    def start(self, timeout: float = 60) -> WebServer:
        self.launch([sys.executable, "-m", "dashboard"], self.env)
        try:
            self.wait_serving(self.url + "/login", timeout, "web server")
        except RuntimeError:
            self.kill()
            raise
        return self
