"""Publish an SKPD's figures to the command center, through a queue on disk that survives outages.

Every message goes into the outbox first (with its id), and a drainer thread hands
the oldest rows to paho at QoS 1, packing a backlog into JSON arrays (the contract
allows them) so that hours of queued figures go in seconds. A row leaves the outbox
only when the broker's PUBACK says success: a lost link, a refused message or a
killed process leaves it queued, and it is sent again, with the same id, later.

MQTT 5 rather than 3.1.1 because only version 5's PUBACK carries a reason code: a
broker that refuses a message (not authorised by its ACL, too large) says so,
where 3.1.1 acknowledges it as if delivered and the figures would be lost.
"""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from . import contract, outbox

log = logging.getLogger(__name__)

BATCH = 100  # queued messages packed into one payload at most
WINDOW = 10  # payloads handed to paho and not yet acknowledged; below Mosquitto's receive maximum of 20
MAX_PAYLOAD = 60 * 1024  # bytes; the command center's broker takes 64 KiB by default
# The command center's metric keys (config/metrics.yaml); checked here so a typo fails at once, not on the wall.
METRIC_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_WAKE = "wake"
_STOP = "stop"


def _number(key: str, value: Any) -> float | int:
    if isinstance(value, bool):
        return int(value)  # a flag given as true/false
    if not isinstance(value, int | float):
        raise ValueError(f"{key}: {value!r} is not a number")
    if not math.isfinite(value):
        raise ValueError(f"{key}: {value!r} is not a finite number")
    return value


def checked_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A contract message made from `message` (values, and ts and id when given); ValueError if it cannot be one.

    `ts` stays as given when present (epoch milliseconds or ISO-8601 with offset), else it is now.
    """
    values = message.get("values")
    if not isinstance(values, Mapping) or not values:
        raise ValueError("a message needs 'values', an object of metric keys and numbers")
    clean = {}
    for key, value in values.items():
        if not isinstance(key, str) or not METRIC_KEY.match(key):
            raise ValueError(f"{key!r} is not a metric key (lower-case letters, digits and _, e.g. service_up)")
        clean[key] = _number(key, value)
    message_id = message.get("id")
    if message_id is not None and (not isinstance(message_id, str) or not 0 < len(message_id) <= contract.MAX_ID):
        raise ValueError(f"'id' must be a text of 1 to {contract.MAX_ID} characters")
    out = contract.message(clean, message_id=message_id)
    if "ts" in message and message["ts"] is not None:
        ts = message["ts"]
        if isinstance(ts, bool) or not isinstance(ts, int | str):
            raise ValueError("'ts' must be epoch milliseconds (an integer) or an ISO-8601 text")
        out["ts"] = ts
    return out


class Publisher:
    """One SKPD's link to the broker: `send()` queues on disk, a background thread delivers.

    The broker account is the unit's code; `tls_ca` (a CA or certificate file) switches
    TLS on and verifies the broker by it. The status topic reads "online" while connected
    and "offline" after `close()` or, through the will, when the process or link dies.
    """

    def __init__(
        self,
        code: str,
        password: str | None,
        host: str,
        port: int,
        outbox_path: str | os.PathLike[str],
        *,
        tls_ca: str | os.PathLike[str] | None = None,
        client_id: str | None = None,
        keepalive: int = 30,
        batch: int = BATCH,
        max_payload_bytes: int = MAX_PAYLOAD,
        reconnect_delay: tuple[float, float] = (1, 60),
        connect: bool = True,
    ) -> None:
        self.code = code
        self.status_topic = contract.topic(code, contract.STATUS)  # also checks the code
        self.telemetry_topic = contract.topic(code, contract.TELEMETRY)
        self.errors_topic = contract.topic(code, contract.ERRORS)
        self.host, self.port, self.keepalive = host, port, keepalive
        self.batch, self.max_payload_bytes = batch, max_payload_bytes
        self.min_delay, self.max_delay = reconnect_delay
        self.outbox = outbox.Outbox(outbox_path, owner=code)
        self.last_error: str | None = None  # why the link or the last message failed, until it works again
        self.login_refused = False  # the broker said no to the unit's code and password
        self.delivered = 0  # messages acknowledged by the broker since start
        self.rejected = 0  # rejections the command center reported on the errors topic

        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"scc-publish-{code}-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        client.username_pw_set(code, password)
        client.will_set(self.status_topic, contract.OFFLINE, qos=contract.QOS, retain=True)
        if tls_ca is not None:
            client.tls_set(ca_certs=os.fspath(tls_ca))  # verifies the certificate and the host name
        client.reconnect_delay_set(self.min_delay, self.max_delay)  # type: ignore[arg-type]  # floats work
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._client = client

        self._connected = threading.Event()
        self._link_wanted = False
        self._closed = False
        # paho calls on_publish holding its own lock; handing acks to the drainer through a queue
        # keeps that lock and ours from ever being taken in opposite orders.
        self._events: queue.Queue[Any] = queue.Queue()
        self._drained = threading.Condition()
        self._inflight: dict[int, list[int]] = {}  # paho message id -> outbox seqs in that payload
        self._cursor = 0  # highest seq handed to paho; paho itself re-sends what it holds after a reconnect
        self._rewind = False  # a payload was refused: start again from the oldest row once nothing is in flight
        self._hold_until = 0.0
        self._hold = self.min_delay
        self._problem_reported = False
        self._drainer = threading.Thread(target=self._drain, name=f"scc-publish-{code}", daemon=True)
        self._drainer.start()
        if connect:
            self.connect()

    # ------------------------------------------------------------------ public

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def backlog(self) -> int:
        """Messages queued and not yet acknowledged."""
        return self.outbox.count()

    def send(self, values: Mapping[str, float], ts: float | None = None) -> str:
        """Queue one message of `values` at `ts` (epoch seconds; now when omitted); returns its id."""
        message = checked_message({"values": values})
        if ts is not None:
            message = contract.message(message["values"], ts, message["id"])
        return self.send_many([message])[0]

    def send_many(self, messages: Iterable[Mapping[str, Any]]) -> list[str]:
        """Queue messages (contract messages, or objects with `values` and maybe `ts`/`id`), in order.

        All are checked before any is queued; returns their ids.
        """
        ready = []
        for message in messages:
            clean = checked_message(message)
            size = len(contract.encode(clean))
            if size > self.max_payload_bytes:
                raise ValueError(f"message {clean['id']} is {size} bytes, more than {self.max_payload_bytes}")
            ready.append(clean)
        if ready:
            self.outbox.put(ready)
            self._events.put(_WAKE)
        return [m["id"] for m in ready]

    def flush(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the outbox to empty; True when it has."""
        with self._drained:
            return self._drained.wait_for(lambda: self.outbox.count() == 0, timeout)

    def connect(self) -> None:
        """Start connecting (in the background, retried with back-off until it works)."""
        if self._link_wanted or self._closed:
            return
        self._link_wanted = True
        self._client.connect_async(self.host, self.port, self.keepalive, clean_start=True)
        self._client.loop_start()

    def disconnect(self, timeout: float = 2.0) -> None:
        """Say "offline" and leave the broker; `send()` keeps queuing until `connect()`."""
        if not self._link_wanted:
            return
        self._link_wanted = False
        if self._connected.is_set():
            info = self._client.publish(self.status_topic, contract.OFFLINE, qos=contract.QOS, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass  # the link went meanwhile: the broker publishes the will instead
        self._client.disconnect()
        try:
            self._client.loop_stop()
        except AttributeError:
            # paho's network thread clears its own handle as it ends; after disconnect() it may end between
            # loop_stop's check of that handle and its join(), which then fails on None. It has stopped:
            # all loop_stop was for.
            pass
        self._connected.clear()

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what the link allows within `timeout`, say "offline", disconnect. Undelivered rows stay queued."""
        if self._closed:
            return
        if self._connected.is_set():
            self.flush(timeout)
        self.disconnect()
        self._closed = True
        self._events.put(_STOP)
        self._drainer.join(timeout=timeout + 5)
        self.outbox.close()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ paho callbacks (its network thread)

    def _on_connect(self, client: mqtt.Client, _u: Any, _flags: Any, reason: ReasonCode, _props: Any) -> None:
        if reason.is_failure:
            self.last_error = f"the broker refused the connection: {reason}"
            self.login_refused = True
            self._report("%s: %s (check the unit code and its password); retrying with back-off")
            return
        self.last_error = None
        self.login_refused = False
        self._problem_reported = False
        log.info("%s: connected to %s:%s", self.code, self.host, self.port)
        client.publish(self.status_topic, contract.ONLINE, qos=contract.QOS, retain=True)
        client.subscribe(self.errors_topic, qos=contract.QOS)
        self._connected.set()
        self._events.put(_WAKE)

    def _on_connect_fail(self, _client: mqtt.Client, _u: Any) -> None:
        # paho calls this inside its `except OSError`: the exception says why (refused, TLS, DNS).
        exc = sys.exc_info()[1]
        self.last_error = f"cannot reach the broker at {self.host}:{self.port}" + (f": {exc}" if exc else "")
        self._report("%s: %s; queuing, retrying with back-off")

    def _report(self, template: str) -> None:
        """Log a link problem once, not at every retry of an outage that may last hours."""
        if not self._problem_reported:
            log.warning(template, self.code, self.last_error)
            self._problem_reported = True

    def _on_disconnect(self, _client: mqtt.Client, _u: Any, _flags: Any, reason: ReasonCode, _props: Any) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if was_connected and self._link_wanted:
            log.warning("%s: lost the broker (%s); queuing until it is back", self.code, reason)

    def _on_publish(self, _client: mqtt.Client, _u: Any, mid: int, reason: ReasonCode, _props: Any) -> None:
        self._events.put((mid, reason))

    def _on_subscribe(self, _client: mqtt.Client, _u: Any, _mid: int, reasons: list[ReasonCode], _props: Any) -> None:
        if any(r.is_failure for r in reasons):
            log.warning("%s: cannot follow rejections on %s: %s", self.code, self.errors_topic, reasons[0])

    def _on_message(self, _client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic != self.errors_topic:
            return
        self.rejected += 1
        text = message.payload.decode("utf-8", errors="replace")[:1000]
        try:
            detail = json.loads(text)
        except ValueError:
            detail = None
        if isinstance(detail, dict) and "reason" in detail:
            log.warning("%s: the command center rejected message %s: %s", self.code, detail.get("id"), detail["reason"])
        else:
            log.warning("%s: the command center rejected a message: %s", self.code, text)

    # ------------------------------------------------------------------ the drainer (its own thread)

    def _drain(self) -> None:
        while True:
            try:
                events = [self._events.get(timeout=0.5)]
            except queue.Empty:
                events = []
            while True:
                try:
                    events.append(self._events.get_nowait())
                except queue.Empty:
                    break
            for event in events:
                if event == _STOP:
                    return
                if isinstance(event, tuple):
                    self._acked(*event)
            try:
                self._fill()
            except Exception:  # the drainer must outlive one bad moment (a locked file, a full disk)
                log.exception("%s: cannot hand queued messages to the broker", self.code)
                self._hold_until = time.monotonic() + self._hold

    def _acked(self, mid: int, reason: ReasonCode) -> None:
        seqs = self._inflight.pop(mid, None)
        if seqs is None:
            return  # a status message
        if reason.is_failure:
            self.last_error = f"the broker refused {len(seqs)} message(s): {reason}"
            log.error("%s: %s; they stay queued and are tried again in %.0f s", self.code, self.last_error, self._hold)
            self._rewind = True
            self._hold_until = time.monotonic() + self._hold
            self._hold = min(self._hold * 2, self.max_delay)
            return
        self.outbox.remove(seqs)
        self.delivered += len(seqs)
        self._hold = self.min_delay
        with self._drained:
            self._drained.notify_all()

    def _fill(self) -> None:
        if not self._connected.is_set() or time.monotonic() < self._hold_until:
            return
        if self._rewind:
            if self._inflight:
                return
            self._cursor, self._rewind = 0, False
        while len(self._inflight) < WINDOW:
            rows = self.outbox.oldest(self.batch, after=self._cursor)
            if not rows:
                return
            seqs, messages = self._pack(rows)
            payload = contract.encode(messages[0] if len(messages) == 1 else messages)
            info = self._client.publish(self.telemetry_topic, payload, qos=contract.QOS)
            if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
                return  # paho did not take it (its queue is full): the rows stay for the next round
            # NO_CONN: the link dropped just now, and paho holds the payload until it reconnects.
            self._inflight[info.mid] = seqs
            self._cursor = seqs[-1]

    def _pack(self, rows: list[tuple[int, dict[str, Any]]]) -> tuple[list[int], list[dict[str, Any]]]:
        """The oldest rows that fit in one payload (at least one)."""
        seqs: list[int] = []
        messages: list[dict[str, Any]] = []
        size = 2  # the array's brackets
        for seq, message in rows:
            grown = size + len(contract.encode(message)) + 1
            if messages and grown > self.max_payload_bytes:
                break
            seqs.append(seq)
            messages.append(message)
            size = grown
        return seqs, messages
