"""No page reads a growing table whole: every page's queries, as its layout and its data callbacks run
them, against a database holding history in every table that only grows, must find their rows through
an index. SQLite: no SCAN of those tables, a covering index read end to end included; PostgreSQL: no Seq
Scan through all of one, the planner knowing their sizes (tests/support/plans.whole_reads). A page added
later must be listed here, or the test says so."""

from __future__ import annotations

import random
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, select, text

from callcenter.intake import take_call
from dashboard.access import ROUTER
from scc.clock import utcnow, wita_day_start
from scc.storage.callcenter import call_log, incident_events, incident_units, incidents
from scc.storage.cameras import camera_activity, camera_outages
from scc.storage.metrics import (
    metric_corrections,
    metric_daily,
    metric_samples,
    rejected_messages,
    service_probe_hours,
    service_probes,
)
from scc.storage.platform import audit_log, refusals
from tests.support.dashapp import callback_body, callback_key, client, make_app, post_callback
from tests.support.plans import selects_during, whole_reads

GROWING = (
    "metric_samples", "metric_hourly", "metric_daily", "metric_corrections", "rejected_messages",
    "camera_activity", "camera_outages", "incidents", "incident_events", "incident_units", "call_log",
    "audit_log", "login_attempts", "refusals", "service_probes", "service_probe_hours",
)  # fmt: skip
DAYS = 730  # the tables kept forever, or two years
RAW_DAYS = 90  # raw samples, as retention keeps them (config/retention.yaml)
ACTIVITY_DAYS = 7
REJECTED_DAYS = 30
PROBE_DAYS = 90  # the checks, as retention keeps them; their hourly counts for DAYS
# Every page by its path, as the admin opens it (an SKPD's own page as its staff); a path template's
# parts filled in. The data callbacks each page runs after it is drawn are listed apart, below.
PAGES = {
    "/": "admin", "/calls": "admin", "/calls/new": "admin", "/calls/kpi": "admin", "/calls/map": "admin",
    "/calls/import": "admin", "/calls/<incident_id>": "admin", "/history": "admin", "/complaints": "admin",
    "/cameras": "admin", "/cameras/health": "admin", "/metrics": "admin", "/metrics/compare": "admin",
    "/metrics/own": "dpmptsp", "/metrics/<code>": "admin", "/admin": "admin", "/account": "admin",
    "/404": "admin", "/alerts": "admin", "/bupati": "bupati", "/boards": "admin", "/reports": "admin",
}  # fmt: skip
# (user, the callback's output, its inputs' values): what fills each page after it is drawn, in its
# widest range where it has one.
CALLBACKS: list[tuple[str, str, dict[str, Any]]] = [
    ("admin", "overview-body.children", {"overview-tick.n_intervals": 1}),
    ("bupati", "regent-body.children", {"regent-tick.n_intervals": 1}),
    ("admin", "calls-body.children", {"calls-tick.n_intervals": 1}),
    ("admin", "kpi-body.children", {"kpi-window.value": "30d", "kpi-tick.n_intervals": 1}),
    ("admin", "map-body.children", {"map-window.value": "30d", "map-tick.n_intervals": 1}),
    ("admin", "camhealth-body.children", {"camhealth-tick.n_intervals": 1}),
    ("admin", "metrics-body.children", {"metrics-tick.n_intervals": 1}),
    ("admin", "compare-body.children", {"compare-tick.n_intervals": 1, "compare-which.data": {"range": "1y"}}),
    ("admin", "..unit-body.children", {"unit-tick.n_intervals": 1,
                                       "unit-which.data": {"code": "dinkes", "range": "1y"}}),
    ("admin", "..complaints-counts.children", {"complaints-tick.n_intervals": 1}),
    ("admin", "..complaints-list.children", {"complaints-state.value": "closed", "complaints-age.value": "any"}),
    ("admin", "..history-results.children", {"history-search.n_clicks": 1}),
    ("dpmptsp", "own-body.children", {"own-unit.value": "dpmptsp"}),
    ("admin", "boards-body.children", {"boards-unit.value": "dukcapil"}),
    ("admin", "..alerts-bar.children", {"alerts-bar-tick.n_intervals": 1}),
    ("dpmptsp", "..alerts-bar.children", {"alerts-bar-tick.n_intervals": 1}),
    ("admin", "alerts-open.children", {"alerts-tick.n_intervals": 1}),
    ("admin", "alerts-history.children", {"alerts-range.value": "30d", "alerts-state.value": "unacknowledged"}),
    ("dpmptsp", "alerts-history.children", {"alerts-range.value": "30d"}),
    ("admin", "alerts-ack-pick.options", {"alerts-tick.n_intervals": 1}),
    ("admin", "..alerts-silences.children", {"alerts-tick.n_intervals": 1}),
    ("admin", "reports-list.children", {"reports-tick.n_intervals": 1}),
    ("dpmptsp", "reports-list.children", {"reports-tick.n_intervals": 1}),
]  # fmt: skip


def _history(ctx: Any) -> int:
    """Each growing table as two years of service leave it (the raw ones as far back as retention keeps
    them), at about the demo's rates: a page's widest window (a year's chart, a month's KPIs) is then half
    of a table at most, and PostgreSQL's planner, knowing the sizes, reads one whole only where no index
    fits. The newest incident's id."""
    rng = random.Random(20)
    now = utcnow()
    s = ctx.settings
    samples = [
        dict(skpd_code=m.skpd, metric_key=m.key, ts=now - timedelta(hours=h), value=float(m.min),
             message_id=f"h{h}", received_at=now - timedelta(hours=h), source="mqtt")
        for m in s.metrics for h in range(0, RAW_DAYS * 24, 6)
    ]  # fmt: skip
    daily = [
        dict(skpd_code=m.skpd, metric_key=m.key, day=wita_day_start(now - timedelta(days=d)), n=24, total=24.0 * m.min,
             low=m.min, high=m.min, last_value=m.min, last_ts=now - timedelta(days=d))
        for m in s.metrics for d in range(1, DAYS)
    ]  # fmt: skip
    corrections = [
        dict(skpd_code=m.skpd, metric_key=m.key, ts=now - timedelta(days=d, hours=1), old_value=m.min,
             new_value=m.min, message_id=f"c{d}", source="web", corrected_by="test",
             corrected_at=now - timedelta(days=d))
        for m in s.metrics for d in range(0, DAYS, 7)
    ]  # fmt: skip
    cams = [c for c in s.cameras if c.status == "active"]
    activity = [
        dict(camera_id=c.id, at=now - timedelta(minutes=5 * k), level=rng.random())
        for c in cams for k in range(ACTIVITY_DAYS * 24 * 12)
    ]  # fmt: skip
    outages = [
        dict(camera_id=c.id, uplink=c.uplink, started_at=now - timedelta(hours=6 * k + 1),
             ended_at=now - timedelta(hours=6 * k), reason="timeout")
        for c in cams for k in range(DAYS * 4)
    ]  # fmt: skip
    past = []
    for k in range(DAYS * 48):
        at = now - timedelta(minutes=30 * k + 90)
        complaint = k % 5 == 0
        past.append(dict(
            line_code="psc-119", district="citta", category="complaint" if complaint else "medical", priority=2,
            summary="", status="closed", received_at=at, dispatched_at=None if complaint else at + timedelta(minutes=2),
            on_scene_at=None if complaint else at + timedelta(minutes=14), closed_at=at + timedelta(minutes=60),
            source="csv", created_by="test", skpd_code="dpmptsp" if complaint else None,
        ))  # fmt: skip
    with ctx.engine.begin() as conn:
        conn.execute(insert(metric_samples), samples)
        conn.execute(insert(metric_daily), daily)
        conn.execute(insert(metric_corrections), corrections)
        conn.execute(insert(camera_activity), activity)
        conn.execute(insert(camera_outages), outages)
        conn.execute(insert(incidents), past)
        ids = conn.execute(select(incidents.c.id, incidents.c.received_at, incidents.c.closed_at)).all()
        conn.execute(insert(incident_events), [
            dict(incident_id=i, kind="status", status=status, at=at, operator="test", note="")
            for i, received, closed in ids for status, at in (("received", received), ("closed", closed))
        ])  # fmt: skip
        conn.execute(insert(incident_units), [
            dict(incident_id=i, unit_code="ambulans-1", assigned_at=received + timedelta(minutes=2), assigned_by="t",
                 released_at=closed)
            for i, received, closed in ids
        ])  # fmt: skip
        conn.execute(
            insert(call_log),
            [dict(at=p["received_at"], line_code="psc-119", outcome="answered", source="csv") for p in past],
        )
        conn.execute(
            insert(audit_log),
            [
                dict(at=now - timedelta(minutes=30 * k), actor="admin", action="test", detail={})
                for k in range(DAYS * 48)
            ],
        )
        conn.execute(
            insert(rejected_messages),
            [dict(received_at=now - timedelta(minutes=15 * k), topic="t", skpd_code="dpmptsp", payload="{", reason="x",
                  source="mqtt", digest=f"{k:064d}") for k in range(REJECTED_DAYS * 96)],
        )  # fmt: skip
        conn.execute(
            insert(refusals),
            [dict(channel="web", account="", kind="signin", source=f"10.0.{k // 250}.{k % 250}", attempts=1,
                  first_at=now - timedelta(hours=k), last_at=now - timedelta(hours=k), last_reason="unknown_account",
                  last_detail="guess") for k in range(3000)],
        )  # fmt: skip
    hour = now.replace(minute=0, second=0, microsecond=0)
    with ctx.engine.begin() as conn:  # every unit probed (the demo's settings): a check every 6 hours, kept
        conn.execute(insert(service_probes), [  # 3 months; an hour counted each day, for 2 years
            dict(skpd_code=u.code, at=now - timedelta(hours=k), ok=k % 9 > 0, status_code=200, latency_ms=90)
            for u in s.skpd for k in range(0, PROBE_DAYS * 24, 6)
        ])  # fmt: skip
        conn.execute(insert(service_probe_hours), [
            dict(skpd_code=u.code, hour=hour - timedelta(days=k), checks=12, up=11)
            for u in s.skpd for k in range(DAYS)
        ])  # fmt: skip
    fire = dict(line_code="damkar-citta", caller_number="0812 3456 7890", district="citta", category="fire",
                priority=1, summary="Rumah terbakar")  # fmt: skip
    return take_call(ctx.engine, ctx.settings, fire, operator="admin").incident_id


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request, tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SCC_PROBES_SIMULATED", "true")  # every unit has a service URL: the probes' reads run too
        yield from _app(request, tmp_path_factory)


def _app(request: Any, tmp_path_factory: Any) -> Any:
    if request.param == "sqlite":
        db: Any = tmp_path_factory.mktemp("plans") / "scc.db"
    else:
        db = request.getfixturevalue("pg_database_url")
        admin = create_engine(db, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:  # empty, as the `database_url` fixture leaves it for each test
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        admin.dispose()
    dash_app = make_app(db)
    ctx = dash_app.server.config["SCC_CONTEXT"]
    dash_app.open_incident = _history(ctx)
    yield dash_app
    ctx.engine.dispose()


def _call(app: Any, user: Any, key: str, values: dict[str, Any]) -> None:
    body = callback_body(app, key)
    for item in body["inputs"] + body["state"]:
        name = f"{item['id']}.{item['property']}" if isinstance(item["id"], str) else None
        if name in values:
            item["value"] = values[name]
    body["changedPropIds"] = [next(iter(values))]
    r = post_callback(user, body)
    assert r.status_code in (200, 204), (key, r.status_code, r.get_data(as_text=True)[:300])


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_every_page_is_listed_here(app):
    from dash import page_registry

    paths = {p.get("path_template") or p["path"] for p in page_registry.values()}
    assert paths == set(PAGES), "a page added or removed: list it here, with the callbacks that fill it"


def test_no_page_reads_a_growing_table_whole(app):
    engine = app.server.config["SCC_CONTEXT"].engine
    ran: list[tuple[str, str, Any]] = []  # (page or callback, statement, its parameters)
    signed_in = {user: client(app, user) for user in {*PAGES.values(), *(u for u, _, _ in CALLBACKS)}}
    for template, name in PAGES.items():
        user = signed_in[name]
        path = template.replace("<incident_id>", str(app.open_incident)).replace("<code>", "dinkes")
        opened = {"_pages_location.pathname": path, "_pages_location.search": "?range=1y"}
        statements = selects_during(engine, partial(_call, app, user, ROUTER, opened))
        ran += [(path, statement, parameters) for statement, parameters in statements]
    for name, output, values in CALLBACKS:
        user, key = signed_in[name], callback_key(app.callback_map, output)
        statements = selects_during(engine, partial(_call, app, user, key, values))
        assert statements, f"{output} read nothing: is it still the page's data callback?"
        ran += [(output, statement, parameters) for statement, parameters in statements]
    found = dict(whole_reads(engine, [(statement, parameters) for _, statement, parameters in ran], GROWING))
    report = [
        f"{', '.join(sorted({where for where, s, _ in ran if s == statement}))}: {step}\n{statement}"
        for statement, step in found.items()
    ]
    assert not report, "\n\n".join(report)
