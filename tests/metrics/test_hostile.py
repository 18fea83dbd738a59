"""What a hostile or broken unit sends never stops ingest: the real broker, the real ingest process,
Debian's mosquitto_pub signed in as the unit.

Each case ends the same way: the bad message is kept with its reason, a good message from another
unit is still stored within the usual latency, the process is still running and its heartbeat
says up the whole time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from scc import health
from scc.storage import open_storage
from scc.storage.metrics import metric_latest, metric_samples, rejected_messages
from streams.agent import contract
from tests.support.procs import ChildProcess
from tests.support.services import MOSQUITTO_PUB

from .test_faults import ingest_env
from .test_ingest import wait_for

UNIT = "dpmptsp"  # the hostile one
OTHER = "dinkes"  # a unit that keeps working
LATENCY_S = 5.0  # a good message is stored well within this at rest (nominal p95 is a few hundred ms)


class IngestProcess:
    """`python -m streams.metrics.ingest` against the test broker and `url`, as `scc run` starts it."""

    def __init__(self, scc_broker, url: str, log: Path) -> None:
        self.scc_broker, self.url = scc_broker, url
        self.child = ChildProcess(log)

    def start(self) -> IngestProcess:
        self.child.launch([sys.executable, "-m", "streams.metrics.ingest"], ingest_env(self.scc_broker, self.url))
        wait_for(
            lambda: "connected to the broker" in self.child.log_text() or not self.child.alive(),
            what="ingest to connect",
        )
        assert self.child.alive(), self.child.log_text()[-3000:]
        return self

    def stop(self) -> None:
        self.child.stop()


class HealthWatch:
    """Reads ingest's health every 0.2 s from its first 'up' on; `downs` lists every other status seen."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.downs: list[str] = []
        self.seen_up = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HealthWatch:
        self._thread.start()
        assert self.seen_up.wait(20), "ingest never beat"
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            status = {c.name: c.status for c in health.read_all(self.engine)}.get("metrics-ingest")
            if status == "up":
                self.seen_up.set()
            elif self.seen_up.is_set():
                self.downs.append(str(status))


def mosquitto_pub(scc_broker, user: str, payload: bytes, *, retain: bool = False) -> None:
    argv = [MOSQUITTO_PUB, "-h", scc_broker.host, "-p", str(scc_broker.port), "-q", "1", "-u", user]
    argv += ["-P", scc_broker.password(user), "-t", contract.topic(user, contract.TELEMETRY), "-s"]
    if retain:
        argv.append("-r")
    done = subprocess.run(argv, input=payload, capture_output=True, timeout=20)
    assert done.returncode == 0, done.stderr.decode()


def good(message_id: str, value: int = 1) -> bytes:
    return contract.encode(contract.message({"service_up": value}, message_id=message_id))


def stored_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(metric_samples.c.message_id).distinct()))


def reasons(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(rejected_messages.c.reason).order_by(rejected_messages.c.id)))


def still_working(scc_broker, engine: Engine, ingest: IngestProcess, message_id: str) -> None:
    """A good message from another unit is stored within the usual latency, and ingest still runs."""
    started = time.monotonic()
    mosquitto_pub(scc_broker, OTHER, good(message_id))
    wait_for(lambda: message_id in stored_ids(engine), timeout=LATENCY_S, what=f"{message_id} from {OTHER}")
    assert time.monotonic() - started < LATENCY_S
    assert ingest.child.alive(), ingest.child.log_text()[-3000:]


BIG = "9" * 400
POISONS = {
    "value too large for a float": f'{{"id":"p1","ts":{{ts}},"values":{{"service_up":{BIG}}}}}',
    "ts too large for a float": f'{{"id":"p2","ts":{BIG},"values":{{"service_up":1}}}}',
    "the same in the array form": f'[{{"id":"p3","ts":{{ts}},"values":{{"service_up":-{BIG}}}}}]',
    "an id too large for a float": f'{{"id":{BIG},"ts":{{ts}},"values":{{"service_up":1}}}}',
    "a time before the first UTC day": '{"id":"p5","ts":"0001-01-01T00:00:00+01:00","values":{"service_up":1}}',
    "a lone surrogate and NUL in the id of an array item": '[{"id":"p6\\ud800\\u0000","ts":1,"values":{"x":1}}]',
    "nested past the JSON encoder's depth": '[{"id":"p7","ts":1,"values":' + "[" * 900 + "]" * 900 + "}]",
}


def test_numbers_beyond_a_float_and_other_poison_are_rejected_and_ingest_goes_on(scc_broker, storage, tmp_path):
    url, engine = storage
    ingest = IngestProcess(scc_broker, url, tmp_path / "ingest.log").start()
    try:
        with HealthWatch(engine) as watch:
            ts = str(int(time.time() * 1000))
            for k, (case, payload) in enumerate(POISONS.items()):
                mosquitto_pub(scc_broker, UNIT, payload.replace("{ts}", ts).encode())
                still_working(scc_broker, engine, ingest, f"after-{k}")
                assert len(reasons(engine)) == k + 1, f"{case}: {reasons(engine)}"
        assert not watch.downs, watch.downs
        kept = reasons(engine)
        assert "values: 'service_up': an integer of about 401 digits is not a finite number" in kept[0]
        assert "ts: ts an integer of about 401 digits is not a finite number" in kept[1]
        assert "out of range" in kept[4]
    finally:
        ingest.stop()


def test_a_retained_poison_does_not_kill_ingest_at_each_start(scc_broker, storage, tmp_path):
    url, engine = storage
    retained = f'{{"id":"r1","ts":{int(time.time() * 1000)},"values":{{"service_up":{BIG}}}}}'.encode()
    mosquitto_pub(scc_broker, UNIT, retained, retain=True)
    for start in range(2):  # the broker hands the retained message to every new subscription
        ingest = IngestProcess(scc_broker, url, tmp_path / "ingest.log").start()
        try:
            still_working(scc_broker, engine, ingest, f"start-{start}")
        finally:
            ingest.stop()
    assert reasons(engine) == ["values: 'service_up': an integer of about 401 digits is not a finite number"]


def refuse_in_storage(engine: Engine, message_id: str) -> None:
    """The database itself refuses one message (a trigger), as a constraint or a driver might."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON metric_samples "
                f"WHEN NEW.message_id = '{message_id}' BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
            )
        )


def test_a_message_storage_keeps_refusing_is_parked_and_acknowledged(scc_broker, storage, tmp_path):
    url, engine = storage
    refuse_in_storage(engine, "poison")
    log = tmp_path / "ingest.log"
    ingest = IngestProcess(scc_broker, url, log).start()
    try:
        with HealthWatch(engine) as watch:
            mosquitto_pub(scc_broker, UNIT, good("poison"))
            still_working(scc_broker, engine, ingest, "beside-the-poison")
            wait_for(lambda: any(r.startswith("parked:") for r in reasons(engine)), timeout=20, what="parking")
            still_working(scc_broker, engine, ingest, "after-parking")
        assert not watch.downs, watch.downs
        [parked] = reasons(engine)
        assert parked.startswith("parked: storage refused this message 3 times in a row")
        assert "refused by a test trigger" in parked
        with engine.connect() as conn:
            row = conn.execute(select(rejected_messages).where(rejected_messages.c.reason == parked)).one()
        assert row.skpd_code == UNIT and json.loads(row.payload)["id"] == "poison"  # kept whole
    finally:
        ingest.stop()
    # Acknowledged once parked: a new ingest on the same session is not handed it again.
    attempts = log.read_text().count("parked a message")
    ingest = IngestProcess(scc_broker, url, log).start()
    try:
        still_working(scc_broker, engine, ingest, "after-restart")
    finally:
        ingest.stop()
    assert log.read_text().count("parked a message") == attempts == 1
    assert "poison" not in stored_ids(engine)


def test_a_duplicate_that_is_not_stored_never_reaches_the_wall(scc_broker, storage, tmp_path):
    url, engine = storage
    ingest = IngestProcess(scc_broker, url, tmp_path / "ingest.log").start()
    try:
        start = int(time.time() * 1000) - 1000 * 1000
        lines = b"\n".join(
            json.dumps({"id": "same", "ts": start + k * 1000, "values": {"laside_permits_received": k}}).encode()
            for k in range(1000)
        )
        argv = [MOSQUITTO_PUB, "-h", scc_broker.host, "-p", str(scc_broker.port), "-q", "1", "-u", UNIT]
        argv += ["-P", scc_broker.password(UNIT), "-t", contract.topic(UNIT, contract.TELEMETRY), "-l"]
        assert subprocess.run(argv, input=lines, capture_output=True, timeout=60).returncode == 0
        still_working(scc_broker, engine, ingest, "after-duplicates")
        with engine.connect() as conn:
            stored = conn.execute(select(metric_samples.c.value).where(metric_samples.c.message_id == "same")).all()
            latest = conn.execute(
                select(metric_latest.c.value).where(
                    metric_latest.c.skpd_code == UNIT, metric_latest.c.metric_key == "laside_permits_received"
                )
            ).scalar_one()
        assert stored == [(0.0,)]  # the first one; the 999 others carry an id already stored
        assert latest == 0.0
    finally:
        ingest.stop()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_stuck_work_loop_goes_stale_and_comes_back(scc_broker, database_url, tmp_path):
    """The heartbeat is beaten by ingest's work loop: a commit that cannot finish (a lock held on
    the samples) stops it, and health says so instead of "up" over a process that stores nothing."""
    engine = open_storage(database_url)
    ingest = IngestProcess(scc_broker, database_url, tmp_path / "ingest.log").start()
    holder = engine.connect()
    try:
        with HealthWatch(engine) as watch:
            lock = holder.begin()
            holder.execute(text("LOCK TABLE metric_samples IN ACCESS EXCLUSIVE MODE"))
            mosquitto_pub(scc_broker, OTHER, good("behind-the-lock"))
            wait_for(lambda: "stale" in watch.downs, timeout=health.HEARTBEAT_MISSES * 5 + 15, what="stale")
            lock.rollback()
            wait_for(lambda: "behind-the-lock" in stored_ids(engine), timeout=LATENCY_S, what="the commit")
            wait_for(lambda: current_status(engine) == "up", timeout=10, what="up again")
        assert ingest.child.alive()
    finally:
        holder.close()
        ingest.stop()
        engine.dispose()


def current_status(engine: Engine) -> str | None:
    return {c.name: c.status for c in health.read_all(engine)}.get("metrics-ingest")
