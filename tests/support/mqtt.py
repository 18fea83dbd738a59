"""A paho-mqtt client for tests: signs in, waits for each step, and keeps what it receives in a queue."""

from __future__ import annotations

import queue
import time
from pathlib import Path
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt

HOST = "127.0.0.1"


class Message(NamedTuple):
    topic: str
    payload: bytes
    qos: int
    retain: bool


class Refused(Exception):
    """The broker answered CONNECT with a failure (bad user name or password, not authorised)."""


class Client:
    """One MQTT 3.1.1 connection (paho's v2 callback API), as a unit, ingest or admin would make it.

    ``ca`` turns TLS on, trusting that certificate (the installation's own, self-signed).
    """

    def __init__(
        self,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "",
        clean_session: bool = True,
        ca: Path | None = None,
        host: str = HOST,
    ) -> None:
        self.host, self.port = host, port
        self.messages: queue.Queue[Message] = queue.Queue()
        self._connacks: queue.Queue[tuple[bool, bool, str]] = queue.Queue()  # (ok, session present, reason)
        self._subacks: queue.Queue[list[Any]] = queue.Queue()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session, protocol=mqtt.MQTTv311
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        if username is not None:
            self.client.username_pw_set(username, password)
        if ca is not None:
            self.client.tls_set(ca_certs=str(ca))
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda c, u, mid, codes, props: self._subacks.put(list(codes))
        self.client.on_message = lambda c, u, m: self.messages.put(
            Message(m.topic, bytes(m.payload), m.qos, bool(m.retain))
        )

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self._connacks.put((not rc.is_failure, bool(flags.session_present), str(rc)))
        if rc.is_failure:
            client.disconnect()  # no automatic retries with the same refused credentials

    def connect(self, timeout: float = 5.0) -> bool:
        """Connect and wait for CONNACK; whether the broker still had this client's session. Refused on failure."""
        self.client.connect(self.host, self.port, keepalive=10)
        self.client.loop_start()
        try:
            ok, session_present, reason = self._connacks.get(timeout=timeout)
        except queue.Empty:
            self.close()
            raise TimeoutError(f"no CONNACK from {self.host}:{self.port} within {timeout} s") from None
        if not ok:
            self.close()
            raise Refused(reason)
        return session_present

    def subscribe(self, topic: str, qos: int = 1) -> list[Any]:
        """Subscribe and wait for SUBACK; the reason codes it granted."""
        self.client.subscribe(topic, qos=qos)
        return self._subacks.get(timeout=5)

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> None:
        """Publish and wait until the broker has it (PUBACK for QoS 1)."""
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(timeout=10)

    def publish_many(self, topic: str, payloads: list[bytes], qos: int = 1) -> None:
        infos = [self.client.publish(topic, p, qos=qos) for p in payloads]
        deadline = time.monotonic() + 60
        for info in infos:
            info.wait_for_publish(timeout=max(0.1, deadline - time.monotonic()))
            assert info.is_published(), f"not acknowledged: message {info.mid}"

    def receive(self, timeout: float = 5.0) -> Message:
        return self.messages.get(timeout=timeout)

    def nothing(self, within: float = 0.3) -> bool:
        """Whether nothing (more) arrives within `within` seconds."""
        try:
            self.messages.get(timeout=within)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
