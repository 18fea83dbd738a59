"""The alerts page and the alert bar, in-process, for each role: what each sees, who may acknowledge, silence
and lift (through scc.alerts.service, audited), and SKPD staff kept to their own unit's alerts.

Alerts are raised by the real evaluator over the shipped rules: every camera lit, then one of RSUD's and one
of DPMPTSP's dark for ten minutes (on different links, so each is its own camera alert)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select

from dashboard.access import ROUTER
from scc.alerts import evaluator
from scc.alerts.queries import get, in_sight
from scc.clock import utcnow
from scc.storage.alerts import alerts
from scc.storage.platform import audit_log
from tests.alerts.conftest import camera
from tests.support.dashapp import callback_body, client, post_callback

DARK = ("rsud-lobi", "dpmptsp-loket")
# The cameras' names as the wall shows them (config/cameras.yaml), not their ids.
NAMED = {"rsud-lobi": "RSUD Latemmamala - Lobi", "dpmptsp-loket": "DPMPTSP - Loket Pelayanan Satu Pintu"}


def key_of(app, output: str) -> str:
    return next(k for k in app.callback_map if output in k.split("...") or k == output or k.startswith(f"..{output}"))


def call(app, user: str, output: str, values: dict):
    key = key_of(app, output)
    body = callback_body(app, key)
    for item in body["inputs"] + body["state"]:
        name = f"{item['id']}.{item['property']}"
        if name in values:
            item["value"] = values[name]
    body["changedPropIds"] = [body["inputs"][0]["id"] + "." + body["inputs"][0]["property"]]
    return post_callback(client(app, user), body)


@pytest.fixture(scope="module")
def raised(app):
    """The two camera alerts, firing; {camera id: alert id}."""
    ctx = app.server.config["SCC_CONTEXT"]
    now = utcnow()
    for cam in ctx.settings.cameras:
        if cam.status == "active":
            camera(ctx.engine, cam.id, "online", now, now)
    for cam in DARK:
        camera(ctx.engine, cam, "offline", now, now - timedelta(minutes=10))
    for step in range(2):
        evaluator.evaluate(ctx.engine, ctx.settings, now + timedelta(seconds=2 * step))
    found = {a.subject: a for a in in_sight(ctx.engine)}
    assert set(found) == set(DARK) and all(a.state == "firing" for a in found.values()), found
    assert found["dpmptsp-loket"].skpd_code == "dpmptsp" and found["rsud-lobi"].skpd_code == "rsud"
    return {subject: a.id for subject, a in found.items()}


def page_text(app, user: str) -> str:
    body = callback_body(app, ROUTER)
    body["inputs"][0]["value"] = "/alerts"
    r = post_callback(client(app, user), body)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_every_role_opens_the_page_and_only_those_who_act_get_controls(app, raised):
    for user in ("admin", "operator", "bupati", "dpmptsp"):
        assert client(app, user).get("/alerts").status_code == 200, user
    assert client(app).get("/alerts").status_code == 302, "signed out: to the sign-in page"
    viewer = page_text(app, "bupati")
    assert "alerts-open" in viewer and "alerts-history" in viewer
    for control in ("alerts-ack", "alerts-silence", "alerts-lift"):
        assert control not in viewer, f"the bupati is given {control}"
    unit = page_text(app, "dpmptsp")
    assert '"alerts-ack"' in unit and "alerts-silence" not in unit and "alerts-lift" not in unit
    operator = page_text(app, "operator")
    assert all(f'"{c}"' in operator for c in ("alerts-ack", "alerts-silence", "alerts-lift"))


def test_the_bar_counts_by_severity_in_words_and_shapes_each_role_its_own(app, raised):
    r = call(app, "bupati", "alerts-bar.children", {"alerts-bar-tick.n_intervals": 1})
    assert r.status_code == 200
    bar = r.get_json()["response"]["alerts-bar"]
    text = json.dumps(bar["children"])
    assert "2 peringatan" in text and "icon-warning" in text, "a count in words with its icon"
    assert "terlama 10 menit" in text and "2 belum dilihat" in text
    assert bar["className"] == "alerts-bar alerts-bar-warning"
    own = json.dumps(call(app, "dpmptsp", "alerts-bar.children", {}).get_json()["response"])
    assert "1 peringatan" in own, "SKPD staff count their own unit's alerts only"


def test_skpd_staff_see_their_own_units_alerts_only(app, raised):
    unit = call(app, "dpmptsp", "alerts-open.children", {}).get_data(as_text=True)
    assert NAMED["dpmptsp-loket"] in unit and NAMED["rsud-lobi"] not in unit
    assert "dpmptsp-loket" not in unit, "the camera by its name, not its id"
    options = call(app, "dpmptsp", "alerts-ack-pick.options", {}).get_json()["response"]["alerts-ack-pick"]
    assert [o["value"] for o in options["options"]] == [raised["dpmptsp-loket"]]
    assert NAMED["dpmptsp-loket"] in options["options"][0]["label"]
    everyone = call(app, "bupati", "alerts-open.children", {}).get_data(as_text=True)
    assert NAMED["dpmptsp-loket"] in everyone and NAMED["rsud-lobi"] in everyone
    assert "Kamera tanpa gambar" in everyone, "the rule in words, in Bahasa Indonesia"


def acknowledge(app, user: str, alert_id: int, note: str = "dicek"):
    return call(
        app, user, "alerts-ack-message.children", {"alerts-ack-pick.value": alert_id, "alerts-ack-note.value": note}
    )


def test_acknowledge_refused_to_the_viewer_and_to_another_units_staff(app, raised):
    ctx = app.server.config["SCC_CONTEXT"]
    rsud = raised["rsud-lobi"]
    assert acknowledge(app, "bupati", rsud).status_code == 403
    assert acknowledge(app, "dpmptsp", rsud).status_code == 403, "an alert about another unit"
    assert acknowledge(app, "dpmptsp", 999_999).status_code == 403, "no such alert: the same answer"
    assert acknowledge(app, None, rsud).status_code == 401
    assert get(ctx.engine, rsud).acknowledged_at is None
    for user in ("bupati", "dpmptsp"):
        r = call(app, user, "alerts-silence-message.children", {"alerts-silence-rule.value": "camera-down"})
        assert r.status_code == 403, user
        assert call(app, user, "alerts-lift-message.children", {"alerts-lift-pick.value": 1}).status_code == 403


def test_own_unit_acknowledges_with_a_note_through_the_service(app, raised):
    ctx = app.server.config["SCC_CONTEXT"]
    own = raised["dpmptsp-loket"]
    r = acknowledge(app, "dpmptsp", own, "petugas sudah ke lokasi")
    assert r.status_code == 200 and f"#{own}" in r.get_data(as_text=True)
    seen = get(ctx.engine, own)
    assert (seen.acknowledged_by, seen.acknowledged_note) == ("dpmptsp", "petugas sudah ke lokasi")
    again = acknowledge(app, "operator", own).get_data(as_text=True)
    assert "Sudah ditandai dilihat" in again, "the service's refusal, in words"
    with ctx.engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "alert.acknowledge")).all()
    assert ("dpmptsp",) in actions
    table = call(app, "bupati", "alerts-open.children", {}).get_data(as_text=True)
    assert "petugas sudah ke lokasi" in table, "who acknowledged it, with the note, for everyone"


def test_operator_silences_and_lifts(app, raised):
    ctx = app.server.config["SCC_CONTEXT"]
    values = {
        "alerts-silence-rule.value": "camera-down",
        "alerts-silence-subject.value": "rsud-lobi",
        "alerts-silence-for.value": "1h",
        "alerts-silence-reason.value": "",
    }
    refused = call(app, "operator", "alerts-silence-message.children", values).get_data(as_text=True)
    assert "Ditolak" in refused and "needs a reason" in refused
    values["alerts-silence-reason.value"] = "kamera diperbaiki"
    assert call(app, "operator", "alerts-silence-message.children", values).status_code == 200
    r = call(app, "operator", "alerts-silences.children", {})
    listed = r.get_json()["response"]
    assert "kamera diperbaiki" in json.dumps(listed["alerts-silences"])
    (option,) = listed["alerts-lift-pick"]["options"]
    lifted = call(app, "admin", "alerts-lift-message.children", {"alerts-lift-pick.value": option["value"]})
    assert lifted.status_code == 200 and f"#{option['value']}" in lifted.get_data(as_text=True)
    after = call(app, "operator", "alerts-silences.children", {}).get_json()["response"]
    assert after["alerts-lift-pick"]["options"] == [], "lifted: nothing left to lift"
    with ctx.engine.connect() as conn:
        actions = {r.action for r in conn.execute(select(audit_log.c.action).where(audit_log.c.actor == "operator"))}
    assert "alert.silence" in actions


def test_history_filters(app, raised):
    def shown(**values):
        body = {f"alerts-{k}.value": v for k, v in values.items()}
        return call(app, "bupati", "alerts-history.children", body).get_data(as_text=True)

    lobby = NAMED["rsud-lobi"]
    assert lobby in shown(state="any", severity="any", range="24h")
    assert lobby not in shown(state="resolved", severity="any", range="24h")
    assert lobby not in shown(state="any", severity="critical", range="7d")
    assert lobby in shown(state="firing", severity="warning", range="30d")
    r = call(app, "bupati", "alerts-history.children", {"alerts-range.value": "1y"})
    assert r.status_code == 400, "a range no picker offers"


def test_each_role_is_shown_the_rules_routed_to_it(app, raised):
    """uplink-down is routed to operators and admins only (config/alerts.yaml): its alert about a link of
    DPMPTSP's own cameras is not on that unit's staff's screens, nor theirs to acknowledge; the bupati sees it."""
    ctx = app.server.config["SCC_CONTEXT"]
    now = utcnow()
    with ctx.engine.begin() as conn:
        link = conn.execute(
            insert(alerts).values(
                rule="uplink-down", kind="uplink_down", subject="radio-dpmptsp", skpd_code="dpmptsp",
                severity="warning", state="firing", started_at=now - timedelta(minutes=5), fired_at=now,
                detail={}, updated_at=now,
            )
        ).inserted_primary_key[0]  # fmt: skip
    try:
        for user in ("operator", "bupati"):
            seen = call(app, user, "alerts-open.children", {}).get_data(as_text=True)
            assert "Jalur Radio Dpmptsp" in seen, f"{user}: the link by its name"
        unit = call(app, "dpmptsp", "alerts-open.children", {}).get_data(as_text=True)
        assert "Jalur Radio Dpmptsp" not in unit and NAMED["dpmptsp-loket"] in unit
        bar = json.dumps(call(app, "dpmptsp", "alerts-bar.children", {}).get_json()["response"])
        assert "1 peringatan" in bar, "the bar counts what the unit is shown"
        assert acknowledge(app, "dpmptsp", link).status_code == 403, "not routed to SKPD staff"
        assert get(ctx.engine, link).acknowledged_at is None
    finally:
        with ctx.engine.begin() as conn:
            conn.execute(delete(alerts).where(alerts.c.id == link))


def test_a_row_button_picks_its_alert_for_those_who_act(app, raised):
    own = raised["rsud-lobi"]  # not acknowledged by the tests before
    button = f'"type": "alerts-ack-row", "id": {own}'.replace(" ", "")
    for user, has in (("operator", True), ("bupati", False)):
        table = call(app, user, "alerts-open.children", {}).get_data(as_text=True).replace(" ", "")
        assert (button in table) is has, f"{user}: a row button is a control"
    key = key_of(app, "alerts-ack-pick.value")
    row = {"type": "alerts-ack-row", "id": own}
    body = {
        "output": key,
        "outputs": {"id": "alerts-ack-pick", "property": "value"},
        "inputs": [[{"id": row, "property": "n_clicks", "value": 1}]],
        "state": [],
        "changedPropIds": ['{"id":' + str(own) + ',"type":"alerts-ack-row"}.n_clicks'],
    }
    r = post_callback(client(app, "operator"), body)
    assert r.status_code == 200 and r.get_json()["response"]["alerts-ack-pick"]["value"] == own
    body["inputs"] = [[{"id": row, "property": "n_clicks", "value": None}]]
    redrawn = post_callback(client(app, "operator"), body)
    assert "alerts-ack-pick" not in redrawn.get_data(as_text=True), "redrawn, not clicked: nothing picked"
    assert post_callback(client(app, "bupati"), body).status_code == 403
