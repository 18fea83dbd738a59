"""What the intake refuses because a dispatcher could not use it (issue 19, section 3).

An emergency needs its district; a call needs a number to call back, valid in
Indonesia, or the operator's word that the caller withheld it; a refusal names
every bad field at once with its reason, and writes nothing. A correction of
one field (lifecycle.edit) and the call-log import of history keep working.
The expected numbers and reasons are written here, not read from the code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from callcenter.errors import CallError
from callcenter.importer import import_calls
from callcenter.intake import check_call, take_call
from scc.storage.callcenter import call_log, incidents

# What the form sends when the operator presses Ctrl+Enter on an empty form.
EMPTY = {
    "line_code": "",
    "caller_number": None,
    "caller_withheld": False,
    "caller_name": "",
    "district": None,
    "village": "",
    "landmark": "",
    "site": None,
    "category": "",
    "skpd_code": None,
    "priority": 2,
    "summary": "",
}
MEDICAL = {
    **EMPTY,
    "line_code": "psc-119",
    "caller_number": "0812-3456-7890",
    "district": "lalabata",
    "category": "medical",
    "priority": 1,
    "summary": "Kakek pingsan",
}


def refusal(engine, settings, fields) -> dict[str, str]:
    """The fields a call is refused on -> their reasons; and that nothing was written."""
    with engine.connect() as conn:
        before = (
            conn.scalar(select(func.count()).select_from(incidents)),
            conn.scalar(select(func.count()).select_from(call_log)),
        )
    with pytest.raises(CallError) as err:
        take_call(engine, settings, fields, operator="op1")
    with engine.connect() as conn:
        after = (
            conn.scalar(select(func.count()).select_from(incidents)),
            conn.scalar(select(func.count()).select_from(call_log)),
        )
    assert after == before, "a refused call wrote something"
    assert err.value.code == "invalid"
    problems = err.value.details["problems"]
    assert err.value.details["field"] == problems[0].field, "the first field named is the first bad one"
    return {p.field: p.reason for p in problems}


def stored_number(engine, incident_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(select(incidents.c.caller_number).where(incidents.c.id == incident_id))


def test_an_empty_submit_names_every_missing_field_in_the_forms_order(engine, settings):
    named = refusal(engine, settings, EMPTY)
    assert named == {
        "line_code": "required",
        "caller_number": "number_needed",
        "district": "place_needed",  # no category yet: it may be an emergency
        "category": "required",
    }
    assert list(named) == ["line_code", "caller_number", "district", "category"]


def test_the_testers_call_number_12_and_no_place_is_refused_on_both(engine, settings):
    named = refusal(engine, settings, {**MEDICAL, "caller_number": "12", "district": None})
    assert named == {"caller_number": "number_short", "district": "place_needed"}


@pytest.mark.parametrize("category", ["medical", "fire", "violence", "crime", "disaster"])
def test_every_emergency_needs_its_district(engine, settings, category):
    assert refusal(engine, settings, {**MEDICAL, "category": category, "district": None}) == {
        "district": "place_needed"
    }


def test_a_complaint_or_a_prank_may_come_without_a_district(engine, settings):
    complaint = {**MEDICAL, "category": "complaint", "skpd_code": "dpmptsp", "district": None}
    taken = take_call(engine, settings, {**complaint, "summary": "Izin usaha belum terbit"}, operator="op1")
    assert not taken.linked
    prank = take_call(engine, settings, {**MEDICAL, "category": "prank", "district": None,
                                         "caller_number": "0813 2222 3333"}, operator="op1")  # fmt: skip
    assert prank.incident_id != taken.incident_id


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0812-3456-7890", "+6281234567890"),  # mobile as written on a card
        ("0812 3456 7890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("0853 4000 1234", "+6285340001234"),
        ("0484-21234", "+6248421234"),  # a Watansoppeng landline with its area code
        ("(0484) 21234", "+6248421234"),
        ("0411-456789", "+62411456789"),  # Makassar
        ("+61 412 345 678", "+61412345678"),  # a traveller's phone roaming here
    ],
)
def test_a_callers_number_is_taken_in_one_form(engine, settings, typed, stored):
    taken = take_call(engine, settings, {**MEDICAL, "caller_number": typed}, operator="op1")
    assert stored_number(engine, taken.incident_id) == stored


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12", "number_short"),
        ("119", "number_short"),  # the line's own number, not the caller's
        ("112", "number_short"),
        ("14000", "number_short"),
        ("1500 119", "number_short"),
        ("21234", "number_area_code"),  # a landline without 0484
        ("0812 345", "number_invalid"),
        ("0811", "number_invalid"),
        ("08129999", "number_invalid"),
        ("0484 2123", "number_invalid"),
        ("0800 123 4567", "number_service"),  # toll-free: nobody calls from one
        ("telepon saya", "invalid"),
        ("0812\x003456", "invalid"),
    ],
)
def test_a_number_nobody_can_call_back_is_refused_with_its_reason(engine, settings, typed, reason):
    assert refusal(engine, settings, {**MEDICAL, "caller_number": typed}) == {"caller_number": reason}


def test_no_number_is_taken_only_when_the_operator_marks_it_withheld(engine, settings):
    for blank in (None, "", "   "):
        assert refusal(engine, settings, {**MEDICAL, "caller_number": blank}) == {"caller_number": "number_needed"}
    taken = take_call(engine, settings, {**MEDICAL, "caller_number": "", "caller_withheld": True}, operator="op1")
    assert stored_number(engine, taken.incident_id) is None
    # The words a caller ID shows for a hidden number are the same mark.
    worded = take_call(engine, settings, {**MEDICAL, "caller_number": "Anonim"}, operator="op1")
    assert stored_number(engine, worded.incident_id) is None and worded.incident_id != taken.incident_id


def test_a_number_and_the_withheld_mark_together_are_refused(engine, settings):
    named = refusal(engine, settings, {**MEDICAL, "caller_withheld": True})
    assert named == {"caller_number": "number_and_withheld"}


def test_every_bad_field_is_named_at_once(engine, settings):
    fields = {
        **MEDICAL,
        "line_code": "nope",
        "caller_number": "21234",
        "caller_name": "x" * 201,
        "district": "jakarta",
        "site": "Monas",
        "category": "alien",
        "priority": 7,
        "summary": "ada\x07bunyi",
    }
    named = refusal(engine, settings, fields)
    assert named == {
        "line_code": "unknown",
        "caller_number": "number_area_code",
        "caller_name": "too_long",
        "district": "unknown",
        "site": "unknown",
        "category": "unknown",
        "priority": "unknown",
        "summary": "control_chars",
    }


def test_a_too_long_field_says_its_limit(engine, settings):
    with pytest.raises(CallError) as err:
        take_call(engine, settings, {**MEDICAL, "summary": "x" * 2001}, operator="op1")
    (problem,) = err.value.details["problems"]
    assert (problem.field, problem.reason, problem.limit) == ("summary", "too_long", 2000)


def test_a_correction_of_one_field_is_not_a_new_call(settings):
    """lifecycle.edit checks a change with check_call: a summary alone needs no district or number."""
    checked = check_call(settings, {"line_code": "psc-119", "category": "medical", "summary": "sadar kembali"})
    assert checked.summary == "sadar kembali"
    with pytest.raises(CallError) as err:
        check_call(settings, {"line_code": "psc-119", "category": "medical", "district": "jakarta"})
    assert err.value.details["field"] == "district"


def test_history_imports_keep_short_and_blank_numbers(engine, settings):
    """A PBX log is what happened: the import (phone.normalise) keeps 119 and a blank caller as they were."""
    text = (
        "Waktu;Saluran;Penelepon;Kecamatan;Status;Durasi\n"
        "23/11/2026 14.05;psc-119;119;;dijawab;95\n"
        "23/11/2026 14.09;psc-119;;;tidak dijawab;0\n"
        "23/11/2026 14.10;psc-119;0484-21234;Lalabata;dijawab;30\n"
    )
    now = datetime(2026, 11, 24, tzinfo=UTC)
    report = import_calls(engine, settings, text.encode(), by="op1", filename="pbx.csv", now=now)
    assert report.problems == [] and report.stored == 3
    with engine.connect() as conn:
        numbers = [r.caller_number for r in conn.execute(select(call_log).order_by(call_log.c.at))]
    assert numbers == ["119", None, "+6248421234"]
