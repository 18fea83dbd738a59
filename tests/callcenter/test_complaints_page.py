"""Complaints apart from emergencies: their own counts, open and overdue first, filters, a row that opens
to the whole exchange with the unit, and closing from there. The reads on both backends, the page's
callbacks in-process as each role."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from callcenter import complaints as service
from callcenter.intake import take_call
from dashboard.queries import callcenter_complaints as q
from scc.clock import utcnow
from tests.support.dashapp import callback_body, client, make_app, post_callback

NOW = utcnow()


def complaint(engine, settings, unit: str, days_ago: float, *, district="lalabata", n=[0]):  # noqa: B006  (a counter)
    n[0] += 1
    fields = dict(line_code="psc-119", category="complaint", skpd_code=unit, district=district, priority=3,
                  summary=f"keluhan {n[0]} untuk {unit}", caller_number=f"0812-3456-{7000 + n[0]}",
                  received_at=NOW - timedelta(days=days_ago))  # fmt: skip
    return take_call(engine, settings, fields, operator="operator").incident_id


def cases(engine, settings) -> dict[str, int]:
    """Complaints in every state, received at known times (the deadline is received + policy days)."""
    days = settings.call_policy.complaint_days
    ids = {
        "late_old": complaint(engine, settings, "pupr", days + 5, district="citta"),  # the most overdue
        "late": complaint(engine, settings, "dpmptsp", days + 1),
        "open_new": complaint(engine, settings, "dlh", 0.1),
        "open": complaint(engine, settings, "dpmptsp", 1),
        "settled_first": complaint(engine, settings, "pupr", 2, district="citta"),
        "settled_then": complaint(engine, settings, "dlh", 2.5),
        "closed": complaint(engine, settings, "dpmptsp", 20),
    }
    service.reply(engine, ids["late"], "dpmptsp", operator="dpmptsp", note="berkas diperiksa")
    service.settle(engine, ids["settled_first"], "pupr", operator="pupr", version=1, note="lubang sudah ditambal")
    service.settle(engine, ids["settled_then"], "dlh", operator="dlh", version=1, note="sampah diangkut")
    v = service.settle(engine, ids["closed"], "dpmptsp", operator="dpmptsp", version=1, note="izin terbit")
    from callcenter import lifecycle

    lifecycle.advance(engine, ids["closed"], "closed", operator="operator", version=v)
    # An emergency, open: never a complaint, on none of these lists.
    ids["fire"] = take_call(
        engine, settings,
        dict(line_code="damkar-citta", category="fire", district="citta", caller_number="0813-5555-0101", priority=1),
        operator="operator",
    ).incident_id  # fmt: skip
    return ids


def ids_of(listing: q.Listing) -> list[int]:
    return [r["id"] for r in listing.rows]


def test_open_first_the_most_overdue_on_top_then_the_settled(engine, settings):
    c = cases(engine, settings)
    found = q.listing(engine, q.Filters())
    expected = ["late_old", "late", "open", "open_new", "settled_first", "settled_then"]
    assert ids_of(found) == [c[k] for k in expected]
    assert [r["overdue"] for r in found.rows] == [True, True, False, False, False, False]
    assert q.counts(engine) == q.Counts(open=4, overdue=2, resolved=2)  # the open fire is not a complaint
    assert q.counts(engine, "dpmptsp") == q.Counts(open=2, overdue=1, resolved=0)
    assert q.per_unit(engine)["pupr"] == q.Counts(open=1, overdue=1, resolved=1)


def test_filters_by_unit_district_state_and_age(engine, settings):
    c = cases(engine, settings)

    def found(**kw) -> list[int]:
        return ids_of(q.listing(engine, q.Filters(**kw)))

    assert found(skpd="dpmptsp") == [c["late"], c["open"]]
    assert found(district="citta") == [c["late_old"], c["settled_first"]]
    assert found(state="open") == [c[k] for k in ("late_old", "late", "open", "open_new")]
    assert found(state="overdue") == [c["late_old"], c["late"]]
    assert found(state="resolved") == [c["settled_first"], c["settled_then"]]
    assert found(state="closed") == [c["closed"]]
    assert found(age="3d") == [c["late_old"], c["late"]]  # received more than 3 days ago
    assert found(age="1d", skpd="dlh") == [c["settled_then"]]
    assert found(skpd="dukcapil") == []
    pages = q.listing(engine, q.Filters(), page=9, size=4)
    assert (pages.total, pages.pages, pages.page, len(pages.rows)) == (6, 2, 1, 2)  # a page past the end: the last


def test_a_complaint_opens_to_its_exchange_and_the_units_note(engine, settings):
    c = cases(engine, settings)
    one = q.one(engine, c["settled_first"])
    assert one is not None and one["status"] == "resolved"
    note = q.settlement_note(one["exchange"])
    assert note is not None and note["note"] == "lubang sudah ditambal" and note["operator"] == "pupr"
    assert [e["kind"] for e in q.one(engine, c["late"])["exchange"]] == ["status", "note"]
    assert q.settlement_note(q.one(engine, c["late"])["exchange"]) is None
    assert q.one(engine, c["late"], "pupr") is None  # another unit's
    assert q.one(engine, c["fire"]) is None  # not a complaint


# -- the page, in-process --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    dash_app = make_app(tmp_path_factory.mktemp("complaints") / "scc.db")
    ctx = dash_app.server.config["SCC_CONTEXT"]
    dash_app.cases = cases(ctx.engine, ctx.settings)
    yield dash_app
    ctx.engine.dispose()


def key(app, output: str) -> str:
    [found] = [k for k in app.callback_map if k.startswith(output) or f"..{output}." in k]
    return found


def post(app, user: str, output: str, values: dict, trigger: str | None = None):
    """The callback writing `output` with these input and state values (by "id.property"), fired by `trigger`."""
    body = callback_body(app, key(app, output))
    for item in body["inputs"] + body["state"]:
        name = f"{item['id']}.{item['property']}"
        if name in values:
            item["value"] = values[name]
    body["changedPropIds"] = [trigger] if trigger else []
    return post_callback(client(app, user), body)


def clicked(app, user: str, kind: str, incident_id: int, clicks: int = 1, state: dict | None = None):
    """A click on a row's line (kind "open": its body is drawn) or its close button (kind "close"), as Dash's
    renderer sends it: pattern-matching ids with their values, the changed one named as JSON."""
    button = {"id": incident_id, "type": f"complaint-{kind}"}
    changed = json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"
    if kind == "open":
        pattern = json.dumps({"id": ["MATCH"], "type": "complaint-body"}, separators=(",", ":"))
        body = callback_body(app, pattern + ".children")
        body["outputs"] = {"id": {"id": incident_id, "type": "complaint-body"}, "property": "children"}
        body["inputs"] = [{"id": button, "property": "n_clicks", "value": clicks}]
    else:
        body = callback_body(app, key(app, "complaints-message.children"))
        body["inputs"] = [[{"id": button, "property": "n_clicks", "value": clicks}]]
        for item in body["state"]:
            item["value"] = (state or {}).get(f"{item['id']}.{item['property']}")
    body["changedPropIds"] = [changed]
    return post_callback(client(app, user), body)


def text(r) -> str:
    return r.get_data(as_text=True)


def order_in(page: str, ids: list[int]) -> list[int]:
    return sorted(ids, key=lambda i: page.index(f'"#{i}"'))


def test_the_list_as_each_role_sees_it(app):
    c = app.cases
    staff = text(post(app, "bupati", "complaints-list.children", {"complaints-state.value": "active"},
                      "complaints-state.value"))  # fmt: skip
    wanted = [c[k] for k in ("late_old", "late", "open", "open_new", "settled_first", "settled_then")]
    assert order_in(staff, wanted) == wanted and f'"#{c["fire"]}"' not in staff
    assert "Lewat tenggat" in staff and "6 pengaduan" in staff

    # SKPD staff naming another unit get their own all the same.
    own = text(post(app, "dpmptsp", "complaints-list.children", {"complaints-unit.value": "pupr"},
                    "complaints-unit.value"))  # fmt: skip
    assert f'"#{c["late"]}"' in own and f'"#{c["late_old"]}"' not in own

    bad = post(app, "operator", "complaints-list.children", {"complaints-state.value": "everything"},
               "complaints-state.value")  # fmt: skip
    assert bad.status_code == 400
    assert post(app, "operator", "complaints-list.children", {"complaints-unit.value": "nowhere"}).status_code == 400


def test_a_row_opens_to_the_settlement_note_and_only_operators_may_close_it(app):
    c = app.cases
    opener = c["settled_first"]
    as_operator = text(clicked(app, "operator", "open", opener))
    assert "lubang sudah ditambal" in as_operator and "Catatan penyelesaian" in as_operator
    assert "complaint-close" in as_operator  # settled: the operator may close it from here
    as_bupati = text(clicked(app, "bupati", "open", opener))
    assert "lubang sudah ditambal" in as_bupati and "complaint-close" not in as_bupati
    open_one = text(clicked(app, "operator", "open", c["late"]))
    assert "berkas diperiksa" in open_one and "complaint-close" not in open_one  # not settled yet: nothing to close
    assert clicked(app, "dpmptsp", "open", opener).status_code == 403  # another unit's complaint
    mine = clicked(app, "dpmptsp", "open", c["late"])
    assert mine.status_code == 200 and "berkas diperiksa" in text(mine)
    closing = clicked(app, "operator", "open", opener, clicks=2)
    assert closing.status_code == 204  # the second click closes the row: nothing is read


def test_closing_a_settled_complaint(app):
    c = app.cases
    engine = app.server.config["SCC_CONTEXT"].engine
    target = c["settled_then"]
    read_before = {"complaints-versions.data": {str(target): 1}}  # the page read it before the unit settled it
    assert clicked(app, "bupati", "close", target, state=read_before).status_code == 403
    stale = clicked(app, "operator", "close", target, state=read_before)
    assert stale.status_code == 200 and "baru saja diubah" in text(stale)
    assert q.one(engine, target)["status"] == "resolved"
    read = {"complaints-versions.data": {str(target): q.one(engine, target)["version"]}}
    done = clicked(app, "operator", "close", target, state=read)
    assert done.status_code == 200 and f"Pengaduan #{target} ditutup" in text(done)
    assert q.one(engine, target)["status"] == "closed"
    assert f'"#{target}"' not in text(done)  # the list drawn again holds the complaints not yet closed
    assert clicked(app, "operator", "close", c["fire"], state=read).status_code == 400  # not a listed complaint
