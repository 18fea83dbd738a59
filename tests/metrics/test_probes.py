"""The `probes` process: each kind of service it meets, against servers on loopback that the test starts.

Up, refused, hanging, slow, an expired certificate, the wrong page; a round with ten hanging takes one
timeout, not ten; the process beats and stops on SIGTERM; a URL beyond this machine is refused at start
unless allowed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from sqlalchemy import select

from scc import health
from scc.settings import InvalidConfig, load_settings
from scc.settings.metrics_probes import ProbesConfig
from scc.settings.regency import PublicService
from scc.storage import open_storage
from scc.storage.metrics import service_probes
from streams.metrics import probes
from tests.support.services import free_port
from tests.support.web import ROOT

from .probe_servers import Hanging, LoopbackCA, Web, tls_server_context

ENV = {"SCC_SECRET_KEY": "k" * 40, "SCC_CAMERA_PASSWORD": "cam-secret-pw"}


def run(services: dict[str, PublicService], config: ProbesConfig) -> dict[str, probes.Probe]:
    return {p.skpd_code: p for p in asyncio.run(probes.round_of_checks(services, config))}


def service(url: str, expect: str | None = None) -> PublicService:
    return PublicService.model_validate({"url": url, "expect": expect})


@pytest.fixture
def servers():
    started: list = []

    def start(server):
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def test_each_kind_of_service_is_told_apart(servers, tmp_path):
    config = ProbesConfig(timeout_s=2)
    up = servers(Web(body="<h1>Dinas Sosial Soppeng</h1>"))
    failing = servers(Web(status=503))
    hanging = servers(Hanging())
    slow = servers(Web(delay_s=0.5))
    result = run(
        {
            "up": service(up.url, expect="sosial"),
            "wrong": service(up.url, expect="Kesehatan"),
            "failing": service(failing.url),
            "refused": service(f"http://127.0.0.1:{free_port()}/"),
            "hanging": service(hanging.url),
            "slow": service(slow.url),
        },
        config,
    )
    assert result["up"].ok and result["up"].status_code == 200 and result["up"].content_found is True
    assert result["up"].tls_days_left is None and result["up"].error is None
    assert not result["wrong"].ok and result["wrong"].content_found is False and result["wrong"].status_code == 200
    assert "Kesehatan" in (result["wrong"].error or "")
    assert not result["failing"].ok and result["failing"].status_code == 503 and result["failing"].error == "HTTP 503"
    assert not result["refused"].ok and result["refused"].status_code is None
    assert "cannot connect" in (result["refused"].error or "")
    assert not result["hanging"].ok and result["hanging"].error == "no answer within 2 s"
    assert result["slow"].ok and 500 <= (result["slow"].latency_ms or 0) < 2000


def test_a_certificate_is_checked_and_its_days_counted(servers, tmp_path):
    ca = LoopbackCA(tmp_path)
    good = servers(Web(tls=tls_server_context(*ca.issue(days_from_now=40))))
    expired = servers(Web(tls=tls_server_context(*ca.issue(days_from_now=-3))))
    result = run(
        {"good": service(good.url), "expired": service(expired.url)}, ProbesConfig(timeout_s=3, ca_file=ca.cert_path)
    )
    assert result["good"].ok and result["good"].tls_days_left == 40
    assert not result["expired"].ok and result["expired"].tls_days_left == -3
    assert "expired" in (result["expired"].error or "")
    # Without the regency's CA, the same certificate is refused.
    untrusted = run({"x": service(good.url)}, ProbesConfig(timeout_s=3))["x"]
    assert not untrusted.ok and "certificate refused" in (untrusted.error or "") and untrusted.tls_days_left == 40


def test_ten_hanging_services_cost_a_round_one_timeout(servers):
    timeout_s = 2.0
    config = ProbesConfig(timeout_s=timeout_s)  # the default concurrency
    hanging = [servers(Hanging()) for _ in range(10)]
    up = servers(Web())
    services = {f"hang{i}": service(h.url) for i, h in enumerate(hanging)}
    services |= {f"up{i}": service(up.url) for i in range(28)}
    started = time.monotonic()
    result = run(services, config)
    took = time.monotonic() - started
    assert sum(p.ok for p in result.values()) == 28 and len(result) == 38
    # One timeout and the time the 28 answering ones take, never a second timeout.
    assert took < 2 * timeout_s, took


def _configure(config_dir, url: str, **probes_config) -> None:
    skpd_file = config_dir / "skpd.yaml"
    data = yaml.safe_load(skpd_file.read_text())
    data["skpd"][3]["service"] = {"url": url, "expect": "Soppeng"}
    skpd_file.write_text(yaml.safe_dump(data, sort_keys=False))
    app_file = config_dir / "scc.yaml"
    app = yaml.safe_load(app_file.read_text())
    app["probes"] = {"interval_s": 10, "timeout_s": 2, **probes_config}
    app_file.write_text(yaml.safe_dump(app, sort_keys=False))


def _with_service(config_dir, url: str) -> int:
    """skpd.yaml's first unit given a service at `url`; the line the URL is on."""
    path = config_dir / "skpd.yaml"
    text = path.read_text().replace(
        "    district: lalabata\n", f"    district: lalabata\n    service:\n      url: {url}\n", 1
    )
    path.write_text(text)
    return next(i for i, line in enumerate(text.splitlines(), 1) if url in line)


def test_a_service_beyond_this_machine_is_refused_unless_allowed(config_dir):
    line = _with_service(config_dir, "https://soppengkab.go.id/")
    with pytest.raises(InvalidConfig) as info:
        load_settings(config_dir, environ=ENV)
    errors = [str(e) for e in info.value.errors]
    assert len(errors) == 1 and f"skpd.yaml:{line}:" in errors[0], errors
    assert "'soppengkab.go.id' is not this machine" in errors[0] and "probes.allow_remote" in errors[0]
    app = config_dir / "scc.yaml"
    app.write_text(app.read_text().replace("allow_remote: false", "allow_remote: true"))
    allowed = load_settings(config_dir, environ=ENV).skpd[0].service
    assert allowed is not None and str(allowed.url) == "https://soppengkab.go.id/"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "http://"])
def test_a_service_url_that_is_not_http_is_refused(config_dir, url):
    line = _with_service(config_dir, url)
    with pytest.raises(InvalidConfig) as info:
        load_settings(config_dir, environ=ENV)
    errors = [str(e) for e in info.value.errors]
    assert len(errors) == 1 and f"skpd.yaml:{line}:" in errors[0] and "skpd[0].service.url" in errors[0], errors


def test_the_process_probes_beats_and_stops_on_sigterm(servers, config_dir, tmp_path):
    up = servers(Web(body="Pemerintah Kabupaten Soppeng"))
    _configure(config_dir, up.url)
    environ = {**ENV, "SCC_DATA_DIR": str(tmp_path / "data")}
    settings = load_settings(config_dir, environ=environ)
    unit = settings.skpd[3].code
    engine = open_storage(settings.database_url)
    env = {**os.environ, **environ, "SCC_CONFIG_DIR": str(config_dir)}
    log = tmp_path / "probes.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams.metrics.probes"], env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 20
        beats: list[health.ComponentHealth] = []
        while not beats and time.monotonic() < deadline and process.poll() is None:
            beats = [c for c in health.read_all(engine) if c.name == "probes" and c.beat_at is not None]
            time.sleep(0.2)
        assert beats and beats[0].status == "up" and beats[0].detail.startswith("1 up, 0 down"), (
            beats,
            log.read_text(),
        )
        with engine.connect() as conn:
            rows = conn.execute(select(service_probes)).mappings().all()
        assert [(r["skpd_code"], r["ok"], r["status_code"], r["content_found"]) for r in rows] == [
            (unit, True, 200, True)
        ]
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        engine.dispose()
