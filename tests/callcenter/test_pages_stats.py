"""The call center's figures, map, import and complaints: exact figures from known rows on both backends,
and the pages' callbacks as each role may (or may not) use them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from dashboard.queries import callcenter_kpi, callcenter_stats
from scc.storage.callcenter import call_log, incidents

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12.00 WITA; today began at 22 Nov 16.00 UTC


def wita(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def call(at, line, district, outcome, n=[0]):  # noqa: B006  (a counter for unique digests)
    n[0] += 1
    return dict(at=at, line_code=line, district=district, outcome=outcome, source="csv", digest=f"t{n[0]}")


def emergency(received, dispatch_min, scene_min, *, line="psc-119", district="lalabata", status="resolved"):
    return dict(
        line_code=line,
        district=district,
        category="medical",
        summary="uji",
        status=status,
        received_at=received,
        dispatched_at=received + timedelta(minutes=dispatch_min) if dispatch_min is not None else None,
        on_scene_at=received + timedelta(minutes=scene_min) if scene_min is not None else None,
        source="intake",
        created_by="op",
        skpd_code=None,
        due_at=None,
    )


def complaint_row(received, skpd, *, due_days=3, status="received"):
    return {
        **emergency(received, None, None, status=status),
        "category": "complaint",
        "skpd_code": skpd,
        "due_at": received + timedelta(days=due_days),
        "summary": f"pengaduan {skpd}",
    }


@pytest.fixture
def known(engine):
    calls = [
        call(wita(23, 8, 15), "psc-119", "lalabata", "answered"),
        call(wita(23, 8, 40), "psc-119", "lalabata", "abandoned"),
        call(wita(23, 9, 5), "damkar-citta", "citta", "unanswered"),
        call(wita(23, 0, 30), "damkar-citta", None, "answered"),
        call(wita(22, 23, 50), "psc-119", "ganra", "answered"),  # yesterday after this time of day: in neither
        call(wita(22, 4, 0), "psc-119", "ganra", "answered"),  # yesterday morning: the previous period
    ]
    today = wita(23, 7)
    rows = [
        emergency(today + timedelta(minutes=i), d, s)
        for i, (d, s) in enumerate([(2, 10), (4, 20), (6, 30), (8, 40), (10, None)])
    ]
    rows += [
        emergency(today, 1, 5, line="damkar-citta", district="citta", status="dispatched"),
        emergency(wita(22, 7), 3, 12),  # the previous period
        complaint_row(today, "dpmptsp"),  # complaints are settled, not responded to: not in the times
        complaint_row(wita(18, 9), "dpmptsp"),  # due 21 Nov: overdue
        complaint_row(wita(18, 9), "pupr", status="resolved"),  # settled: not overdue
    ]
    with engine.begin() as conn:
        conn.execute(insert(call_log), calls)
        conn.execute(insert(incidents), rows)
    return engine


def test_calls_are_counted_per_line_district_and_wita_hour(known):
    report = callcenter_kpi.kpi(known, "today", now=NOW)
    assert report.current.since == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert report.previous == callcenter_stats.Period(
        datetime(2026, 11, 21, 16, 0, tzinfo=UTC), NOW - timedelta(days=1)
    )
    calls = report.calls
    assert (calls.total, calls.missed) == (4, 2)
    assert calls.by_line == {"psc-119": 2, "damkar-citta": 2}
    assert calls.by_district == {"lalabata": 2, "citta": 1, None: 1}
    assert calls.by_hour[8] == 2 and calls.by_hour[9] == 1 and calls.by_hour[0] == 1 and sum(calls.by_hour) == 4
    assert calls.outcomes_by_line == {
        "psc-119": {"answered": 1, "abandoned": 1},
        "damkar-citta": {"unanswered": 1, "answered": 1},
    }
    assert (report.previous_calls.total, report.previous_calls.missed) == (1, 0)


def test_a_call_in_the_last_microseconds_of_an_hour_counts_in_that_hour(engine):
    """Calls are stored to the microsecond; SQLite's time functions round to the millisecond, which would
    put 08.59.59.9997 into hour 9 (and 23.59.59.9997 into hour 0 of a day the period does not hold)."""
    last_instant = timedelta(microseconds=300)
    with engine.begin() as conn:
        conn.execute(
            insert(call_log),
            [
                call(wita(23, 9) - last_instant, "psc-119", "lalabata", "answered"),
                call(wita(23, 0) - last_instant, "psc-119", "lalabata", "answered"),  # the 22nd's last call
            ],
        )
    by_hour = callcenter_kpi.kpi(engine, "7d", now=NOW).calls.by_hour
    assert (by_hour[8], by_hour[9], by_hour[23], by_hour[0]) == (1, 0, 1, 0)


def test_response_percentiles_are_exact(known):
    report = callcenter_kpi.kpi(known, "today", now=NOW)
    lalabata = report.by_district["lalabata"]
    assert lalabata.incidents == 5
    assert lalabata.dispatch_p50 == pytest.approx(6, abs=1e-3)
    assert lalabata.dispatch_p90 == pytest.approx(9.2, abs=1e-3)
    assert lalabata.scene_p50 == pytest.approx(25, abs=1e-3)  # of 10, 20, 30, 40: one never reached the scene
    assert lalabata.scene_p90 == pytest.approx(37, abs=1e-3)
    assert report.by_line["damkar-citta"].dispatch_p50 == pytest.approx(1, abs=1e-3)
    assert report.overall.incidents == 6  # the complaint is not an emergency
    assert report.previous_by_district["lalabata"].scene_p50 == pytest.approx(12, abs=1e-3)
    assert report.previous_overall.incidents == 1


def test_map_counts_open_now_and_received_in_the_range(known):
    data = callcenter_stats.map_data(known, "today", now=NOW)
    assert data.counts["lalabata"] == callcenter_stats.DistrictCount(open=0, total=5)  # complaints are not on the map
    assert data.counts["citta"] == callcenter_stats.DistrictCount(open=1, total=1)
    assert data.open_total == 1 and [i["status"] for i in data.open_incidents] == ["dispatched"]


# -- the pages, in-process --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from tests.support.dashapp import make_app

    dash_app = make_app(tmp_path_factory.mktemp("stats-app") / "scc.db")
    yield dash_app
    dash_app.server.config["SCC_CONTEXT"].engine.dispose()


@pytest.fixture(scope="module")
def db(app):
    return app.server.config["SCC_CONTEXT"].engine


def key_of(app, output: str) -> str:
    return next(k for k in app.callback_map if output in k)


def post(app, username, output, values: dict, changed: tuple[str, ...] | list[str] = ()):
    from tests.support.dashapp import callback_body, client, post_callback

    body = callback_body(app, key_of(app, output))
    for item in [*body["inputs"], *body["state"]]:
        name = f"{item['id']}.{item['property']}"
        if name in values:
            item["value"] = values[name]
    body["changedPropIds"] = list(changed)
    return post_callback(client(app, username), body)


def seed_complaints(db) -> tuple[int, int]:
    received = datetime.now(UTC) - timedelta(hours=2)
    with db.begin() as conn:
        mine = conn.execute(insert(incidents).values(**complaint_row(received, "dpmptsp"))).inserted_primary_key[0]
        theirs = conn.execute(insert(incidents).values(**complaint_row(received, "pupr"))).inserted_primary_key[0]
    return mine, theirs


def status_of(db, incident_id) -> str:
    with db.connect() as conn:
        return conn.scalar(select(incidents.c.status).where(incidents.c.id == incident_id))


def test_roles_open_the_pages_they_should(app):
    access = app.server.config["SCC_ACCESS"]
    for path in ("/calls/kpi", "/calls/map"):
        assert {r: access.page_status(path, r) for r in ("admin", "operator", "viewer", "skpd")} == {
            "admin": 200,
            "operator": 200,
            "viewer": 200,
            "skpd": 403,
        }
    assert access.page_status("/calls/import", "viewer") == 403 and access.page_status("/calls/import", "skpd") == 403
    assert all(access.page_status("/complaints", r) == 200 for r in ("admin", "operator", "viewer", "skpd"))
    assert "/complaints" in access.nav_for("skpd") and "/complaints" in access.nav_for("viewer")
    assert access.pages_for("skpd")[0] == "/metrics/own"  # complaints do not become the SKPD's home


def test_the_kpi_and_map_callbacks_answer_staff_and_refuse_others(app):
    for output in ("kpi-body.children", "map-body.children"):
        window = output.split("-")[0] + "-window.value"
        ok = post(app, "bupati", output, {window: "7d"})
        assert ok.status_code == 200, ok.data[:300]
        assert post(app, "dpmptsp", output, {window: "7d"}).status_code == 403
        assert post(app, "bupati", output, {window: "1y"}).status_code == 400  # not a range of the picker


def test_a_line_with_nothing_today_keeps_its_row_short(app, db):
    """Just after midnight one line has had an incident and the others none yet: each empty row of the
    response-time tables says "belum ada" in its trend cell, as a row with figures says its trend in a word,
    not the cards' longer "belum ada pembanding", which (kept on one line) pushed the page past a 1366 px
    screen."""
    with db.begin() as conn:
        first = conn.execute(insert(incidents).values(**emergency(datetime.now(UTC), 2, 9))).inserted_primary_key[0]
    try:
        r = post(app, "bupati", "kpi-body.children", {"kpi-window.value": "today"})
    finally:
        with db.begin() as conn:
            conn.execute(incidents.delete().where(incidents.c.id == first))
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert text.count('"belum ada"') >= 10, "the empty rows' trend, in a word"
    assert text.count("belum ada pembanding") <= 5, "the long words are the five cards' alone"


def test_an_skpd_sees_and_settles_only_its_own_complaint(app, db):
    mine, theirs = seed_complaints(db)
    assert post(app, "dpmptsp", "complaint-detail.children", {"complaint-pick.value": theirs}).status_code == 403
    shown = post(app, "dpmptsp", "complaint-detail.children", {"complaint-pick.value": mine})
    assert shown.status_code == 200 and f"#{mine}" in shown.get_data(as_text=True)

    forged = post(
        app,
        "dpmptsp",
        "complaint-message.children",
        {"complaint-note.value": "sudah", "complaint-version.data": {"id": theirs, "version": 1}},
        ["complaint-settle.n_clicks"],
    )
    assert forged.status_code == 200 and "tidak diteruskan ke unit Anda" in forged.get_data(as_text=True)
    assert status_of(db, theirs) == "received"

    empty = post(
        app,
        "dpmptsp",
        "complaint-message.children",
        {"complaint-note.value": "  ", "complaint-version.data": {"id": mine, "version": 1}},
        ["complaint-settle.n_clicks"],
    )
    assert "Tulis catatan" in empty.get_data(as_text=True) and status_of(db, mine) == "received"

    with db.begin() as conn:  # an operator corrected the complaint meanwhile
        conn.execute(incidents.update().where(incidents.c.id == mine).values(version=2))
    stale = post(
        app,
        "dpmptsp",
        "complaint-message.children",
        {"complaint-note.value": "loket dibuka", "complaint-version.data": {"id": mine, "version": 1}},
        ["complaint-settle.n_clicks"],
    )
    assert "baru saja diubah" in stale.get_data(as_text=True) and status_of(db, mine) == "received"
    done = post(
        app,
        "dpmptsp",
        "complaint-message.children",
        {"complaint-note.value": "loket dibuka", "complaint-version.data": {"id": mine, "version": 2}},
        ["complaint-settle.n_clicks"],
    )
    assert done.status_code == 200 and status_of(db, mine) == "resolved"
    noted = post(
        app,
        "dpmptsp",
        "complaint-message.children",
        {"complaint-note.value": "warga puas", "complaint-version.data": {"id": mine, "version": 3}},
        ["complaint-reply.n_clicks"],
    )
    assert "Catatan tersimpan" in noted.get_data(as_text=True)
    assert "warga puas" in noted.get_data(as_text=True)  # on the timeline shown again


def test_the_import_page_stores_a_csv_and_reports_its_bad_rows(app, db):
    rows = ["Waktu;Nomor Tujuan;Penelepon;Kecamatan;Status;Durasi"]
    rows += [f"20/11/2026 08.{i:02d};119;0852990011{i:02d};Liliriaja;Dijawab;01:49" for i in range(3)]
    rows += ["kemarin;119;085299001199;Liliriaja;Dijawab;01:49", "20/11/2026 09.00;119;0852;Liliriaja;entah;1"]
    data = ("\n".join(rows) + "\n").encode()
    contents = "data:text/csv;base64," + base64.b64encode(data).decode()
    with db.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(call_log))
    values = {"import-upload.contents": contents, "import-upload.filename": "pbx.csv"}
    response = post(app, "operator", "import-result.children", values)
    assert response.status_code == 200, response.data[:300]
    page = json.dumps(response.get_json())
    with db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(call_log)) == before + 3
    assert "import-problems" in page and '"5"' in page and '"6"' in page  # the bad rows by their line numbers
    again = json.dumps(post(app, "operator", "import-result.children", values).get_json())
    assert "3 sudah ada" in again  # the same file twice stores each call once
    not_a_file = post(app, "operator", "import-result.children", {"import-upload.contents": "data:text/csv;base64,@@"})
    assert "tidak terbaca" in not_a_file.get_data(as_text=True)


def test_a_weeks_figures_keep_its_past_days_and_count_each_call_once(engine, monkeypatch):
    """7 days: the days before today are read once and kept, today's hours on every refresh. The
    percentiles are those of the whole week (the minutes of both parts together), a call on either side
    of midnight is counted once, and a past call imported later shows when the kept days expire."""
    from dashboard.queries import kept

    midnight = wita(23, 0)
    with engine.begin() as conn:
        conn.execute(
            insert(call_log),
            [
                call(midnight - timedelta(seconds=1), "psc-119", "ganra", "answered"),  # the last of the 22nd
                call(midnight, "psc-119", "ganra", "answered"),  # the first of today
                call(wita(17, 10), "psc-119", "ganra", "answered"),  # the week's first day
                call(wita(16, 10), "psc-119", "ganra", "answered"),  # the week before, by this time of day
                call(wita(11, 10), "psc-119", "ganra", "answered"),  # the week before
                call(wita(16, 23), "psc-119", "ganra", "answered"),  # the week before, after this time of day
            ],
        )
        # Minutes to dispatch: 2 and 4 on past days, 6 today; 10 in the week before.
        conn.execute(
            insert(incidents),
            [
                *(emergency(wita(day, 9), d, s) for day, d, s in ((18, 2, 10), (21, 4, 20), (23, 6, 30))),
                emergency(wita(12, 9), 10, 40),
            ],
        )
    report = callcenter_kpi.kpi(engine, "7d", now=NOW)
    assert report.current.since == wita(17, 0)
    assert report.calls.total == 3 and report.calls.by_hour[23] == 1 and report.calls.by_hour[0] == 1
    assert report.overall.incidents == 3
    assert report.overall.dispatch_p50 == pytest.approx(4) and report.overall.scene_p90 == pytest.approx(28)
    assert report.previous_overall.dispatch_p50 == pytest.approx(10) and report.previous_calls.total == 2
    again = callcenter_kpi.kpi(engine, "7d", now=NOW)
    assert again == report, "kept days and today's read again: the same figures"
    with engine.begin() as conn:  # an import of an old call, and a call taken now
        conn.execute(insert(call_log), [call(wita(19, 8), "psc-119", "ganra", "answered")])
        conn.execute(insert(call_log), [call(wita(23, 11), "psc-119", "ganra", "answered")])
    assert callcenter_kpi.kpi(engine, "7d", now=NOW).calls.total == 4, "today's call at once, the old one later"
    monkeypatch.setattr(kept, "PAST_TTL_S", 0.0)
    assert callcenter_kpi.kpi(engine, "7d", now=NOW).calls.total == 5
