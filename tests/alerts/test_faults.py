"""Faults: a round killed before its commit (or halfway through its writes) loses nothing and duplicates
nothing once run again; two evaluators at once cannot open two alerts for one rule and subject, because
the database refuses it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, insert, update
from sqlalchemy.exc import IntegrityError

from scc import audit
from scc.alerts import evaluator
from scc.storage.alerts import alerts
from tests.alerts.conftest import T0, at, audited, camera, cameras, rule, run, stored, with_rules

CAMS = ["rsud-lobi", "rsud-igd", "rsud-loket"]


def watching(settings):
    return with_rules(settings, rule("cam", "camera_down", cameras=CAMS, **{"for": "60s", "keep_for": "0s"}))


class Killed(Exception):
    pass


def test_a_round_killed_before_its_commit_is_done_again_whole(engine, settings):
    s = watching(settings)
    cameras(engine, CAMS, "offline", at(10), at(0))

    def kill(_conn):
        raise Killed("the process died before the commit")

    event.listen(engine, "commit", kill)
    with pytest.raises(Killed):
        run(engine, s, 10)
    event.remove(engine, "commit", kill)
    assert stored(engine) == [] and audited(engine) == [], "nothing of the killed round is kept"
    run(engine, s, 12)
    assert [(a["subject"], a["state"], a["started_at"]) for a in stored(engine)] == [
        (cam, "pending", T0) for cam in sorted(CAMS)
    ]
    cameras(engine, CAMS, "offline", at(70), at(0))
    event.listen(engine, "commit", kill)
    with pytest.raises(Killed):
        run(engine, s, 70)
    event.remove(engine, "commit", kill)
    assert {a["state"] for a in stored(engine)} == {"pending"}
    run(engine, s, 72)
    assert [(a["state"], a["fired_at"]) for a in stored(engine)] == [("firing", at(72))] * 3
    actions = sorted(action for action, _ in audited(engine))
    assert actions == ["alert.firing"] * 3 + ["alert.pending"] * 3, "each transition once"


def test_a_round_failing_halfway_through_its_writes_keeps_none_of_them(engine, settings, monkeypatch):
    s = watching(settings)
    cameras(engine, CAMS, "offline", at(100), at(0))
    real = audit.record
    calls = []

    def second_fails(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise Killed("died between two alerts")
        real(*args, **kwargs)

    monkeypatch.setattr(audit, "record", second_fails)
    with pytest.raises(Killed):
        run(engine, s, 100)
    monkeypatch.setattr(audit, "record", real)
    assert stored(engine) == [] and audited(engine) == [], "the first alert's rows went with the round"
    run(engine, s, 101)
    assert [(a["state"], a["started_at"]) for a in stored(engine)] == [("firing", T0)] * 3
    assert [action for action, _ in audited(engine)] == ["alert.firing"] * 3


def test_the_database_keeps_one_open_alert_per_rule_and_subject(engine):
    row = dict(rule="cam", kind="camera_down", subject="rsud-lobi", severity="warning", state="pending",
               started_at=T0, detail={}, updated_at=T0)  # fmt: skip
    with engine.begin() as conn:
        first = conn.execute(insert(alerts).values(**row).returning(alerts.c.id)).scalar_one()
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(insert(alerts).values(**row))
    with engine.begin() as conn:
        conn.execute(update(alerts).where(alerts.c.id == first).values(state="withdrawn", ended_at=at(5)))
        conn.execute(insert(alerts).values(**row))  # the first one closed: a new one may open
        conn.execute(insert(alerts).values(**(row | {"subject": "rsud-igd"})))


def test_two_evaluators_at_once_open_one_alert_and_fire_it_once(engine, settings, monkeypatch):
    """Both read that no alert is open, then both write: the second's insert meets the first's row in the
    unique index and changes nothing; then both see it pending at its `for` and only one moves it."""
    s = with_rules(settings, rule("cam", "camera_down", cameras=["rsud-lobi"], **{"for": "60s"}))
    camera(engine, "rsud-lobi", "offline", at(1), at(0))
    read_open = evaluator._open_alerts
    both_read = threading.Barrier(2, timeout=20)

    def read_then_wait(conn):
        found = read_open(conn)
        both_read.wait()
        return found

    monkeypatch.setattr(evaluator, "_open_alerts", read_then_wait)
    for t in (1, 61):
        camera(engine, "rsud-lobi", "offline", at(t), at(0))
        errors: list[BaseException] = []

        def one_round(t=t, errors=errors):
            try:
                evaluator.evaluate(engine, s, at(t))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one_round) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
    (alert,) = stored(engine)
    assert alert["state"] == "firing"
    assert [action for action, _ in audited(engine)] == ["alert.pending", "alert.firing"]
