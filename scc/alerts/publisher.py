"""Telling other systems: the alert events (scc.alerts.events) published on MQTT, from the outbox.

A thread of the `alerts` process, signed in to the command center's broker as `scc-alerts`, the one account
allowed to publish on scc/v1/alerts/#. It sends the rows of alert_events with no published_at, oldest first,
QoS 1, not retained, and sets published_at only for those the broker acknowledged. With the broker away, or
the process killed, the rows wait in storage and go when it is back: none is lost. One acknowledged whose
published_at was not written yet (a kill in between) goes again: at least once, never at most, so a consumer
keeps (alert_id, event) to drop a repeat. Evaluating never waits for the broker.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from scc.clock import utcnow
from scc.settings.metrics_broker import ALERTS_USER, BrokerConfig
from scc.storage.alerts import alert_events

from . import events

log = logging.getLogger("scc.alerts")

BATCH = 200
ACK_TIMEOUT_S = 10.0
POLL_S = 1.0  # how soon a new event goes out (the evaluator's round is a few seconds anyway)
QOS = 1


class Publisher:
    """The outbox sender: `start()`, then `wake()` when there is something new (or wait POLL_S), `stop()`."""

    def __init__(self, engine: Engine, broker: BrokerConfig, secret: str, poll_s: float = POLL_S) -> None:
        self.engine, self.poll_s = engine, poll_s
        self.connected = threading.Event()
        self.waiting = 0  # events not yet published, as last counted
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._refused: set[int] = set()
        self._failing = False
        client = self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=ALERTS_USER, protocol=mqtt.MQTTv5)
        client.username_pw_set(ALERTS_USER, secret)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self._address = (broker.host, broker.port)
        self._thread = threading.Thread(target=self._run, name="alerts-publisher", daemon=True)

    def start(self) -> Publisher:
        self.client.connect_async(*self._address, keepalive=30)
        self.client.loop_start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=ACK_TIMEOUT_S + 5)
        self.client.disconnect()
        self.client.loop_stop()

    def wake(self) -> None:
        self._wake.set()

    def status(self) -> str:
        where = "connected" if self.connected.is_set() else "broker away"
        return f"MQTT {where}, {self.waiting} to publish"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except SQLAlchemyError as exc:
                if not self._failing:
                    log.error("alerts: cannot read or mark the events to publish (retried): %s", exc)
                self._failing = True
            else:
                self._failing = False
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def drain(self) -> int:
        """Publish what waits, while the broker takes it; how many went."""
        sent = 0
        while self.connected.is_set() and not self._stop.is_set():
            with self.engine.connect() as conn:
                e = alert_events.c
                rows = conn.execute(
                    select(e.id, e.payload).where(e.published_at.is_(None)).order_by(e.id).limit(BATCH)
                ).all()
            if not rows:
                self.waiting = 0
                return sent
            done = self._send([(row.id, row.payload) for row in rows])
            if done:
                with self.engine.begin() as conn:
                    conn.execute(alert_events.update().where(e.id.in_(done)).values(published_at=utcnow()))
                sent += len(done)
            if len(done) < len(rows):
                self.waiting = self._count()
                return sent
        self.waiting = self._count()
        return sent

    def _send(self, rows: list[tuple[int, Any]]) -> list[int]:
        """The ids the broker acknowledged, in order, up to the first it did not."""
        self._refused.clear()
        sent: list[tuple[int, mqtt.MQTTMessageInfo]] = []
        for event_id, payload in rows:
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            info = self.client.publish(events.topic(payload["severity"]), body, qos=QOS, retain=False)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                break
            sent.append((event_id, info))
        done: list[int] = []
        for event_id, info in sent:
            try:
                info.wait_for_publish(ACK_TIMEOUT_S)
            except (RuntimeError, ValueError):
                break
            if not info.is_published():
                break
            if info.mid in self._refused:
                # Our own account refused: the broker's ACL is not ours. Nothing is marked; it goes again.
                log.error("alerts: the broker refused event #%s on %s (check its ACL)", event_id, events.topic("#"))
                break
            done.append(event_id)
        return done

    def _count(self) -> int:
        with self.engine.connect() as conn:
            e = alert_events.c
            return int(conn.execute(select(func.count()).where(e.published_at.is_(None))).scalar_one())

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.error("alerts: the broker refused %s: %s", ALERTS_USER, reason)
            return
        log.info("alerts: connected to the broker as %s", ALERTS_USER)
        self.connected.set()
        self._wake.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self.connected.is_set():
            log.warning("alerts: lost the broker (%s); events are kept until it is back", reason)
        self.connected.clear()

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._refused.add(mid)
