"""An alert's life with a clock passed in: pending until `for`, firing, resolved after `keep_for` clear;
withdrawn when it clears before it fires; one alert for a flapping camera; acknowledged apart from all that;
told again every `renotify` until acknowledged; silenced but still living."""

from __future__ import annotations

from scc.alerts import queries, service
from tests.alerts.conftest import T0, at, audited, camera, every, rule, run, stored, with_rules

CAM = "rsud-lobi"


def watching(settings, **timing):
    return with_rules(settings, rule("cam", "camera_down", cameras=[CAM], **timing))


def test_pending_until_for_then_firing_then_resolved_after_keep_for(engine, settings):
    s = watching(settings, **{"for": "60s", "keep_for": "30s"})
    camera(engine, CAM, "online", at(0), at(0))
    run(engine, s, 0)
    assert stored(engine) == []
    camera(engine, CAM, "offline", at(10), last_frame_at=at(4))  # the last frame came at 4 s
    run(engine, s, 10, 30, 62)
    (alert,) = stored(engine)
    assert alert["state"] == "pending" and alert["started_at"] == at(4), "for counts from the last frame"
    camera(engine, CAM, "offline", at(64), last_frame_at=at(4))
    run(engine, s, 64)
    (alert,) = stored(engine)
    assert alert["state"] == "firing" and alert["fired_at"] == at(64) and alert["notify_count"] == 1
    camera(engine, CAM, "online", at(100), at(100))
    run(engine, s, 101, 120)
    (alert,) = stored(engine)
    assert alert["state"] == "firing" and alert["clear_since"] == at(101), "clear, but not for keep_for yet"
    camera(engine, CAM, "online", at(131), at(131))
    run(engine, s, 131)
    (alert,) = stored(engine)
    assert alert["state"] == "resolved" and alert["ended_at"] == at(131) and alert["next_notify_at"] is None
    target = f"alert #{alert['id']}"
    assert [a for a, t in audited(engine) if t == target] == ["alert.pending", "alert.firing", "alert.resolved"]


def test_a_condition_that_clears_before_for_never_fires(engine, settings):
    s = watching(settings, **{"for": "60s", "keep_for": "20s"})
    camera(engine, CAM, "offline", at(5), last_frame_at=at(0))
    run(engine, s, 5)
    camera(engine, CAM, "online", at(30), at(30))
    run(engine, s, 30, 49)
    assert stored(engine)[0]["state"] == "pending", "clear for less than keep_for: still pending"
    camera(engine, CAM, "online", at(70), at(70))
    run(engine, s, 70)  # past `for` since the start, but the condition is clear: no firing
    (alert,) = stored(engine)
    assert alert["state"] == "withdrawn" and alert["fired_at"] is None and alert["notify_count"] == 0
    assert [a for a, _ in audited(engine)] == ["alert.pending", "alert.withdrawn"]
    assert queries.in_sight(engine, pending=True) == [], "withdrawn: nothing to look at"


def test_an_alert_open_long_enough_already_fires_when_first_seen(engine, settings):
    """The process was down (or just started): storage says the camera has had no frame for ten minutes."""
    s = watching(settings, **{"for": "3m"})
    camera(engine, CAM, "offline", at(600), last_frame_at=at(0))
    run(engine, s, 600)
    (alert,) = stored(engine)
    assert alert["state"] == "firing" and alert["started_at"] == T0
    assert [a for a, _ in audited(engine)] == ["alert.firing"]


def test_a_flapping_camera_makes_one_alert(engine, settings):
    """Down 15 s, back 15 s, for ten minutes, with a round every 2 s: one alert, and it fires (the camera is
    unreliable), where an alert per flap would have made twenty."""
    s = watching(settings, **{"for": "60s", "keep_for": "60s"})
    for t in every(0, 600):
        down = (t % 30) < 15
        if down:
            camera(engine, CAM, "offline", at(t), last_frame_at=at(t - t % 30))
        else:
            camera(engine, CAM, "online", at(t), at(t))
        run(engine, s, t)
    (alert,) = stored(engine)
    assert alert["state"] == "firing" and alert["started_at"] == T0
    for t in (602, 700):
        camera(engine, CAM, "online", at(t), at(t))
        run(engine, s, t)
    (alert,) = stored(engine)
    assert alert["state"] == "resolved"


def test_acknowledged_is_apart_from_the_state(engine, settings):
    s = watching(settings, **{"for": "0s", "keep_for": "10s", "renotify": "5m"})
    camera(engine, CAM, "offline", at(0), at(0))
    run(engine, s, 1)
    (alert,) = stored(engine)
    view = service.acknowledge(engine, alert["id"], "operator", "  teknisi dikirim ", now=at(5))
    assert view.state == "firing" and view.acknowledged_by == "operator" and view.acknowledged_note == "teknisi dikirim"
    assert view.next_notify_at is None, "acknowledged: told to nobody again"
    run(engine, s, 400)
    assert stored(engine)[0]["notify_count"] == 1, "no reminder once acknowledged"
    camera(engine, CAM, "online", at(401), at(401))
    run(engine, s, 401, 412)
    (alert,) = stored(engine)
    assert alert["state"] == "resolved" and alert["acknowledged_by"] == "operator"
    assert queries.in_sight(engine) == [], "resolved and acknowledged: out of sight"
    assert ("alert.acknowledge", f"alert #{alert['id']}") in audited(engine)


def test_a_resolved_alert_never_acknowledged_stays_in_sight_until_it_is(engine, settings):
    s = watching(settings, **{"for": "0s", "keep_for": "0s"})
    camera(engine, CAM, "offline", at(0), at(0))
    run(engine, s, 1)
    camera(engine, CAM, "online", at(2), at(2))
    run(engine, s, 3)
    (view,) = queries.in_sight(engine)
    assert view.state == "resolved" and not view.acknowledged and not view.open
    service.acknowledge(engine, view.id, "admin", "sudah normal", now=at(10))
    assert queries.in_sight(engine) == []


def test_told_again_every_renotify_until_acknowledged(engine, settings):
    s = watching(settings, **{"for": "0s", "keep_for": "0s", "renotify": "60s"})
    camera(engine, CAM, "offline", at(0), at(0))
    counts = []
    for t in every(1, 181):
        camera(engine, CAM, "offline", at(t), at(0))
        run(engine, s, t)
        counts.append(stored(engine)[0]["notify_count"])
    assert counts[0] == 1 and counts[-1] == 4, "at 1 s, then at 61, 121 and 181 s"
    assert stored(engine)[0]["next_notify_at"] == at(241)
    service.acknowledge(engine, stored(engine)[0]["id"], "operator", now=at(182))
    run(engine, s, 300)
    assert stored(engine)[0]["notify_count"] == 4


def test_a_silenced_alert_lives_but_is_told_to_nobody_until_its_silence_ends(engine, settings):
    s = watching(settings, **{"for": "0s", "keep_for": "0s", "renotify": "10m"})
    silence = service.silence(engine, s, "cam", CAM, at(300), "kamera diperbaiki", "operator", now=at(0))
    camera(engine, CAM, "offline", at(1), at(1))
    run(engine, s, 1, 100)
    (alert,) = stored(engine)
    assert alert["state"] == "firing" and alert["silence_id"] == silence and alert["notify_count"] == 0
    assert queries.in_sight(engine)[0].silenced
    run(engine, s, 301)  # the silence ran out by itself
    (alert,) = stored(engine)
    assert alert["silence_id"] is None and alert["notify_count"] == 1 and alert["notified_at"] == at(301)
    actions = [a for a, _ in audited(engine)]
    assert actions == ["alert.silence", "alert.firing", "alert.silenced", "alert.unsilenced"]


def test_a_silence_on_a_whole_rule_and_its_lifting(engine, settings):
    s = watching(settings, **{"for": "0s"})
    silence = service.silence(engine, s, "cam", None, at(3600), "pemadaman listrik terjadwal", "admin", now=at(0))
    camera(engine, CAM, "offline", at(1), at(1))
    run(engine, s, 1)
    assert stored(engine)[0]["silence_id"] == silence
    service.lift(engine, silence, "admin", now=at(5))
    run(engine, s, 6)
    assert stored(engine)[0]["silence_id"] is None and stored(engine)[0]["notify_count"] == 1


def test_an_alert_whose_rule_is_gone_ends(engine, settings):
    s = watching(settings, **{"for": "0s"})
    camera(engine, CAM, "offline", at(0), at(0))
    run(engine, s, 1)
    run(engine, with_rules(settings), 2)
    (alert,) = stored(engine)
    assert alert["state"] == "resolved" and alert["ended_at"] == at(2)
