"""Reading Mosquitto's log: lines as Mosquitto 2.0.11 wrote them here, with `log_type all`.

The real broker and real clients are in test_broker_process.py; these pin down each line's reading,
including those the real tests cannot provoke on demand (interleaved connections, a long line).
"""

from __future__ import annotations

from datetime import UTC, datetime

from scc import refusals
from streams.metrics.mosquitto_log import MAX_LINE, BrokerLog

T = datetime(2026, 12, 6, 7, 36, 19, tzinfo=UTC)

SESSION = b"""\
2026-12-06T07:36:18: mosquitto version 2.0.11 running
2026-12-06T07:36:19: New connection from 127.0.0.1:59970 on port 18830.
2026-12-06T07:36:19: New client connected from 127.0.0.1:59970 as unita (p2, c1, k60, u'unita').
2026-12-06T07:36:19: No will message specified.
2026-12-06T07:36:19: Sending CONNACK to unita (0, 0)
2026-12-06T07:36:19: Received PUBLISH from unita (d0, q1, r0, m1, 'scc/v1/skpd/unita/telemetry', ... (2 bytes))
2026-12-06T07:36:19: Sending PUBACK to unita (m1, rc0)
2026-12-06T07:36:19: Sending PUBLISH to scc-ingest (d0, q1, r0, m7, 'scc/v1/skpd/unita/telemetry', ... (2 bytes))
2026-12-06T07:36:19: Received PUBACK from scc-ingest (Mid: 7, RC:0)
2026-12-06T07:36:19: Denied PUBLISH from unita (d0, q1, r0, m2, 'scc/v1/skpd/unitb/telemetry', ... (1 bytes))
2026-12-06T07:36:19: Sending PUBACK to unita (m2, rc135)
2026-12-06T07:36:19: Received PINGREQ from unita
2026-12-06T07:36:19: Sending PINGRESP to unita
2026-12-06T07:36:19: Received SUBSCRIBE from unita
2026-12-06T07:36:19: \tscc/v1/skpd/unita/errors (QoS 1)
2026-12-06T07:36:19: unita 1 scc/v1/skpd/unita/errors
2026-12-06T07:36:19: unita 128 scc/v1/skpd/unitb/errors
2026-12-06T07:36:19: unita 135 it's/a topic with spaces
2026-12-06T07:36:19: Sending SUBACK to unita
2026-12-06T07:36:19: Received DISCONNECT from unita
2026-12-06T07:36:19: Client unita disconnected.
2026-12-06T07:36:20: New connection from 10.20.0.7:50176 on port 8883.
2026-12-06T07:36:20: Sending CONNACK to 10.20.0.7 (0, 5)
2026-12-06T07:36:20: Client <unknown> disconnected, not authorised.
2026-12-06T07:36:21: New connection from 127.0.0.1:58463 on port 18830.
2026-12-06T07:36:21: Sending CONNACK to 127.0.0.1 (0, 135)
2026-12-06T07:36:21: Client <unknown> disconnected, not authorised.
"""


def read(*chunks: bytes, clock=lambda: 100.0) -> tuple[bytes, list[refusals.Refusal]]:
    tally = refusals.Tally()
    log = BrokerLog(tally, now=lambda: T, clock=clock)
    passed = b"".join(log.feed(chunk) for chunk in chunks) + log.rest()
    return passed, sorted(tally.take(), key=lambda r: (r.kind, r.source))


def test_refusals_are_read_and_per_message_lines_are_not_passed_on():
    passed, found = read(SESSION)
    assert [(r.channel, r.kind, r.reason, r.account, r.source, r.detail, r.attempts) for r in found] == [
        ("broker", "publish", "acl", "unita", "", "scc/v1/skpd/unitb/telemetry", 1),
        ("broker", "signin", "not_authorised", "", "10.20.0.7", "port 8883", 1),
        ("broker", "signin", "not_authorised", "", "127.0.0.1", "port 18830", 1),
        ("broker", "subscribe", "acl", "unita", "", "it's/a topic with spaces", 2),
    ]
    lines = passed.decode().splitlines()
    assert not [line for line in lines if "PUBLISH to" in line or "PUBACK" in line or "PING" in line]
    assert not [line for line in lines if "Received PUBLISH" in line]
    assert len(lines) == len(SESSION.decode().splitlines()) - 7
    for kept in ("Denied PUBLISH from unita", "New client connected", "Sending CONNACK to 10.20.0.7", "running"):
        assert kept in passed.decode()


def test_a_line_split_across_reads_is_read_once_whole():
    cut = SESSION.index(b"unitb/telemetry") + 3
    passed, found = read(SESSION[:cut], SESSION[cut : cut + 1], SESSION[cut + 1 :])
    assert passed == read(SESSION)[0]
    assert [r.detail for r in found if r.kind == "publish"] == ["scc/v1/skpd/unitb/telemetry"]


def test_a_client_without_id_is_placed_by_the_only_address_waiting():
    """Mosquitto names the id it made up, not the address; the address is known only when unambiguous."""
    one = b"""\
T: New connection from 10.20.0.9:40001 on port 8883.
T: Sending CONNACK to auto-20B08147-9CBE-F09C-3B16-27BD5C901C6A (0, 5)
"""
    assert [(r.source, r.detail) for r in read(one)[1]] == [("10.20.0.9", "port 8883")]
    two = b"""\
T: New connection from 10.20.0.9:40001 on port 8883.
T: New connection from 10.20.0.10:40002 on port 8883.
T: Sending CONNACK to auto-20B08147-9CBE-F09C-3B16-27BD5C901C6A (0, 5)
"""
    assert [(r.source, r.detail) for r in read(two)[1]] == [("?", "")]


def test_connections_answered_or_long_gone_do_not_confuse_the_next_refusal():
    times = iter([0.0, 1.0, 50.0, 50.0])
    lines = b"""\
T: New connection from 10.20.0.9:40001 on port 8883.
T: New client connected from 10.20.0.9:40001 as dpmptsp (p5, c1, k60, u'dpmptsp').
T: New connection from 10.20.0.10:40002 on port 8883.
T: New connection from 10.20.0.11:40003 on port 1884.
T: Sending CONNACK to auto-1 (0, 135)
"""
    # 10.20.0.9 signed in; 10.20.0.10 connected 49 s before and never spoke: the refusal is 10.20.0.11's.
    assert [(r.source, r.detail) for r in read(lines, clock=lambda: next(times))[1]] == [("10.20.0.11", "port 1884")]


def test_accepted_sign_ins_and_granted_subscriptions_are_no_refusals():
    lines = b"""\
T: New connection from ::1:40022 on port 1884.
T: New client connected from ::1:40022 as scc-ingest (p5, c0, k60, u'scc-ingest').
T: Sending CONNACK to scc-ingest (1, 0)
T: scc-ingest 1 scc/v1/skpd/+/telemetry
T: scc-ingest 0 scc/v1/skpd/+/status
"""
    assert read(lines)[1] == []


def test_an_endless_line_is_passed_on_without_growing_memory():
    passed, _ = read(b"x" * (MAX_LINE + 1), b"tail\n")
    assert passed == b"x" * (MAX_LINE + 1) + b"tail\n"
