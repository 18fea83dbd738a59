"""The incident page's unit picker, its deliberate ends and its focus; the board's kinds and clocks; in-process.

What must hold (issue 19): a wrong kind is never preselected, and when no unit of the needed kind is
free the page says so in words, in alarm style, and offers the busy ones; cancel and prank ask first and
want a reason; after each action the panel names where the keyboard goes next; the board and overview
count free units per kind; the clocks turn warning and alarm at the priority's targets. Expected units
and targets are written here (P1: a unit sent within 2 minutes, warning at half of it).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from callcenter import lifecycle
from callcenter.intake import take_call
from dashboard import i18n
from scc.clock import utcnow
from scc.storage.callcenter import incident_events, incidents
from scc.storage.platform import audit_log
from tests.callcenter.test_pages_ops import find, key_of, page, post, response
from tests.support.dashapp import make_app

ID = i18n.catalog("id")
AMBULANCES = {"ambulans-1", "ambulans-2"}
MEDICAL = dict(line_code="psc-119", category="medical", priority=1, district="lalabata", summary="Pingsan")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    dash_app = make_app(tmp_path_factory.mktemp("dispatch") / "scc.db")
    yield dash_app
    dash_app.server.config["SCC_CONTEXT"].engine.dispose()


@pytest.fixture(scope="module")
def ctx(app):
    return app.server.config["SCC_CONTEXT"]


_numbers = iter(range(10_000))


def call(ctx, **fields: Any) -> int:
    number = f"0812 7000 {next(_numbers):04d}"
    return take_call(
        ctx.engine, ctx.settings, {**MEDICAL, "caller_number": number, **fields}, operator="admin"
    ).incident_id


def out(ctx, unit: str, district: str = "citta") -> int:
    """`unit` sent to a fresh incident of its own kind in `district`."""
    kind = ctx.settings.unit_by_code[unit].kind
    category = {"ambulance": "medical", "fire_truck": "fire", "police_patrol": "crime"}[kind]
    number = call(ctx, category=category, district=district, priority=3)
    lifecycle.dispatch(ctx.engine, ctx.settings, number, unit, operator="admin", version=1)
    return number


def back(ctx, number: int) -> None:
    version = ctx.engine.connect().execute(select(incidents.c.version).where(incidents.c.id == number)).scalar_one()
    lifecycle.advance(ctx.engine, number, "cancelled", operator="admin", version=version, reason="Selesai uji")


def layout(app, number: int) -> Any:
    return json.loads(page(app, "operator", f"/calls/{number}"))


def click(app, number: int, version: int, button: str, trigger: str = "n_clicks", **states: Any) -> dict:
    values = {"incident-state.data": {"id": number, "version": version}, f"{button}.{trigger}": 1}
    values.update({f"{k.replace('_', '-')}.value": v for k, v in states.items()})
    return response(post(app, "operator", key_of(app, "incident-body.children"), values, f"{button}.{trigger}"))


def wrap(tree: Any) -> dict:
    return find(tree, "incident-actions-wrap")["props"]


def status_of(ctx, number: int) -> tuple[str, int]:
    with ctx.engine.connect() as conn:
        row = conn.execute(select(incidents.c.status, incidents.c.version).where(incidents.c.id == number)).one()
    return row.status, row.version


# -- the unit picker -----------------------------------------------------------------------------------


def test_a_medical_call_preselects_an_ambulance_never_the_truck_at_hand(app, ctx):
    number = call(ctx)
    unit = find(layout(app, number), "incident-unit")["props"]
    assert unit["value"] in AMBULANCES
    options = [o["value"] for o in unit["options"]]
    assert set(options[:2]) == AMBULANCES and options[2] == "-", "the ambulances, then a divider"
    assert unit["options"][2]["disabled"] and "truk-lalabata" in options[3:] and "damkar-pusat" in options[3:]
    assert find(layout(app, number), "incident-no-unit") is None
    back(ctx, number)


def test_with_both_ambulances_out_nothing_is_preselected_and_the_page_says_so(app, ctx):
    busy = [out(ctx, "ambulans-1", "marioriawa"), out(ctx, "ambulans-2", "liliriaja")]
    number = call(ctx, district="ganra")
    tree = layout(app, number)
    unit = find(tree, "incident-unit")["props"]
    assert unit["value"] == "" and unit["placeholder"] == ID["dispatch.pick_unit"]
    assert not AMBULANCES & {o["value"] for o in unit["options"]}, "a busy unit cannot be sent"
    alarm = find(tree, "incident-no-unit")
    text = json.dumps(alarm)
    assert alarm["props"]["role"] == "alert" and alarm["props"]["data-tone"] == "alarm"
    assert ID["dispatch.none_free"].format(kinds="Ambulans") in text
    # Both busy ambulances are offered, the nearer first (Liliriaja is nearer Ganra than Marioriawa).
    assert text.index(f'"#{busy[1]}"') < text.index(f'"#{busy[0]}"')
    # The send button with nothing chosen sends nothing.
    msg = json.dumps(click(app, number, 1, "incident-dispatch", incident_unit=""))
    assert ID["incident.refused_unit"] in msg and status_of(ctx, number) == ("received", 1)
    for other in [*busy, number]:
        back(ctx, other)


def test_a_fire_whose_own_truck_is_out_gets_the_neighbours_and_names_the_busy_one(app, ctx):
    busy = out(ctx, "truk-citta", "citta")
    number = call(ctx, line_code="damkar-citta", category="fire", district="citta")
    tree = layout(app, number)
    assert find(tree, "incident-unit")["props"]["value"] == "truk-ganra"
    note = json.dumps(find(tree, "incident-pick"))
    assert "Truk Damkar Ganra" in note and f"#{busy}" in note and "Truk Damkar Citta" in note
    back(ctx, busy)
    back(ctx, number)


# -- cancel and prank ask, and want a reason ---------------------------------------------------------------


@pytest.mark.parametrize("move", ["cancelled", "prank"])
def test_an_end_asks_first_and_wants_a_reason(app, ctx, move):
    number = call(ctx, district="citta")
    asked = click(app, number, 1, f"incident-to-{move}")
    assert "incident-body" not in asked and status_of(ctx, number) == ("received", 1), "asking changes nothing"
    box = asked["incident-controls"]["children"]
    assert find(box, f"incident-ask-{move}")["props"]["hidden"] is False
    assert wrap(box)["data-focus"] == f"incident-reason-{move}"
    assert ID[f"confirm.{move}_question"].format(id=number) in json.dumps(box)

    kept = click(app, number, 1, f"incident-keep-{move}")["incident-controls"]["children"]
    assert find(kept, f"incident-ask-{move}")["props"]["hidden"] is True
    assert wrap(kept)["data-focus"] == f"incident-to-{move}", "back on the button that asked"

    refused = click(app, number, 1, f"incident-confirm-{move}", **{f"incident_reason_{move}": "   "})
    box = refused["incident-controls"]["children"]
    assert ID["confirm.reason_needed"] in json.dumps(find(box, f"incident-reason-{move}-error"))
    assert find(box, f"incident-ask-{move}")["props"]["hidden"] is False and status_of(ctx, number) == ("received", 1)

    # Enter in the reason confirms, as the Yes button does.
    done = click(app, number, 1, f"incident-reason-{move}", "n_submit", **{f"incident_reason_{move}": "Salah sambung"})
    assert ID[f"incident.done_to_{move}"] in json.dumps(done["incident-msg"])
    assert status_of(ctx, number) == (move, 2)
    assert wrap(done["incident-controls"]["children"])["data-focus"] == "incident-back"
    with ctx.engine.connect() as conn:
        note = conn.execute(
            select(incident_events.c.note).where(
                incident_events.c.incident_id == number, incident_events.c.status == move
            )
        ).scalar_one()
        audited = conn.execute(select(audit_log).where(audit_log.c.target == f"incident #{number}")).one()
    assert note == "Salah sambung" and audited.action == f"incident.{move}" and audited.actor == "operator"
    assert audited.detail["reason"] == "Salah sambung"


# -- the keyboard: where the focus goes, and the keys on the page ------------------------------------------


def test_after_each_step_the_focus_is_on_the_next_one(app, ctx):
    number = call(ctx, district="donri-donri")
    tree = layout(app, number)
    assert wrap(tree)["data-focus"] == "incident-unit", "on arrival: the unit list, Enter sends"
    unit = find(tree, "incident-unit")["props"]["value"]
    tokens = {wrap(tree)["data-focus-token"]}
    steps = [
        ("incident-dispatch", {"incident_unit": unit}, "incident-to-on_scene"),
        ("incident-add-note", {"incident_note": "Korban sadar"}, "incident-note"),
        ("incident-to-on_scene", {}, "incident-to-resolved"),
        ("incident-to-resolved", {}, "incident-to-closed"),
        ("incident-to-closed", {}, "incident-back"),
    ]
    version = 1
    for button, states, focus in steps:
        answer = click(app, number, version, button, **states)
        version = answer["incident-state"]["data"]["version"]
        drawn = wrap(answer["incident-controls"]["children"])
        assert drawn["data-focus"] == focus, button
        assert drawn["data-focus-token"] not in tokens, "a new token each time, so the browser moves once"
        tokens.add(drawn["data-focus-token"])
    assert status_of(ctx, number) == ("closed", 5)


def test_the_keys_are_written_on_the_page_and_on_their_buttons(app, ctx):
    number = call(ctx, district="lilirilau")
    tree = layout(app, number)
    legend = json.dumps(find(tree, "incident-keys"))
    for key in ("1", "2", "3", "4", "8", "9", "N", "Enter", "Esc"):
        assert f'"children": "{key}"' in legend, key
    for button, key in (("incident-dispatch", "1"), ("incident-to-cancelled", "8"), ("incident-to-prank", "9")):
        assert f'"children": "{key}"' in json.dumps(find(tree, button)), button
    back(ctx, number)


# -- the board and the overview ------------------------------------------------------------------------------


def test_board_and_overview_count_free_units_per_kind_and_alarm_when_a_kind_has_none(app, ctx):
    busy = [out(ctx, "ambulans-1"), out(ctx, "ambulans-2"), out(ctx, "truk-citta")]
    board = response(post(app, "bupati", key_of(app, "calls-body.children"), {"calls-tick.n_intervals": 1}))
    kinds = find(board, "board-kinds")
    chips = {c["props"]["data-kind"]: c["props"] for c in kinds["props"]["children"]}
    assert (chips["ambulance"]["data-free"], chips["ambulance"]["data-total"]) == ("0", "2")
    assert chips["ambulance"]["data-tone"] == "alarm" and ID["kind.all_out"] in json.dumps(chips["ambulance"])
    assert (chips["fire_truck"]["data-free"], chips["fire_truck"]["data-tone"]) == ("8", "ok")
    assert find(board, "board-free")["props"]["data-tone"] == "alarm"
    overview = json.loads(page(app, "bupati", "/"))
    chips = {c["props"]["data-kind"]: c["props"] for c in find(overview, "overview-kinds")["props"]["children"]}
    assert chips["ambulance"]["data-tone"] == "alarm" and chips["police_patrol"]["data-tone"] == "ok"
    for number in busy:
        back(ctx, number)


def test_board_clocks_turn_warning_then_alarm_against_the_priority_target(app, ctx):
    now = utcnow()
    fresh = call(ctx, district="ganra", received_at=now - timedelta(seconds=20))
    warn = call(ctx, district="ganra", received_at=now - timedelta(seconds=75))
    late = call(ctx, district="ganra", received_at=now - timedelta(seconds=150))
    sent = call(ctx, district="ganra", received_at=now - timedelta(minutes=5))
    lifecycle.dispatch(ctx.engine, ctx.settings, sent, "truk-ganra", operator="admin", version=1)  # deliberately
    board = response(post(app, "operator", key_of(app, "calls-body.children"), {"calls-tick.n_intervals": 1}))
    body = find(board, "calls-table")["props"]["children"][1]["props"]["children"]
    rows = {int(json.dumps(r).split('"#', 1)[1].split('"', 1)[0]): r for r in body}

    def timers(number: int) -> list[dict]:
        found: list[dict] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if "timer" in str(node.get("props", {}).get("className", "")).split():
                    found.append(node["props"])
                for value in node.get("props", {}).values():
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(rows[number])
        return found

    # P1 waiting for a unit: 2 minutes allowed, warning from the first minute.
    assert [(t["data-tone"], t["data-warn"], t["data-alarm"]) for t in timers(fresh)] == [("ok", "60", "120")]
    assert timers(warn)[0]["data-tone"] == "warning" and timers(late)[0]["data-tone"] == "alarm"
    assert "icon-alarm" in json.dumps(timers(late)[0]), "past its target: the alarm's shape, not just red"
    # Sent five minutes after the call: both clocks now race the 15 minutes to the scene, counted from the
    # call, so the step's clock has the ten minutes left (to a second: both are cut to whole seconds).
    call_clock, step_clock = timers(sent)
    assert (call_clock["data-warn"], call_clock["data-alarm"], call_clock["data-tone"]) == ("450", "900", "ok")
    assert abs(int(step_clock["data-alarm"]) - 600) <= 1 and int(step_clock["data-elapsed"]) <= 1
    for number in (fresh, warn, late, sent):
        back(ctx, number)
