"""The metrics pages in-process: who may open and fire what, and the unit's own entry and upload.

The role matrix of every route and callback is also checked by enumeration in
tests/dashboard/test_security.py; here the metrics pages' own rules: SKPD staff
write (and read their entry page) for their own unit only, whatever the request
says; viewers and operators never write; an admin may, on behalf of any unit,
audited; a form and a CSV go through streams.metrics.intake and say what became
of each value.
"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from dashboard.access import ROUTER
from scc import audit
from scc.storage.metrics import metric_latest, metric_samples, rejected_messages
from tests.support.dashapp import callback_body, client, make_app, nodes, post_callback
from tests.support.metrics_own import csv_body, engine_of, form_body, key_of, refused, settings_of, stored, text_of
from tests.support.web import PASSWORDS, ROLE_OF

OWN = "/metrics/own"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    dash_app = make_app(tmp_path_factory.mktemp("pages") / "scc.db")
    yield dash_app
    dash_app.server.config["SCC_CONTEXT"].engine.dispose()


@pytest.fixture(scope="module")
def sessions(app):
    return {u: client(app, u) for u in PASSWORDS}


# -- who may open what --------------------------------------------------------------------------

PAGES = {
    "/metrics": {"admin", "operator", "viewer"},
    "/metrics/compare": {"admin", "operator", "viewer"},
    "/metrics/bpkd": {"admin", "operator", "viewer"},  # another unit's page: not for dpmptsp's staff
    "/metrics/dpmptsp": {"admin", "operator", "viewer", "skpd"},
    OWN: {"admin", "skpd"},
}


def test_every_metrics_page_by_role(app, sessions):
    for path, roles in PAGES.items():
        for username, c in sessions.items():
            status = c.get(path).status_code
            assert status == (200 if ROLE_OF[username] in roles else 403), (path, username, status)
    assert not {"compare", "own"} & set(settings_of(app).skpd_by_code), "a unit's page would hide behind these"
    for c in sessions.values():
        assert c.get("/metrics/nowhere").status_code == 404
        assert c.get("/metrics/dpmptsp/extra").status_code == 404


def test_every_metrics_callback_declares_its_roles(app):
    access = app.server.config["SCC_ACCESS"]
    expected = {
        "metrics-body": {"admin", "operator", "viewer"},
        "compare-body": {"admin", "operator", "viewer"},
        "..unit-body": {"admin", "operator", "viewer", "skpd"},
        "own-body": {"admin", "skpd"},
        "..own-form-result": {"admin", "skpd"},
        "..own-csv-result": {"admin", "skpd"},
        "admin-rejected": {"admin"},
    }
    for start, roles in expected.items():
        assert access.callback_roles(key_of(app, start)) == roles, start
    nav = {role: access.nav_for(role) for role in ("admin", "operator", "viewer", "skpd")}
    assert nav["skpd"] == [OWN, "/complaints", "/cameras", "/boards", "/reports"], (
        "SKPD staff: their figures first, then their complaints, their unit's cameras, its lobby boards and reports"
    )
    assert OWN not in nav["admin"], "an admin reaches data entry from the metrics tabs"
    assert "/metrics" in nav["viewer"] and not any("<" in p for paths in nav.values() for p in paths)
    assert access.pages_for("skpd")[0] == OWN, "SKPD staff land on their own unit's page"


def test_viewers_and_operators_cannot_write(app, sessions):
    before = stored(app, "dpmptsp")
    for username in ("bupati", "operator"):
        assert (
            post_callback(sessions[username], form_body(app, "dpmptsp", {"laside_permits_issued": 5})).status_code
            == 403
        )
        assert (
            post_callback(sessions[username], csv_body(app, "dpmptsp", b"kunci;nilai\nservice_up;1\n")).status_code
            == 403
        )
    assert stored(app, "dpmptsp") == before


def test_skpd_staff_forging_another_unit_get_403_and_nothing_is_stored(app, sessions):
    me = sessions["dpmptsp"]
    before = {u: stored(app, u) for u in ("bpkd", "dpmptsp")}
    assert post_callback(me, form_body(app, "bpkd", {"paddare_pbb_collected": 1000})).status_code == 403
    assert post_callback(me, csv_body(app, "bpkd", b"kunci;nilai\npaddare_pbb_collected;1000\n")).status_code == 403
    body = callback_body(app, "own-body.children")
    body["inputs"][0]["value"] = "bpkd"
    assert post_callback(me, body).status_code == 403, "nor may they see its entry form and rejections"
    assert {u: stored(app, u) for u in before} == before
    assert refused(app, "bpkd") == []
    actions = [(r["actor"], r["action"]) for r in audit.recent(engine_of(app), 50)]
    assert ("dpmptsp", "metrics.web") not in actions and ("dpmptsp", "metrics.csv") not in actions


def test_skpd_form_stores_through_intake_and_says_what_was_refused(app, sessions):
    me = sessions["dpmptsp"]
    r = post_callback(me, form_body(app, "dpmptsp", {"laside_permits_issued": 12, "laside_permits_received": 30.5}))
    assert r.status_code == 200
    text = text_of(r)
    assert "2 nilai baru" in text and "own-form-report" in text
    assert stored(app, "dpmptsp", "web") == 2
    with engine_of(app).connect() as conn:
        newest = conn.execute(
            select(metric_latest.c.value).where(
                metric_latest.c.skpd_code == "dpmptsp", metric_latest.c.metric_key == "laside_permits_issued"
            )
        ).scalar_one()
    assert newest == 12.0, "the newest value the wall shows is the one just entered"
    assert "1.386" not in text and "laside_permits_issued" in text  # the tiles came back with the new figures

    # A value out of its range: the reading is refused whole, the reason shown and kept with the rejections.
    r = post_callback(me, form_body(app, "dpmptsp", {"laside_permits_issued": 999999, "service_up": 1}))
    text = text_of(r)
    assert "0 nilai baru" in text and '"color": "danger"' in text
    assert "Izin diterbitkan (LaSIDE): 999.999 di luar rentang 0 – 5.000" in text
    assert stored(app, "dpmptsp", "web") == 2
    assert any("laside_permits_issued" in reason for reason in refused(app, "dpmptsp"))
    assert "own-rejected-table" in text

    # Nothing typed: nothing sent, and no empty reading in the rejections.
    before = len(refused(app, "dpmptsp"))
    r = post_callback(me, form_body(app, "dpmptsp", {"laside_permits_issued": None}))
    assert r.status_code == 200 and "Belum ada angka yang diisi" in text_of(r)
    assert len(refused(app, "dpmptsp")) == before
    # The unit comes from the session: a request that names no unit writes for the user's own.
    r = post_callback(me, form_body(app, None, {"service_up": 1}))
    assert "1 nilai baru" in text_of(r) and stored(app, "dpmptsp", "web") == 3


def test_a_csv_with_bad_rows_keeps_the_good_ones(app, sessions):
    data = (
        b"kunci;nilai;waktu\n"
        b"laside_records_uploaded;1250;\n"
        b"laside_permits_received;dua belas;\n"
        b"tidak_ada;5;\n"
        b"laside_avg_processing_days;4,5;\n"
    )
    r = post_callback(sessions["dpmptsp"], csv_body(app, "dpmptsp", data, "laporan.csv"))
    assert r.status_code == 200
    text = text_of(r)
    assert "2 nilai baru (laporan.csv)" in text and "2 ditolak" in text and '"color": "warning"' in text
    # Each bad row in the user's language, by its line; kept with the rejections as the admin reads them.
    assert "Baris 3 (laside_permits_received): dua belas bukan angka" in text
    assert "Baris 4 (tidak_ada): kunci tidak_ada tidak dikenal untuk SKPD ini" in text
    assert any(reason.startswith("line 3: ") for reason in refused(app, "dpmptsp"))
    assert stored(app, "dpmptsp", "csv") == 2
    with engine_of(app).connect() as conn:
        values = dict(
            conn.execute(
                select(metric_samples.c.metric_key, metric_samples.c.value).where(metric_samples.c.source == "csv")
            ).all()
        )
    assert values == {"laside_records_uploaded": 1250.0, "laside_avg_processing_days": 4.5}
    # Not a file at all, or no data URL: a message, nothing stored; a file over the request limit: 413.
    body = csv_body(app, "dpmptsp", b"x")
    body["inputs"][0]["value"] = "data:text/csv;base64,@@@@"
    assert "Berkas tidak dapat dibaca" in text_of(post_callback(sessions["dpmptsp"], body))
    body["inputs"][0]["value"] = "bukan berkas"
    assert post_callback(sessions["dpmptsp"], body).status_code == 400
    limit = settings_of(app).app.web.max_body_kb * 1024
    huge = csv_body(app, "dpmptsp", b"service_up;1\n" * (limit // 13 + 10))
    assert post_callback(sessions["dpmptsp"], huge).status_code == 413
    assert stored(app, "dpmptsp", "csv") == 2


def test_an_upload_bigger_than_a_plain_callback_is_accepted(app, sessions):
    """A CSV of a few hundred rows is longer than any text a callback may carry (security.MAX_STRING)."""
    rows = "".join(f"laside_permits_issued;{i};2026-11-2{i % 3 + 1} {i % 24:02d}:{i % 60:02d}\n" for i in range(400))
    data = ("kunci;nilai;waktu\n" + rows).encode()
    assert len(base64.b64encode(data)) > 4000
    r = post_callback(sessions["dpmptsp"], csv_body(app, "dpmptsp", data))
    assert r.status_code == 200 and "own-csv-report" in text_of(r)


def test_admin_enters_on_behalf_of_a_unit_and_is_audited(app, sessions):
    admin = sessions["admin"]
    r = post_callback(admin, form_body(app, "bpkd", {"paddare_pbb_collected": 2_500_000_000}))
    assert "1 nilai baru" in text_of(r)
    assert stored(app, "bpkd", "web") == 1
    entries = [(e["actor"], e["action"], e["target"]) for e in audit.recent(engine_of(app), 20)]
    assert ("admin", "metrics.web", "bpkd") in entries
    body = callback_body(app, "own-body.children")
    body["inputs"][0]["value"] = "nowhere"
    assert post_callback(admin, body).status_code == 400
    body["inputs"][0]["value"] = None
    assert "Pilih SKPD" in text_of(post_callback(admin, body))


def test_own_page_shows_how_to_connect_but_never_a_password(app, sessions, monkeypatch):
    secret = "broker-secret-of-dpmptsp-123"
    monkeypatch.setenv("SCC_MQTT_PASSWORD_DPMPTSP", secret)
    body = callback_body(app, "own-body.children")
    body["inputs"][0]["value"] = "dpmptsp"
    text = text_of(post_callback(sessions["dpmptsp"], body))
    assert "scc/v1/skpd/dpmptsp/telemetry" in text and "scc-publish send" in text and "--unit dpmptsp" in text
    assert "connect-port" in text and "8883" in text
    assert "connect-payload" in text and "laside_permits_received" in text
    assert secret not in text
    page = sessions["dpmptsp"].get(OWN).get_data(as_text=True)
    assert secret not in page


def test_the_csv_example_on_the_page_uploads_as_it_stands(app, sessions):
    """A unit's staff copy the page's example into a file: it must be a row the command center takes today,
    not a date that has fallen out of the window of times it accepts."""
    body = callback_body(app, "own-body.children")
    body["inputs"][0]["value"] = "dpmptsp"
    response = post_callback(sessions["dpmptsp"], body).get_json()
    (example,) = [c["props"]["children"] for c in nodes(response) if c["props"].get("id") == "own-csv-example"]
    before = stored(app, "dpmptsp", "csv")
    r = post_callback(sessions["dpmptsp"], csv_body(app, "dpmptsp", example.encode(), "contoh.csv"))
    assert "1 nilai baru (contoh.csv)" in text_of(r)
    assert stored(app, "dpmptsp", "csv") == before + 1


def test_own_rejections_are_the_units_own_and_admins_see_all(app, sessions):
    from scc.clock import utcnow

    with engine_of(app).begin() as conn:
        conn.execute(
            rejected_messages.insert(),
            [
                dict(
                    received_at=utcnow(), topic="t", skpd_code="rsud", payload="{}", reason="rsud's own", source="mqtt"
                ),
                dict(received_at=utcnow(), topic="t", skpd_code=None, payload="x", reason="nobody's", source="mqtt"),
            ],
        )
    body = callback_body(app, "own-body.children")
    body["inputs"][0]["value"] = "dpmptsp"
    assert "rsud's own" not in text_of(post_callback(sessions["dpmptsp"], body))
    admin = callback_body(app, "admin-rejected.children")
    text = text_of(post_callback(sessions["admin"], admin))
    assert "rsud's own" in text and "nobody's" in text
    admin["inputs"][0]["value"] = "rsud"
    text = text_of(post_callback(sessions["admin"], admin))
    assert "rsud's own" in text and "nobody's" not in text
    assert post_callback(sessions["operator"], admin).status_code == 403


# -- reading -------------------------------------------------------------------------------------


def test_grid_counts_every_unit_and_links_each(app, sessions):
    text = text_of(post_callback(sessions["bupati"], callback_body(app, "metrics-body.children")))
    settings = settings_of(app)
    for unit in settings.skpd:
        assert f'"/metrics/{unit.code}"' in text, unit.code
    assert text.count('"unit-tile tone-') == 38
    assert '"kpi-units"' in text and '"kpi-websites"' in text


def test_unit_page_ranges_and_forged_requests(app, sessions):
    # Its own figure, so that it does not lean on an earlier test's (it failed run alone).
    assert (
        post_callback(sessions["dpmptsp"], form_body(app, "dpmptsp", {"laside_permits_issued": 7})).status_code == 200
    )
    key = key_of(app, "..unit-body")
    body = callback_body(app, key)
    body["state"][0]["value"] = {"code": "dpmptsp", "range": "10y"}
    assert post_callback(sessions["operator"], body).status_code == 400
    body["state"][0]["value"] = {"code": "nowhere", "range": "24h"}
    assert post_callback(sessions["operator"], body).status_code == 400
    from scc import housekeeping
    from scc.clock import utcnow

    housekeeping.roll_up(engine_of(app), utcnow())  # a month and a year are read from the daily roll-ups
    for range_ in ("24h", "7d", "30d", "1y"):
        body["state"][0]["value"] = {"code": "dpmptsp", "range": range_}
        r = post_callback(sessions["bupati"], body)
        assert r.status_code == 200 and "chart-laside_permits_issued" in text_of(r), range_
    router = callback_body(app, ROUTER)
    router["inputs"][0]["value"] = "/metrics/dpmptsp"
    router["inputs"][1]["value"] = "?range=7d"
    text = post_callback(sessions["dpmptsp"], router).get_data(as_text=True)
    assert '"range": "7d"' in text or '"range":"7d"' in text
    router["inputs"][0]["value"] = "/metrics/nowhere"
    assert "not-found" in post_callback(sessions["bupati"], router).get_data(as_text=True)


def test_compare_page_shows_targets(app, sessions):
    from streams.metrics import intake

    settings = settings_of(app)
    for unit, values in (
        ("dinsos", {"kartu_macca_distributed": 12825}),
        ("bpkd", {"paddare_pbb_collected": 4_000_000_000, "paddare_pbb_target": 8_000_000_000}),
    ):
        intake.submit_values(engine_of(app), settings, unit, values, actor="test")
    body = callback_body(app, "compare-body.children")
    body["state"][0]["value"] = {"range": "30d"}
    r = post_callback(sessions["operator"], body)
    text = text_of(r)
    assert r.status_code == 200
    assert "goal-kartu_macca_distributed" in text and "12.825 dari 13.161" in text
    assert "goal-paddare_pbb_collected" in text and 'aria-valuenow": "50"' in text
