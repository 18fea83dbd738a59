"""The demo's websites (streams.metrics.sim.sites) as the probes find them with `probes.simulate`: every
unit's site up with its name, but for one of each way a site fails; none of it leaves the machine."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

from scc import health
from scc.settings import load_settings
from scc.storage import open_storage
from streams.metrics import probes
from tests.support.services import free_port
from tests.support.web import ROOT

ENV = {"SCC_SECRET_KEY": "k" * 40, "SCC_CAMERA_PASSWORD": "cam-secret-pw"}
FAILING = {"dlh", "dispora", "disbudpar", "dppkb", "kec-ganra"}


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_the_demo_sites_fail_each_in_their_way_and_the_rest_are_up(tmp_path):
    port = free_port()
    environ = {**ENV, "SCC_DATA_DIR": str(tmp_path), "SCC_PROBES_SIMULATED": "true", "SCC_SITES_PORT": str(port)}
    settings = load_settings(environ=environ)
    engine = open_storage(settings.database_url)
    log = tmp_path / "sites.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams.metrics.sim.sites"],
            env={**os.environ, **environ},
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while not _listening(port) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        services = settings.probed_services
        assert len(services) == 38 and all(
            str(s.url).startswith(f"http://127.0.0.1:{port}/") for s in services.values()
        )
        config = settings.app.probes.model_copy(update={"timeout_s": 5.0})
        started = time.monotonic()
        found = {p.skpd_code: p for p in asyncio.run(probes.round_of_checks(services, config))}
        took = time.monotonic() - started
        assert {code for code, p in found.items() if not p.ok} == FAILING, log.read_text()
        assert found["dlh"].status_code == 503
        assert "cannot connect" in (found["dispora"].error or "")
        assert found["disbudpar"].error == "no answer within 5 s"
        assert "certificate refused" in (found["dppkb"].error or "") and (found["dppkb"].tls_days_left or 0) < 0
        assert found["kec-ganra"].status_code == 200 and found["kec-ganra"].content_found is False
        assert found["dispusip"].ok and (found["dispusip"].latency_ms or 0) >= 3000  # slow, and up
        assert found["dinsos"].ok and found["dinsos"].content_found is True
        assert took < 2 * config.timeout_s, took  # the hanging site costs one timeout
        beats: list[health.ComponentHealth] = []
        while not beats and time.monotonic() < deadline:
            beats = [c for c in health.read_all(engine) if c.name == "metrics-sites-sim" and c.beat_at is not None]
            time.sleep(0.1)
        assert beats and beats[0].status == "up", beats
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        engine.dispose()
