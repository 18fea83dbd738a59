"""Each kind of rule over what the capabilities store: an uplink's one alert and its cameras' none, a unit's
silence once per unit, a metric past its threshold over a window, a call waiting, a long scene, an overdue
complaint, a process not working."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from scc.storage.metrics import metric_samples
from scc.storage.platform import heartbeats, process_state
from tests.alerts.conftest import (
    T0,
    at,
    camera,
    cameras,
    every,
    incident,
    installed,
    latest,
    rule,
    run,
    set_incident,
    stored,
    unit,
    with_rules,
)

LINK = "radio-gasis"


def links_and_cameras(settings):
    return with_rules(
        settings,
        rule("cam", "camera_down", cameras={"uplink": LINK}, **{"for": "60s", "keep_for": "30s"}),
        rule("link", "uplink_down", uplinks=[LINK], **{"for": "30s", "keep_for": "30s"}),
    )


def open_alerts(engine):
    return {(a["rule"], a["subject"]): a for a in stored(engine) if a["ended_at"] is None}


def test_a_dark_uplink_is_one_alert_naming_its_cameras_and_none_per_camera(engine, settings):
    s = links_and_cameras(settings)
    ids = installed(settings, LINK)
    assert len(ids) >= 2
    # The link's cameras go dark one after another, a round between each: the first opens a camera alert...
    for k, cam in enumerate(ids):
        camera(engine, cam, "offline", at(2 * k), last_frame_at=at(2 * k))
        cameras(engine, ids[k + 1 :], "online", at(2 * k), at(2 * k))
        cameras(engine, ids[:k], "offline", at(2 * k), None)
        run(engine, s, 2 * k + 1)
    # ...which its link's alert then takes over.
    for t in every(2 * len(ids), 600):
        cameras(engine, ids, "offline", at(t), None)
        run(engine, s, t)
    (link,) = [a for a in stored(engine) if a["rule"] == "link"]
    assert link["state"] == "firing" and link["subject"] == LINK and link["detail"]["cameras"] == sorted(ids)
    per_camera = [a for a in stored(engine) if a["rule"] == "cam"]
    assert all(a["state"] == "withdrawn" and a["fired_at"] is None for a in per_camera), per_camera
    # Only a camera that went dark while a sibling still had a picture opened one, withdrawn since.
    assert {a["subject"] for a in per_camera} <= set(ids[:-1])


def test_one_camera_of_a_working_link_has_its_own_alert(engine, settings):
    s = links_and_cameras(settings)
    lone, *others = installed(settings, LINK)
    for t in every(0, 120):
        camera(engine, lone, "error", at(t), None)
        cameras(engine, others, "online", at(t), at(t))
        run(engine, s, t)
    assert set(open_alerts(engine)) == {("cam", lone)}
    assert open_alerts(engine)[("cam", lone)]["state"] == "firing"


def test_a_camera_nobody_has_written_of_lately_is_no_data_not_down(engine, settings):
    s = with_rules(settings, rule("cam", "camera_down", cameras=["rsud-lobi"], **{"for": "0s"}))
    camera(engine, "rsud-lobi", "offline", at(0), at(0))
    run(engine, s, 1)
    assert stored(engine)[0]["state"] == "firing"
    camera(engine, "rsud-lobi", "online", at(2), at(2))  # then its worker stops writing
    run(engine, s, 100, 1000)
    assert stored(engine)[0]["state"] == "firing", "no word is no data: kept as it was (no_data: keep)"
    s_ok = with_rules(settings, rule("cam", "camera_down", cameras=["rsud-lobi"], no_data="ok"))
    run(engine, s_ok, 1001)
    assert stored(engine)[0]["state"] == "resolved"


def test_a_silent_unit_is_one_alert_whatever_its_metrics(engine, settings):
    s = with_rules(settings, rule("silent", "unit_silent", units=["dukcapil", "rsud", "bpkd", "dinsos"]))
    now = at(3 * 3600)
    unit(engine, "dukcapil", online=True, changed_at=T0, heard=T0)  # three hours without a word
    for key in ("dukcapil_queue_length", "dukcapil_ktp_el_printed", "service_up"):
        latest(engine, "dukcapil", key, 1.0, T0)
    unit(engine, "rsud", online=True, changed_at=T0, heard=now - timedelta(seconds=30))
    unit(engine, "bpkd", online=False, changed_at=now - timedelta(minutes=1), heard=now - timedelta(minutes=1))
    run(engine, s, 3 * 3600)  # dinsos: never heard
    found = {a["subject"]: a for a in stored(engine)}
    assert set(found) == {"dukcapil", "bpkd"}
    assert found["dukcapil"]["skpd_code"] == "dukcapil" and found["dukcapil"]["detail"]["why"] == "silent"
    assert found["bpkd"]["detail"]["why"] == "offline" and found["bpkd"]["started_at"] == now - timedelta(minutes=1)


def test_a_metric_beyond_its_threshold_over_its_window(engine, settings):
    s = with_rules(
        settings,
        rule("queue", "metric_threshold", metric="dukcapil_queue_length", units=["dukcapil"], above=30,
             window="15m", aggregate="mean"),
        rule("beds", "metric_threshold", metric="rsud_bed_occupancy_percent", units=["rsud"], below=10, above=90),
    )  # fmt: skip
    now = at(3600)
    readings = [(now - timedelta(minutes=m), v) for m, v in ((40, 300), (10, 20), (5, 40), (1, 45))]
    with engine.begin() as conn:
        conn.execute(insert(metric_samples), [
            dict(skpd_code="dukcapil", metric_key="dukcapil_queue_length", ts=ts, value=v, message_id=f"m{i}",
                 received_at=ts, source="mqtt")
            for i, (ts, v) in enumerate(readings)
        ])  # fmt: skip
    latest(engine, "rsud", "rsud_bed_occupancy_percent", 7.0, now)
    run(engine, s, 3600)
    found = {a["rule"]: a for a in stored(engine)}
    assert found["queue"]["state"] == "firing" and found["queue"]["detail"]["value"] == (20 + 40 + 45) / 3
    assert found["beds"]["detail"]["value"] == 7.0, "below the band"
    latest(engine, "rsud", "rsud_bed_occupancy_percent", 50.0, now)
    run(engine, s, 3601)
    assert {a["rule"]: a for a in stored(engine)}["beds"]["state"] == "resolved"


def test_a_call_waiting_past_its_prioritys_target_until_a_unit_is_sent(engine, settings):
    s = with_rules(settings, rule("waiting", "incident_not_dispatched", within=[
        {"priority": 1, "after": "2m"}, {"priority": 2, "after": "5m"}, {"priority": 3, "after": "15m"}]))  # fmt: skip
    urgent = incident(engine, at(0), priority=1)
    later = incident(engine, at(0), priority=3, line_code="damkar-citta", category="fire")
    incident(engine, at(0), priority=1, category="complaint", skpd_code="dinsos", due_at=at(3 * 86400))
    run(engine, s, 119)
    assert stored(engine) == []
    run(engine, s, 121)
    (alert,) = stored(engine)
    assert alert["subject"] == str(urgent) and alert["started_at"] == at(120) and alert["skpd_code"] == "dinkes"
    set_incident(engine, urgent, status="dispatched", dispatched_at=at(130))
    run(engine, s, 131, 901)
    found = {a["subject"]: a["state"] for a in stored(engine)}
    assert found == {str(urgent): "resolved", str(later): "firing"}


def test_on_scene_too_long_and_a_complaint_past_its_day(engine, settings):
    s = with_rules(
        settings,
        rule("scene", "incident_on_scene", longer_than="2h"),
        rule("overdue", "complaint_overdue", units={"district": ["lalabata"]}),
    )
    scene = incident(engine, at(0), status="on_scene", on_scene_at=at(600))
    due = at(3 * 86400)
    complaint = incident(engine, at(0), category="complaint", skpd_code="dinsos", due_at=due)
    incident(engine, at(0), category="complaint", skpd_code="kec-citta", due_at=due)  # another district's
    run(engine, s, 600 + 7199, 600 + 7201)
    assert [(a["rule"], a["subject"]) for a in stored(engine)] == [("scene", str(scene))]
    run(engine, s, 3 * 86400 + 1)
    overdue = [a for a in stored(engine) if a["rule"] == "overdue"]
    assert [(a["subject"], a["skpd_code"]) for a in overdue] == [(str(complaint), "dinsos")]
    set_incident(engine, complaint, status="resolved", resolved_at=at(3 * 86400 + 5))
    run(engine, s, 3 * 86400 + 6)
    assert [a["state"] for a in stored(engine) if a["rule"] == "overdue"] == ["resolved"]


def test_a_process_that_stopped_beating(engine, settings):
    s = with_rules(settings, rule("proc", "process_down", **{"for": "30s"}))
    with engine.begin() as conn:
        conn.execute(insert(process_state), [
            dict(name=n, kind="k", status="running", pid=1, restarts=0, started_at=T0, last_exit="", updated_at=T0)
            for n in ("metrics-ingest", "housekeeping")
        ])  # fmt: skip
        conn.execute(insert(heartbeats), [
            dict(name="metrics-ingest", interval_s=5, beat_at=at(10), backlog=0, detail=""),
            dict(name="housekeeping", interval_s=60, beat_at=at(10), backlog=0, detail=""),
        ])  # fmt: skip
    run(engine, s, 20)
    assert stored(engine) == []
    run(engine, s, 26, 60)  # ingest is three beats late from 25 s on; housekeeping beats every minute
    (alert,) = stored(engine)
    assert alert["subject"] == "metrics-ingest" and alert["state"] == "firing"
    assert alert["detail"]["status"] == "stale"
