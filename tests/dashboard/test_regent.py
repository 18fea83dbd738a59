"""The bupati's desk (dashboard/pages/regent.py, dashboard/queries/regent*.py): his home page, its figures
against rows this test writes and counts by hand, stale figures greyed, and no control for the viewer."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert

from dashboard.queries import regent
from scc.clock import to_wita, utcnow, wita_day_start
from scc.settings import load_settings
from scc.storage.callcenter import call_log, incidents
from scc.storage.metrics import metric_daily, metric_hourly, metric_latest
from tests.support.dashapp import body_from_spec, callback_key, client, nodes, post_callback
from tests.support.web import PASSWORDS

# Wednesday 2 December 2026, 10.30 WITA.
NOW = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def at_wita(day: datetime, hour: float) -> datetime:
    """`hour` o'clock WITA on the WITA day of `day`."""
    return wita_day_start(day) + timedelta(hours=hour)


def _call(when: datetime, line: str = "psc-119", district: str = "lalabata") -> dict:
    return {"at": when, "line_code": line, "district": district, "outcome": "answered", "source": "intake"}


def _incident(received: datetime, scene_min: float | None, *, priority: int = 1, district: str = "lalabata") -> dict:
    return {
        "line_code": "psc-119",
        "district": district,
        "category": "medical",
        "priority": priority,
        "status": "on_scene" if scene_min is not None else "dispatched",
        "received_at": received,
        "dispatched_at": received + timedelta(minutes=1),
        "on_scene_at": received + timedelta(minutes=scene_min) if scene_min is not None else None,
        "created_by": "test",
        "due_at": None,
        "skpd_code": None,
    }


def _complaint(received: datetime, due: datetime, unit: str) -> dict:
    return {**_incident(received, None, priority=3), "category": "complaint", "status": "received",
            "dispatched_at": None, "due_at": due, "skpd_code": unit}  # fmt: skip


def _day(unit: str, key: str, day: datetime, high: float, mean: float | None = None) -> dict:
    mean = high if mean is None else mean
    start = wita_day_start(day)
    return {"skpd_code": unit, "metric_key": key, "day": start, "n": 4, "total": mean * 4,
            "low": 0.0, "high": high, "last_value": high, "last_ts": start + timedelta(hours=20)}  # fmt: skip


def write_week(engine, now: datetime) -> None:
    """Calls, emergencies, complaints and unit figures around `now`, each counted by hand in the tests."""
    today = wita_day_start(now)
    span = now - today  # today so far; the weeks before are counted over the same span of their day
    calls = [_call(today + span / 2) for _ in range(5)]
    calls.append(_call(today + span / 2, line="damkar-citta", district="citta"))
    for weeks, n in ((1, 3), (2, 4), (3, 1), (4, 0)):
        calls += [_call(today - weeks * WEEK + span / 3) for _ in range(n)]
    calls.append(_call(today - WEEK + span + timedelta(minutes=5)))  # last week, after this hour of the day
    emergencies = [_incident(today + span / 4, 10), _incident(today + span / 4, 20)]
    emergencies.append(_incident(today - WEEK + span / 4, 30, district="citta"))
    complaints = [_complaint(now - 5 * DAY, now - k * DAY, "dukcapil") for k in (2, 1)]
    complaints.append(_complaint(now - DAY, now + 2 * DAY, "dinsos"))  # not due yet
    days = []
    for k in range(1, 8):  # the last 7 whole days: 100 permits a day; the 7 before: 80
        days.append(_day("dpmptsp", "laside_permits_received", today - k * DAY, 100))
        days.append(_day("dpmptsp", "laside_permits_received", today - (k + 7) * DAY, 80))
    latest = [
        {"skpd_code": "dinsos", "metric_key": "kartu_macca_distributed", "ts": now - timedelta(hours=2),
         "value": 13_000.0, "received_at": now - timedelta(hours=2)},
        {"skpd_code": "dukcapil", "metric_key": "dukcapil_queue_length", "ts": now - 3 * DAY,
         "value": 41.0, "received_at": now - 3 * DAY},
    ]  # fmt: skip
    # Kominfo reports only the common flags: service up every 5 minutes, website up every hour. Since
    # Monday 00.00 WITA to the last whole hour: all its service reports, and its website report half the hours.
    monday = today - timedelta(days=to_wita(now).weekday())
    hours = int((now.replace(minute=0, second=0, microsecond=0) - monday).total_seconds() // 3600)
    hourly = []
    for h in range(hours):
        hour = monday + timedelta(hours=h)
        row = {"skpd_code": "kominfo", "hour": hour, "low": 1.0, "high": 1.0, "last_value": 1.0, "last_ts": hour,
               "rolled_at": now}  # fmt: skip
        hourly.append({**row, "metric_key": "service_up", "n": 12, "total": 12.0})
        if h % 2 == 0:
            hourly.append({**row, "metric_key": "website_up", "n": 1, "total": 1.0})
    with engine.begin() as conn:
        for table in (call_log, incidents, metric_daily, metric_hourly, metric_latest):
            conn.execute(delete(table))
        conn.execute(insert(call_log), calls)
        conn.execute(insert(incidents), emergencies + complaints)
        conn.execute(insert(metric_daily), days)
        conn.execute(insert(metric_latest), latest)
        conn.execute(insert(metric_hourly), hourly)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.config["SCC_CONTEXT"].engine


@pytest.fixture(scope="module")
def settings():
    return load_settings()


@pytest.fixture
def store(database_url):
    """An empty, migrated database: SQLite, and PostgreSQL where the suite has one."""
    from scc.storage import open_storage

    engine = open_storage(database_url)
    yield engine
    engine.dispose()


def test_the_bupati_lands_on_his_desk_and_the_others_on_theirs(app):
    landing = {}
    for user in ("bupati", "admin", "operator"):
        r = client(app).post("/login", data={"username": user, "password": PASSWORDS[user]})
        landing[user] = r.headers["Location"]
    assert landing == {"bupati": "/bupati", "admin": "/", "operator": "/"}
    assert client(app, "dpmptsp").get("/bupati").status_code == 403


def test_today_is_compared_with_the_same_span_of_the_weeks_before(store, settings):
    write_week(store, NOW)
    desk = regent.read(store, settings, NOW)
    psc = next(line for line in desk.lines if line.code == "psc-119")
    # 5 today; 3, 4, 1, 0 on the four Wednesdays before, to 10.30 (the one after it not counted).
    assert (psc.calls.today, psc.calls.last_week, psc.calls.four_weeks) == (5, 3, 2.0)
    # On scene after 10 and 20 minutes: p50 15, p90 19 (between the closest ranks); a P1 has 15 minutes.
    assert (psc.scene_p50.today, psc.scene_p90.today) == pytest.approx((15.0, 19.0))
    assert psc.scene_p50.last_week == pytest.approx(30.0)
    assert psc.in_time == (1, 2)
    citta = next(line for line in desk.lines if line.code == "damkar-citta")
    assert citta.calls.today == 1 and citta.calls.four_weeks == 0.0
    assert desk.districts["lalabata"].today == 2 and desk.districts["citta"].last_week == 1


def test_services_against_targets_over_eight_weeks(store, settings):
    write_week(store, NOW)
    found = {s.metric.key: s for s in regent.read(store, settings, NOW).services}
    permits = found["laside_permits_received"]
    assert permits.value == 700 and permits.weeks[-2:] == [560, 700] and permits.weeks[:6] == [None] * 6
    assert permits.trend == "up"
    macca = found["kartu_macca_distributed"]
    assert (macca.value, macca.target, macca.stale) == (13_000, 13_161, False)  # the programme's quota
    queue = found["dukcapil_queue_length"]
    assert queue.stale and queue.value is None  # nothing in the last 7 whole days: no figure, and said so
    pbb = found["paddare_pbb_collected"]
    assert pbb.target is None and pbb.as_of is None  # the unit never sent its year's target


def test_the_league_puts_complaints_past_due_first_and_counts_reports_owed(store, settings):
    write_week(store, NOW)
    desk = regent.read(store, settings, NOW)
    assert desk.league[0].code == "dukcapil" and desk.league[0].overdue == 2
    assert next(u for u in desk.league if u.code == "dinsos").overdue == 0
    kominfo = next(u for u in desk.league if u.code == "kominfo")
    # Monday 00.00 to Wednesday 10.00 WITA is 58 hours: 696 service reports and 58 website ones owed;
    # all the first arrived, 29 of the second.
    assert kominfo.compliance == pytest.approx((696 + 29) / (696 + 58))
    assert next(u for u in desk.league if u.code == "setda").compliance == 0.0
    # Where the probes check every unit's site (the demo), no unit owes its website flag.
    probed = load_settings(environ={**os.environ, "SCC_PROBES_SIMULATED": "true"})
    assert regent.compliance(store, probed, NOW)[0]["kominfo"] == 1.0
    assert desk.compliance_since == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)


def texts(tree) -> list[str]:
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in texts(v)]
    if isinstance(tree, list):
        return [x for v in tree for x in texts(v)]
    return []


def _desk_body(app, user: str) -> dict:
    c = client(app, user)
    deps = {d["output"]: d for d in c.get("/_dash-dependencies").get_json()}
    key = callback_key(deps, "regent-body.children")
    r = post_callback(c, body_from_spec(key, deps[key], {"regent-tick.n_intervals": 1}))
    assert r.status_code == 200, r.status_code
    return r.get_json()["response"]["regent-body"]["children"]


def test_the_page_shows_the_figures_and_greys_a_stale_one(app, engine):
    regent._kept.clear()
    write_week(engine, utcnow())
    tree = _desk_body(app, "bupati")
    by_metric = {n["props"]["data-metric"]: n for n in nodes(tree) if "data-metric" in n.get("props", {})}
    assert by_metric["dukcapil_queue_length"]["props"]["data-stale"] == "true"
    assert by_metric["kartu_macca_distributed"]["props"]["data-stale"] == "false"
    text = " ".join(texts(tree))
    assert "usang" in text and "98,8 % dari 13.161" in text
    lines = {n["props"]["data-line"]: n for n in nodes(tree) if "data-line" in n.get("props", {})}
    assert set(lines) >= {"psc-119", "damkar-citta", "p2tp2a", "polres-110"}
    # PSC 119: 5 calls today against a 4-week mean of 2; on scene in 15 minutes against 30 a week ago.
    psc = lines["psc-119"]
    assert (psc["props"]["data-trend"], psc["props"]["data-scene-trend"]) == ("up", "down")
    arrows = {n["props"]["title"]: n["props"]["className"] for n in nodes(psc) if "title" in n["props"]}
    assert arrows == {
        "naik dari rata² 4 mgg 2": "regent-arrow tone-unknown",
        "turun dari rata² 4 mgg 30": "regent-arrow tone-ok",
    }


def test_the_viewer_has_no_control_on_his_page(app):
    c = client(app, "bupati")
    deps = c.get("/_dash-dependencies").get_json()
    page = [d for d in deps if d["output"].startswith("regent-")]
    # One callback: the minute's refresh, its only input a timer.
    assert [[i["id"] + "." + i["property"] for i in d["inputs"]] for d in page] == [["regent-tick.n_intervals"]]
    layout = c.get("/_dash-layout")
    assert layout.status_code == 200
    tree = _desk_body(app, "bupati")
    controls = {"Button", "Input", "Dropdown", "Textarea", "Checklist", "RadioItems", "Upload", "Slider"}
    assert not [n["type"] for n in nodes(tree) if isinstance(n, dict) and n.get("type") in controls]
