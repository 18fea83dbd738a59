"""MQTT ingest: every unit's messages validated, committed in batches, acknowledged only after commit.

The broker keeps ingest's persistent session (MQTT 5, clean start off), so what
arrives while ingest or the database is down waits in the broker's queue. A
message is acknowledged (paho's manual ack) only once the batch holding it is
committed: a crash or a kill -9 means redelivery, never loss, and the unique
key on (unit, message id, metric) stores a redelivered message once.

Messages collect in a list; every `batch_ms` the list is validated, committed,
acknowledged, and each rejection's reason published to the unit's errors topic.
While the database is down the list is kept and retried with back-off; the
broker stops sending once ingest's receive maximum of unacknowledged messages
is reached, so memory stays bounded and the rest waits in the broker's queue.
"""

from __future__ import annotations

import json
import logging
import signal
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from scc import boot
from scc.clock import utcnow
from scc.health import Heartbeat
from scc.settings import Settings
from scc.settings.metrics_broker import INGEST_USER, password, password_env
from scc.storage.db import connect
from streams.agent import contract

from . import store
from .validate import Catalog, Outcome, Rejection, check

log = logging.getLogger("scc.metrics.ingest")

SUBSCRIPTIONS = [(f"{contract.PREFIX}/+/{contract.TELEMETRY}", 1), (f"{contract.PREFIX}/+/{contract.STATUS}", 1)]
SESSION_EXPIRY_S = 14 * 24 * 3600  # the broker keeps ingest's queue through a long outage
RECEIVE_MAXIMUM = 20_000  # unacknowledged messages in flight to ingest: a few batches at full speed
RETRY_MAX_S = 10.0
# A message the database refuses this many times in a row is parked (kept as a rejection, acknowledged).
PARK_AFTER = 3
REFUSED_RETRY_S = 1.0
HEARTBEAT_S = 5
# The database cannot be reached, or is busy (a lock, a timeout): wait and try again, blaming no message.
OUT_OF_REACH = (OperationalError, InterfaceError)


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes
    mid: int
    qos: int

    @property
    def key(self) -> tuple[str, bytes]:
        """The same message when the broker delivers it again."""
        return self.topic, self.payload


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    client_id: str = ""
    tls_ca: Path | None = None


class Ingest:
    """One persistent MQTT session feeding storage; `start()`, then `stop()`."""

    def __init__(
        self, settings: Settings, engine: Engine, endpoint: Endpoint, heartbeat: Heartbeat | None = None
    ) -> None:
        self.engine = engine
        self.endpoint = endpoint
        self.catalog = Catalog.from_settings(settings)
        self.batch_s = settings.app.mqtt.batch_ms / 1000
        self._pending: list[Received] = []
        self._lock = threading.RLock()
        self._due = 0.0  # monotonic time of the next commit
        # Messages storage refused, tried again from _held_due on, apart from the new ones so that they
        # never hold those back.
        self._held: list[Received] = []
        self._held_due = 0.0
        self._retry_s = 0.0
        self._stop = threading.Event()
        self.connected = threading.Event()
        self.stored = 0  # messages committed since start (accepted or rejected), for health and benchmarks
        self.parked = 0  # messages storage refused PARK_AFTER times, kept as rejections
        self._refusals: dict[tuple[str, bytes], int] = {}  # refusals in a row, by message
        self.heartbeat = heartbeat
        self.client = self._client()
        self._ticker = threading.Thread(target=self._tick, name="ingest-ticker", daemon=True)

    def _client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.endpoint.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.username_pw_set(self.endpoint.username, self.endpoint.password)
        if self.endpoint.tls_ca is not None:
            client.tls_set(ca_certs=str(self.endpoint.tls_ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.reconnect_delay_set(1, 30)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def start(self) -> Ingest:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect_async(
            self.endpoint.host, self.endpoint.port, keepalive=30, clean_start=False, properties=props
        )
        self.client.loop_start()
        self._ticker.start()
        return self

    def stop(self) -> None:
        """Commit and acknowledge what has arrived, then leave; the session stays on the broker."""
        self._stop.set()
        self._ticker.join(timeout=30)
        self.flush(force=True)
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def backlog(self) -> int:
        return len(self._pending) + len(self._held)

    # paho's network thread: nothing here may raise.
    def _on_connect(
        self, client: mqtt.Client, _userdata: object, _flags: object, reason: ReasonCode, _props: object
    ) -> None:
        if reason.is_failure:
            log.error("broker refused ingest: %s", reason)
            return
        client.subscribe(SUBSCRIPTIONS)

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: object, _mid: int, reasons: list[ReasonCode], _props: object
    ) -> None:
        # Ready only once the broker has the subscriptions: a new session gets nothing published before.
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            log.error("broker refused ingest's subscriptions: %s", ", ".join(refused))
            return
        log.info("connected to the broker at %s:%s", self.endpoint.host, self.endpoint.port)
        self.connected.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: object, _flags: object, reason: ReasonCode, _props: object
    ) -> None:
        self.connected.clear()
        # An acknowledgement belongs to the connection the message came on: what was not committed yet
        # is dropped here and comes again, with the broker's redelivery, on the next connection.
        with self._lock:
            dropped = len(self._pending) + len(self._held)
            self._pending, self._held = [], []
        if not self._stop.is_set():
            log.warning(
                "lost the broker (%s); reconnecting, its queue keeps what arrives (%d uncommitted will come again)",
                reason,
                dropped,
            )

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        # Committing here, on the network thread, rather than on a writer thread of its own: paho reads
        # each packet with several recv() calls, and each would wait for the GIL behind a busy writer.
        with self._lock:
            self._pending.append(Received(topic_of(message), bytes(message.payload), message.mid, message.qos))
        self.flush()

    def _tick(self) -> None:
        """The work loop: commits what waits when no new message comes to do it, and beats the heartbeat,
        so that a commit stuck for good (it holds the lock this loop waits on) shows as stale."""
        while not self._stop.wait(self.batch_s / 2):
            self.flush()
            if self.heartbeat is not None:
                self.heartbeat.tick()

    def flush(self, force: bool = False) -> None:
        """Commit the pending messages if a batch is due; while the database is out of reach they wait."""
        with self._lock:
            now = time.monotonic()
            retry_held = bool(self._held) and (now >= self._held_due or force)
            if not (self._pending or retry_held) or (now < self._due and not force):
                return
            taken = self._pending + (self._held if retry_held else [])
            done = set[int]()
            try:
                again = self._commit(taken, done)
            except OUT_OF_REACH as exc:
                self._pending = [m for m in taken if id(m) not in done]
                if retry_held:
                    self._held = []
                self._retry_s = min(max(self._retry_s * 2, 1.0), RETRY_MAX_S)
                self._due = now + self._retry_s
                log.error(
                    "cannot store %d messages, retrying in %.0f s (not acknowledged, so nothing is lost): %s",
                    self.backlog,
                    self._retry_s,
                    first_line(exc),
                )
                return
            # Nothing arrived meanwhile: on_message appends under the same lock.
            self._pending = []
            if again:
                # Tried again after a pause, so that the refusals "in a row" that park a message span
                # a few seconds rather than a few milliseconds.
                self._held = again + ([] if retry_held else self._held)
                self._held_due = now + REFUSED_RETRY_S
            elif retry_held:
                self._held = []
            self._retry_s = 0.0
            self._due = now + self.batch_s

    def _commit(self, messages: list[Received], done: set[int]) -> list[Received]:
        """Store and acknowledge `messages` (their ids go into `done`); those the database refused.

        Raises OUT_OF_REACH when the database cannot be reached or is busy: nothing is counted against
        the messages then. When it answers but refuses the batch, the batch is halved down to the
        refused messages alone; each is tried again later, and after PARK_AFTER refusals in a row it is
        parked: kept as a rejection with the database's reason, and acknowledged, so that one message
        can never wedge ingest's session.
        """
        now = utcnow()
        checked = [(m, check(self.catalog, m.topic, m.payload, now)) for m in messages]
        refused: list[tuple[Received, str]] = []
        self._store(checked, now, done, refused)
        for message in messages:
            if id(message) in done:
                self._refusals.pop(message.key, None)
        again = []
        for message, error in refused:
            refusals = self._refusals.get(message.key, 0) + 1
            if refusals < PARK_AFTER:
                self._refusals[message.key] = refusals
                again.append(message)
                continue
            self._park(message, error, now)
            self._refusals.pop(message.key, None)
            done.add(id(message))
        return again

    def _store(
        self,
        checked: list[tuple[Received, Outcome]],
        now: datetime,
        done: set[int],
        refused: list[tuple[Received, str]],
    ) -> None:
        batch = store.Batch.empty()
        for _message, outcome in checked:
            batch.samples.extend(outcome.samples)
            batch.rejections.extend(outcome.rejections)
            if outcome.availability is not None:
                batch.availability.append(outcome.availability)
        try:
            store.write(self.engine, batch, now)
        except OUT_OF_REACH:
            raise
        except Exception as exc:  # the database answered, and refused something in this batch
            if len(checked) == 1:
                log.warning("storage refused a message on %s: %s", checked[0][0].topic[:120], first_line(exc))
                refused.append((checked[0][0], first_line(exc)))
                return
            half = len(checked) // 2
            self._store(checked[:half], now, done, refused)
            self._store(checked[half:], now, done, refused)
            return
        self.stored += len(checked)
        for message, _outcome in checked:
            done.add(id(message))
            if message.qos > 0:
                self.client.ack(message.mid, message.qos)
        for rejection in batch.rejections:
            self._tell_unit(rejection)

    def _park(self, message: Received, error: str, now: datetime) -> None:
        reason = f"parked: storage refused this message {PARK_AFTER} times in a row ({error})"
        text = message.payload.decode("utf-8", errors="replace")
        rejection = Rejection(message.topic, self.catalog.unit_of(message.topic), text, reason, None)
        log.error("parked a message on %s: %s", rejection.topic[:120], reason)
        store.write(self.engine, store.Batch([], [rejection], []), now)
        self.parked += 1
        if message.qos > 0:
            self.client.ack(message.mid, message.qos)
        self._tell_unit(rejection)

    def _tell_unit(self, rejection: Rejection) -> None:
        if rejection.skpd_code is None:
            log.warning("rejected a message on %s: %s", rejection.topic[:120], rejection.reason[:200])
            return
        body = {"id": rejection.message_id, "reason": rejection.reason, "at": utcnow().isoformat()}
        self.client.publish(contract.topic(rejection.skpd_code, contract.ERRORS), json.dumps(body), qos=1)


def topic_of(message: mqtt.MQTTMessage) -> str:
    """The topic as text; paho's `topic` raises on bytes that are not UTF-8, which a broker should refuse."""
    try:
        return message.topic
    except UnicodeDecodeError:
        return bytes(message._topic).decode("utf-8", errors="replace")  # paho keeps only the bytes


def first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def endpoint_from(settings: Settings) -> Endpoint:
    """Ingest's own account on the plain loopback listener."""
    secret = password(INGEST_USER)
    if secret is None:
        raise SystemExit(f"{password_env(INGEST_USER)} is not set: run `scc setup` (it generates broker passwords)")
    mqtt_config = settings.app.mqtt
    # The broker makes every client's id its user name (streams/metrics/broker.py); asking for the same one
    # keeps ingest's persistent session on a broker configured without that too.
    return Endpoint(mqtt_config.host, mqtt_config.port, INGEST_USER, secret.get_secret_value(), INGEST_USER)


def main() -> None:
    settings = boot.settings_or_exit()
    engine = connect(settings.database_url)
    ingest = Ingest(settings, engine, endpoint_from(settings))

    def probe() -> tuple[int, str]:
        if not ingest.connected.is_set():
            raise RuntimeError("not connected to the broker")
        return ingest.backlog, f"{ingest.stored} messages stored since start, {ingest.parked} parked"

    # Beaten by ingest's own work loop (Ingest._tick), not by a thread of its own.
    ingest.heartbeat = Heartbeat(engine, "metrics-ingest", HEARTBEAT_S, probe)
    ingest.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    ingest.stop()


if __name__ == "__main__":
    main()
