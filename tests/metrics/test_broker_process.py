"""`python -m streams.metrics.broker` as `scc run` starts it: Mosquitto as its child, its log read,
the refusals in it counted for the admin, with real clients (Debian's mosquitto_pub, paho).

Each test stops the plain `scc_broker` and starts the broker process on the same ports and files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scc import refusals
from scc.storage import open_storage
from streams.agent.contract import topic
from tests.support.mqtt import Refused
from tests.support.services import port_is_open
from tests.support.web import ROOT

from .test_broker import A, B, broker_env, mosquitto_pub

CHATTER = ("Received PUBLISH", "Sending PUBLISH", "Sending PUBACK", "Received PUBACK", "PINGREQ", "PINGRESP")


def wait_for(condition: Callable[[], object], timeout: float = 15, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.05)


class BrokerProcess:
    """The broker process on scc_broker's ports; its stdout and stderr in `output` (a file, or a pipe's end)."""

    def __init__(self, scc_broker, config_dir: Path, database_url: str, output=None) -> None:
        self.scc_broker = scc_broker
        self.log_path = scc_broker.data_dir / "broker-process.log"
        env = {**broker_env(scc_broker, config_dir), "SCC_DATABASE_URL": database_url}
        scc_broker.stop()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streams.metrics.broker"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output or log,
                stderr=output or log,
            )

    def started(self) -> BrokerProcess:
        wait_for(lambda: self.proc.poll() is not None or port_is_open("127.0.0.1", self.scc_broker.port))
        assert self.proc.poll() is None, self.output()
        wait_for(lambda: "running" in self.output(), what="Mosquitto's start in the log passed on")
        return self

    def mosquitto(self) -> int:
        """The pid of Mosquitto, this process's child."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def database_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'scc.db'}"
    open_storage(url).dispose()
    return url


@pytest.fixture
def broker_process(scc_broker, config_dir, database_url) -> Iterator[BrokerProcess]:
    process = BrokerProcess(scc_broker, config_dir, database_url).started()
    try:
        yield process
    finally:
        process.stop()


def stored(database_url: str) -> dict[tuple[str, str, str, str], refusals.Refusal]:
    engine = open_storage(database_url)
    try:
        return {r.key: r for r in refusals.recent(engine)}
    finally:
        engine.dispose()


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # a zombie has ended; its parent has yet to collect it


def test_refused_publishes_and_sign_ins_are_counted_per_account_and_address(broker_process, database_url):
    port = broker_process.scc_broker.port
    a_password = broker_process.scc_broker.password(A)
    forged = [topic(B, "telemetry"), topic(B, "status"), topic(B, "telemetry")]
    for name in forged:
        assert mosquitto_pub(port, A, a_password, name, "{}").returncode == 0  # MQTT 3.1.1: dropped silently
    assert mosquitto_pub(port, A, a_password, topic(A, "telemetry"), "{}").returncode == 0  # its own: allowed
    for user, password in ((A, "wrong"), (A, "also wrong"), ("nobody", "x"), (None, None)):
        assert mosquitto_pub(port, user, password, topic(A, "telemetry"), "{}").returncode != 0

    publish, signin = ("broker", A, "publish", ""), ("broker", refusals.UNKNOWN, "signin", "127.0.0.1")

    def counted() -> bool:
        rows = stored(database_url)
        return publish in rows and signin in rows and rows[signin].attempts == 4

    wait_for(counted, what="the refusals in storage")
    rows = stored(database_url)
    assert set(rows) == {publish, signin}, "the unit's own publish is no refusal"
    assert (rows[publish].attempts, rows[publish].reason, rows[publish].detail) == (3, "acl", topic(B, "telemetry"))
    # Mosquitto does not log the account a refused CONNECT tried: the address, and which listener.
    assert (rows[signin].reason, rows[signin].detail) == ("not_authorised", f"port {port}")
    assert rows[signin].first_at <= rows[signin].last_at


def test_the_log_passed_on_keeps_connections_and_refusals_but_not_each_message(broker_process):
    scc_broker = broker_process.scc_broker
    ingest = scc_broker.ingest()
    ingest.subscribe("scc/v1/skpd/+/telemetry")
    unit = scc_broker.connect(A)
    unit.publish_many(topic(A, "telemetry"), [b"%d" % i for i in range(200)])
    assert [ingest.receive().payload for _ in range(200)] == [b"%d" % i for i in range(200)]
    unit.publish(topic(B, "telemetry"), b"forged")
    with pytest.raises(Refused):
        scc_broker.connect(A, password="wrong")
    for client in (unit, ingest):
        client.close()
    wait_for(lambda: "Denied PUBLISH from dpmptsp" in broker_process.output(), what="the denial passed on")
    wait_for(lambda: f"Client {A} disconnected" in broker_process.output(), what="the unit's disconnection")
    text = broker_process.output()
    assert "New client connected from 127.0.0.1" in text and f" as {A} " in text
    assert "Sending CONNACK to 127.0.0.1 (0, 5)" in text  # the refused sign-in
    assert [line for line in text.splitlines() if any(word in line for word in CHATTER)] == []
    for secret in scc_broker.passwords.values():
        assert secret not in text


def test_signals_reach_mosquitto_and_its_exit_code_is_the_brokers(broker_process):
    mosquitto = broker_process.mosquitto()
    assert os.path.basename(os.readlink(f"/proc/{mosquitto}/exe")) == "mosquitto"
    broker_process.proc.send_signal(signal.SIGTERM)
    assert broker_process.proc.wait(timeout=15) == 0
    assert gone(mosquitto)
    text = broker_process.output()
    assert "Saving in-memory database" in text and "terminating" in text  # Mosquitto's own orderly end


def test_the_broker_ends_when_mosquitto_dies(broker_process):
    os.kill(broker_process.mosquitto(), signal.SIGKILL)
    assert broker_process.proc.wait(timeout=15) == 128 + signal.SIGKILL  # the supervisor sees it and restarts


def test_mosquitto_ends_when_the_broker_is_killed_and_a_new_one_starts(scc_broker, config_dir, database_url):
    first = BrokerProcess(scc_broker, config_dir, database_url).started()
    mosquitto = first.mosquitto()
    first.proc.kill()
    first.proc.wait()
    wait_for(lambda: gone(mosquitto), what="Mosquitto ending with its parent")
    second = BrokerProcess(scc_broker, config_dir, database_url).started()  # the port is free again
    try:
        scc_broker.connect(A).close()
    finally:
        second.stop()


def test_a_log_that_cannot_be_passed_on_ends_the_broker(scc_broker, config_dir, database_url):
    """The supervisor's end of stderr gone: the reader fails, and the broker stops Mosquitto and exits."""
    read_end, write_end = os.pipe()
    process = BrokerProcess(scc_broker, config_dir, database_url, output=write_end)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as output:
            started = b""
            while b"running" not in started:
                chunk = output.read1(65536)
                assert chunk, "the broker ended before Mosquitto ran"
                started += chunk
        mosquitto = int(Path(f"/proc/{process.proc.pid}/task/{process.proc.pid}/children").read_text().split()[0])
        scc_broker.connect(A).close()  # a connection: lines to pass on, into a pipe no one reads any more
        assert process.proc.wait(timeout=20) != 0
        wait_for(lambda: gone(mosquitto), what="Mosquitto stopped by the failing broker")
        assert not port_is_open("127.0.0.1", scc_broker.port)
    finally:
        process.stop()


def test_storage_out_of_reach_is_logged_and_the_refusals_kept_until_it_returns(scc_broker, config_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'later.db'}"  # no tables yet: every write fails
    process = BrokerProcess(scc_broker, config_dir, url).started()
    try:
        assert mosquitto_pub(scc_broker.port, A, scc_broker.password(A), topic(B, "telemetry"), "{}").returncode == 0
        wait_for(lambda: "cannot store the broker's refusals" in process.output(), what="the storage error logged")
        unit = scc_broker.connect(A)  # the broker goes on serving
        unit.publish(topic(A, "telemetry"), b"still served")
        unit.close()
        open_storage(url).dispose()  # storage back (migrated)
        wait_for(lambda: ("broker", A, "publish", "") in stored(url), what="the kept refusal stored")
        assert stored(url)[("broker", A, "publish", "")].attempts == 1
        assert process.output().count("cannot store the broker's refusals") == 1  # once per outage
        assert process.proc.poll() is None
    finally:
        process.stop()
