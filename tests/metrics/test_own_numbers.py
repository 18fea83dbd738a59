"""Numbers no float holds, through a unit's own form and CSV upload: a refusal per field or row, never a 500.

`1e999`, `NaN`, `Infinity`, `-Infinity` and integers of hundreds or thousands of
digits (past Python's limit for turning text into an int) are what a CSV cell or
a hand-made form request can carry. Each is refused in the user's language with
where it was, kept with the unit's rejections (source web or csv, like a refused
MQTT message), and nothing of that reading is stored; the good rows of a CSV are.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from dashboard import i18n
from scc.clock import WITA, utcnow
from tests.support.dashapp import callback_body, client
from tests.support.metrics_own import csv_body, engine_of, raw_form, refused, stored, text_of

ID, EN = i18n.catalog("id"), i18n.catalog("en")
HUGE = {
    "1e999": "1e999",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "400 digits": "7" * 400,
    "5000 digits": "9" * 5000,  # past sys.get_int_max_str_digits(): int() of it raises
}
ISSUED = "Izin diterbitkan (LaSIDE)"  # laside_permits_issued, as config/metrics.yaml names it in Indonesian


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from tests.support.dashapp import make_app

    dash_app = make_app(tmp_path_factory.mktemp("numbers") / "scc.db")
    dash_app.server.config["TESTING"] = False  # a 500 is an answer here, not an exception in the test
    yield dash_app
    engine_of(dash_app).dispose()


@pytest.fixture(scope="module")
def me(app):
    return client(app, "dpmptsp")


def post_raw(c, text: str):
    return c.post("/_dash-update-component", data=text, content_type="application/json")


@pytest.mark.parametrize("raw", HUGE.values(), ids=HUGE.keys())
def test_a_hand_made_form_request_with_a_number_no_float_holds(app, me, raw):
    before, rejections = stored(app, "dpmptsp"), len(refused(app, "dpmptsp", "web"))
    # A good figure beside it, different in each case: the same refused reading twice is kept once.
    r = post_raw(me, raw_form(app, "dpmptsp", {"laside_permits_issued": raw, "laside_permits_received": str(len(raw))}))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    text = text_of(r)
    assert "own-form-report" in text and ID["own.stored"].format(n=0) in text and '"color": "danger"' in text
    assert ISSUED in text, "the error names the field, in the user's language"
    words = ID["own.err_not_a_number" if raw == "NaN" else "own.err_not_finite"].split("{value}")[-1]
    assert words.strip() in text, text
    assert "Traceback" not in text
    assert stored(app, "dpmptsp") == before, "the reading is refused whole"
    kept = refused(app, "dpmptsp", "web")
    assert len(kept) == rejections + 1 and "laside_permits_issued" in kept[-1]
    assert "own-rejected-table" in text, "the refused reading joins the unit's rejections on the page"


def test_the_form_says_it_in_english_for_an_english_user(app):
    c = client(app, "dpmptsp")
    c.post("/language", data={"lang": "en"})
    try:
        text = text_of(post_raw(c, raw_form(app, None, {"laside_permits_issued": "NaN"})))
    finally:
        c.post("/language", data={"lang": "id"})
    assert "Permits issued (LaSIDE)" in text and EN["own.err_not_a_number"].split("{value}")[-1].strip() in text


def test_a_value_out_of_range_says_so_with_the_range(app, me):
    """Not "no figure entered": the form's fields let any number through to the server, whose refusal gives
    the range (a browser sends nothing at all for a number input outside its min and max)."""
    text = text_of(post_raw(me, raw_form(app, "dpmptsp", {"laside_permits_issued": "999999"})))
    assert ID["own.no_values"] not in text
    assert f"{ISSUED}: " + ID["own.err_out_of_range"].format(value="999.999", low="0", high="5.000") in text
    body = callback_body(app, "own-body.children")
    body["inputs"][0]["value"] = "dpmptsp"
    form = text_of(me.post("/_dash-update-component", json=body))
    assert "laside_permits_issued" in form and '"max":' not in form and '"min":' not in form


def test_a_csv_with_such_numbers_names_every_row_and_keeps_the_good_one(app, me):
    rows = [f"laside_permits_received;{raw}" for raw in HUGE.values()]
    data = "\n".join(["kunci;nilai", "laside_permits_issued;12", *rows, "laside_permits_received;1e400"]).encode()
    before, rejections = stored(app, "dpmptsp", "csv"), len(refused(app, "dpmptsp", "csv"))
    r = me.post("/_dash-update-component", json=csv_body(app, "dpmptsp", data, "ekspor.csv"))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    text = text_of(r)
    assert ID["own.stored"].format(n=1) + " (ekspor.csv)" in text and ID["own.problems"].format(n=7) in text
    for line in range(3, 10):
        assert ID["own.at_line"].format(n=line) + " (laside_permits_received): " in text, line
    assert ID["own.err_not_a_number"].format(value="NaN") in text
    assert ID["own.err_not_finite"].format(value="-Infinity") in text
    assert stored(app, "dpmptsp", "csv") == before + 1
    kept = refused(app, "dpmptsp", "csv")[rejections:]
    assert [reason.split(":")[0] for reason in kept] == [f"line {n}" for n in range(3, 10)]


def test_a_csv_sent_again_with_one_figure_fixed_says_so_and_lists_the_correction(app, me):
    day = (utcnow() - timedelta(days=2)).astimezone(WITA).strftime("%Y-%m-%d")
    rows = [f"laside_permits_received;{40 + h};{day} {8 + h:02d}:00" for h in range(4)]
    first = "\n".join(["kunci;nilai;waktu", *rows]).encode()
    me.post("/_dash-update-component", json=csv_body(app, "dpmptsp", first, "senin.csv"))
    fixed = first.replace(f"42;{day} 10:00".encode(), f"24;{day} 10:00".encode())
    text = text_of(me.post("/_dash-update-component", json=csv_body(app, "dpmptsp", fixed, "senin-2.csv")))
    said = ", ".join([ID["own.stored"].format(n=0), ID["own.corrected"].format(n=1), ID["own.unchanged"].format(n=3)])
    assert said + " (senin-2.csv)" in text, text[:400]
    table = json.dumps(json.loads(text)["response"]["own-corrected"]["children"], ensure_ascii=False)
    assert "42 → 24" in table and "dpmptsp" in table, "old and new value, and the account that sent it"


def test_a_figure_the_command_center_counts_itself_is_not_taken_from_the_unit(app):
    """Dinkes' PSC 119 calls are the call center's own count: its form has no field for them, and a
    value sent anyway is refused with the reason, in the user's language (an admin, on Dinkes' behalf)."""
    dinkes = client(app, "admin")
    body = callback_body(app, next(k for k in app.callback_map if k.startswith("own-body")))
    body["inputs"][0]["value"] = "dinkes"
    form = text_of(dinkes.post("/_dash-update-component", json=body))
    assert '"key": "service_up"' in form and '"key": "psc119_calls"' not in form
    r = post_raw(dinkes, raw_form(app, "dinkes", {"psc119_calls": "7"}))
    text = text_of(r)
    assert ID["own.err_counted_here"] in text and ID["own.stored"].format(n=0) in text
