"""The edge check of every metrics message: each case of the contract, then fuzzing with hypothesis."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from scc.clock import WITA
from scc.settings import load_settings
from scc.storage import open_storage
from scc.storage.metrics import metric_samples, rejected_messages
from streams.agent import contract
from streams.metrics import intake, store
from streams.metrics.validate import Catalog, check

SETTINGS = load_settings()
CATALOG = Catalog.from_settings(SETTINGS)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MS = int(NOW.timestamp() * 1000)
TOPIC = "scc/v1/skpd/dpmptsp/telemetry"


def run(payload: object, topic: str = TOPIC):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return check(CATALOG, topic, raw, NOW)


def reason(payload: object, topic: str = TOPIC) -> str:
    outcome = run(payload, topic)
    assert not outcome.samples, outcome.samples
    assert len(outcome.rejections) == 1
    return outcome.rejections[0].reason


def test_a_good_message_becomes_one_sample_per_value():
    outcome = run({"id": "m1", "ts": MS, "values": {"laside_permits_received": 12, "service_up": 1}})
    assert not outcome.rejections
    assert {(s.metric_key, s.value, s.message_id, s.ts) for s in outcome.samples} == {
        ("laside_permits_received", 12.0, "m1", NOW),
        ("service_up", 1.0, "m1", NOW),
    }


def test_iso_time_with_offset_is_read_in_utc():
    outcome = run({"id": "m1", "ts": "2026-11-23T10:00:00+08:00", "values": {"service_up": 1}})
    assert outcome.samples[0].ts == NOW


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"id": "m", "ts": MS, "values": {"nope": 1}}, "unknown metric 'nope'"),
        ({"id": "m", "ts": MS, "values": {"rsud_bed_occupancy": 1}}, "unknown metric 'rsud_bed_occupancy'"),
        ({"id": "m", "ts": MS, "values": {"service_up": True}}, "is not a number"),
        ({"id": "m", "ts": MS, "values": {"service_up": "1"}}, "is not a number"),
        ({"id": "m", "ts": MS, "values": {"service_up": 2}}, "outside 0..1"),
        ({"id": "m", "ts": MS, "values": {"laside_permits_received": -1}}, "outside 0..5000"),
        ({"id": "m", "ts": MS + 3_600_000, "values": {"service_up": 1}}, "in the future"),
        ({"id": "m", "ts": MS - 15 * 86_400_000, "values": {"service_up": 1}}, "older than 14 days"),
        ({"id": "m", "ts": "2026-11-23T10:00:00", "values": {"service_up": 1}}, "no UTC offset"),
        ({"id": "m", "ts": True, "values": {"service_up": 1}}, "not true/false"),
        ({"id": "m", "ts": MS, "values": {}}, "at least 1 item"),
        ({"ts": MS, "values": {"service_up": 1}}, "id: required field is missing"),
        ({"id": "", "ts": MS, "values": {"service_up": 1}}, "id:"),
        ({"id": "m", "ts": MS, "values": {"service_up": 1}, "extra": 1}, "extra: unknown field"),
        ([], "non-empty array"),
        ("text", "expected a JSON object"),
        (b"{not json", "not JSON"),
        (b'{"id": "m", "ts": 1, "values": {"service_up": NaN}}', "NaN is not a number"),
        (b'{"id": "m", "ts": 1, "values": {"service_up": Infinity}}', "Infinity is not a number"),
        (b'{"id": "m", "ts": 1, "values": {"service_up": 1e999}}', "not a finite number"),
    ],
)
def test_each_kind_of_bad_message_is_rejected_with_its_reason(payload, expected):
    assert expected in reason(payload)


def test_a_payload_over_the_limit_is_rejected_and_kept_whole():
    big = {"id": "m", "ts": MS, "values": {"service_up": 1}, "pad": "x" * CATALOG.max_payload_bytes}
    outcome = run(big)
    assert "over the limit" in outcome.rejections[0].reason
    assert json.loads(outcome.rejections[0].payload) == big


def test_unknown_units_and_foreign_topics_are_rejected():
    assert reason({"id": "m", "ts": MS, "values": {"service_up": 1}}, "scc/v1/skpd/atlantis/telemetry") == (
        "unknown unit 'atlantis'"
    )
    assert "not a topic" in reason(b"{}", "scc/v2/skpd/dpmptsp/telemetry")
    assert "do not publish" in reason(b"{}", "scc/v1/skpd/dpmptsp/errors")


def test_status_topic_gives_availability():
    assert run(b"online", "scc/v1/skpd/dinkes/status").availability.online is True
    assert run(b"offline", "scc/v1/skpd/dinkes/status").availability.online is False
    assert "online" in reason(b"maybe", "scc/v1/skpd/dinkes/status")


def test_in_a_backlog_array_each_message_stands_alone():
    good = {"id": "a", "ts": MS, "values": {"service_up": 1}}
    bad = {"id": "b", "ts": MS, "values": {"service_up": 7}}
    outcome = run([good, bad])
    assert [s.message_id for s in outcome.samples] == ["a"]
    assert [(r.message_id, json.loads(r.payload)) for r in outcome.rejections] == [("b", bad)]


# --- fuzzing: whatever arrives, check() answers, and every rejection carries a reason -------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
# Integers past a float (10**309 and beyond): json.loads reads them as Python ints of any size.
BIG_INTS = st.integers(min_value=10**300, max_value=10**4000) | st.integers(min_value=-(10**4000), max_value=-(10**300))
KEYS = st.sampled_from(["service_up", "website_up", "laside_permits_received", "nope", ""]) | st.text(max_size=12)
NEAR_MESSAGES = st.fixed_dictionaries(
    {
        "id": st.text(min_size=0, max_size=140) | st.integers() | BIG_INTS,
        "ts": st.integers(min_value=-(2**70), max_value=2**70)
        | BIG_INTS
        | st.floats()
        | st.text(max_size=30)
        | st.just(MS),
        "values": st.dictionaries(
            KEYS, st.floats() | st.integers() | BIG_INTS | st.booleans() | st.text(max_size=3), max_size=5
        ),
    },
    optional={"extra": JSON},
)
PAYLOADS = (
    st.binary(max_size=300)
    | JSON.map(lambda v: json.dumps(v).encode())
    | NEAR_MESSAGES.map(lambda v: json.dumps(v).encode())  # NaN and Infinity included: json.dumps writes them
    | st.lists(NEAR_MESSAGES, min_size=1, max_size=4).map(lambda v: json.dumps(v).encode())
)
TOPICS = st.sampled_from([TOPIC, "scc/v1/skpd/dinkes/status", "scc/v1/skpd/nowhere/telemetry", "x/y"]) | st.text(
    max_size=40
)


@settings(max_examples=400, deadline=None)
@given(topic=TOPICS, payload=PAYLOADS)
def test_fuzzed_messages_never_raise_and_every_rejection_has_a_reason(topic, payload):
    outcome = check(CATALOG, topic, payload, NOW)
    for rejection in outcome.rejections:
        assert rejection.reason.strip()
        # Kept as it came where a database can store it as it is; written out as escapes where not.
        if "\x00" not in topic and topic.encode(errors="ignore").decode() == topic and len(topic) <= 256:
            assert rejection.topic == topic
        for kept in (rejection.topic, rejection.payload, rejection.reason, rejection.message_id or ""):
            assert "\x00" not in kept
            kept.encode()  # no lone surrogate
    for sample in outcome.samples:
        low, high = CATALOG.ranges[(sample.skpd_code, sample.metric_key)]
        assert low <= sample.value <= high and math.isfinite(sample.value)
        assert NOW - CATALOG.max_past <= sample.ts <= NOW + CATALOG.max_future
    assert outcome.samples or outcome.rejections or outcome.availability


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory):
    engine = open_storage(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'scc.db'}")
    yield engine
    engine.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(topic=TOPICS, payload=PAYLOADS)
def test_fuzzed_rejections_are_all_stored(fuzz_engine, topic, payload):
    outcome = check(CATALOG, topic, payload, NOW)
    with fuzz_engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(rejected_messages)).scalar_one()
    store.write(fuzz_engine, store.Batch(outcome.samples, outcome.rejections, []), NOW)
    with fuzz_engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(rejected_messages)).scalar_one()
        digests = {r.digest for r in outcome.rejections}
        kept = conn.execute(select(func.count()).where(rejected_messages.c.digest.in_(digests))).scalar_one()
    assert kept == len(digests)  # every rejection is in storage (a repeat of an earlier one is kept once)
    assert after - before <= len(digests)


CSV_CELLS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["service_up", "laside_permits_issued", "1", "0", "1,5", "12.5", "23/11/2026 08.00", "2026-11-23 08:00", ""]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.sampled_from(["metric,value,ts", "kunci;nilai;waktu", "metric,value", "a,b", ""]),
    rows=st.lists(st.lists(CSV_CELLS, min_size=0, max_size=4), max_size=8),
    junk=st.binary(max_size=20),
)
def test_fuzzed_csv_uploads_keep_good_rows_and_report_every_bad_one(fuzz_engine, header, rows, junk):
    delimiter = ";" if ";" in header else ","
    data = "\n".join([header, *(delimiter.join(r) for r in rows)]).encode() + (junk if len(rows) % 2 else b"")
    with fuzz_engine.connect() as conn:
        samples_before = conn.execute(select(func.count()).select_from(metric_samples)).scalar_one()
    report = intake.submit_csv(fuzz_engine, SETTINGS, "dpmptsp", data, actor="fuzz")
    with fuzz_engine.connect() as conn:
        samples_after = conn.execute(select(func.count()).select_from(metric_samples)).scalar_one()
    assert samples_after - samples_before <= report.stored
    assert all(problem.strip() for problem in report.problems)
    assert report.stored + len(report.problems) >= 1  # an empty file is a problem too, never silence


def test_csv_upload_keeps_good_rows_and_names_bad_lines(tmp_path):
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    # Yesterday in Soppeng: the upload is checked against the real clock, which only takes recent times.
    day = (datetime.now(WITA) - timedelta(days=1)).date()
    data = (
        "kunci;nilai;waktu\n"
        f"laside_permits_issued;1.234,0;{day:%d/%m/%Y} 08.00\n"
        "laside_permits_issued;banyak;\n"
        "bukan_kunci;1;\n"
        f"service_up;1;{day:%Y-%m-%d} 09:00\n"
    ).encode()
    report = intake.submit_csv(engine, SETTINGS, "dpmptsp", data, actor="petugas")
    assert report.stored == 2
    assert report.problems == [
        "line 3: value 'banyak' is not a number",
        "line 4: unknown metric 'bukan_kunci'" + " for unit 'dpmptsp'",
    ]
    again = intake.submit_csv(engine, SETTINGS, "dpmptsp", data, actor="petugas")
    with engine.connect() as conn:
        rows = conn.execute(select(metric_samples.c.metric_key, metric_samples.c.value, metric_samples.c.ts)).all()
        reasons = conn.execute(select(rejected_messages.c.reason, rejected_messages.c.source)).all()
    assert (again.stored, again.unchanged) == (0, 2)  # validated again, stored once: same file, same message ids
    wita_8am = datetime(day.year, day.month, day.day, 8, tzinfo=WITA).astimezone(UTC)
    assert sorted(rows) == [
        ("laside_permits_issued", 1234.0, wita_8am),
        ("service_up", 1.0, wita_8am + timedelta(hours=1)),
    ]
    assert ("line 3: value 'banyak' is not a number", "csv") in reasons


@pytest.mark.parametrize(
    ("cell", "delimiter", "value"),
    [
        ("1.250", ";", 1250.0),
        ("1.234,5", ";", 1234.5),
        ("12,5", ";", 12.5),
        ("12.5", ";", 12.5),
        ("1.250", ",", 1.25),
        ("1250", ",", 1250.0),
    ],
)
def test_csv_numbers_as_indonesian_spreadsheets_write_them(tmp_path, cell, delimiter, value):
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    data = f'metric{delimiter}value\nlaside_permits_issued{delimiter}"{cell}"\n'.encode()
    assert intake.submit_csv(engine, SETTINGS, "dpmptsp", data, actor="petugas").stored == 1
    with engine.connect() as conn:
        assert conn.execute(select(metric_samples.c.value)).scalar_one() == value


def test_the_web_form_takes_the_same_checks(tmp_path):
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    ok = intake.submit_values(engine, SETTINGS, "dpmptsp", {"laside_permits_issued": 9}, actor="petugas")
    bad = intake.submit_values(engine, SETTINGS, "dpmptsp", {"laside_permits_issued": -9}, actor="petugas")
    assert (ok.stored, ok.problems) == (1, [])
    assert bad.stored == 0 and "outside" in bad.problems[0]
    with pytest.raises(ValueError):
        intake.submit_values(engine, SETTINGS, "atlantis", {"service_up": 1}, actor="petugas")
    assert contract.topic("dpmptsp", "telemetry") == TOPIC
