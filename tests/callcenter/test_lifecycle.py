"""Intake and the dispatch lifecycle, on SQLite and PostgreSQL.

Each step is stamped with who did it; an invalid step is refused with a clear
error; a busy unit cannot be sent twice, even by two operators at once; the
second of two concurrent saves is told to reload and changes nothing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from callcenter import lifecycle
from callcenter.errors import CallError
from callcenter.intake import take_call
from scc.clock import utcnow
from scc.storage.callcenter import call_log, incident_events, incident_units, incidents

FIRE = dict(
    line_code="damkar-citta",
    caller_number="0812-3456-7890",
    caller_name="Andi",
    district="citta",
    village="Tinco",
    landmark="depan pasar",
    category="fire",
    priority=1,
    summary="Rumah terbakar",
)


def row(engine, incident_id):
    with engine.connect() as conn:
        return conn.execute(select(incidents).where(incidents.c.id == incident_id)).one()


def events(engine, incident_id):
    with engine.connect() as conn:
        return conn.execute(
            select(incident_events).where(incident_events.c.incident_id == incident_id).order_by(incident_events.c.id)
        ).all()


def test_a_fire_call_goes_from_ring_to_close_with_every_step_stamped(engine, settings):
    taken = take_call(engine, settings, FIRE, operator="op1")
    assert not taken.linked and taken.version == 1
    v = lifecycle.dispatch(engine, settings, taken.incident_id, "truk-citta", operator="op1", version=1)
    v = lifecycle.advance(engine, taken.incident_id, "on_scene", operator="op2", version=v)
    v = lifecycle.advance(engine, taken.incident_id, "resolved", operator="op2", version=v, note="api padam")
    v = lifecycle.advance(engine, taken.incident_id, "closed", operator="op1", version=v)
    got = row(engine, taken.incident_id)
    assert got.status == "closed" and got.version == v == 5
    assert got.caller_number == "+6281234567890" and got.updated_by == "op1"
    assert got.received_at <= got.dispatched_at <= got.on_scene_at <= got.resolved_at <= got.closed_at
    steps = [(e.kind, e.status, e.operator, e.unit_code) for e in events(engine, taken.incident_id)]
    assert steps == [
        ("status", "received", "op1", None),
        ("unit", "dispatched", "op1", "truk-citta"),
        ("status", "dispatched", "op1", None),
        ("status", "on_scene", "op2", None),
        ("status", "resolved", "op2", None),
        ("status", "closed", "op1", None),
    ]
    assert lifecycle.busy_units(engine) == {}, "the truck is free again once the fire is out"
    with engine.connect() as conn:
        logged = conn.execute(select(call_log)).one()
    assert logged.incident_id == taken.incident_id and logged.outcome == "answered" and logged.source == "intake"


@pytest.mark.parametrize(
    ("steps", "to", "says"),
    [
        ([], "closed", "must be resolved first"),
        ([], "on_scene", "before a unit is dispatched"),
        ([], "resolved", "cannot move from received to resolved"),
        (["cancelled"], "closed", "cannot move from cancelled to closed"),
    ],
)
def test_invalid_moves_are_refused_with_a_clear_error(engine, settings, steps, to, says):
    taken = take_call(engine, settings, FIRE, operator="op1")
    v = taken.version
    for step in steps:
        v = lifecycle.advance(engine, taken.incident_id, step, operator="op1", version=v, reason="Salah sambung")
    with pytest.raises(CallError, match=says) as err:
        lifecycle.advance(engine, taken.incident_id, to, operator="op1", version=v)
    assert err.value.code == "move"
    assert row(engine, taken.incident_id).version == v, "a refused move changes nothing"


def test_a_busy_unit_cannot_be_sent_again(engine, settings):
    first = take_call(engine, settings, FIRE, operator="op1")
    second = take_call(engine, settings, {**FIRE, "caller_number": "0813 1111 2222"}, operator="op2")
    lifecycle.dispatch(engine, settings, first.incident_id, "truk-citta", operator="op1", version=1)
    with pytest.raises(CallError, match=f"busy on incident {first.incident_id}") as err:
        lifecycle.dispatch(engine, settings, second.incident_id, "truk-citta", operator="op2", version=1)
    assert err.value.code == "busy"
    assert row(engine, second.incident_id).status == "received", "the refused dispatch left no trace"
    # the central brigade backs the district up
    lifecycle.dispatch(engine, settings, second.incident_id, "damkar-pusat", operator="op2", version=1)
    assert lifecycle.busy_units(engine) == {"truk-citta": first.incident_id, "damkar-pusat": second.incident_id}


def test_two_operators_sending_one_truck_at_once_only_one_succeeds(engine, settings):
    ids = [
        take_call(engine, settings, {**FIRE, "caller_number": f"0812000000{i:02d}"}, operator="op").incident_id
        for i in range(6)
    ]

    def send(incident_id):
        try:
            lifecycle.dispatch(engine, settings, incident_id, "truk-citta", operator="op", version=1)
            return "sent"
        except CallError as exc:
            return exc.code

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(send, ids))
    assert sorted(results) == ["busy"] * 5 + ["sent"]
    with engine.connect() as conn:
        out = conn.execute(select(incident_units).where(incident_units.c.released_at.is_(None))).all()
    assert len(out) == 1


def test_the_second_of_two_concurrent_saves_is_told_to_reload(engine, settings):
    taken = take_call(engine, settings, FIRE, operator="op1")
    # both operators opened version 1
    v = lifecycle.edit(engine, settings, taken.incident_id, {"landmark": "belakang pasar"}, operator="op1", version=1)
    with pytest.raises(CallError, match="changed by op1 since you opened it; reload") as err:
        lifecycle.edit(engine, settings, taken.incident_id, {"priority": 3}, operator="op2", version=1)
    assert err.value.code == "stale" and err.value.details["version"] == v
    got = row(engine, taken.incident_id)
    assert got.landmark == "belakang pasar" and got.priority == 1, "op1's save kept, op2's refused, not merged"
    # op2 reloads and saves again: now it lands
    lifecycle.edit(engine, settings, taken.incident_id, {"priority": 3}, operator="op2", version=v)
    assert row(engine, taken.incident_id).priority == 3
    with pytest.raises(CallError, match="cannot edit status"):
        lifecycle.edit(engine, settings, taken.incident_id, {"status": "closed"}, operator="op2", version=v + 1)


def test_a_repeat_call_joins_the_open_incident_within_the_window(engine, settings):
    first = take_call(engine, settings, FIRE, operator="op1")
    again = take_call(engine, settings, {**FIRE, "caller_number": "+62 812-3456-7890", "summary": "apinya membesar"},
                      operator="op2")  # fmt: skip
    assert again.linked and again.incident_id == first.incident_id
    kinds = [(e.kind, e.note) for e in events(engine, first.incident_id)]
    assert ("call", "Andi - apinya membesar") in kinds
    later = take_call(
        engine,
        settings,
        {**FIRE, "received_at": utcnow() + timedelta(minutes=settings.call_policy.repeat_window_min + 1)},
        operator="op1",
    )
    assert not later.linked, "outside the window it is a new incident"
    with engine.connect() as conn:
        assert len(conn.execute(select(call_log)).all()) == 3, "every call is in the log, linked or not"


def test_a_complaint_is_routed_with_a_deadline_and_needs_its_topic_or_skpd(engine, settings):
    complaint = dict(line_code="psc-119", category="complaint", summary="Lampu jalan mati", district="lalabata",
                     caller_number="0812 3456 7001")  # fmt: skip
    with pytest.raises(CallError, match="topic or the SKPD") as err:
        take_call(engine, settings, complaint, operator="op1")
    assert err.value.details["field"] == "topic"
    taken = take_call(engine, settings, {**complaint, "skpd_code": "pupr"}, operator="op1")
    got = row(engine, taken.incident_id)
    assert got.skpd_code == "pupr"
    assert got.due_at - got.received_at == timedelta(days=settings.call_policy.complaint_days)
    with pytest.raises(CallError, match="no unit can be sent"):
        lifecycle.dispatch(engine, settings, taken.incident_id, "ambulans-1", operator="op1", version=1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("line_code", "nope"),
        ("district", "jakarta"),
        ("category", "alien"),
        ("priority", 7),
        ("caller_number", "call me"),
        ("summary", "x" * 2001),
        ("site", "Monas"),
        ("colour", "red"),
    ],
)
def test_bad_form_fields_are_named(engine, settings, field, value):
    with pytest.raises(CallError) as err:
        take_call(engine, settings, {**FIRE, field: value}, operator="op1")
    assert err.value.code == "invalid" and err.value.details["field"] == field
    with engine.connect() as conn:
        assert conn.execute(select(incidents)).first() is None


def test_a_prank_is_recorded_and_closed_at_once(engine, settings):
    taken = take_call(engine, settings, {**FIRE, "category": "prank"}, operator="op1")
    got = row(engine, taken.incident_id)
    assert got.status == "prank" and got.closed_at == got.received_at


def test_an_skpd_settles_only_its_own_complaints(engine, settings):
    from callcenter import complaints

    base = dict(line_code="psc-119", category="complaint", summary="Jalan berlubang", district="ganra")
    mine = take_call(engine, settings, {**base, "skpd_code": "pupr", "caller_withheld": True}, operator="op1")
    theirs = take_call(engine, settings, {**base, "skpd_code": "dlh", "caller_number": "0811 234 567"}, operator="op1")
    fire = take_call(engine, settings, {**FIRE, "caller_number": "0812 9999 0000"}, operator="op1")
    for other in (theirs.incident_id, fire.incident_id, 999_999):
        with pytest.raises(CallError, match="is not routed to pupr") as err:
            complaints.settle(engine, other, "pupr", operator="pupr-staff", version=1, note="sudah")
        assert err.value.code == "forbidden"
        with pytest.raises(CallError):
            complaints.reply(engine, other, "pupr", operator="pupr-staff", note="dicek")
    complaints.reply(engine, mine.incident_id, "pupr", operator="pupr-staff", note="tim meninjau lokasi")
    with pytest.raises(CallError, match="say what was done"):
        complaints.settle(engine, mine.incident_id, "pupr", operator="pupr-staff", version=1, note=" ")
    v = complaints.settle(engine, mine.incident_id, "pupr", operator="pupr-staff", version=1, note="sudah ditambal")
    assert row(engine, mine.incident_id).status == "resolved" and v == 2
    assert row(engine, theirs.incident_id).status == "received"
    notes = [(e.kind, e.operator, e.note) for e in events(engine, mine.incident_id)]
    assert ("note", "pupr-staff", "tim meninjau lokasi") in notes and (
        "status",
        "pupr-staff",
        "sudah ditambal",
    ) in notes


def test_a_unit_sent_home_early_is_free_again_and_on_the_timeline(engine, settings):
    taken = take_call(engine, settings, FIRE, operator="op1")
    v = lifecycle.dispatch(engine, settings, taken.incident_id, "truk-citta", operator="op1", version=1)
    lifecycle.dispatch(engine, settings, taken.incident_id, "damkar-pusat", operator="op1", version=v)
    lifecycle.release(engine, taken.incident_id, "damkar-pusat", operator="op2")
    assert lifecycle.busy_units(engine) == {"truk-citta": taken.incident_id}
    assert ("unit", "damkar-pusat", "released", "op2") in [
        (e.kind, e.unit_code, e.note, e.operator) for e in events(engine, taken.incident_id)
    ]
    with pytest.raises(CallError, match="not out on incident"):
        lifecycle.release(engine, taken.incident_id, "damkar-pusat", operator="op2")


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"category": "alien"}, "category"), ({"priority": 9}, "priority"), ({"district": "bone"}, "district"),
     ({"site": "Monas"}, "site"), ({"summary": "a\x00b"}, "summary")],
)  # fmt: skip
def test_an_edit_meets_the_intake_checks(engine, settings, changes, field):
    taken = take_call(engine, settings, FIRE, operator="op1")
    with pytest.raises(CallError) as err:
        lifecycle.edit(engine, settings, taken.incident_id, changes, operator="op1", version=1)
    assert err.value.details["field"] == field
    assert row(engine, taken.incident_id).version == 1


@pytest.mark.parametrize("to", ["cancelled", "prank"])
def test_cancel_and_prank_need_a_reason_kept_on_the_timeline_and_in_the_audit_log(engine, settings, to):
    from scc.storage.platform import audit_log

    taken = take_call(engine, settings, FIRE, operator="op1")
    v = lifecycle.dispatch(engine, settings, taken.incident_id, "truk-citta", operator="op1", version=1)
    for reason in ("", "  \n "):
        with pytest.raises(CallError, match="reason") as err:
            lifecycle.advance(engine, taken.incident_id, to, operator="op2", version=v, reason=reason)
        assert err.value.code == "invalid" and err.value.details["field"] == "reason"
    got = row(engine, taken.incident_id)
    assert got.status == "dispatched" and got.version == v, "refused without a reason: nothing changed"
    lifecycle.advance(engine, taken.incident_id, to, operator="op2", version=v, reason=" Penelepon salah alamat ")
    got = row(engine, taken.incident_id)
    assert got.status == to and got.closed_at is not None and lifecycle.busy_units(engine) == {}
    last = events(engine, taken.incident_id)[-1]
    assert (last.kind, last.status, last.operator, last.note) == ("status", to, "op2", "Penelepon salah alamat")
    with engine.connect() as conn:
        (entry,) = conn.execute(select(audit_log).where(audit_log.c.action == f"incident.{to}")).all()
    assert entry.actor == "op2" and entry.target == f"incident #{taken.incident_id}"
    assert entry.detail == {"reason": "Penelepon salah alamat", "from": "dispatched", "version": v + 1}


@pytest.mark.parametrize("changes", [{"district": None}, {"district": ""}, {"category": "medical", "district": None}])
def test_an_edit_cannot_take_away_an_emergencys_place(engine, settings, changes):
    """The intake refuses an emergency with no district; a correction afterwards must not remove it."""
    taken = take_call(engine, settings, FIRE, operator="op1")
    with pytest.raises(CallError) as err:
        lifecycle.edit(engine, settings, taken.incident_id, changes, operator="op1", version=1)
    assert err.value.details["field"] == "district"
    got = row(engine, taken.incident_id)
    assert (got.district, got.version) == ("citta", 1)


def test_an_edit_may_leave_a_complaint_without_a_place(engine, settings):
    complaint = {**FIRE, "category": "complaint", "skpd_code": "dlh", "priority": 3}
    taken = take_call(engine, settings, complaint, operator="op1")
    lifecycle.edit(engine, settings, taken.incident_id, {"district": None}, operator="op1", version=1)
    assert row(engine, taken.incident_id).district is None


@pytest.mark.parametrize("to", ["complaint", "prank"])
def test_a_dispatched_emergency_cannot_be_edited_into_a_complaint_or_a_prank(engine, settings, to):
    """It would have no unit to route it to, and its truck would stay out for good."""
    taken = take_call(engine, settings, FIRE, operator="op1")
    v = lifecycle.dispatch(engine, settings, taken.incident_id, "truk-citta", operator="op1", version=1)
    with pytest.raises(CallError) as err:
        lifecycle.edit(engine, settings, taken.incident_id, {"category": to}, operator="op1", version=v)
    assert [(p.field, p.reason) for p in err.value.details["problems"]] == [("category", "category_kind")]
    got = row(engine, taken.incident_id)
    assert (got.category, got.version) == ("fire", v) and lifecycle.busy_units(engine) == {"truk-citta": got.id}
    # Within the emergencies it may change: the caller's "fire" was a collapsed wall.
    lifecycle.edit(engine, settings, taken.incident_id, {"category": "disaster"}, operator="op1", version=v)
    assert row(engine, taken.incident_id).category == "disaster"


def test_a_complaint_cannot_be_edited_into_an_emergency(engine, settings):
    complaint = {**FIRE, "category": "complaint", "skpd_code": "dlh", "priority": 3}
    taken = take_call(engine, settings, complaint, operator="op1")
    with pytest.raises(CallError) as err:
        lifecycle.edit(engine, settings, taken.incident_id, {"category": "medical"}, operator="op1", version=1)
    assert err.value.details["field"] == "category" and row(engine, taken.incident_id).category == "complaint"
