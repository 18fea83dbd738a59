"""The public boards in-process (docs/design.md §3.9): who makes and revokes display links and sets a unit's
announcement, what a board shows against figures written here, stale figures, the rate limits, a revoked
link, and no token in any log line. The guard's side (a token reaches nothing else) is test_security.py's."""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import timedelta

import pytest

from dashboard.boards_routes import Limiter
from scc import audit, boards
from scc.clock import utcnow, wita_day_start
from scc.settings.boards import Limits
from streams.metrics.store import Batch, write
from streams.metrics.validate import Sample
from tests.support.dashapp import body_from_spec, client, nodes, post_callback

LINK = re.compile(r"/board/([A-Za-z0-9_-]{43})$")
ADMIN = boards.Actor("admin", "admin", None)


def ctx_of(app):
    return app.server.config["SCC_CONTEXT"]


NAMES = {"boards-body.children": "show", "boards-notice-result.children": "save_notice"}


def call(app, c, name: str, values: dict):
    """Post the boards page's callback `name` (its function's name) with these inputs and states."""
    functions = app.server.config["SCC_ACCESS"].functions
    name = NAMES.get(name, name)
    key = next(k for k, fn in functions.items() if fn.__module__ == "dashboard.pages.boards" and fn.__name__ == name)
    return post_callback(c, body_from_spec(key, app.callback_map[key], values))


def make_link(app, unit: str = "dukcapil", label: str = "Ruang tunggu") -> tuple[int, str]:
    return boards.create_link(ctx_of(app).engine, ctx_of(app).settings, unit, label, ADMIN)


def store(app, unit: str, key: str, value: float, ts, n: list[int] = [0]) -> None:  # noqa: B006  (a counter)
    n[0] += 1
    sample = Sample(unit, key, ts, value, f"test-{n[0]}")
    write(ctx_of(app).engine, Batch([sample], [], []), ts)


def shown_link(response) -> str | None:
    """The token of the link a create callback's answer shows, if it shows one."""
    for node in nodes(response.get_json()):
        if node["props"].get("id") == "boards-new-link":
            found = LINK.search(node["props"]["children"])
            return found.group(1) if found else None
    return None


def create_as(app, username: str, unit: str | None, label: str = "Lobi"):
    return call(
        app,
        client(app, username),
        "create",
        {"boards-link-create.n_clicks": 1, "boards-unit.value": unit, "boards-link-label.value": label},
    )


def test_an_admin_makes_a_link_for_any_unit_and_it_is_shown_once(app):
    r = create_as(app, "admin", "dukcapil", "Ruang tunggu lantai 1")
    assert r.status_code == 200
    token = shown_link(r)
    assert token is not None
    assert client(app).get(f"/board/{token}/data").status_code == 200  # no session
    page = client(app, "admin").get("/boards")
    assert page.status_code == 200
    listed = call(app, client(app, "admin"), "boards-body.children", {"boards-unit.value": "dukcapil"})
    assert "Ruang tunggu lantai 1" in listed.get_data(as_text=True)
    assert token not in listed.get_data(as_text=True), "the token is shown once, at creation"
    rows = audit.recent(ctx_of(app).engine, 20)
    made = [r for r in rows if r["action"] == "boards.link_created" and r["target"] == "dukcapil"]
    assert made and made[0]["actor"] == "admin"
    assert all(token not in str(r) for r in rows), "the audit log never holds a token"


def test_skpd_staff_manage_only_their_own_units_board(app):
    own = create_as(app, "dpmptsp", "dpmptsp", "Mal pelayanan")
    assert own.status_code == 200 and shown_link(own)
    assert create_as(app, "dpmptsp", "dukcapil").status_code == 403
    other_id, other_token = make_link(app, "dukcapil")
    c = client(app, "dpmptsp")
    r = call(
        app,
        c,
        "revoke",
        {"boards-revoke.n_clicks": 1, "boards-unit.value": "dukcapil", "boards-revoke-pick.value": other_id},
    )
    assert r.status_code == 403
    r = call(
        app,
        c,
        "revoke",
        {"boards-revoke.n_clicks": 1, "boards-unit.value": "dpmptsp", "boards-revoke-pick.value": other_id},
    )
    assert r.status_code == 200 and "boards-error" in r.get_data(as_text=True)  # not a link of theirs
    assert client(app).get(f"/board/{other_token}/data").status_code == 200, "another unit's link still works"
    r = call(
        app,
        c,
        "boards-notice-result.children",
        {"boards-notice-save.n_clicks": 1, "boards-unit.value": "dukcapil", "boards-notice-text.value": "x"},
    )
    assert r.status_code == 403


@pytest.mark.parametrize("username", ["bupati", "operator"])
def test_the_bupati_and_operators_have_no_control(app, username):
    c = client(app, username)
    assert c.get("/boards").status_code == 403
    link_id, token = make_link(app)
    for output, values in (
        ("create", {"boards-link-create.n_clicks": 1, "boards-unit.value": "dukcapil",
                                           "boards-link-label.value": "x"}),
        ("boards-notice-result.children", {"boards-notice-save.n_clicks": 1, "boards-unit.value": "dukcapil",
                                           "boards-notice-text.value": "x"}),
        ("boards-body.children", {"boards-unit.value": "dukcapil"}),
    ):  # fmt: skip
        assert call(app, c, output, values).status_code == 403, output
    assert client(app).get(f"/board/{token}/data").status_code == 200, "the link still works"
    with pytest.raises(boards.BoardError):
        boards.revoke_link(ctx_of(app).engine, ctx_of(app).settings, link_id, boards.Actor(username, "viewer", None))


def test_the_announcement_its_staff_set_is_on_the_board_and_audited(app):
    _, token = make_link(app, "dpmptsp")
    c = client(app, "dpmptsp")
    text = "Layanan izin tutup pukul 12.00 hari Jumat ini."
    r = call(
        app,
        c,
        "boards-notice-result.children",
        {"boards-notice-save.n_clicks": 1, "boards-unit.value": "dpmptsp", "boards-notice-text.value": text},
    )
    assert r.status_code == 200 and "boards-notice-saved" in r.get_data(as_text=True)
    doc = client(app).get(f"/board/{token}/data").get_json()
    assert doc["announcement"]["text"] == text
    rows = audit.recent(ctx_of(app).engine, 10)
    assert any(r["action"] == "boards.announcement" and r["actor"] == "dpmptsp" and r["target"] == "dpmptsp"
               for r in rows)  # fmt: skip
    too_long = "x" * (ctx_of(app).settings.boards.announcement_chars + 1)
    r = call(
        app,
        c,
        "boards-notice-result.children",
        {"boards-notice-save.n_clicks": 1, "boards-unit.value": "dpmptsp", "boards-notice-text.value": too_long},
    )
    assert "boards-error" in r.get_data(as_text=True)
    assert client(app).get(f"/board/{token}/data").get_json()["announcement"]["text"] == text


def test_figures_are_the_stored_values_with_their_age(app):
    now = utcnow()
    store(app, "dukcapil", "dukcapil_queue_length", 17, now - timedelta(seconds=30))
    store(app, "dukcapil", "dukcapil_ktp_el_printed", 1234, now - timedelta(minutes=5))
    _, token = make_link(app, "dukcapil")
    doc = client(app).get(f"/board/{token}/data").get_json()
    shown = {f["role"]: f for f in doc["figures"]}
    assert shown["queue"]["value"] == "17" and shown["queue"]["state"] == "ok"
    assert shown["queue"]["age"] == "baru saja" and 29 <= shown["queue"]["age_s"] <= 90
    assert shown["issued"]["value"] == "1.234" and shown["issued"]["age"] == "5 menit lalu"
    assert shown["issued"]["label"] == "KTP-el tercetak hari ini"
    page = client(app).get(f"/board/{token}").get_data(as_text=True)
    assert '"value": "17"' in page and "Pelayanan Dukcapil" in page


def test_a_stale_figure_says_so_and_yesterdays_total_is_not_todays(app):
    now = utcnow()
    store(app, "dinsos", "kartu_macca_distributed", 13000, now - timedelta(days=3))
    yesterday = wita_day_start(now) - timedelta(hours=2)
    store(app, "dpmptsp", "laside_permits_issued", 80, yesterday)
    _, token = make_link(app, "dinsos")
    figure = client(app).get(f"/board/{token}/data").get_json()["figures"][0]
    assert figure["value"] == "13.000" and figure["state"] == "stale" and figure["age"] == "3 hari lalu"
    _, token = make_link(app, "dpmptsp")
    issued = next(f for f in client(app).get(f"/board/{token}/data").get_json()["figures"] if f["role"] == "issued")
    assert issued["value"] is None and issued["state"] == "none" and issued["age"] == "belum ada laporan hari ini"


def test_a_revoked_link_answers_410_with_no_figure(app):
    store(app, "dukcapil", "dukcapil_queue_length", 42, utcnow())
    link_id, token = make_link(app, "dukcapil")
    assert client(app).get(f"/board/{token}/data").get_json()["figures"][0]["value"] == "42"
    r = call(
        app,
        client(app, "admin"),
        "revoke",
        {"boards-revoke.n_clicks": 1, "boards-unit.value": "dukcapil", "boards-revoke-pick.value": link_id},
    )
    assert "boards-revoked" in r.get_data(as_text=True)
    data = client(app).get(f"/board/{token}/data")
    assert data.status_code == 410 and data.get_json() == {"error": "revoked"}
    page = client(app).get(f"/board/{token}")
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "Tautan tidak berlaku" in text and "42" not in text and "Antrean" not in text
    assert any(r["action"] == "boards.link_revoked" for r in audit.recent(ctx_of(app).engine, 10))


def test_the_rate_limits_answer_429(tmp_path):
    from dashboard.app import create_app
    from tests.support.dashapp import make_app

    base = make_app(tmp_path / "scc.db")
    ctx = ctx_of(base)
    tight = dataclasses.replace(
        ctx.settings,
        boards=ctx.settings.boards.model_copy(
            update={"limits": Limits(per_link_per_minute=5, per_address_per_minute=8)}
        ),
    )
    before = make_link(base)[1]
    app = create_app(tight, ctx.engine)  # another server on the same database: a restart
    assert client(app, addr="10.0.0.9").get(f"/board/{before}/data").status_code == 200, "a link outlives a restart"
    _, token = make_link(app)
    _, other = make_link(app, "dinsos")
    tv = client(app, addr="10.0.0.5")
    assert [tv.get(f"/board/{token}/data").status_code for _ in range(6)] == [200] * 5 + [429]
    assert tv.get(f"/board/{other}/data").status_code == 200, "another link has its own allowance"
    assert [tv.get(f"/board/{other}/data").status_code for _ in range(3)] == [200, 429, 429], "the address's"
    assert client(app, addr="10.0.0.6").get(f"/board/{other}/data").status_code == 200
    r = client(app, addr="10.0.0.5").get(f"/board/{'z' * 43}/data")
    assert r.status_code == 429 and r.headers["Retry-After"] == "10", "guesses count against the address too"
    ctx.engine.dispose()


def test_the_limiter_window_slides_and_a_tv_fleet_fits_the_shipped_limits(app):
    limiter = Limiter()
    assert all(limiter.allow("k", 3, now=t) for t in (0.0, 1.0, 2.0))
    assert not limiter.allow("k", 3, now=59.0)
    assert limiter.allow("k", 3, now=60.5)  # the first has left the window
    limits = ctx_of(app).settings.boards.limits
    refresh = ctx_of(app).settings.boards.refresh_s
    per_tv = 60 / refresh + 2  # a minute of refreshes, and the page loaded twice
    assert per_tv <= limits.per_link_per_minute / 2
    assert 50 * per_tv <= limits.per_address_per_minute / 2, "50 TVs behind one address, with room"


def test_no_log_line_carries_a_token(app, caplog):
    _, token = make_link(app)
    caplog.set_level(logging.DEBUG)
    c = client(app)
    c.get(f"/board/{token}/data")
    c.environ_base["HTTP_ORIGIN"] = "http://elsewhere.example"
    assert c.post(f"/board/{token}/data").status_code == 403  # the guard logs the refused path
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /board/%s/data HTTP/1.1" 200 -', token)
    app.server.logger.error("Exception on /board/%s [GET]", token)
    assert "/board/<hidden>" in caplog.text
    assert token not in caplog.text


@pytest.mark.parametrize(
    ("wita", "words", "open_now"),
    [
        ("2026-12-07 09:30", "BUKA · sampai pukul 15.00", True),  # a Monday
        ("2026-12-07 07:10", "BELUM BUKA · buka pukul 08.00", False),
        ("2026-12-07 15:00", "SUDAH TUTUP · buka lagi besok, 08.00", False),
        ("2026-12-05 10:00", "TUTUP hari Sabtu · buka lagi Senin 7/12, 08.00", False),
        ("2026-12-25 10:00", "Libur: Hari Raya Natal · buka lagi Senin 28/12, 08.00", False),  # a Friday
    ],
)
def test_service_hours_in_words_on_the_office_calendar(app, wita, words, open_now):
    from datetime import datetime

    from dashboard.queries.boards import hours
    from scc.clock import WITA

    settings = ctx_of(app).settings
    now = datetime.fromisoformat(wita).replace(tzinfo=WITA)
    said = hours(settings, settings.boards.board_of("dukcapil"), now)
    assert said["today"] == words and said["open"] is open_now
    assert said["week"] == "Senin–Jumat, 08.00–15.00 WITA"
    assert hours(settings, settings.boards.board_of("rsud"), now) == {
        "open": True,
        "week": "Setiap hari, 24 jam",
        "today": "BUKA 24 JAM",
    }
