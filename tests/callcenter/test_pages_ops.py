"""The operators' pages in-process: who may do what, and what an operator is told when a write is refused.

Callbacks are posted as Dash's renderer posts them (tests/support/dashapp.py).
Every write callback of these pages refuses the bupati (viewer) and SKPD
staff with 403 and a missing session with 401; a save on a stale version
changes nothing and says who changed it; a busy unit says where it is.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from callcenter import lifecycle
from callcenter.intake import take_call
from dashboard import i18n
from dashboard.access import ROUTER
from scc.clock import utcnow
from scc.percentiles import percentile
from scc.storage.callcenter import call_log, incidents
from tests.support.dashapp import callback_body, client, make_app, post_callback

ID = i18n.catalog("id")
FIRE = dict(
    line_code="damkar-citta", caller_number="0812-3456-7890", caller_name="Andi", district="citta",
    village="Tinco", category="fire", priority=1, summary="Rumah terbakar",
)  # fmt: skip
WRITE_OUTPUTS = ("intake-go.href", "incident-body.children")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    dash_app = make_app(tmp_path_factory.mktemp("ops") / "scc.db")
    yield dash_app
    dash_app.server.config["SCC_CONTEXT"].engine.dispose()


@pytest.fixture(scope="module")
def ctx(app):
    return app.server.config["SCC_CONTEXT"]


def key_of(app, output: str, duplicate: bool = False) -> str:
    """The key of the callback writing `output` (the second one, with allow_duplicate: `duplicate`) that
    takes a button's click (the incident page's periodic refresh writes its body too)."""
    keys = [
        k
        for k in app.callback_map
        if output in k and ("@" in k) == duplicate and "incident-tick" not in str(app.callback_map[k]["inputs"])
    ]
    assert len(keys) == 1, (output, keys)
    return keys[0]


def post(app, username: str | None, key: str, values: dict[str, Any], trigger: str | None = None):
    """The callback `key` with the given input and state values (by "id.property"), fired by `trigger`."""
    body = callback_body(app, key)
    for item in body["inputs"] + body["state"]:
        name = f"{item['id']}.{item['property']}"
        if name in values:
            item["value"] = values[name]
    if trigger:
        body["changedPropIds"] = [trigger]
    return post_callback(client(app, username), body)


def page(app, username: str, path: str) -> str:
    body = callback_body(app, ROUTER)
    body["inputs"][0]["value"] = path
    r = post_callback(client(app, username), body)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def find(tree: Any, component_id: str) -> dict | None:
    """The component with this id in a rendered layout (Dash's JSON)."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("id") == component_id:
            return tree
        tree = list(props.values()) if "props" in tree else list(tree.values())
    if isinstance(tree, list):
        for item in tree:
            found = find(item, component_id)
            if found is not None:
                return found
    return None


def kpi_value(card: dict | None) -> str:
    """The headline figure of a KPI card (dashboard.components.tables.kpi)."""
    assert card is not None
    return next(c["props"]["children"] for c in card["props"]["children"] if c["props"].get("className") == "kpi-value")


def act(app, username: str, incident_id: int, version: int, button: str, **states: Any):
    values = {"incident-state.data": {"id": incident_id, "version": version}, f"{button}.n_clicks": 1}
    values.update({f"{k.replace('_', '-')}.value": v for k, v in states.items()})
    return post(app, username, key_of(app, "incident-body.children"), values, f"{button}.n_clicks")


def intake(app, username: str, **fields: Any):
    ids = {
        "line_code": "intake-line", "caller_number": "intake-number", "caller_name": "intake-name",
        "district": "intake-district", "village": "intake-village", "category": "intake-category",
        "priority": "intake-priority", "summary": "intake-summary", "skpd_code": "intake-skpd",
    }  # fmt: skip
    values = {f"{ids[k]}.value": v for k, v in fields.items()}
    values["intake-submit.n_clicks"] = 1
    return post(app, username, key_of(app, "intake-go.href"), values, "intake-submit.n_clicks")


def response(r) -> dict:
    assert r.status_code == 200, r.status_code
    return json.loads(r.get_data(as_text=True))["response"]


# -- roles ---------------------------------------------------------------------------------------


def test_every_write_callback_refuses_viewer_skpd_and_no_session(app, ctx):
    taken = take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": "0812 0000 0001"}, operator="admin")
    access = app.server.config["SCC_ACCESS"]
    writes = [k for k in app.callback_map if any(o in k for o in WRITE_OUTPUTS) and "viewer" not in access.callbacks[k]]
    assert len(writes) == 3  # intake; incident steps; incident edit
    for key in writes:
        values = {
            "incident-state.data": {"id": taken.incident_id, "version": 1},
            "incident-dispatch.n_clicks": 1,
            "incident-unit.value": "truk-citta",
            "incident-save.n_clicks": 1,
            "intake-submit.n_clicks": 1,
            "intake-line.value": "psc-119",
            "intake-category.value": "medical",
        }
        assert post(app, None, key, values).status_code == 401, key
        assert post(app, "bupati", key, values).status_code == 403, key
        assert post(app, "dpmptsp", key, values).status_code == 403, key
    with ctx.engine.connect() as conn:
        row = conn.execute(select(incidents).where(incidents.c.id == taken.incident_id)).one()
    assert row.status == "received" and row.version == 1  # nothing the refused ones sent was applied


def test_take_call_button_and_actions_only_for_writers(app, ctx):
    taken = take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": "0812 0000 0002"}, operator="admin")
    assert "board-take-call" in page(app, "operator", "/calls")
    assert "board-take-call" not in page(app, "bupati", "/calls")
    viewer = page(app, "bupati", f"/calls/{taken.incident_id}")
    assert "incident-timeline" in viewer and "incident-actions" not in viewer and "incident-dispatch" not in viewer
    assert "incident-actions" in page(app, "operator", f"/calls/{taken.incident_id}")
    assert "forbidden" in page(app, "bupati", "/calls/new")


def test_incident_page_paths(app, ctx):
    access = app.server.config["SCC_ACCESS"]
    taken = take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": "0812 0000 0003"}, operator="admin")
    assert access.page_status(f"/calls/{taken.incident_id}", "viewer") == 200
    assert access.page_status(f"/calls/{taken.incident_id}", "skpd") == 403
    assert access.page_status("/calls/999999", "operator") == 404
    assert access.page_status("/calls/abc", "operator") == 404
    assert access.page_status("/calls/new", "operator") == 200 and access.page_status("/calls/new", "viewer") == 403


# -- intake --------------------------------------------------------------------------------------


def test_intake_opens_the_incident_and_links_a_repeat_caller(app, ctx):
    out = response(intake(app, "operator", **{**FIRE, "caller_number": "0812 5555 0001"}))
    href = out["intake-go"]["href"]
    assert href.startswith("/calls/") and "linked" not in href
    number = int(href.rsplit("/", 1)[1])
    again = response(intake(app, "operator", **{**FIRE, "caller_number": "+62 812-5555-0001", "summary": "lagi"}))
    assert again["intake-go"]["href"] == f"/calls/{number}?linked=1"
    body = callback_body(app, ROUTER)
    body["inputs"][0]["value"], body["inputs"][1]["value"] = f"/calls/{number}", "?linked=1"
    shown = post_callback(client(app, "operator"), body).get_data(as_text=True)
    banner = find(json.loads(shown), "incident-linked")
    assert banner is not None and banner["props"]["children"] == ID["incident.linked"].format(id=number)
    with ctx.engine.connect() as conn:
        row = conn.execute(select(incidents).where(incidents.c.id == number)).one()
    assert row.created_by == "operator" and row.caller_number == "+6281255550001"


def test_intake_error_shows_next_to_its_field(app):
    out = response(intake(app, "operator", **{**FIRE, "caller_number": "telepon saya"}))
    assert "intake-go" not in out  # no navigation
    error = json.dumps(out["intake-number-error"]["children"])
    assert ID["intake.err_caller_number"] in error and "not a phone number" in error  # ours, and the server's
    assert out["intake-line-error"]["children"] is None
    out = response(intake(app, "operator", **{**FIRE, "category": "complaint", "caller_number": "0812 5555 0002"}))
    assert ID["intake.err_topic"] in json.dumps(out["intake-topic-error"]["children"])
    out = response(intake(app, "operator", **{**FIRE, "line_code": None, "caller_number": "0812 5555 0003"}))
    assert ID["intake.err_line_code"] in json.dumps(out["intake-line-error"]["children"])


# -- the incident's steps ------------------------------------------------------------------------


def test_steps_through_the_page_and_only_allowed_moves_shown(app, ctx):
    taken = take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": "0812 0000 0004"}, operator="admin")
    number = taken.incident_id
    tree = json.loads(json.dumps(_layout(app, "operator", f"/calls/{number}")))
    assert find(tree, "incident-unit")["props"]["value"] == "truk-citta"  # the district's own truck first
    shown = {m for m in ("on_scene", "resolved", "closed", "cancelled", "prank")
             if "d-none" not in find(tree, f"incident-to-{m}")["props"].get("className", "")}  # fmt: skip
    assert shown == set(lifecycle.allowed_moves({"status": "received", "category": "fire"})) == {"cancelled", "prank"}
    out = response(act(app, "operator", number, 1, "incident-dispatch", incident_unit="truk-citta"))
    assert out["incident-state"]["data"] == {"id": number, "version": 2}
    assert ID["incident.done_dispatch"] in json.dumps(out["incident-msg"])
    out = response(act(app, "operator", number, 2, "incident-dispatch", incident_unit="ambulans-1"))
    out = response(act(app, "operator", number, 3, "incident-release", incident_release_unit="ambulans-1"))
    assert ID["incident.done_release"] in json.dumps(out["incident-msg"])
    assert out["incident-state"]["data"]["version"] == 3  # a release is a timeline entry, not a new version
    out = response(act(app, "operator", number, 3, "incident-to-on_scene"))
    assert out["incident-state"]["data"]["version"] == 4
    out = response(act(app, "operator", number, 4, "incident-add-note", incident_note="Api sudah padam"))
    assert "Api sudah padam" in json.dumps(out["incident-body"])
    out = response(act(app, "operator", number, 4, "incident-to-closed"))  # not before it is resolved
    assert ID["incident.refused_move"] in json.dumps(out["incident-msg"]) and "incident-body" not in out
    response(act(app, "operator", number, 4, "incident-to-resolved"))
    with ctx.engine.connect() as conn:
        row = conn.execute(select(incidents).where(incidents.c.id == number)).one()
    assert row.status == "resolved" and row.updated_by == "operator"


def test_stale_save_says_who_and_applies_nothing(app, ctx):
    taken = take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": "0812 0000 0005"}, operator="admin")
    number = taken.incident_id
    # The admin sends the truck while the operator still has version 1 on screen.
    lifecycle.dispatch(ctx.engine, ctx.settings, number, "truk-ganra", operator="admin", version=1)
    out = response(act(app, "operator", number, 1, "incident-confirm-cancelled", incident_reason_cancelled="Ganda"))
    msg = json.dumps(out["incident-msg"])
    assert ID["incident.stale"].format(by="admin") in msg and "incident-reload" in msg
    assert "incident-body" not in out and "incident-state" not in out  # the page keeps what it showed
    edit = {"incident-state.data": {"id": number, "version": 1}, "incident-save.n_clicks": 1,
            "edit-summary.value": "ditimpa", "edit-category.value": "fire", "edit-priority.value": "1"}  # fmt: skip
    out = response(post(app, "operator", key_of(app, "incident-body.children", True), edit, "incident-save.n_clicks"))
    assert ID["incident.stale"].format(by="admin") in json.dumps(out["incident-msg"])
    with ctx.engine.connect() as conn:
        row = conn.execute(select(incidents).where(incidents.c.id == number)).one()
    assert row.status == "dispatched" and row.summary == "Rumah terbakar" and row.version == 2


def test_busy_unit_says_where_it_is(app, ctx):
    first = take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": "0812 0000 0006"}, operator="admin")
    second = take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": "0812 0000 0007"}, operator="admin")
    lifecycle.dispatch(ctx.engine, ctx.settings, first.incident_id, "truk-lilirilau", operator="admin", version=1)
    out = response(act(app, "operator", second.incident_id, 1, "incident-dispatch", incident_unit="truk-lilirilau"))
    expected = ID["incident.busy"].format(unit="Truk Damkar Lilirilau", incident=first.incident_id)
    assert expected in json.dumps(out["incident-msg"])
    # And the page never offers it: only free units are in the list.
    tree = _layout(app, "operator", f"/calls/{second.incident_id}")
    options = [o["value"] for o in find(tree, "incident-unit")["props"]["options"]]
    assert "truk-lilirilau" not in options and "truk-citta" in options


def test_edit_refuses_values_outside_the_lists(app, ctx):
    taken = take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": "0812 0000 0008"}, operator="admin")
    edit = {"incident-state.data": {"id": taken.incident_id, "version": 1}, "incident-save.n_clicks": 1,
            "edit-category.value": "alien", "edit-priority.value": "1"}  # fmt: skip
    out = response(post(app, "operator", key_of(app, "incident-body.children", True), edit, "incident-save.n_clicks"))
    assert ID["incident.refused_invalid"] in json.dumps(out["incident-msg"])
    edit.update({"edit-category.value": "medical", "edit-village.value": "Tinco", "edit-district.value": "citta"})
    out = response(post(app, "operator", key_of(app, "incident-body.children", True), edit, "incident-save.n_clicks"))
    assert out["incident-state"]["data"]["version"] == 2
    with ctx.engine.connect() as conn:
        row = conn.execute(select(incidents).where(incidents.c.id == taken.incident_id)).one()
    assert row.category == "medical" and row.updated_by == "operator"


def _layout(app, username: str, path: str) -> Any:
    return json.loads(page(app, username, path))


def test_incident_page_refreshes_for_everyone_on_staff(app, ctx):
    taken = take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": "0812 0000 0010"}, operator="admin")
    key = next(k for k in app.callback_map if "incident-tick" in str(app.callback_map[k]["inputs"]))
    lifecycle.add_note(ctx.engine, taken.incident_id, "Warga membantu memadamkan", operator="admin")
    values = {"incident-tick.n_intervals": 1, "incident-state.data": {"id": taken.incident_id, "version": 1}}
    assert "Warga membantu memadamkan" in json.dumps(response(post(app, "bupati", key, values)))
    assert post(app, "dpmptsp", key, values).status_code == 403
    values["incident-state.data"] = {"id": 10**9, "version": 1}
    assert post(app, "bupati", key, values).status_code == 204  # no such incident: nothing to show


def test_cameras_at_the_scene_and_no_snapshot_yet(app, ctx):
    fields = {**FIRE, "caller_number": "0812 0000 0009", "site": "RSUD Latemmamala", "category": "medical"}
    taken = take_call(ctx.engine, ctx.settings, fields, operator="admin")
    tree = _layout(app, "operator", f"/calls/{taken.incident_id}")
    at_site = [c for c in ctx.settings.cameras if c.site == "RSUD Latemmamala" and c.status == "active"]
    assert at_site
    for cam in at_site:
        link = find(tree, f"incident-cam-{cam.id}")
        assert link is not None and link["props"]["href"] == "/cameras"
    assert find(tree, "incident-no-snapshot")["props"]["children"] == ID["incident.no_snapshot"]
    assert "snapshot" not in json.dumps(find(tree, "incident-actions")).lower()  # no button that cannot work


# -- the board -----------------------------------------------------------------------------------
# These build apps of their own on fresh databases. Dash keeps one page registry per process, so
# page layouts rendered after them would read their database: the module's page tests come first.


def test_board_holds_emergencies_by_priority_then_age_and_counts_complaints_apart(tmp_path):
    app = make_app(tmp_path / "board.db")
    ctx = app.server.config["SCC_CONTEXT"]
    now = utcnow()
    s, e = ctx.settings, ctx.engine
    old3 = take_call(e, s, {**FIRE, "caller_number": "0811 0000 01", "priority": 3,
                            "received_at": now - timedelta(hours=2)}, operator="admin")  # fmt: skip
    new1 = take_call(e, s, {**FIRE, "caller_number": "0811 0000 02", "priority": 1}, operator="admin")
    old1 = take_call(e, s, {**FIRE, "caller_number": "0811 0000 03", "priority": 1,
                            "received_at": now - timedelta(hours=1)}, operator="admin")  # fmt: skip
    late = take_call(e, s, {**FIRE, "caller_number": "0811 0000 04", "category": "complaint", "skpd_code": "dpmptsp",
                            "priority": 2, "received_at": now - timedelta(days=5)}, operator="admin")  # fmt: skip
    done = take_call(e, s, {**FIRE, "caller_number": "0811 0000 05"}, operator="admin")
    lifecycle.advance(e, done.incident_id, "cancelled", operator="admin", version=1, reason="Salah sambung")
    r = post(app, "bupati", key_of(app, "calls-body.children"), {"calls-tick.n_intervals": 1})
    body = response(r)["calls-body"]["children"]
    board = json.dumps(find(body, "calls-table"))
    order = [old1.incident_id, new1.incident_id, old3.incident_id]
    positions = [board.index(f'"#{n}"') for n in order]
    assert positions == sorted(positions) and f'"#{done.incident_id}"' not in board
    # A street light out five days ago is not an emergency: counted apart, with the way to its page.
    assert f'"#{late.incident_id}"' not in board
    assert kpi_value(find(body, "board-open")) == "3"
    complaints = find(body, "board-complaints")
    assert complaints["props"]["data-tone"] == "alarm" and kpi_value(complaints) == "1"
    assert find(body, "board-complaints-link")["props"]["href"] == "/complaints"
    app.server.config["SCC_CONTEXT"].engine.dispose()


ROUNDS = 100


def test_board_is_fast_with_100000_past_incidents(tmp_path):
    """The board reads open incidents and today only, so 100,000 past incidents must not slow it: its
    refresh on a file holding them is timed in turn with the same refresh on a file holding none (the
    floor, same open incidents), so a busy moment slows both, and the p95s may differ by half at most.
    The 150 ms goal itself is measured by benchmarks/dispatch.py."""
    apps = {name: make_app(tmp_path / f"{name}.db") for name in ("empty", "big")}
    old = utcnow() - timedelta(days=400)
    history = [
        dict(line_code="psc-119", district="citta", category="medical", priority=2, summary="", status="closed",
             received_at=old + timedelta(minutes=5 * i), closed_at=old + timedelta(minutes=5 * i + 60),
             source="csv", created_by="bench")
        for i in range(100_000)
    ]  # fmt: skip
    calls = {}
    for name, app in apps.items():
        ctx = app.server.config["SCC_CONTEXT"]
        for i in range(30):
            take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": f"0812 9000 {i:04d}"}, operator="admin")
        if name == "big":
            with ctx.engine.begin() as conn:
                conn.execute(insert(incidents), history)
                conn.execute(
                    insert(call_log),
                    [dict(at=h["received_at"], line_code="psc-119", outcome="answered", source="csv") for h in history],
                )
        body = callback_body(app, key_of(app, "calls-body.children"))
        body["inputs"][0]["value"] = 1
        calls[name] = (client(app, "operator"), body)
    times: dict[str, list[float]] = {"empty": [], "big": []}
    # 100 rounds: with 40, two moments when the other test process took the CPU, both falling on the big
    # file's calls, were enough to move its p95 by half (seen once in a full run: 53 ms against 34).
    for _ in range(ROUNDS):
        for name, (c, body) in calls.items():
            started = time.perf_counter()
            assert post_callback(c, body).status_code == 200
            times[name].append(time.perf_counter() - started)
    p95 = {name: percentile(t, 95) for name, t in times.items()}
    print(f"board refresh p95 {p95['big'] * 1000:.1f} ms (no history: {p95['empty'] * 1000:.1f} ms)")
    assert p95["big"] <= 1.5 * p95["empty"], f"p95 {p95['big'] * 1000:.0f} ms against {p95['empty'] * 1000:.0f} ms"
    for app in apps.values():
        app.server.config["SCC_CONTEXT"].engine.dispose()


# -- the reads, on both backends -------------------------------------------------------------------


def test_board_reads_on_both_backends(engine, settings):
    from dashboard.queries import callcenter as q

    now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 01.00 WITA on 24 November
    fire = take_call(engine, settings, {**FIRE, "received_at": now - timedelta(minutes=20)}, operator="admin")
    late = take_call(engine, settings, {**FIRE, "caller_number": "0811 0000 10", "category": "complaint",
                                        "skpd_code": "dpmptsp", "priority": 2, "received_at": now - timedelta(days=4)},
                     operator="admin")  # fmt: skip
    lifecycle.dispatch(engine, settings, fire.incident_id, "truk-citta", operator="admin", version=1)
    with engine.begin() as conn:  # one call just after midnight WITA, one just before
        conn.execute(insert(call_log), [
            dict(at=now - timedelta(minutes=30), line_code="psc-119", outcome="abandoned", source="csv"),
            dict(at=now - timedelta(minutes=90), line_code="psc-119", outcome="answered", source="csv"),
        ])  # fmt: skip
    waits = take_call(engine, settings, {**FIRE, "caller_number": "0811 0000 11", "received_at": now}, operator="admin")
    board = q.board(engine, now)
    assert [r["id"] for r in board.rows] == [fire.incident_id, waits.incident_id]  # the complaint is not on it
    assert board.open == 2 and board.waiting == 1
    assert board.rows[0]["units"] == ["truk-citta"] and board.rows[1]["units"] == []
    assert q.incident_counts(engine, now) == {"open": 2, "waiting": 1, "last_24h": 2}
    assert late.incident_id not in [r["id"] for r in q.recent_incidents(engine)]
    assert q.today_by_line(engine, now) == {"damkar-citta": 2, "psc-119": 1}  # the fire calls and the abandoned one
    units = {u.unit.code: u.incident_id for u in q.units_status(engine, settings)}
    assert units["truk-citta"] == fire.incident_id and units["truk-ganra"] is None
    assert len(units) == len(settings.response_units)
    lifecycle.advance(engine, fire.incident_id, "on_scene", operator="admin", version=2)
    lifecycle.advance(engine, fire.incident_id, "resolved", operator="admin", version=3)
    assert all(u.free for u in q.units_status(engine, settings))
    assert q.incident(engine, fire.incident_id)["units"] == []
    assert [e["kind"] for e in q.timeline(engine, fire.incident_id)] == ["status", "unit", "status", "status", "status"]
    assert q.incident(engine, 10**9) is None and not q.exists(engine, 10**9)
