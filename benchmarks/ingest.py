"""Ingest benchmark: our broker config, the real ingest process, SQLite, publishers on this machine.

    .venv/bin/python benchmarks/ingest.py [--messages 100000] [--nominal-s 60] [--backlog-units 38]

Progress goes to stderr; the last stdout line is one JSON object:
{"bench": "ingest", "msgs_per_s": ..., "e2e_p95_ms": ..., "poisoned_e2e_p95_ms": ..., "backlog_drain_s": ...,
 "lost": 0, "duplicates": 0, ...}
Goals: msgs_per_s >= 10,000; e2e_p95_ms <= 500 at the nominal load (38 units every 10 s);
backlog_drain_s <= 30 for an hour of 38 units at 1 message/s (136,800 messages); lost 0, duplicates 0.
With a hostile unit sending poison twice a second through the same nominal load (issue 18): every
poison message kept with its reason, ingest's health up in every reading, and the good messages'
p95 still within the 500 ms goal (reported as a ratio to the clean nominal run's p95 too).

Everything runs as in production: Mosquitto with the configuration `scc run` writes (accounts,
ACL, persistence, queue size), `python -m streams.metrics.ingest` as its own process with its
persistent session, SQLite in WAL mode. Load comes from Debian's `mosquitto_pub -l` (C, QoS 1,
one process per unit, each signed in as that unit), so the publishers take as little of the two
cores as possible. Floors, measured in the same run with the same load:
  - the bare broker loop: a paho subscriber (QoS 1, MQTT 5, auto-ack) that only counts, in its
    own process, for the throughput and for draining the same backlog;
  - a bare bulk insert: SQLAlchemy Core executemany of the same rows into a fresh SQLite file.
`*_ratio` figures are ours divided by the floor (throughput: ours / floor; time: ours / floor).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SCC_SECRET_KEY", "bench-secret-key-" + "x" * 32)
os.environ.setdefault("SCC_CAMERA_PASSWORD", "bench")

import paho.mqtt.client as mqtt  # noqa: E402  (after the sys.path line)
from sqlalchemy import create_engine, func, insert, select  # noqa: E402

from scc import health  # noqa: E402
from scc.percentiles import percentile  # noqa: E402
from scc.settings import load_settings  # noqa: E402
from scc.settings.metrics_broker import ADMIN_USER, accounts, password_env  # noqa: E402
from scc.storage import open_storage  # noqa: E402
from scc.storage.metrics import metric_samples, rejected_messages  # noqa: E402
from streams.agent import contract  # noqa: E402
from streams.metrics.broker import write_config  # noqa: E402
from tests.support.services import MosquittoBroker  # noqa: E402

HOST = "127.0.0.1"


def say(*parts: object) -> None:
    print("[ingest-bench]", *parts, file=sys.stderr, flush=True)


class Rig:
    """A broker with our configuration, an ingest process, and a SQLite file, in a temporary directory."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="scc-ingest-bench-"))
        self.config_dir = self.dir / "config"
        shutil.copytree(ROOT / "config", self.config_dir)
        self.data_dir = self.dir / "data"
        self.data_dir.mkdir(mode=0o700)
        self.db_url = f"sqlite:///{self.data_dir / 'scc.db'}"
        self.env = {**os.environ, "SCC_CONFIG_DIR": str(self.config_dir), "SCC_DATA_DIR": str(self.data_dir)}
        self.env.update({"SCC_MQTT_TLS_PORT": "", "SCC_DATABASE_URL": self.db_url})
        self.settings = load_settings(self.config_dir, self.data_dir, self.env)  # ports set at the broker's start
        units = [s.code for s in self.settings.skpd]
        self.passwords = {user: os.urandom(12).hex() for user in accounts(units)}
        self.env.update({password_env(user): pw for user, pw in self.passwords.items()})
        os.environ.update({password_env(user): pw for user, pw in self.passwords.items()})  # write_config reads them
        # The broker as `scc run` starts it: `python -m streams.metrics.broker`, which writes its own
        # configuration and reads Mosquitto's log for refusals (the `-c` it is given is not used).
        wrapper = self.dir / "broker.sh"
        wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m streams.metrics.broker\n")
        wrapper.chmod(0o755)
        self.broker = MosquittoBroker(configure=self._configure, binary=str(wrapper))
        self.ingest: subprocess.Popen[bytes] | None = None
        self.engine = open_storage(self.db_url)

    def _configure(self, port: int) -> Path:
        self.env["SCC_MQTT_PORT"] = str(port)
        os.environ.update(self.env)  # the broker process reads its port and data directory from there
        os.environ["PYTHONPATH"] = str(ROOT)
        self.settings = load_settings(self.config_dir, self.data_dir, self.env)
        return write_config(self.settings, self.data_dir / "broker")

    @property
    def port(self) -> int:
        return self.broker.port

    def start_ingest(self) -> None:
        log = open(self.dir / "ingest.log", "ab")  # noqa: SIM115  (the child's output, for its whole life)
        self.ingest = subprocess.Popen(
            [sys.executable, "-m", "streams.metrics.ingest"], env=self.env, cwd=ROOT, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 30
        while "connected to the broker" not in (self.dir / "ingest.log").read_text():
            if time.monotonic() > deadline or self.ingest.poll() is not None:
                raise RuntimeError("ingest did not connect:\n" + (self.dir / "ingest.log").read_text()[-2000:])
            time.sleep(0.05)

    def stop_ingest(self, sig: int = signal.SIGTERM) -> None:
        assert self.ingest is not None
        self.ingest.send_signal(sig)
        self.ingest.wait(timeout=60)
        self.ingest = None

    def rows(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.coalesce(func.max(metric_samples.c.id), 0))).scalar_one()

    def wait_rows(self, target: int, timeout: float) -> float:
        """Seconds until `target` rows are committed (polled every 50 ms)."""
        start = time.monotonic()
        while self.rows() < target:
            if time.monotonic() - start > timeout:
                raise RuntimeError(f"only {self.rows()} of {target} rows after {timeout:.0f} s")
            time.sleep(0.05)
        return time.monotonic() - start

    def rejections(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(rejected_messages)).scalar_one()

    def close(self) -> None:
        if self.ingest is not None:
            self.ingest.kill()
        self.broker.close()
        self.engine.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)


def unit_values(settings, unit: str) -> dict[str, float]:
    """Every metric of the unit's catalog it sends itself (not those the command center counts), inside
    its range."""
    return {m.key: round((m.min + m.max) / 2, 1) for m in settings.metrics if m.skpd == unit and m.from_calls is None}


def write_lines(
    path: Path,
    unit: str,
    values: dict[str, float],
    n: int,
    prefix: str,
    ts: float | None = None,
    every_s: float = 0.001,
) -> None:
    """`n` messages of `unit`, the k-th at `ts` + k * `every_s`: a sample is one per unit, metric and time,
    so each message needs its own time to be a new sample rather than a correction. With no `ts` they end
    now, so that no later reading of the run (the nominal load) lands on one of their times."""
    first = time.time() - n * every_s if ts is None else ts
    with path.open("w") as out:
        for k in range(n):
            message = contract.message(values, ts=first + k * every_s, message_id=f"{prefix}-{unit}-{k}")
            out.write(json.dumps(message) + "\n")


def publish_files(rig: Rig, files: dict[str, Path]) -> list[subprocess.Popen[bytes]]:
    """One `mosquitto_pub -l` per unit, signed in as that unit; returns at once."""
    return [
        subprocess.Popen(
            [
                "mosquitto_pub",
                "-h",
                HOST,
                "-p",
                str(rig.port),
                "-q",
                "1",
                "-u",
                unit,
                "-P",
                rig.passwords[unit],
                "-t",
                contract.topic(unit, "telemetry"),
                "-l",
            ],
            stdin=path.open("rb"),
        )
        for unit, path in files.items()
    ]


def floor_subscriber(port: int, password: str, n: int, session: str, ready: Path) -> None:
    """The bare loop: receive and acknowledge (paho's auto-ack), count, nothing else.

    Signed in as the admin account: the broker names every client after its account, so signed in
    as ingest it would take ingest's own session. `session`: "none" keeps none (nothing is queued for
    it afterwards, which would load the broker while ingest is measured), "start" starts one that is
    kept, "resume" takes up the kept one with what was queued for it meanwhile."""
    got = 0
    done = threading.Event()

    def on_message(_c, _u, _m) -> None:
        nonlocal got
        got += 1
        if got >= n:
            done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=ADMIN_USER, protocol=mqtt.MQTTv5)
    client.username_pw_set(ADMIN_USER, password)
    client.on_message = on_message
    client.on_connect = lambda c, *_: (c.subscribe(f"{contract.PREFIX}/+/telemetry", qos=1), ready.touch())
    props = _session_properties()
    if session == "none":
        props.SessionExpiryInterval = 0
    client.connect(HOST, port, clean_start=session != "resume", properties=props)
    client.loop_start()
    done.wait(600)
    client.disconnect()
    client.loop_stop()


def _session_properties():
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 20000
    return props


def run_floor(rig: Rig, n: int, files: dict[str, Path] | None, session: str) -> float:
    """Seconds for the bare loop to receive `n` messages: fresh publishers (files), or a queued backlog (None)."""
    ready = rig.dir / "floor.ready"
    ready.unlink(missing_ok=True)
    sub = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--floor-subscriber",
            str(rig.port),
            rig.passwords[ADMIN_USER],
            str(n),
            session,
            str(ready),
        ],
        env=rig.env,
    )
    while not ready.exists():
        time.sleep(0.02)
    start = time.monotonic()
    publishers = publish_files(rig, files) if files else []
    sub.wait(timeout=600)
    elapsed = time.monotonic() - start
    for p in publishers:
        p.wait()
    return elapsed


def bulk_insert_floor(rows: list[dict]) -> float:
    """Rows per second of a bare SQLAlchemy Core executemany into a fresh SQLite file (1,000-row batches)."""
    path = Path(tempfile.mkdtemp()) / "floor.db"
    engine = open_storage(f"sqlite:///{path}")
    start = time.perf_counter()
    for i in range(0, len(rows), 1000):
        with engine.begin() as conn:
            conn.execute(insert(metric_samples), rows[i : i + 1000])
    elapsed = time.perf_counter() - start
    engine.dispose()
    shutil.rmtree(path.parent, ignore_errors=True)
    return len(rows) / elapsed


def nominal_latency(
    rig: Rig, seconds: float, prefix: str = "nominal", hostile: str | None = None
) -> tuple[list[float], int]:
    """38 units each publishing their figures every 10 s (QoS 1, its own connection); publish -> committed, ms.

    With `hostile`, that unit also sends a poison message every POISON_EVERY_S; how many, second."""
    units = [s.code for s in rig.settings.skpd]
    seen: list[float] = []
    stop = threading.Event()
    start_id = rig.rows()

    def watch() -> None:  # when each row becomes visible in storage, against the time the unit published it
        last = start_id
        engine = create_engine(rig.db_url)
        while not stop.is_set():
            now = time.time()
            with engine.connect() as conn:
                new = conn.execute(
                    select(metric_samples.c.id, metric_samples.c.message_id).where(metric_samples.c.id > last)
                ).all()
            for row in new:
                last = max(last, row.id)
                if row.message_id in sent:
                    seen.append((now - sent.pop(row.message_id)) * 1000)
            time.sleep(0.01)
        engine.dispose()

    sent: dict[str, float] = {}
    clients = []
    for unit in units:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{prefix}-{unit}", protocol=mqtt.MQTTv5)
        client.username_pw_set(unit, rig.passwords[unit])
        client.connect(HOST, rig.port)
        # No loop thread per client: 38 of them fighting for the GIL delayed each publish by ~130 ms here,
        # which measured the harness, not ingest. Publishing writes at once; PUBACKs are read below.
        clients.append((unit, client, unit_values(rig.settings, unit), random.uniform(0, 10)))
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    began = time.monotonic()
    rounds = poisoned = 0
    hostile_client = next((client for unit, client, _, _ in clients if unit == hostile), None)
    while time.monotonic() - began < seconds:
        for unit, client, values, phase in clients:
            due = began + rounds * 10 + phase
            while time.monotonic() < due:
                for _, other, _, _ in clients:
                    other.loop(timeout=0)
                if hostile_client is not None and time.monotonic() >= began + poisoned * POISON_EVERY_S:
                    poison(rig, hostile_client, hostile or "", poisoned)
                    poisoned += 1
                time.sleep(0.002)
            message = contract.message(values, message_id=f"{prefix}-{unit}-{rounds}")
            sent[message["id"]] = time.time()
            client.publish(contract.topic(unit, "telemetry"), contract.encode(message), qos=1)
        rounds += 1
    for _ in range(200):
        for _, client, _, _ in clients:
            client.loop(timeout=0)
        time.sleep(0.01)
    stop.set()
    watcher.join()
    for _, client, _, _ in clients:
        client.disconnect()
    if sent:
        raise RuntimeError(f"{len(sent)} nominal messages never reached storage: {sorted(sent)[:10]}")
    with rig.engine.connect() as conn:
        stamps = conn.execute(
            select(metric_samples.c.ts, metric_samples.c.received_at).where(
                metric_samples.c.message_id.like(f"{prefix}-%")
            )
        ).all()
    batched = [(r.received_at - r.ts).total_seconds() * 1000 for r in stamps]
    say(
        f"  message time -> its batch's received_at: p50 {percentile(batched, 50):.0f} ms, "
        f"p95 {percentile(batched, 95):.0f} ms"
    )
    return seen, poisoned


# What a hostile or broken unit sends during the poison phase, one every POISON_EVERY_S, in turn: numbers
# past a float, text no database takes as it is, nesting past the encoder, and a message the database
# itself refuses (a trigger), which ingest tries three times and then parks.
BIG = "9" * 400
POISONS = [
    '{"id":"p-%d","ts":%d,"values":{"service_up":' + BIG + "}}",
    '{"id":"p-%d","ts":' + BIG + ',"values":{"service_up":1}}',
    '[{"id":"p-%d\\ud800\\u0000","ts":%d,"values":{"x":1}}]',
    '[{"id":"p-%d","ts":%d,"values":' + "[" * 900 + "]" * 900 + "}]",
    '{"id":"refused-%d","ts":%d,"values":{"service_up":1}}',
]
POISON_EVERY_S = 0.5


def refuse_in_storage(rig: Rig) -> None:
    with rig.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON metric_samples WHEN NEW.message_id LIKE 'refused-%' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the benchmark'); END"
        )


def poison(rig: Rig, client: mqtt.Client, unit: str, k: int) -> None:
    """The k-th poison message, published by `unit`'s own connection (a unit account has one client id)."""
    template = POISONS[k % len(POISONS)]
    payload = template % ((k, int(time.time() * 1000)) if template.count("%d") == 2 else (k,))
    client.publish(contract.topic(unit, "telemetry"), payload.encode(), qos=1)


def watch_health(rig: Rig, stop: threading.Event, seen: list[str]) -> None:
    """Ingest's health as /healthz would read it, every 0.5 s until `stop`."""
    while not stop.wait(0.5):
        seen.append({c.name: c.status for c in health.read_all(rig.engine)}.get("metrics-ingest", "none"))


def count_check(rig: Rig, expected_ids: int) -> tuple[int, int]:
    """(lost, duplicates) over everything sent in the run."""
    with rig.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(metric_samples)).scalar_one()
        keys = conn.execute(
            select(func.count()).select_from(
                select(metric_samples.c.skpd_code, metric_samples.c.message_id, metric_samples.c.metric_key)
                .distinct()
                .subquery()
            )
        ).scalar_one()
        ids = conn.execute(
            select(func.count()).select_from(
                select(metric_samples.c.skpd_code, metric_samples.c.message_id).distinct().subquery()
            )
        ).scalar_one()
    return expected_ids - ids, rows - keys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000, help="for the throughput run")
    parser.add_argument("--nominal-s", type=float, default=60)
    parser.add_argument("--backlog-units", type=int, default=38)
    parser.add_argument("--backlog-per-unit", type=int, default=3600)
    parser.add_argument("--one-value", action="store_true", help="throughput messages carry one value, not a catalog")
    parser.add_argument("--floor-subscriber", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_subscriber:
        port, password, n, session, ready = args.floor_subscriber
        floor_subscriber(int(port), password, int(n), session, Path(ready))
        return 0

    rig = Rig()
    try:
        rig.broker.start()
        say(f"broker on {HOST}:{rig.port} with our configuration; data in {rig.dir}")
        loaders = ["dpmptsp", "rsud"]  # two publishing units, each with its full catalog in every message
        values = {u: {"service_up": 1.0} if args.one_value else unit_values(rig.settings, u) for u in loaders}
        per_message = sum(len(v) for v in values.values()) / len(values)
        n = args.messages
        files = {}
        for unit in loaders:
            files[unit] = rig.dir / f"load-{unit}.jsonl"
            write_lines(files[unit], unit, values[unit], n // len(loaders), "load")
        expected_ids = n

        say(f"floor: bare paho subscriber, {n} messages from {len(loaders)} mosquitto_pub processes")
        floor_s = run_floor(rig, n, files, session="none")
        floor_rate = n / floor_s

        say("throughput: ingest process, same load")
        rig.start_ingest()
        start = time.monotonic()
        publishers = publish_files(rig, files)
        rig.wait_rows(int(n * per_message), timeout=300)
        ours_s = time.monotonic() - start
        for p in publishers:
            p.wait()
        rate = n / ours_s
        say(f"  ours {rate:,.0f} msg/s ({rate * per_message:,.0f} rows/s); floor {floor_rate:,.0f} msg/s")

        say(f"nominal load for {args.nominal_s:.0f} s: 38 units every 10 s")
        latencies, _ = nominal_latency(rig, args.nominal_s)
        expected_ids += len(latencies)
        p95 = percentile(latencies, 95)
        say(f"  publish -> committed p50 {percentile(latencies, 50):.0f} ms, p95 {p95:.0f} ms ({len(latencies)})")

        say(f"the same nominal load for {args.nominal_s:.0f} s, with a hostile unit sending poison twice a second")
        refuse_in_storage(rig)
        rejected_before = rig.rejections()
        stop_watch, health_seen = threading.Event(), []
        watcher = threading.Thread(target=watch_health, args=(rig, stop_watch, health_seen), daemon=True)
        watcher.start()
        poison_latencies, poisoned = nominal_latency(rig, args.nominal_s, prefix="poisoned", hostile="dpmptsp")
        expected_ids += len(poison_latencies)
        poison_p95 = percentile(poison_latencies, 95)
        deadline = time.monotonic() + 30  # the last refused message is parked after three tries
        while rig.rejections() - rejected_before < poisoned and time.monotonic() < deadline:
            time.sleep(0.2)
        stop_watch.set()
        watcher.join()
        kept = rig.rejections() - rejected_before
        not_up = sum(status != "up" for status in health_seen)
        say(
            f"  publish -> committed p95 {poison_p95:.0f} ms beside {poisoned} poison messages "
            f"({kept} kept with their reason); ingest's health not up in {not_up} of {len(health_seen)} readings"
        )

        units = [s.code for s in rig.settings.skpd][: args.backlog_units]
        backlog_n = len(units) * args.backlog_per_unit
        say(f"backlog: ingest stopped, {backlog_n} messages queued by the broker ({len(units)} units)")
        backlog_files = {}
        hour_ago = time.time() - 3600
        for unit in units:
            backlog_files[unit] = rig.dir / f"backlog-{unit}.jsonl"
            write_lines(backlog_files[unit], unit, {"service_up": 1}, args.backlog_per_unit, "backlog", hour_ago, 1.0)
        rig.stop_ingest()
        before = rig.rows()
        for p in publish_files(rig, backlog_files):
            p.wait()
        expected_ids += backlog_n
        start = time.monotonic()
        rig.start_ingest()
        rig.wait_rows(before + backlog_n, timeout=600)
        drain_s = time.monotonic() - start
        say(f"  drained in {drain_s:.1f} s ({backlog_n / drain_s:,.0f} msg/s)")

        say("floor: the bare loop drains the same backlog")
        rig.stop_ingest()
        floor_backlog = {u: rig.dir / f"floor-backlog-{u}.jsonl" for u in units}
        for unit in units:
            # The hour before the first backlog's: ingest's session queues these too, and the same times
            # would be corrections of the first backlog's readings, not new ones.
            earlier = hour_ago - args.backlog_per_unit
            write_lines(floor_backlog[unit], unit, {"service_up": 1}, args.backlog_per_unit, "fb", earlier, 1.0)
        # A new persistent session for the floor, created (subscribed) before the backlog is queued.
        run_floor(rig, 1, {units[0]: _one_line(rig, units[0])}, session="start")
        for p in publish_files(rig, floor_backlog):
            p.wait()
        floor_drain_s = run_floor(rig, backlog_n, None, session="resume")
        say(f"  bare loop drained in {floor_drain_s:.1f} s")
        # ingest's own session also queued that backlog: let it store it, and count it
        rig.start_ingest()
        expected_ids += backlog_n + 1
        rig.wait_rows(rig.rows() + 1, timeout=30)
        time.sleep(1)
        deadline = time.monotonic() + 300
        while count_check(rig, expected_ids)[0] > 0 and time.monotonic() < deadline:
            time.sleep(0.5)

        say("fault: ingest killed with SIGKILL in the middle of 20,000 messages, then restarted")
        fault = {loaders[0]: rig.dir / "fault.jsonl"}
        # Two hours back: the nominal load of a minute ago sent this unit's readings at times of its own.
        write_lines(fault[loaders[0]], loaders[0], values[loaders[0]], 20_000, "fault", time.time() - 7200)
        expected_ids += 20_000
        target = rig.rows() + int(5000 * per_message)
        publishers = publish_files(rig, fault)
        rig.wait_rows(target, timeout=120)
        rig.stop_ingest(signal.SIGKILL)
        for p in publishers:
            p.wait()
        rig.start_ingest()
        deadline = time.monotonic() + 120
        while count_check(rig, expected_ids)[0] > 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        lost, duplicates = count_check(rig, expected_ids)
        say(f"  lost {lost}, duplicates {duplicates} over {expected_ids} messages in the whole run")

        sample_rows = [
            dict(
                skpd_code="dpmptsp",
                metric_key=f"k{k % 7}",
                ts=datetime.now(UTC),
                value=1.0,
                message_id=f"f{k}",
                received_at=datetime.now(UTC),
                source="mqtt",
            )
            for k in range(50_000)
        ]
        insert_floor = bulk_insert_floor(sample_rows)
        result = {
            "bench": "ingest",
            "msgs_per_s": round(rate),
            "rows_per_s": round(rate * per_message),
            "values_per_msg": round(per_message, 1),
            "floor_bare_loop_msgs_per_s": round(floor_rate),
            "msgs_per_s_ratio": round(rate / floor_rate, 2),
            "floor_bulk_insert_rows_per_s": round(insert_floor),
            "rows_per_s_ratio": round(rate * per_message / insert_floor, 2),
            "e2e_p50_ms": round(percentile(latencies, 50), 1),
            "e2e_p95_ms": round(p95, 1),
            "nominal_messages": len(latencies),
            "poisoned_e2e_p95_ms": round(poison_p95, 1),
            "poisoned_e2e_p95_ratio": round(poison_p95 / p95, 2),
            "poison_sent": poisoned,
            "poison_kept": kept,
            "poison_health_not_up": not_up,
            "backlog_messages": backlog_n,
            "backlog_drain_s": round(drain_s, 2),
            "floor_backlog_drain_s": round(floor_drain_s, 2),
            "backlog_drain_ratio": round(drain_s / floor_drain_s, 2),
            "lost": lost,
            "duplicates": duplicates,
            "messages_total": expected_ids,
        }
    finally:
        rig.close()
    print(json.dumps(result))
    return 0


def _one_line(rig: Rig, unit: str) -> Path:
    path = rig.dir / "one.jsonl"
    write_lines(path, unit, {"service_up": 1}, 1, "warm")
    return path


if __name__ == "__main__":
    sys.exit(main())
