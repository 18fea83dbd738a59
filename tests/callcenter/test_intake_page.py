"""The intake page shows what the intake service refuses: every bad field, under it, in the user's language.

The form's callback is posted as Dash's renderer posts it (tests/support/dashapp.py):
an empty submit marks and names the line, the number, the district and the
category, in Indonesian by default and in English for a user who chose it; the
summary names them all, and the page is told which control to focus first.
"""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from sqlalchemy import select

from callcenter.intake import Reason
from dashboard import i18n
from dashboard.pages import callcenter_intake
from scc.storage.callcenter import incidents
from tests.support.dashapp import client, make_app, post_callback

from .conftest import intake_request

ID, EN = i18n.catalog("id"), i18n.catalog("en")
CONTROL = {
    "line_code": "intake-line",
    "caller_number": "intake-number",
    "caller_withheld": "intake-withheld",
    "caller_name": "intake-name",
    "district": "intake-district",
    "village": "intake-village",
    "landmark": "intake-landmark",
    "site": "intake-site",
    "category": "intake-category",
    "topic": "intake-topic",
    "skpd_code": "intake-skpd",
    "priority": "intake-priority",
    "summary": "intake-summary",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    dash_app = make_app(tmp_path_factory.mktemp("intake") / "scc.db")
    yield dash_app
    dash_app.server.config["SCC_CONTEXT"].engine.dispose()


def submit(c, app, **fields: Any) -> dict:
    """Ctrl+Enter on the form with these fields (the rest as an untouched form leaves them)."""
    values = {"intake-priority": 2, "intake-withheld": False} | {CONTROL[k]: v for k, v in fields.items()}
    r = post_callback(c, intake_request(app, values))
    assert r.status_code == 200, r.status_code
    return json.loads(r.get_data(as_text=True))["response"]


def words(out: dict, control: str) -> str:
    return json.dumps(out[f"{control}-error"]["children"], ensure_ascii=False)


def test_an_empty_submit_names_every_missing_field_next_to_it_in_indonesian(app):
    out = submit(client(app, "operator"), app)
    assert "intake-go" not in out, "nothing taken, no navigation"
    assert ID["intake.err_line_code"] in words(out, "intake-line")
    assert ID["intake.why_number_needed"] in words(out, "intake-number")
    assert ID["intake.why_place_needed"] in words(out, "intake-district")
    assert ID["intake.err_category"] in words(out, "intake-category")
    for control in (
        "intake-name",
        "intake-village",
        "intake-landmark",
        "intake-site",
        "intake-topic",
        "intake-skpd",
        "intake-summary",
    ):
        assert out[f"{control}-error"]["children"] is None, control
    marked = {control for control, props in out.items() if props.get("invalid") is True}
    assert marked == {"intake-line", "intake-number", "intake-district", "intake-category"}
    summary = json.dumps(out["intake-result"]["children"], ensure_ascii=False)
    for label in ("intake.line", "intake.number", "intake.district", "intake.category"):
        assert ID[label] in summary, label
    assert out["intake-bad"]["data"]["ids"] == ["intake-line", "intake-number", "intake-district", "intake-category"]


def test_the_same_refusal_in_english_for_a_user_who_chose_it(app):
    c = client(app, "admin")
    assert c.post("/language", data={"lang": "en", "next": "/calls/new"}).status_code == 302
    out = submit(c, app, caller_number="12")
    assert EN["intake.why_number_short"] in words(out, "intake-number")
    assert EN["intake.why_place_needed"] in words(out, "intake-district")
    assert ID["intake.why_place_needed"] not in words(out, "intake-district")
    assert EN["intake.district"] in json.dumps(out["intake-result"]["children"])


def test_a_fixed_form_is_taken_with_the_withheld_mark(app):
    c = client(app, "operator")
    fields = dict(line_code="psc-119", district="lalabata", category="medical", summary="Kakek pingsan")
    out = submit(c, app, **fields)
    assert ID["intake.why_number_needed"] in words(out, "intake-number") and "intake-go" not in out
    out = submit(c, app, **fields, caller_withheld=True)
    assert out["intake-go"]["href"].startswith("/calls/")
    assert out["intake-number-error"]["children"] is None and out["intake-number"]["invalid"] is False


def test_a_complaint_goes_to_its_topics_unit_and_needs_a_topic_or_a_unit(app):
    c = client(app, "operator")
    fields = dict(line_code="psc-119", caller_number="0812 3456 7100", category="complaint", summary="Sampah menumpuk")
    out = submit(c, app, **fields)
    assert "intake-go" not in out and ID["intake.err_topic"] in words(out, "intake-topic")
    assert out["intake-bad"]["data"]["ids"] == ["intake-topic"]
    out = submit(c, app, **fields, topic="waste")
    taken = int(out["intake-go"]["href"].removeprefix("/calls/"))
    ctx = app.server.config["SCC_CONTEXT"]
    with ctx.engine.connect() as conn:
        stored = conn.execute(select(incidents.c.topic, incidents.c.skpd_code).where(incidents.c.id == taken)).one()
    assert tuple(stored) == ("waste", "dlh")  # waste goes to the environment office (DLH)


def test_every_reason_has_its_words_in_both_languages():
    """The page says a reason by the field's own sentence (intake.err_<field>) or by the reason's."""
    reasons = get_args(Reason)
    assert len(reasons) >= 12
    for lang in i18n.LANGUAGES:
        catalog = i18n.catalog(lang)
        own = [r for r in reasons if r not in callcenter_intake.SAID_BY_FIELD and f"intake.why_{r}" not in catalog]
        by_field = [f for f in CONTROL if f"intake.err_{f}" not in catalog]
        assert own == [] and by_field == [], lang
        assert "{limit}" in catalog["intake.why_too_long"]
