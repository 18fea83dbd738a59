"""Fuzzed intake form input (hypothesis): every input is either taken or refused naming its field.

Whatever arrives in the form's fields, `take_call` answers with a Taken or a
CallError("invalid") that names every refused field (each once, the first as
`field`); nothing else escapes, and a refused call writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from callcenter.errors import CallError
from callcenter.intake import NewCall, take_call
from scc.storage.callcenter import CATEGORIES, call_log, incidents

FIELDS = list(NewCall.model_fields)
text = st.text(max_size=60)
junk = st.one_of(
    st.none(), text, st.integers(-10, 10), st.floats(allow_nan=True), st.booleans(), st.lists(text, max_size=2)
)
phone = st.one_of(
    st.none(),
    st.from_regex(r"\A(\+62 ?|0)8[0-9]{2}[- ]?[0-9]{4}[- ]?[0-9]{3,4}\Z"),
    st.from_regex(r"\A0484-[0-9]{5}\Z"),
    text,
)


def plausible(settings):
    return st.fixed_dictionaries(
        {
            "line_code": st.sampled_from([line.code for line in settings.call_lines] + ["nope", ""]),
            "category": st.sampled_from([*CATEGORIES, "alien"]),
            "caller_number": phone,
            "district": st.sampled_from([None, "", "jakarta", *settings.district_by_code]),
            "priority": st.sampled_from([1, 2, 3, 0, "1", None]),
            "summary": st.text(max_size=2100),
            "skpd_code": st.sampled_from([None, "", "pupr", "nope"]),
            "site": st.sampled_from([None, "", "RSUD Latemmamala", "Monas"]),
            "received_at": st.sampled_from([None, datetime(2026, 11, 23, 6, 5, tzinfo=UTC), "kemarin"]),
        },
        optional={
            "caller_name": text,
            "village": text,
            "landmark": text,
            "extra": junk,
            "caller_withheld": st.one_of(st.booleans(), junk),
        },
    )


def counts(engine):
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(incidents)), conn.scalar(
            select(func.count()).select_from(call_log)
        )


def test_any_form_input_is_taken_or_refused_with_its_field(engine, settings):
    @hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(fields=st.one_of(plausible(settings), st.dictionaries(st.sampled_from([*FIELDS, "x"]), junk, max_size=6)))
    def check(fields):
        before = counts(engine)
        try:
            taken = take_call(engine, settings, fields, operator="fuzz")
        except CallError as exc:
            assert exc.code == "invalid" and exc.details["field"] in [*FIELDS, "x", "extra"], exc
            named = [p.field for p in exc.details["problems"]]
            assert named[0] == exc.details["field"] and len(named) == len(set(named)), named
            assert set(named) <= {*FIELDS, "x", "extra"}, named
            assert counts(engine) == before, "a refused call wrote something"
            return
        after = counts(engine)
        assert after[1] == before[1] + 1, "every taken call is in the call log"
        assert after[0] == before[0] + (0 if taken.linked else 1)

    check()


def test_control_characters_are_refused_not_sent_to_the_database(engine, settings):
    """PostgreSQL refuses NUL in text: it must be a named field error, never a server error."""
    base = dict(line_code="psc-119", category="medical", caller_number="0812 3456 7890", district="lalabata")
    for field in ("summary", "caller_name", "village", "landmark"):
        try:
            take_call(engine, settings, {**base, field: "sesak\x00napas"}, operator="fuzz")
        except CallError as exc:
            assert exc.details["field"] == field
        else:
            raise AssertionError(f"{field} with NUL was taken")
    taken = take_call(engine, settings, {**base, "summary": "baris satu\nbaris dua\tdua"}, operator="fuzz")
    assert taken.incident_id
