"""The broker as `scc run` configures it: accounts, ACL, listeners, queues and persistence, with real clients."""

from __future__ import annotations

import os
import ssl
import stat
import subprocess
import sys

import pytest

from scc import tls
from scc.processes import listening
from scc.settings import InvalidConfig, load_settings
from scc.settings.metrics_broker import ADMIN_USER, INGEST_USER, password_env
from streams.agent.contract import topic
from streams.metrics import broker as broker_module
from tests.support.mqtt import Client, Refused
from tests.support.services import MOSQUITTO_PUB
from tests.support.web import ROOT

A, B = "dpmptsp", "bpkd"  # two SKPD units of config/skpd.yaml


def mosquitto_pub(port: int, user: str | None, password: str | None, topic_name: str, message: str):
    """Debian's own command-line client, as an integrator would try it."""
    credentials = ["-u", user, "-P", password or ""] if user else []
    return subprocess.run(
        [MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(port), *credentials, "-t", topic_name, "-m", message, "-q", "1"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


def test_a_unit_publishes_under_its_own_code_only(scc_broker):
    ingest = scc_broker.ingest()
    ingest.subscribe("scc/v1/skpd/+/telemetry")
    ingest.subscribe("scc/v1/skpd/+/status")
    a_password = scc_broker.password(A)
    for kind in ("telemetry", "status"):
        forged = mosquitto_pub(scc_broker.port, A, a_password, topic(B, kind), f"forged {kind}")
        assert forged.returncode == 0, forged.stderr  # MQTT 3.1.1 acknowledges and drops it silently
        own = mosquitto_pub(scc_broker.port, A, a_password, topic(A, kind), f"own {kind}")
        assert own.returncode == 0, own.stderr
        # Both came in order over one broker; had the forged one passed, it would arrive first.
        assert ingest.receive()[:2] == (topic(A, kind), f"own {kind}".encode())
    assert ingest.nothing()
    ingest.close()


def test_wrong_password_and_anonymous_are_refused(scc_broker):
    for user, password in ((A, "not-the-password"), (A, scc_broker.password(B)), (None, None), ("nobody", "x")):
        done = mosquitto_pub(scc_broker.port, user, password, topic(A, "telemetry"), "{}")
        assert done.returncode != 0
        assert "not authorised" in done.stderr.lower() or "refused" in done.stderr.lower(), done.stderr
        with pytest.raises(Refused):
            scc_broker.connect(user, password=password)
    assert scc_broker.password(A) not in scc_broker.log_text()


def test_a_unit_reads_its_own_errors_and_nobody_elses(scc_broker):
    unit = scc_broker.connect(A)
    for code in (B, A):
        unit.subscribe(topic(code, "errors"))
    unit.subscribe("scc/v1/skpd/+/telemetry")  # nor the others' telemetry
    ingest = scc_broker.ingest()
    ingest.publish(topic(B, "errors"), b'{"reason": "for B"}')
    other = scc_broker.connect(B)
    other.publish(topic(B, "telemetry"), b"B's reading")
    ingest.publish(topic(A, "errors"), b'{"reason": "for A"}')
    assert unit.receive()[:2] == (topic(A, "errors"), b'{"reason": "for A"}')
    assert unit.nothing()
    # A unit cannot fake a rejection, nor read or write what ingest alone may.
    unit.publish(topic(A, "errors"), b"fake")
    unit.publish(topic(B, "errors"), b"fake")
    assert unit.nothing()
    for client in (unit, ingest, other):
        client.close()


def test_admin_reads_and_writes_everything(scc_broker):
    admin = scc_broker.admin()
    admin.subscribe("#")
    admin.publish("scc/anything", b"x")
    assert admin.receive()[:2] == ("scc/anything", b"x")
    admin.close()


def test_units_on_the_lan_connect_over_tls_with_the_installations_certificate(scc_broker, tmp_path):
    ingest = scc_broker.ingest()
    ingest.subscribe("scc/v1/skpd/+/telemetry")
    unit = scc_broker.client(A, tls=True)
    assert unit.connect() is False
    unit.publish(topic(A, "telemetry"), b"over TLS")
    assert ingest.receive()[:2] == (topic(A, "telemetry"), b"over TLS")
    unit.close()
    ingest.close()

    stranger = Client(scc_broker.tls_port, username=A, password=scc_broker.password(A))  # no TLS
    with pytest.raises((TimeoutError, Refused, OSError)):
        stranger.connect(timeout=1)
    stranger.close()
    impostor = tmp_path / "impostor.pem"  # a certificate for the same address, but not the installation's
    tls.generate_self_signed(impostor, tmp_path / "impostor.key", ["127.0.0.1"])
    untrusting = Client(scc_broker.tls_port, username=A, password=scc_broker.password(A), ca=impostor)
    with pytest.raises(ssl.SSLCertVerificationError):
        untrusting.connect(timeout=2)


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    found.add(address)
    return found


def test_the_plain_listener_is_on_loopback_only(scc_broker, config_dir):
    assert listening_addresses(scc_broker.port) == {"0100007F"}  # 127.0.0.1, little-endian
    assert listening_addresses(scc_broker.tls_port) == {"0100007F"}  # as the test configured it
    assert listening(scc_broker.port)() == (0, f"listening on port {scc_broker.port}")  # the supervisor's probe
    app = config_dir / "scc.yaml"
    app.write_text(
        app.read_text().replace("host: 127.0.0.1\n  port: ${SCC_MQTT_PORT", "host: 0.0.0.0\n  port: ${SCC_MQTT_PORT")
    )
    with pytest.raises(InvalidConfig) as refused:
        load_settings(config_dir)
    assert "scc.yaml" in str(refused.value) and "mqtt.host" in str(refused.value)
    assert "loopback" in str(refused.value) and "TLS" in str(refused.value)


def test_no_tls_listener_without_a_certificate(scc_broker, config_dir, tmp_path):
    settings = load_settings(config_dir, tmp_path / "plain", {**os.environ, "SCC_TLS_CERT": "", "SCC_TLS_KEY": ""})
    conf = broker_module.write_config(settings).read_text()
    assert conf.count("listener ") == 1 and "certfile" not in conf
    assert "web.tls has no certificate" in (broker_module.tls_note(settings) or "")
    assert broker_module.tls_note(scc_broker.settings) is None


def test_an_offline_persistent_subscriber_gets_every_queued_message_across_a_restart(scc_broker):
    total = 5000  # Mosquitto's default queue keeps 1,000 of them
    ingest = scc_broker.ingest(client_id="scc-ingest", clean_session=False)
    ingest.subscribe("scc/v1/skpd/+/telemetry", qos=1)
    ingest.close()
    unit = scc_broker.connect(A)
    unit.publish_many(topic(A, "telemetry"), [str(i).encode() for i in range(total)])
    unit.close()
    scc_broker.restart()  # SIGTERM: Mosquitto saves sessions and queues to mosquitto.db
    assert (scc_broker.directory / "mosquitto.db").stat().st_mode & 0o077 == 0

    ingest = scc_broker.ingest(client_id="scc-ingest", clean_session=False)
    received = [ingest.receive() for _ in range(total)]
    assert [m.payload for m in received] == [str(i).encode() for i in range(total)]
    assert {m.qos for m in received} == {1}
    assert ingest.nothing()
    ingest.close()


def test_a_unit_cannot_take_over_ingests_session(scc_broker):
    """A unit signed in with its own account, asking for ingest's client id and a persistent session,
    neither gets ingest's session (nor what is queued in it) nor pushes ingest off the broker."""
    ingest = scc_broker.ingest(client_id=INGEST_USER, clean_session=False)
    ingest.subscribe("scc/v1/skpd/+/telemetry", qos=1)
    ingest.close()
    unit = scc_broker.connect(A)
    unit.publish_many(topic(A, "telemetry"), [f"queued {i}".encode() for i in range(20)])
    unit.close()

    thief = scc_broker.client(A, client_id=INGEST_USER, clean_session=False)
    assert thief.connect() is False, "the unit was handed ingest's session"
    assert thief.nothing(within=1.0), "the unit received what was queued for ingest"
    thief.close()

    ingest = scc_broker.ingest(client_id=INGEST_USER, clean_session=False)
    assert [ingest.receive().payload for _ in range(20)] == [f"queued {i}".encode() for i in range(20)]
    # While ingest is connected, the same attempt does not push it off: it still receives.
    thief = scc_broker.client(A, client_id=INGEST_USER, clean_session=False)
    thief.connect()
    unit = scc_broker.connect(B)
    unit.publish(topic(B, "telemetry"), b"after the attempt")
    assert ingest.receive()[:2] == (topic(B, "telemetry"), b"after the attempt")
    assert thief.nothing()
    for client in (thief, unit, ingest):
        client.close()


def test_the_files_are_private_and_hold_no_password(scc_broker):
    directory = scc_broker.directory
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = {p.name: p for p in directory.iterdir() if p.suffix != ".db"}
    assert set(files) == {"mosquitto.conf", "passwd", "acl"}
    text = ""
    for path in files.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        text += path.read_text()
    for secret in scc_broker.passwords.values():
        assert secret not in text
    lines = files["passwd"].read_text().splitlines()
    assert len(lines) == 38 + 4 and {line.split(":")[0] for line in lines} == set(scc_broker.passwords)
    assert all(line.split(":", 1)[1].startswith("$7$101$") for line in lines)
    conf = files["mosquitto.conf"].read_text()
    for expected in ("allow_anonymous false", "persistence true", "max_queued_messages 500000", "log_dest stderr"):
        assert expected in conf
    assert ("user root" in conf) == (os.geteuid() == 0)
    # Per listener in Mosquitto 2.0: each listener line is followed by it; before the first one it would
    # open a default listener on port 1883.
    lines = conf.splitlines()
    listeners = [i for i, line in enumerate(lines) if line.startswith("listener ")]
    assert len(listeners) == 2
    assert [lines[i + 1] for i in listeners] == ["use_username_as_clientid true"] * 2
    assert not any(line.startswith("use_username_as_clientid") for line in lines[: listeners[0]])


def broker_env(scc_broker, config_dir) -> dict[str, str]:
    return {
        **os.environ,
        "SCC_CONFIG_DIR": str(config_dir),
        "SCC_DATA_DIR": str(scc_broker.data_dir),
        "SCC_MQTT_PORT": str(scc_broker.port),
        "SCC_MQTT_TLS_PORT": str(scc_broker.tls_port),
        "SCC_TLS_CERT": "tls/cert.pem",
        "SCC_TLS_KEY": "tls/key.pem",
    }


def test_a_missing_password_names_its_variable_and_scc_setup(scc_broker, config_dir):
    env = broker_env(scc_broker, config_dir)
    del env[password_env(INGEST_USER)], env[password_env(B)]
    done = subprocess.run(
        [sys.executable, "-m", "streams.metrics.broker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert password_env(INGEST_USER) in done.stderr and password_env(B) in done.stderr
    assert "scc setup" in done.stderr
    assert password_env(ADMIN_USER) not in done.stderr
