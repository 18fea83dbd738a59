"""Refusals in storage, on SQLite and PostgreSQL: counted per account, bounded, forgotten after 30 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scc import refusals
from scc.refusals import UNKNOWN, Tally, refusal

T0 = datetime(2026, 11, 23, 1, 5, 7, tzinfo=UTC)


def by_key(engine) -> dict[tuple[str, str, str, str], refusals.Refusal]:
    return {r.key: r for r in refusals.recent(engine, limit=10_000)}


def test_refusals_are_counts_per_channel_account_and_kind(engine):
    topic_b = "scc/v1/skpd/bpkd/telemetry"
    refusals.record(engine, [refusal("broker", "publish", "acl", "dpmptsp", "", topic_b, T0)], now=T0)
    later = [
        refusal("broker", "publish", "acl", "dpmptsp", "", "scc/v1/skpd/bpkd/status", T0 + timedelta(minutes=5)),
        refusal("web", "signin", "password", "operator", "10.20.0.7", at=T0 + timedelta(minutes=1)),
    ]
    refusals.record(engine, later, now=T0 + timedelta(minutes=5))
    # A write that arrives late (another web worker) counts, but does not roll the last time back.
    late = refusal("broker", "publish", "acl", "dpmptsp", "", topic_b, T0 + timedelta(minutes=2))
    refusals.record(engine, [late], now=T0 + timedelta(minutes=5))
    rows = by_key(engine)
    unit = rows[("broker", "dpmptsp", "publish", "")]
    assert (unit.attempts, unit.first_at, unit.last_at) == (3, T0, T0 + timedelta(minutes=5))
    assert (unit.reason, unit.detail) == ("acl", "scc/v1/skpd/bpkd/status")
    operator = rows[("web", "operator", "signin", "")]
    assert (operator.attempts, operator.detail) == (1, "10.20.0.7")
    assert next(r.key for r in refusals.recent(engine)) == unit.key  # the most recent first


def test_made_up_names_add_no_rows_one_per_address(engine):
    names = [f"guess-{i}-" + "x" * 60 for i in range(300)]
    refusals.record(
        engine,
        [refusal("web", "signin", "unknown_account", UNKNOWN, "10.20.0.66", name, T0) for name in names],
    )
    rows = by_key(engine)
    assert list(rows) == [("web", UNKNOWN, "signin", "10.20.0.66")]
    row = rows[("web", UNKNOWN, "signin", "10.20.0.66")]
    assert row.attempts == 300
    assert row.detail.startswith("guess-") and len(row.detail) == refusals.NAME_SHOWN and row.detail.endswith("…")


def test_rows_not_seen_for_30_days_go_and_the_table_is_capped(engine, monkeypatch):
    old = refusal("web", "signin", "password", "bupati", "10.20.0.7", at=T0)
    refusals.record(engine, [old], now=T0)
    fresh = refusal("broker", "publish", "acl", "dpmptsp", "", "x", T0 + timedelta(days=30))
    refusals.record(engine, [fresh], now=fresh.last_at)
    assert ("web", "bupati", "signin", "") in by_key(engine)  # exactly 30 days: still kept
    refusals.record(engine, [fresh], now=fresh.last_at + timedelta(seconds=1))
    assert list(by_key(engine)) == [fresh.key]

    monkeypatch.setattr(refusals, "MAX_ROWS", 5)
    addresses = [f"10.20.1.{i}" for i in range(8)]
    refusals.record(
        engine,
        [
            refusal("broker", "signin", "not_authorised", UNKNOWN, a, at=fresh.last_at + timedelta(seconds=i))
            for i, a in enumerate(addresses)
        ],
        now=fresh.last_at,
    )
    rows = by_key(engine)
    assert len(rows) == 5 and {k[3] for k in rows} == set(addresses[-5:]), "the least recently seen went first"


def test_a_tally_sums_between_writes_and_keeps_what_a_write_could_not_store():
    tally = Tally(max_rows=2)
    for minute in range(3):
        tally.add(refusal("broker", "publish", "acl", "dpmptsp", "", f"t{minute}", T0 + timedelta(minutes=minute)))
    tally.add(refusal("broker", "signin", "not_authorised", UNKNOWN, "10.0.0.1", at=T0))
    tally.add(refusal("broker", "signin", "not_authorised", UNKNOWN, "10.0.0.2", at=T0))  # a third row: no room
    assert tally.dropped == 1
    rows = tally.take()
    assert len(tally) == 0
    unit = next(r for r in rows if r.account == "dpmptsp")
    assert (unit.attempts, unit.first_at, unit.last_at, unit.detail) == (3, T0, T0 + timedelta(minutes=2), "t2")
    tally.add(refusal("broker", "publish", "acl", "dpmptsp", "", "t9", T0 + timedelta(minutes=9)))
    tally.put_back(rows)
    again = {r.key: r for r in tally.take()}
    assert again[unit.key].attempts == 4 and again[unit.key].detail == "t9"
