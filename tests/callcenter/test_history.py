"""The history: closed incidents and complaints found by number, caller, district, category, unit and WITA
dates, newest first and paged; SKPD staff only their unit's complaints. The reads on both backends, the
page's search and rows in-process as each role."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from callcenter import complaints, lifecycle
from callcenter.intake import take_call
from dashboard.queries import callcenter_history as h
from scc.clock import WITA, utcnow
from scc.storage.callcenter import incidents
from tests.support.dashapp import callback_body, client, make_app, post_callback

NOW = utcnow()
# 23.30 WITA on 3 November 2026 is still the 3rd in Soppeng, and already 15.30 UTC.
LATE_EVENING = datetime(2026, 11, 3, 23, 30, tzinfo=WITA)


def taken(engine, settings, days_ago: float | None = None, at: datetime | None = None, **fields) -> int:
    fields = {"line_code": "psc-119", "priority": 2, **fields}
    fields["received_at"] = at or NOW - timedelta(days=days_ago or 0)
    return take_call(engine, settings, fields, operator="operator").incident_id


def finished(engine, settings, incident_id: int, unit: str) -> None:
    v = lifecycle.dispatch(engine, settings, incident_id, unit, operator="operator", version=1)
    for step in ("on_scene", "resolved", "closed"):
        v = lifecycle.advance(engine, incident_id, step, operator="operator", version=v)


def cancelled(engine, incident_id: int) -> None:
    # Straight in storage: how a cancel is asked for (its reason, its confirmation) is the incident page's
    # business, not the history's.
    with engine.begin() as conn:
        conn.execute(update(incidents).where(incidents.c.id == incident_id).values(status="cancelled", closed_at=NOW))


def known(engine, settings) -> dict[str, int]:
    ids = {
        "medical": taken(engine, settings, 10, category="medical", district="citta", caller_number="0812-1111-2222"),
        "fire": taken(engine, settings, 2, line_code="damkar-lalabata", category="fire", district="lalabata",
                      caller_number="0813-2222-3333"),
        "complaint": taken(engine, settings, 5, category="complaint", skpd_code="dpmptsp", district="citta",
                           caller_number="0813-4444-5555", summary="izin belum terbit"),
        "cancelled": taken(engine, settings, 40, category="complaint", skpd_code="pupr", district="ganra",
                           caller_number="0813-6666-7777"),
        "prank": taken(engine, settings, 0.01, category="prank", district="lalabata", caller_number="0813-8888-9999"),
        "open": taken(engine, settings, 1, category="medical", district="citta", caller_number="0812-1212-3434"),
        "evening": taken(engine, settings, at=LATE_EVENING, category="crime", line_code="polres-110",
                         district="liliriaja", caller_number="0815-1234-5678"),
    }  # fmt: skip
    finished(engine, settings, ids["medical"], "ambulans-1")
    finished(engine, settings, ids["fire"], "truk-lalabata")
    v = complaints.settle(engine, ids["complaint"], "dpmptsp", operator="dpmptsp", version=1, note="izin terbit")
    lifecycle.advance(engine, ids["complaint"], "closed", operator="operator", version=v)
    for name in ("cancelled", "evening"):
        cancelled(engine, ids[name])
    return ids


def found(engine, search: h.Search, **kw) -> list[int]:
    return [r["id"] for r in h.search(engine, search, **kw).rows]


def test_each_search_finds_its_closed_incidents_newest_first(engine, settings):
    k = known(engine, settings)
    everything = [k[n] for n in ("prank", "fire", "complaint", "medical", "evening", "cancelled")]
    everything.sort(key=lambda i: -h.one(engine, i)["received_at"].timestamp())
    assert found(engine, h.Search()) == everything  # the open one is not history
    assert found(engine, h.Search(number=k["medical"])) == [k["medical"]]
    assert found(engine, h.Search(number=k["open"])) == []
    assert found(engine, h.Search(caller="+6281211112222")) == [k["medical"]]
    assert found(engine, h.Search(district="citta")) == [k["complaint"], k["medical"]]
    assert found(engine, h.Search(category="complaint")) == [k["complaint"], k["cancelled"]]
    assert found(engine, h.Search(unit="ambulans-1")) == [k["medical"]]
    assert found(engine, h.Search(skpd="pupr")) == [k["cancelled"]]
    assert found(engine, h.Search(district="citta", category="medical")) == [k["medical"]]
    assert found(engine, h.Search(since=NOW - timedelta(days=7))) == [k["prank"], k["fire"], k["complaint"]]
    day = datetime(2026, 11, 3, tzinfo=WITA)  # the WITA day, from midnight to midnight
    assert found(engine, h.Search(since=day, until=day + timedelta(days=1))) == [k["evening"]]
    assert found(engine, h.Search(since=day + timedelta(days=1), until=day + timedelta(days=2))) == []

    first = h.search(engine, h.Search(), page=1, size=2)
    assert (first.total, first.pages, first.page) == (6, 3, 1) and [r["id"] for r in first.rows] == everything[2:4]
    row = h.one(engine, k["medical"])
    assert row["units"] == ["ambulans-1"] and [e["status"] for e in row["exchange"]][-1] == "closed"
    assert h.search(engine, h.Search(unit="ambulans-1")).rows[0]["units"] == ["ambulans-1"]


def test_skpd_staff_find_only_their_own_units_complaints(engine, settings):
    k = known(engine, settings)
    for asked in (h.Search(), h.Search(category="fire"), h.Search(skpd="pupr"), h.Search(unit="ambulans-1")):
        assert found(engine, h.own_unit(asked, "dpmptsp")) == [k["complaint"]], asked
    assert h.one(engine, k["complaint"], "dpmptsp") is not None
    assert h.one(engine, k["medical"], "dpmptsp") is None and h.one(engine, k["cancelled"], "dpmptsp") is None
    assert h.one(engine, k["open"]) is None


def test_counting_stops_at_the_cap(engine, settings, monkeypatch):
    known(engine, settings)
    monkeypatch.setattr(h, "COUNT_CAP", 3)
    capped = h.search(engine, h.Search(), size=2)
    assert capped.capped and capped.total == 4 and capped.pages == 2  # only what is counted is paged through
    assert not h.search(engine, h.Search(category="complaint")).capped


# -- the page, in-process ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    dash_app = make_app(tmp_path_factory.mktemp("history") / "scc.db")
    ctx = dash_app.server.config["SCC_CONTEXT"]
    dash_app.known = known(ctx.engine, ctx.settings)
    yield dash_app
    ctx.engine.dispose()


def search(app, user: str, **fields):
    key = next(k for k in app.callback_map if "history-results.children" in k)
    body = callback_body(app, key)
    for item in body["state"]:
        name = item["id"].removeprefix("history-")
        if name in fields and item["property"] == "value":
            item["value"] = fields[name]
    for item in body["inputs"]:
        if item["id"] == "history-search":
            item["value"] = 1
    body["changedPropIds"] = ["history-search.n_clicks"]
    return said(post_callback(client(app, user), body))


def said(r) -> str:
    """A callback's answer as text, its JSON unescaped (Dash writes "/" as \\u002f)."""
    assert r.status_code == 200, r.status_code
    return json.dumps(r.get_json(), ensure_ascii=False)


def numbers(page: str) -> set[int]:
    return {int(n) for n in __import__("re").findall(r'"#(\d+)"', page)}


def test_the_search_as_each_role(app):
    k = app.known
    assert numbers(search(app, "operator", number=f"#{k['medical']}")) == {k["medical"]}
    old_week = {"from": "01/01/2020", "to": "07/01/2020"}  # a number names one incident, whatever the dates say
    assert numbers(search(app, "operator", number=str(k["cancelled"]), **old_week)) == {k["cancelled"]}
    assert numbers(search(app, "bupati", caller="0812 1111 2222")) == {k["medical"]}  # written any way
    assert numbers(search(app, "operator", district="citta", **{"from": "", "to": ""})) == {
        k["medical"],
        k["complaint"],
    }
    assert numbers(search(app, "operator", unit="truk-lalabata")) == {k["fire"]}
    assert numbers(search(app, "operator", **{"from": "03/11/2026", "to": "3-11-2026"})) == {k["evening"]}
    # SKPD staff: their unit's complaints, whatever the request names.
    assert numbers(search(app, "dpmptsp", skpd="pupr", category="fire", unit="ambulans-1")) == {k["complaint"]}
    assert "6 ditemukan" in search(app, "admin")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"number": "abc"}, "Nomor kejadian berupa angka"),
        ({"caller": "08x"}, "Nomor penelepon tidak terbaca"),
        ({"from": "31/02/2026"}, "Tanggal tidak terbaca"),
        ({"from": "05/11/2026", "to": "04/11/2026"}, "Tanggal akhir harus"),
        ({"district": "atlantis"}, "Pilihan itu tidak ada"),
    ],
)
def test_a_field_that_cannot_be_read_is_named_and_nothing_else_changes(app, fields, words):
    page = search(app, "operator", **fields)
    assert words in page and "history-results" not in json.loads(page)["response"], page[:300]


def opened(app, user: str, incident_id: int, clicks: int = 1):
    button = {"id": incident_id, "type": "history-open"}
    pattern = json.dumps({"id": ["MATCH"], "type": "history-body"}, separators=(",", ":"))
    body = callback_body(app, pattern + ".children")
    body["outputs"] = {"id": {"id": incident_id, "type": "history-body"}, "property": "children"}
    body["inputs"] = [{"id": button, "property": "n_clicks", "value": clicks}]
    body["changedPropIds"] = [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"]
    return post_callback(client(app, user), body)


def test_a_row_opens_to_its_timeline_for_those_who_may_read_it(app):
    k = app.known
    as_operator = said(opened(app, "operator", k["medical"]))
    assert "Ambulans" in as_operator and f"/calls/{k['medical']}" in as_operator
    complaint = said(opened(app, "dpmptsp", k["complaint"]))
    assert "izin terbit" in complaint and "/calls/" not in complaint  # SKPD staff have no incident page
    assert opened(app, "dpmptsp", k["medical"]).status_code == 403
    assert opened(app, "operator", k["open"]).status_code == 403  # not over yet: not history
    assert opened(app, "operator", k["medical"], clicks=2).status_code == 204  # closing the row reads nothing


def test_dates_are_wita_days():
    from dashboard.pages.callcenter_history import _day

    start = _day("from", "03/11/2026")
    assert start == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)  # midnight WITA is 16.00 UTC the day before
    assert _day("to", "2026-11-03", next_day=True) == datetime(2026, 11, 3, 16, 0, tzinfo=UTC)
