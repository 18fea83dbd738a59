"""The alert sound, in-process: each account's choice kept in storage (off until the user turns it on on the
Akun page, audited), a browser's own `?sound=` choice winning over its account's (handed over in a cookie by
alerts_sound.js), and the feed the bar's browser plays from: nothing when the screen is silent, each critical
alert firing and unacknowledged with its generation when it sounds, a new generation once its re-notify time
has passed, and nothing once acknowledged.

The critical alert is raised by the real evaluator over the shipped rules: a P1 ambulance call nobody was sent
to for ten minutes; a dark camera beside it raises a warning, which never sounds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboard import i18n
from dashboard.access import ROUTER
from dashboard.components.alerts_bar import DISPLAY_COOKIE
from scc import users
from scc.alerts import evaluator, service
from scc.alerts.queries import get, in_sight
from scc.clock import utcnow
from tests.alerts.conftest import audited, camera, incident
from tests.support.dashapp import body_from_spec, callback_body, callback_key, client, post_callback

ID = i18n.catalog("id")
DARK = "rsud-lobi"


@pytest.fixture(scope="module")
def raised(app) -> dict[str, int]:
    """A call waiting ten minutes and a camera dark as long, evaluated twice; {rule: alert id}."""
    ctx = app.server.config["SCC_CONTEXT"]
    now = utcnow()
    for cam in ctx.settings.cameras:
        if cam.status == "active":
            camera(ctx.engine, cam.id, "online", now, now)
    camera(ctx.engine, DARK, "offline", now, now - timedelta(minutes=10))
    incident(ctx.engine, now - timedelta(minutes=10))
    for step in range(2):
        evaluator.evaluate(ctx.engine, ctx.settings, now + timedelta(seconds=2 * step))
    found = {a.rule: a for a in in_sight(ctx.engine)}
    assert found["call-not-dispatched"].severity == "critical" and found["camera-down"].severity == "warning"
    assert found["call-not-dispatched"].notify_count == 1, "told once when it fired"
    return {rule: a.id for rule, a in found.items()}


@pytest.fixture
def sound_of(app):
    """Sets the accounts' choices for a test; every account back to silent afterwards."""
    engine = app.server.config["SCC_CONTEXT"].engine

    def choose(username: str, on: bool) -> None:
        users.set_alert_sound(engine, username, on, actor=username)

    yield choose
    for username in ("operator", "bupati", "dpmptsp", "admin"):
        choose(username, False)


def feed(app, username: str, display: str | None = None) -> tuple[str, str]:
    """What the bar hands this user's browser: (data-on, data-due); `display`: the browser's own choice."""
    c = client(app, username)
    if display is not None:
        c.set_cookie(DISPLAY_COOKIE, display)
    key = callback_key(app.callback_map, "..alerts-bar.children")
    r = post_callback(c, body_from_spec(key, app.callback_map[key], {"alerts-bar-tick.n_intervals": 1}))
    assert r.status_code == 200, r.data[:300]
    out = r.get_json()["response"]["alerts-sound"]
    return out["data-on"], out["data-due"]


def critical_due(app, raised) -> str:
    alert = get(app.server.config["SCC_CONTEXT"].engine, raised["call-not-dispatched"])
    assert alert is not None
    return f"{alert.id}:{alert.notify_count}"


def test_the_choice_is_each_accounts_off_until_chosen_and_audited(app):
    engine = app.server.config["SCC_CONTEXT"].engine
    assert not any(u.alert_sound for u in users.list_users(engine)), "nobody hears a tone they did not ask for"
    users.set_alert_sound(engine, "operator", True, actor="operator")
    try:
        chosen = {u.username: u.alert_sound for u in users.list_users(engine)}
        assert chosen["operator"] and not chosen["bupati"] and not chosen["admin"]
        assert ("user.alert_sound", "operator") in audited(engine)
    finally:
        users.set_alert_sound(engine, "operator", False, actor="operator")
    assert not users.get_by_username(engine, "operator").alert_sound  # type: ignore[union-attr]


def test_the_account_page_switch_keeps_the_choice(app):
    engine = app.server.config["SCC_CONTEXT"].engine
    c = client(app, "bupati")
    body = callback_body(app, ROUTER)
    body["inputs"] = [{**i, "value": "/account" if i["property"] == "pathname" else i["value"]} for i in body["inputs"]]
    page = post_callback(c, body).get_data(as_text=True)
    assert ID["account.sound"] in page and '"id": "account-sound"' in page.replace('"id":"', '"id": "')
    key = callback_key(app.callback_map, "account-sound-result.children")
    try:
        r = post_callback(c, body_from_spec(key, app.callback_map[key], {"account-sound.value": True}))
        assert r.status_code == 200 and ID["account.sound_on"] in r.get_data(as_text=True)
        assert users.get_by_username(engine, "bupati").alert_sound  # type: ignore[union-attr]
        r = post_callback(c, body_from_spec(key, app.callback_map[key], {"account-sound.value": False}))
        assert r.status_code == 200 and ID["account.sound_off"] in r.get_data(as_text=True)
        assert not users.get_by_username(engine, "bupati").alert_sound  # type: ignore[union-attr]
    finally:
        users.set_alert_sound(engine, "bupati", False, actor="bupati")


def test_a_silent_screen_is_given_nothing_to_play(app, raised, sound_of):
    assert feed(app, "operator") == ("0", "")
    sound_of("operator", True)
    assert feed(app, "operator", display="0") == ("0", ""), "the wall browser's own ?sound=0 wins"


def test_a_screen_that_sounds_is_given_the_critical_alerts_with_their_generation(app, raised, sound_of):
    sound_of("operator", True)
    on, due = feed(app, "operator")
    assert on == "1" and due == critical_due(app, raised) == f"{raised['call-not-dispatched']}:1"
    assert str(raised["camera-down"]) not in [item.split(":")[0] for item in due.split()], "a warning never sounds"
    sound_of("operator", False)
    assert feed(app, "operator", display="1") == ("1", due), "the wall browser's own ?sound=1 wins"


def test_the_sound_follows_who_is_shown_the_alert(app, raised, sound_of):
    sound_of("dpmptsp", True)
    sound_of("bupati", True)
    assert feed(app, "dpmptsp") == ("1", ""), "a call alert is not routed to a unit's staff"
    assert feed(app, "bupati") == ("1", critical_due(app, raised))


def test_once_its_renotify_time_passes_the_generation_changes(app, raised, sound_of):
    ctx = app.server.config["SCC_CONTEXT"]
    sound_of("operator", True)
    before = feed(app, "operator")[1]
    alert = get(ctx.engine, raised["call-not-dispatched"])
    assert alert is not None and alert.next_notify_at is not None
    evaluator.evaluate(ctx.engine, ctx.settings, alert.next_notify_at - timedelta(seconds=1))
    assert feed(app, "operator")[1] == before, "not before its time"
    evaluator.evaluate(ctx.engine, ctx.settings, alert.next_notify_at + timedelta(seconds=1))
    after = feed(app, "operator")[1]
    assert after == f"{alert.id}:{alert.notify_count + 1}" != before


def test_an_acknowledged_alert_is_not_played_again(app, raised, sound_of):
    ctx = app.server.config["SCC_CONTEXT"]
    sound_of("operator", True)
    assert feed(app, "operator")[1] != ""
    alert = get(ctx.engine, raised["call-not-dispatched"])
    assert alert is not None and alert.next_notify_at is not None
    service.acknowledge(ctx.engine, alert.id, by="operator", note="ambulans berangkat")
    evaluator.evaluate(ctx.engine, ctx.settings, alert.next_notify_at + timedelta(minutes=30))
    assert feed(app, "operator") == ("1", ""), "acknowledged: told to nobody again"
