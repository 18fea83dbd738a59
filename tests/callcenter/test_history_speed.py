"""The history over 100,000 past incidents: every search reaches its rows through an index (SQLite's own
query plan says so), and the search answers as fast as over 1,000 (issue 19: p95 <= 200 ms).

One database for the module: 1,000 incidents first, the searches timed (the floor: everything a search
costs but the data), then 99,000 more and the same searches timed again.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from callcenter.sim.history import seed_history
from dashboard.queries import callcenter_complaints as cq
from dashboard.queries import callcenter_history as h
from scc.clock import utcnow
from scc.percentiles import percentile
from tests.support.dashapp import callback_body, client, make_app, post_callback

END = utcnow() - timedelta(hours=1)
BIG_TABLES = ("incidents", "incident_events", "incident_units", "call_log")
GOAL_S = 0.200
# Over 100,000 incidents a search may take this many times what it takes over 1,000. Measured here, with
# the machine busy (load average 4 on 2 cores): p95 94 ms against 46-54 ms, 1.8-2.0. Either figure passes:
# on a loaded machine the absolute one fails while the ratio still holds.
RATIO = 3.0


def searches() -> dict[str, tuple[h.Search, str]]:
    """Each search, and the index its plan must use for its narrowest filter (the newest rows first)."""
    now = utcnow()
    return {
        "everything": (h.Search(), "ix_incidents_status"),
        "last 30 days": (h.Search(since=now - timedelta(days=30), until=now), "received_at>"),
        "number": (h.Search(number=4242), "PRIMARY KEY"),
        "caller": (h.Search(caller="+6281234567890"), "ix_incidents_caller"),
        "district": (h.Search(district="citta"), "ix_incidents_district"),
        "category": (h.Search(category="medical"), "ix_incidents_category"),
        "district and category": (h.Search(district="ganra", category="complaint"), "ix_incidents_district"),
        "busy unit": (h.Search(unit="ambulans-1"), "ix_incident_units_unit"),
        "rare unit": (h.Search(unit="p2tp2a-tim"), "ix_incident_units_unit"),
        "skpd": (h.Search(skpd="dukcapil"), "ix_incidents_skpd"),
        "an old week": (h.Search(since=now - timedelta(days=300), until=now - timedelta(days=293)), "received_at<"),
        "skpd staff": (h.own_unit(h.Search(category="fire"), "dpmptsp"), "ix_incidents_skpd"),
    }


FORM = {  # the same searches as the page's form sends them
    "everything": {},
    "number": {"number": "4242"},
    "district": {"district": "citta"},
    "category": {"category": "medical"},
    "district and category": {"district": "ganra", "category": "complaint"},
    "busy unit": {"unit": "ambulans-1"},
    "rare unit": {"unit": "p2tp2a-tim"},
    "skpd": {"skpd": "dukcapil"},
}


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("history-speed") / "scc.db")
    ctx = app.server.config["SCC_CONTEXT"]
    seed_history(ctx.engine, ctx.settings, 1_000, end=END, days=365, seed=2)
    small = search_p95(app)
    seed_history(ctx.engine, ctx.settings, 99_000, end=END, days=365, seed=3)
    yield app, small
    ctx.engine.dispose()


def body_for(app: Any, fields: dict[str, str]) -> dict[str, Any]:
    body = callback_body(app, next(k for k in app.callback_map if "history-results.children" in k))
    for item in body["state"]:
        item["value"] = fields.get(item["id"].removeprefix("history-"))
    body["inputs"][0]["value"] = 1  # Search pressed
    body["changedPropIds"] = ["history-search.n_clicks"]
    return body


def search_p95(app: Any, rounds: int = 8) -> float:
    c = client(app, "operator")
    bodies = [body_for(app, fields) for fields in FORM.values()]
    for body in bodies:
        assert post_callback(c, body).status_code == 200
    times = []
    for _ in range(rounds):
        for body in bodies:
            started = time.perf_counter()
            r = post_callback(c, body)
            times.append(time.perf_counter() - started)
            assert r.status_code == 200
    return percentile(times, 95)


def plan_of(engine: Any, statement: Any) -> list[str]:
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]


def whole_scans(plan: list[str]) -> list[str]:
    """Plan lines that read a big table without an index (SQLite says "SCAN <table>" and no "USING")."""
    return [line for line in plan if line.startswith("SCAN ") and line.split()[1] in BIG_TABLES]


def test_every_search_uses_an_index(big):
    app, _ = big
    engine = app.server.config["SCC_CONTEXT"].engine
    for name, (wanted, index) in searches().items():
        for statement in h.statements(wanted, page=3):
            plan = plan_of(engine, statement)
            assert whole_scans(plan) == [], (name, plan)
            assert any(line.startswith("SEARCH") and index in line for line in plan), (name, index, plan)
    # The complaints page's list and counts read the complaints not yet closed, or one unit's, never the year.
    for filters in (cq.Filters(), cq.Filters(state="closed"), cq.Filters(skpd="dlh", state="overdue")):
        for statement in cq.statements(filters, utcnow(), page=2):
            plan = plan_of(engine, statement)
            assert whole_scans(plan) == [], (filters, plan)
    # Their count by state from its own index: by category, every complaint of the years was read.
    count, _ = cq.statements(cq.Filters(state="closed"), utcnow())
    assert any("ix_incidents_case_state" in line for line in plan_of(engine, count)), plan_of(engine, count)


def test_a_search_over_100000_past_incidents_is_as_fast_as_over_1000(big):
    app, small = big
    engine = app.server.config["SCC_CONTEXT"].engine
    assert h.search(engine, h.Search()).capped  # a year is there, more than the page counts
    p95 = search_p95(app)
    print(f"\nhistory search p95 {p95 * 1000:.1f} ms over 100,000 past incidents ({small * 1000:.1f} ms over 1,000)")
    assert p95 <= GOAL_S or p95 <= RATIO * small, f"p95 {p95 * 1000:.0f} ms, {small * 1000:.0f} ms over 1,000"
