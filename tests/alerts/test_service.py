"""What people do to alerts (acknowledge, silence, lift), what they are refused and why, and what they see: the
alerts in sight by severity and age, and the history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scc.alerts import queries, service
from scc.alerts.service import Refused
from tests.alerts.conftest import T0, at, audited, camera, incident, rule, run, stored, with_rules


def rules(settings):
    return with_rules(
        settings,
        rule("cam", "camera_down", cameras=["rsud-lobi", "dinsos-ruang-tunggu"], severity="warning"),
        rule("waiting", "incident_not_dispatched", severity="critical", within=[
            {"priority": 1, "after": "1m"}, {"priority": 2, "after": "1m"}, {"priority": 3, "after": "1m"}]),
        rule("scene", "incident_on_scene", severity="info", longer_than="1m"),
    )  # fmt: skip


def test_in_sight_the_most_severe_first_then_the_oldest(engine, settings):
    s = rules(settings)
    camera(engine, "rsud-lobi", "offline", at(100), at(0))
    camera(engine, "dinsos-ruang-tunggu", "offline", at(100), at(50))
    old_call = incident(engine, at(0))
    new_call = incident(engine, at(30))
    incident(engine, at(0), status="on_scene", on_scene_at=at(1))
    run(engine, s, 100)
    seen = [(v.rule, v.subject) for v in queries.in_sight(engine)]
    assert seen == [
        ("waiting", str(old_call)), ("waiting", str(new_call)),
        ("cam", "rsud-lobi"), ("cam", "dinsos-ruang-tunggu"),
        ("scene", seen[-1][1]),
    ]  # fmt: skip
    assert [v.subject for v in queries.in_sight(engine, skpd="dinsos")] == ["dinsos-ruang-tunggu"]
    assert queries.in_sight(engine)[0].age(at(100)) == timedelta(seconds=40), "since the call's target passed"


def test_acknowledge_refuses_what_cannot_be_acknowledged_with_a_reason(engine, settings):
    s = with_rules(settings, rule("cam", "camera_down", cameras=["rsud-lobi"], **{"for": "5m", "keep_for": "0s"}))
    with pytest.raises(Refused) as unknown:
        service.acknowledge(engine, 999, "operator")
    assert unknown.value.why == "unknown" and "no alert #999" in unknown.value.message
    camera(engine, "rsud-lobi", "offline", at(1), at(0))
    run(engine, s, 1)
    camera(engine, "rsud-lobi", "online", at(2), at(2))
    run(engine, s, 2)
    (withdrawn,) = stored(engine)
    with pytest.raises(Refused) as never_fired:
        service.acknowledge(engine, withdrawn["id"], "operator")
    assert never_fired.value.why == "closed" and "before it fired" in never_fired.value.message
    camera(engine, "rsud-lobi", "offline", at(400), at(0))
    run(engine, s, 400)
    firing = stored(engine)[-1]
    with pytest.raises(Refused) as long_note:
        service.acknowledge(engine, firing["id"], "operator", "x" * 501)
    assert long_note.value.why == "invalid"
    service.acknowledge(engine, firing["id"], "operator", "ok", now=at(401))
    with pytest.raises(Refused) as twice:
        service.acknowledge(engine, firing["id"], "admin", "me too")
    assert twice.value.why == "acknowledged" and "by operator" in twice.value.message
    assert [a for a, _ in audited(engine)].count("alert.acknowledge") == 1


def test_a_silence_needs_a_known_rule_a_reason_and_an_end(engine, settings):
    s = rules(settings)
    cases = [
        (dict(rule="nope"), "no rule 'nope'"),
        (dict(reason="  "), "needs a reason"),
        (dict(until=T0), "must end after it starts"),
        (dict(until=T0 + timedelta(days=31)), "at most 30 days"),
    ]
    for change, words in cases:
        args = dict(rule="cam", subject="rsud-lobi", until=T0 + timedelta(hours=2), reason="perbaikan", by="op")
        args |= change
        with pytest.raises(Refused) as refused:
            service.silence(engine, s, now=T0, **args)
        assert refused.value.why == "invalid" and words in refused.value.message, refused.value.message
    later = service.silence(engine, s, "cam", None, T0 + timedelta(hours=5), "listrik", "op", now=T0,
                            starts_at=T0 + timedelta(hours=4))  # fmt: skip
    assert [v.id for v in queries.silences(engine, T0)] == [later]
    assert not queries.silences(engine, T0)[0].in_force(T0)
    service.lift(engine, later, "admin", now=T0 + timedelta(hours=4, minutes=1))
    with pytest.raises(Refused) as again:
        service.lift(engine, later, "admin", now=T0 + timedelta(hours=4, minutes=2))
    assert again.value.why == "closed"
    assert [a for a, _ in audited(engine)] == ["alert.silence", "alert.silence_lift"]


def test_the_history_newest_first_by_rule_subject_and_unit(engine, settings):
    s = with_rules(settings, rule("cam", "camera_down", cameras=["rsud-lobi", "dinsos-ruang-tunggu"]))
    for k in range(3):
        start = 100 * k
        camera(engine, "rsud-lobi", "offline", at(start + 1), at(start))
        camera(engine, "dinsos-ruang-tunggu", "online", at(start + 1), at(start + 1))
        run(engine, s, start + 1)
        camera(engine, "rsud-lobi", "online", at(start + 50), at(start + 50))
        run(engine, s, start + 50)
    found = queries.history(engine, T0, at(1000), rule="cam", subject="rsud-lobi")
    assert [v.started_at for v in found] == [at(200), at(100), at(0)]
    assert queries.history(engine, at(50), at(150), skpd="rsud")[0].started_at == at(100)
    assert queries.history(engine, T0, skpd="dinsos") == []
    assert len(queries.history(engine, T0, limit=2)) == 2
