"""What the publisher tests share: a real broker, a real subscriber, and the agent run as its users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from streams.agent import contract
from tests.support.services import HOST, MosquittoBroker, mosquitto_broker
from tests.support.web import ROOT

UNIT = "dpmptsp"


class Listener:
    """A paho subscriber to every unit's topics that remembers what arrived.

    A persistent session (fixed client id, clean_session False, QoS 1) with paho's own
    reconnect, so it also sees what a restarted broker had queued for it.
    """

    def __init__(self, broker: MosquittoBroker, pattern: str = f"{contract.PREFIX}/#") -> None:
        self.received: list[tuple[str, bytes, bool]] = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"test-listener-{os.getpid()}-{id(self)}", clean_session=False
        )
        self.client.reconnect_delay_set(0.1, 0.5)  # type: ignore[arg-type]
        self.client.on_connect = lambda c, *_: c.subscribe(pattern, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(HOST, broker.port)
        self.client.loop_start()
        assert self._subscribed.wait(5), "the listener could not subscribe"

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.received.append((message.topic, message.payload, bool(message.retain)))
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def telemetry(self, unit: str = UNIT) -> list[dict[str, Any]]:
        """Every message received for `unit`, arrays unpacked, in order of arrival."""
        out: list[dict[str, Any]] = []
        with self._cond:
            payloads = [p for t, p, _ in self.received if t == contract.topic(unit, contract.TELEMETRY)]
        for payload in payloads:
            data = json.loads(payload)
            out.extend(data if isinstance(data, list) else [data])
        return out

    def payloads(self, unit: str = UNIT) -> list[Any]:
        with self._cond:
            return [json.loads(p) for t, p, _ in self.received if t == contract.topic(unit, contract.TELEMETRY)]

    def statuses(self, unit: str = UNIT) -> list[str]:
        with self._cond:
            return [p.decode() for t, p, _ in self.received if t == contract.topic(unit, contract.STATUS)]

    def wait_for_messages(self, n: int, unit: str = UNIT, timeout: float = 10.0) -> list[dict[str, Any]]:
        assert self.wait_for(lambda: len({m["id"] for m in self.telemetry(unit)}) >= n, timeout), (
            f"expected {n} messages, got {len(self.telemetry(unit))}"
        )
        return self.telemetry(unit)

    def wait_for_status(self, value: str, unit: str = UNIT, timeout: float = 10.0) -> None:
        assert self.wait_for(lambda: self.statuses(unit)[-1:] == [value], timeout), self.statuses(unit)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def retained_status(broker: MosquittoBroker, unit: str = UNIT, timeout: float = 5.0) -> str | None:
    """What a newcomer sees on the unit's status topic (the retained message), read with a fresh client."""
    got: list[str] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)

    def on_message(_c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        if message.retain:
            got.append(message.payload.decode())
        done.set()

    client.on_connect = lambda c, *_: c.subscribe(contract.topic(unit, contract.STATUS), qos=1)
    client.on_message = on_message
    client.connect(HOST, broker.port)
    client.loop_start()
    done.wait(timeout)
    client.disconnect()
    client.loop_stop()
    return got[0] if got else None


@pytest.fixture
def broker() -> Iterator[MosquittoBroker]:
    with mosquitto_broker() as running:
        yield running


@pytest.fixture
def listener(broker: MosquittoBroker) -> Iterator[Listener]:
    sub = Listener(broker)
    yield sub
    sub.close()


@pytest.fixture
def agent_env(broker: MosquittoBroker, tmp_path: Path) -> dict[str, str]:
    """The environment an SKPD's cron job would give `scc-publish` (no TLS on the test broker)."""
    return {
        **os.environ,
        "SCC_UNIT": UNIT,
        "SCC_MQTT_HOST": HOST,
        "SCC_MQTT_PORT": str(broker.port),
        "SCC_MQTT_PASSWORD": "not-checked-by-this-broker",
        "SCC_OUTBOX": str(tmp_path / "outbox.db"),
    }


def run_agent(
    args: list[str], env: dict[str, str], *, stdin: str | None = None, cwd: Path = ROOT, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """`python -m streams.agent ARGS`, as `scc-publish ARGS` runs it."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "streams.agent", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    result.seconds = time.monotonic() - started  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr, result.stderr
    return result
