"""Who may see, download and ask for which report; every download and request in the audit log."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select

from dashboard.reports import periods
from scc.storage.platform import audit_log
from scc.storage.reports import reports
from tests.support.dashapp import body_from_spec, callback_key, client, nodes, post_callback

ROWS = {  # name -> (kind, unit, first day)
    "daily": ("daily", "", date(2026, 11, 24)),
    "own": ("unit", "dpmptsp", date(2026, 11, 23)),
    "other": ("unit", "bpkd", date(2026, 11, 23)),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The dashboard on its own data directory, where the report files are."""
    from dashboard.app import create_app
    from scc.settings import load_settings
    from scc.storage import open_storage
    from tests.support.web import seed_users

    folder = tmp_path_factory.mktemp("reports-app")
    engine = open_storage(f"sqlite:///{folder / 'scc.db'}")
    seed_users(engine)
    dash_app = create_app(load_settings(data_dir=folder), engine)
    dash_app.server.config["TESTING"] = True
    yield dash_app
    engine.dispose()


@pytest.fixture(scope="module")
def made(app):
    """Three ready reports with their files: {name: (id, pdf name)}."""
    ctx = app.server.config["SCC_CONTEXT"]
    out = {}
    for name, (kind, unit, first) in ROWS.items():
        start, end = periods.span(kind, first)
        files = [f"{name}.pdf", f"{name}.csv"]
        with ctx.engine.begin() as conn:
            report_id = conn.execute(
                insert(reports).values(
                    kind=kind, skpd_code=unit, period_start=start, period_end=end, status="ready", requested_at=end,
                    made_at=end, files=files,
                ).returning(reports.c.id)
            ).scalar_one()  # fmt: skip
        folder = ctx.settings.data_dir / "reports" / str(report_id)
        folder.mkdir(parents=True)
        (folder / files[0]).write_bytes(b"%PDF-1.4 " + name.encode())
        (folder / files[1]).write_text(f"laporan,{name}\n")
        out[name] = (report_id, files[0])
    return out


MAY = {
    "admin": {"daily", "own", "other"},
    "operator": {"daily", "own", "other"},
    "bupati": {"daily", "own", "other"},
    "dpmptsp": {"own"},
}


def downloads(app, actor: str) -> list[str]:
    with app.server.config["SCC_CONTEXT"].engine.connect() as conn:
        q = select(audit_log.c.target).where(audit_log.c.action == "report.download", audit_log.c.actor == actor)
        return list(conn.execute(q).scalars())


@pytest.mark.parametrize("user", sorted(MAY))
def test_each_role_downloads_what_it_may_and_each_download_is_audited(app, made, user):
    c = client(app, user)
    for name, (report_id, pdf) in made.items():
        r = c.get(f"/reports/{report_id}/{pdf}")
        if name in MAY[user]:
            assert r.status_code == 200, (user, name)
            assert r.data == b"%PDF-1.4 " + name.encode() and r.mimetype == "application/pdf"
            assert "attachment" in r.headers["Content-Disposition"]
        else:
            assert r.status_code == 403, (user, name, r.status_code)
    assert sorted(downloads(app, user)) == sorted(f"{made[n][0]}/{made[n][1]}" for n in MAY[user])


def test_no_session_no_file_and_only_the_rows_files(app, made):
    report_id, pdf = made["daily"]
    assert client(app).get(f"/reports/{report_id}/{pdf}").status_code in (302, 401)
    c = client(app, "admin")
    assert c.get(f"/reports/{report_id}/scc.db").status_code == 404  # a file the row does not name
    assert c.get(f"/reports/{report_id}/..%2F..%2Fscc.db").status_code == 404
    assert c.get(f"/reports/999999/{pdf}").status_code == 404


def listed(app, user: str, whose: str = "", status: int = 200) -> set[str]:
    """The download links the list shows `user` when they pick `whose` reports ('': the regency's)."""
    key = callback_key(app.callback_map, "reports-list.children")
    body = body_from_spec(key, app.callback_map[key], {"reports-whose.value": whose, "reports-tick.n_intervals": 1})
    r = post_callback(client(app, user), body)
    assert r.status_code == status
    return {n["props"]["href"] for n in nodes(r.get_json()) if "href" in n.get("props", {})} if status == 200 else set()


def test_unit_staff_see_only_their_units_reports(app, made):
    def link(name: str) -> str:
        return f"/reports/{made[name][0]}/{made[name][1]}"

    assert link("daily") in listed(app, "bupati") and link("own") not in listed(app, "bupati")
    assert link("other") in listed(app, "bupati", "bpkd") and link("own") in listed(app, "operator", "dpmptsp")
    assert {link("own"), link("own").replace(".pdf", ".csv")} == listed(app, "dpmptsp")  # whatever they pick
    assert listed(app, "dpmptsp", "dpmptsp") == listed(app, "dpmptsp")
    listed(app, "dpmptsp", "bpkd", status=403)  # another unit's, named in the request
    listed(app, "bupati", "nowhere", status=400)


def ask(app, user: str, kind: str, day: str, unit: str | None = None):
    key = callback_key(app.callback_map, "reports-asked.children")
    values = {
        "reports-go.n_clicks": 1,
        "reports-kind.value": kind,
        "reports-day.value": day,
        "reports-unit.value": unit,
    }
    return post_callback(client(app, user), body_from_spec(key, app.callback_map[key], values))


def test_operators_ask_for_a_past_week_the_bupati_only_reads(app, made):
    engine = app.server.config["SCC_CONTEXT"].engine
    r = ask(app, "operator", "weekly", "2026-11-04")  # a Wednesday: its week begins on Monday 2 November
    assert r.status_code == 200 and "Diminta" in r.get_data(as_text=True)
    start, _ = periods.span("weekly", date(2026, 11, 2))
    with engine.connect() as conn:
        row = conn.execute(select(reports).where(reports.c.kind == "weekly", reports.c.period_start == start)).one()
        audited = conn.execute(select(audit_log).where(audit_log.c.action == "report.request")).all()
    assert row.status == "requested" and row.requested_by == "operator"
    assert [(a.actor, a.target) for a in audited] == [("operator", str(row.id))]
    again = ask(app, "admin", "weekly", "2026-11-08")  # the Sunday of the same week: the same report
    assert "sudah ada" in again.get_data(as_text=True)
    assert ask(app, "bupati", "daily", "2026-11-04").status_code == 403
    assert ask(app, "dpmptsp", "unit", "2026-11-04", "dpmptsp").status_code == 403
    assert "sudah lewat" in ask(app, "operator", "daily", "2999-01-01").get_data(as_text=True)
    assert "Pilih" in ask(app, "operator", "unit", "2026-11-04", "nowhere").get_data(as_text=True)
