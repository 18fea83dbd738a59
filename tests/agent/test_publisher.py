"""The Publisher against a real Mosquitto: delivery, backlog, outages, refusals, rejections and TLS."""

from __future__ import annotations

import json
import logging
import subprocess
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from scc.tls import generate_self_signed
from streams.agent import contract
from streams.agent.outbox import Outbox
from streams.agent.publisher import Publisher
from tests.agent.conftest import UNIT, Listener, retained_status
from tests.support.services import HOST, free_port, mosquitto_broker

FAST = {"reconnect_delay": (0.1, 0.5)}


def make(broker, tmp_path, **options) -> Publisher:
    return Publisher(UNIT, "secret", HOST, broker.port, tmp_path / "outbox.db", **{**FAST, **options})


def test_a_message_arrives_whole_and_the_status_follows_the_publisher(broker, listener, tmp_path):
    with make(broker, tmp_path) as publisher:
        message_id = publisher.send({"laside_permits_received": 12, "laside_permits_issued": 9}, ts=1795392000.0)
        assert publisher.flush(10)
        [received] = listener.wait_for_messages(1)
        assert received == {
            "id": message_id,
            "ts": 1795392000000,
            "values": {"laside_permits_received": 12, "laside_permits_issued": 9},
        }
        listener.wait_for_status(contract.ONLINE)
        assert retained_status(broker) == contract.ONLINE
        assert publisher.backlog() == 0 and publisher.delivered == 1
    listener.wait_for_status(contract.OFFLINE)
    assert retained_status(broker) == contract.OFFLINE


def test_a_backlog_goes_oldest_first_packed_in_arrays(broker, listener, tmp_path):
    publisher = make(broker, tmp_path, connect=False)
    ids = publisher.send_many([{"values": {"laside_permits_received": i}} for i in range(250)])
    assert publisher.backlog() == 250
    publisher.connect()
    assert publisher.flush(10)
    publisher.close()
    received = listener.wait_for_messages(250)
    assert [m["id"] for m in received] == ids
    assert [m["values"]["laside_permits_received"] for m in received] == list(range(250))
    payloads = listener.payloads()
    assert all(isinstance(p, list) and len(p) <= 100 for p in payloads) and len(payloads) <= 5


def test_payloads_stay_under_the_size_limit(broker, listener, tmp_path):
    publisher = make(broker, tmp_path, connect=False, max_payload_bytes=1000)
    ids = publisher.send_many([{"values": {"laside_permits_received": i}} for i in range(40)])
    with pytest.raises(ValueError, match="more than 1000"):
        publisher.send({f"metric_{i}": i for i in range(100)})
    publisher.connect()
    assert publisher.flush(10)
    publisher.close()
    assert [m["id"] for m in listener.wait_for_messages(40)] == ids
    assert max(len(contract.encode(p)) for p in listener.payloads()) <= 1000


def test_a_broker_outage_queues_on_disk_and_loses_nothing(broker, listener, tmp_path):
    publisher = make(broker, tmp_path)
    first = [publisher.send({"laside_permits_received": i}) for i in range(50)]
    assert publisher.flush(10)
    broker.stop()
    assert listener.wait_for(lambda: not publisher.connected, 5)
    during = [publisher.send({"laside_permits_received": 50 + i}) for i in range(50)]
    assert publisher.backlog() == 50 and not publisher.flush(0.3)
    assert "cannot reach the broker" in (publisher.last_error or "")
    broker.start()
    assert publisher.flush(15), publisher.last_error
    publisher.close()
    received = listener.wait_for_messages(100)
    first_seen = list(dict.fromkeys(m["id"] for m in received))
    assert first_seen == first + during  # oldest first, nothing lost (a repeat would carry the same id)


def test_a_refused_message_stays_queued_until_the_broker_takes_it(tmp_path, caplog):
    """MQTT 5's PUBACK says when the ACL refuses: the rows stay, and go once the ACL is fixed."""
    acl = tmp_path / "acl"
    acl.write_text(f"user {UNIT}\ntopic readwrite scc/v1/skpd/{UNIT}/status\n")
    passwords = tmp_path / "passwords"
    passwords.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), UNIT, "secret"], check=True)
    config = [f"password_file {passwords}", f"acl_file {acl}"]
    with mosquitto_broker(allow_anonymous=False, extra_config=config) as broker:
        publisher = make(broker, tmp_path)
        publisher.send({"laside_permits_received": 1})
        deadline = time.monotonic() + 10
        while "refused 1 message" not in (publisher.last_error or "") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Not authorized" in (publisher.last_error or "")
        assert publisher.backlog() == 1
        acl.write_text(f"user {UNIT}\ntopic readwrite scc/v1/skpd/{UNIT}/#\n")
        assert broker.process is not None
        broker.process.send_signal(1)  # SIGHUP: Mosquitto reads its ACL again
        assert publisher.flush(10), publisher.last_error
        publisher.close()
    assert "they stay queued" in caplog.text


def test_rejections_from_the_command_center_are_logged(broker, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="streams.agent.publisher")
    publisher = make(broker, tmp_path)
    ingest = mqtt.Client(CallbackAPIVersion.VERSION2)
    ingest.connect(HOST, broker.port)
    ingest.loop_start()
    body = json.dumps({"id": "abc123", "reason": "unknown metric 'laside_permit'", "at": "2026-11-23T00:00:00Z"})
    deadline = time.monotonic() + 10
    while publisher.rejected == 0 and time.monotonic() < deadline:  # until its subscription is in place
        ingest.publish(contract.topic(UNIT, contract.ERRORS), body, qos=1).wait_for_publish(2)
        time.sleep(0.1)
    ingest.disconnect()
    ingest.loop_stop()
    publisher.close()
    assert "rejected message abc123: unknown metric 'laside_permit'" in caplog.text
    assert "secret" not in caplog.text


def test_bad_values_are_refused_before_anything_is_queued(broker, tmp_path):
    with make(broker, tmp_path, connect=False) as publisher:
        for values in ({}, {"Jumlah Berkas": 1}, {"service_up": "1"}, {"service_up": float("nan")}):
            with pytest.raises(ValueError):
                publisher.send(values)
        with pytest.raises(ValueError):
            publisher.send_many([{"values": {"service_up": 1}}, {"values": {}}])
        assert publisher.backlog() == 0
    with Outbox(tmp_path / "outbox.db") as outbox, pytest.raises(ValueError, match="not 'bpkd'"):
        outbox.put([contract.message({"service_up": 1})])
        Publisher("bpkd", "x", HOST, broker.port, tmp_path / "outbox.db", connect=False)


def test_tls_verifies_the_broker_by_its_certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    generate_self_signed(cert, key, [HOST])
    other, other_key = tmp_path / "other.pem", tmp_path / "other-key.pem"
    generate_self_signed(other, other_key, [HOST])
    tls_port = free_port()
    config = [f"listener {tls_port} {HOST}", f"certfile {cert}", f"keyfile {key}", "allow_anonymous true"]
    with mosquitto_broker(extra_config=config) as broker:
        listener = Listener(broker)
        good = Publisher(UNIT, "x", HOST, tls_port, tmp_path / "a.db", tls_ca=cert, **FAST)
        good.send({"service_up": 1})
        assert good.flush(10), good.last_error
        good.close()
        assert listener.wait_for_messages(1)[0]["values"] == {"service_up": 1}
        listener.close()
        wrong = Publisher(UNIT, "x", HOST, tls_port, tmp_path / "b.db", tls_ca=other, **FAST)
        wrong.send({"service_up": 1})
        assert not wrong.flush(1)
        assert "CERTIFICATE_VERIFY_FAILED" in (wrong.last_error or "").upper().replace(" ", "_")
        wrong.close(timeout=0.5)
