"""The throwaway servers of tests/support/services.py really start, serve and go away again."""

from __future__ import annotations

import queue
import subprocess

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import create_engine, text

from tests.support.services import (
    MOSQUITTO_PUB,
    mosquitto_broker,
    port_is_open,
    postgres_cluster,
    postgres_url,
)


@pytest.mark.postgres
def test_postgres_cluster_serves_and_is_removed():
    with postgres_cluster() as pg:
        assert pg.url == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/postgres"
        assert pg.port != 5432
        base_dir = pg.base_dir
        assert base_dir is not None and (base_dir / "data" / "PG_VERSION").is_file()
        engine = create_engine(pg.url)
        with engine.connect() as conn:
            assert conn.execute(text("select version()")).scalar_one().startswith("PostgreSQL ")
            assert conn.execute(text("show server_encoding")).scalar_one() == "UTF8"
            assert conn.execute(text("show fsync")).scalar_one() == "off"
            assert conn.execute(text("show listen_addresses")).scalar_one() == "127.0.0.1"
        engine.dispose()
        port = pg.port
    assert not port_is_open("127.0.0.1", port)
    assert not base_dir.exists()


def test_postgres_url_uses_the_configured_server(monkeypatch):
    monkeypatch.setenv("SCC_TEST_PG_URL", "postgresql+psycopg://someone@db.example:5433/x")
    with postgres_url() as url:  # starts nothing
        assert url == "postgresql+psycopg://someone@db.example:5433/x"


class Subscriber:
    """A paho-mqtt (v2 callback API) client that collects what it receives in a queue."""

    def __init__(self, port: int, client_id: str, *, clean_session: bool = True) -> None:
        self.port = port
        self.messages: queue.Queue[tuple[str, bytes, int]] = queue.Queue()
        self.connected: queue.Queue[tuple[bool, bool]] = queue.Queue()  # (success, session present)
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session, protocol=mqtt.MQTTv311
        )
        self.client.on_connect = lambda c, u, flags, rc, props: self.connected.put(
            (not rc.is_failure, bool(flags.session_present))
        )
        self.client.on_message = lambda c, u, msg: self.messages.put((msg.topic, bytes(msg.payload), msg.qos))

    def connect(self) -> bool:
        """Connect and wait for CONNACK; whether the broker still had our session."""
        self.client.connect("127.0.0.1", self.port, keepalive=10)
        self.client.loop_start()
        ok, session_present = self.connected.get(timeout=5)
        assert ok
        return session_present

    def subscribe(self, topic: str, qos: int) -> None:
        granted: queue.Queue[object] = queue.Queue()
        self.client.on_subscribe = lambda c, u, mid, codes, props: granted.put(codes)
        self.client.subscribe(topic, qos=qos)
        granted.get(timeout=5)

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publish(port: int, topic: str, message: str, qos: int = 0) -> None:
    """Publish with Debian's own command-line client."""
    subprocess.run(
        [
            MOSQUITTO_PUB,
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-t",
            topic,
            "-m",
            message,
            "-q",
            str(qos),
            "-i",
            f"pub-{topic.replace('/', '-')}",
        ],
        check=True,
        timeout=10,
    )


def test_mosquitto_broker_delivers_keeps_sessions_and_goes_away():
    with mosquitto_broker() as broker:
        assert broker.host == "127.0.0.1" and broker.port != 1883
        directory = broker.dir

        live = Subscriber(broker.port, "live")
        live.connect()
        live.subscribe("scc/test/live", qos=0)
        publish(broker.port, "scc/test/live", "hello")
        assert live.messages.get(timeout=5)[:2] == ("scc/test/live", b"hello")
        live.disconnect()

        durable = Subscriber(broker.port, "durable", clean_session=False)
        assert not durable.connect()
        durable.subscribe("scc/test/queued", qos=1)
        durable.disconnect()
        publish(broker.port, "scc/test/queued", "while-offline", qos=1)  # queued for "durable"

        port = broker.port
        broker.restart()  # SIGTERM saves the queue; the new process loads it
        assert broker.port == port
        publish(broker.port, "scc/test/queued", "after-restart", qos=1)

        durable = Subscriber(broker.port, "durable", clean_session=False)
        assert durable.connect()  # the session survived the restart
        received = [durable.messages.get(timeout=5) for _ in range(2)]
        assert received == [("scc/test/queued", b"while-offline", 1), ("scc/test/queued", b"after-restart", 1)]
        durable.disconnect()
        assert "durable" in broker.log_text()

        broker.stop()
        assert not port_is_open("127.0.0.1", port)
    assert not directory.exists()


def test_mosquitto_broker_takes_extra_configuration():
    with mosquitto_broker(allow_anonymous=False, persistence=False, extra_config=["max_keepalive 30"]) as broker:
        config = broker.config_path.read_text()
        assert "allow_anonymous false" in config and config.rstrip().endswith("max_keepalive 30")
        refused = subprocess.run(
            [MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(broker.port), "-t", "x", "-m", "y"],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert refused.returncode != 0  # anonymous clients are not authorised
        broker.kill()
        assert not broker.running
        broker.restart()  # after a crash too
        assert port_is_open("127.0.0.1", broker.port)
