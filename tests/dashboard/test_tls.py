"""HTTPS on the LAN: the production server with a certificate from `scc setup --self-signed`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from scc.storage import open_storage
from tests.conftest import free_port
from tests.support.web import PASSWORDS, ROOT, seed_users


def wait_until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except requests.RequestException:
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("not in time")


def test_https_secure_cookie_redirect_and_heartbeat(tmp_path):
    port, plain = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "SCC_SECRET_KEY"}
    env.update(
        SCC_DATA_DIR=str(tmp_path),
        SCC_WEB_PORT=str(port),
        SCC_WEB_HOST="127.0.0.1",
        SCC_WEB_WORKERS="1",
        SCC_HTTP_REDIRECT_PORT=str(plain),
    )
    setup = subprocess.run(
        [sys.executable, "-m", "scc", "setup", "--self-signed", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert setup.returncode == 0, setup.stderr
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    seed_users(engine)
    engine.dispose()
    cert = str(tmp_path / "tls" / "cert.pem")
    base = f"https://127.0.0.1:{port}"
    with open(tmp_path / "web.log", "w") as log:
        # As production runs it: the supervisor starts the web server and the redirect.
        proc = subprocess.Popen(
            [sys.executable, "-m", "scc", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until(lambda: requests.get(base + "/login", verify=cert, timeout=5).status_code == 200)
            session = requests.Session()
            session.verify = cert
            session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides `verify`
            r = session.post(
                base + "/login",
                data={"username": "operator", "password": PASSWORDS["operator"]},
                headers={"Origin": base},
                allow_redirects=False,
                timeout=10,
            )
            assert r.status_code == 302
            assert "Secure" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
            assert r.headers["Strict-Transport-Security"].startswith("max-age=")
            assert session.get(base + "/_dash-layout", timeout=10).status_code == 200

            moved = wait_until(
                lambda: requests.get(f"http://127.0.0.1:{plain}/cameras?kiosk=1", allow_redirects=False, timeout=5)
            )
            assert moved.status_code == 301 and moved.headers["Location"] == f"{base}/cameras?kiosk=1"
            # Plain HTTP on the TLS port is no way in either.
            try:
                assert requests.get(f"http://127.0.0.1:{port}/login", timeout=5).status_code >= 400
            except requests.ConnectionError:
                pass
            # Every process is up, and the web server's heartbeat reaches the workers over TLS too.
            doc = wait_until(
                lambda: (r := session.get(base + "/healthz", timeout=5)).status_code == 200 and r.json(),
                timeout=30,
            )
            assert {"supervisor", "web", "web-redirect"} <= set(doc["components"])
            assert "answers in" in doc["components"]["web"]["detail"]
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
