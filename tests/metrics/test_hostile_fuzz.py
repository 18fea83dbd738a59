"""Generated hostile messages against the real ingest process: each is stored or kept with its
reason, and ingest goes on storing every other unit's figures.

Hypothesis builds the payloads as bytes, so that they can hold what a JSON library would never
write: integers of hundreds of digits, 1e999, NaN, nesting deeper than a parser goes, huge strings,
bytes that are not UTF-8, and the wrong types, in the value, the time, the id and the array form.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from scc.storage.metrics import metric_samples, rejected_messages
from streams.agent import contract
from streams.metrics.validate import Catalog, Outcome, check

from .test_hostile import UNIT, HealthWatch, IngestProcess, still_working

BIG_INTS = st.integers(min_value=10**300, max_value=10**4000) | st.integers(min_value=-(10**4000), max_value=-(10**300))
NUMBERS = st.one_of(
    BIG_INTS.map(lambda n: str(n).encode()),
    st.sampled_from([b"1e999", b"-1e999", b"NaN", b"Infinity", b"-Infinity", b"1e-999", b"9" * 5000, b"-0"]),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: json.dumps(f).encode()),
    st.integers(min_value=-(2**70), max_value=2**70).map(lambda n: str(n).encode()),
)
STRINGS = st.one_of(
    st.text(max_size=30).map(lambda s: json.dumps(s).encode()),  # lone surrogates and NUL as JSON escapes
    st.binary(max_size=30).map(lambda b: b'"' + b.replace(b'"', b"").replace(b"\\", b"") + b'"'),  # not UTF-8
    st.integers(min_value=1_000, max_value=300_000).map(lambda n: b'"' + b"x" * n + b'"'),  # huge
)
# Not between 400 and 1,600 levels: whether a parser gets through that deep depends on how deep its own
# caller already is (ingest's thread, this test under hypothesis), so there the two could disagree.
NESTED = (st.integers(min_value=1, max_value=400) | st.integers(min_value=1600, max_value=3000)).map(
    lambda depth: b"[" * depth + b"]" * depth
)
ODD = st.sampled_from([b"true", b"null", b"{}", b"[]", b'{"service_up": 1}'])
FIELD = NUMBERS | STRINGS | NESTED | ODD


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    now_ms = str(int(time.time() * 1000)).encode()
    message_id = draw(st.just(b'"m-%d"' % draw(st.integers(0, 10**9))) | FIELD)
    ts = draw(st.just(now_ms) | FIELD)
    value = draw(st.just(b"1") | FIELD)
    key = draw(st.sampled_from([b'"service_up"', b'"website_up"', b'"nope"']) | STRINGS)
    return b'{"id":%s,"ts":%s,"values":{%s:%s}}' % (message_id, ts, key, value)


PAYLOADS = st.one_of(
    messages(),
    st.lists(messages(), min_size=1, max_size=5).map(lambda items: b"[" + b",".join(items) + b"]"),
    st.binary(max_size=200),
)


def as_ingest_checks(catalog: Catalog, topic: str, payloads: list[bytes]) -> list[Outcome]:
    """What ingest makes of `payloads`: hypothesis raises the recursion limit while it runs a test, and a
    parser then reads nesting that ingest, with Python's own limit, refuses."""
    raised = sys.getrecursionlimit()
    sys.setrecursionlimit(PYTHON_RECURSION_LIMIT)
    try:
        return [check(catalog, topic, p, datetime.now(UTC)) for p in payloads]
    finally:
        sys.setrecursionlimit(raised)


PYTHON_RECURSION_LIMIT = 1000  # CPython's default, which the ingest process runs with


def test_generated_hostile_messages_are_each_stored_or_kept_and_ingest_goes_on(scc_broker, storage, tmp_path):
    url, engine = storage
    catalog = Catalog.from_settings(scc_broker.settings)
    topic = contract.topic(UNIT, contract.TELEMETRY)
    ingest = IngestProcess(scc_broker, url, tmp_path / "ingest.log").start()
    unit = scc_broker.connect(UNIT)
    rounds = iter(range(10**6))
    try:
        with HealthWatch(engine) as watch:
            # No shrinking and no example database: once a payload has stopped ingest, every later
            # round fails too, so the first failing round is the one that names the culprit.
            @settings(
                max_examples=25,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.generate],
                database=None,
            )
            @given(payloads=st.lists(PAYLOADS, min_size=1, max_size=6))
            def hostile_round(payloads: list[bytes]) -> None:
                unit.publish_many(topic, payloads)
                still_working(scc_broker, engine, ingest, f"round-{next(rounds)}")
                expected = as_ingest_checks(catalog, topic, payloads)
                digests = {r.digest for o in expected for r in o.rejections}
                ids = {s.message_id for o in expected for s in o.samples}
                with engine.connect() as conn:
                    kept = set(conn.scalars(select(rejected_messages.c.digest)))
                    stored = set(conn.scalars(select(metric_samples.c.message_id)))
                assert digests <= kept, "a rejection was not kept"
                assert ids <= stored, "an accepted message was not stored"

            hostile_round()
        assert not watch.downs, watch.downs
    finally:
        unit.close()
        ingest.stop()
