"""Deny by default: every route and every callback refuses a missing session and a wrong role.

Routes and callbacks are enumerated from the app itself, so one added later
without a declared role fails this suite. Which role may call which callback
is listed, independently of the access table, in test_roles.py.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from dashboard.access import ROUTER
from dashboard.auth import BOARD_ASSETS, PUBLIC, board_public
from scc import audit, boards, users
from scc.clock import utcnow
from scc.storage.callcenter import incidents
from tests.support.dashapp import callback_body, client, post_callback, server_side
from tests.support.web import PASSWORDS


def concrete(rule) -> str:
    """A real URL for a route rule, filling its variables with plausible values."""
    fill = {
        "package_name": "dash",
        "fingerprinted_path": "dash-renderer/build/dash_renderer.min.js",
        "filename": "scc.js",
        "path": "cameras",
    }
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: fill.get(m.group(1), "x"), rule.rule)


def test_every_route_needs_a_session(app):
    checked = 0
    rules = {rule.rule for rule in app.server.url_map.iter_rules()}
    # Live video (dashboard/cameras_routes.py) is enumerated like every other route.
    assert {"/cameras/<camera_id>/whep", "/cameras/whep/<session_id>", "/cameras/<camera_id>/snapshot.jpg"} <= rules
    board_routes = 0
    for rule in app.server.url_map.iter_rules():
        url = concrete(rule)
        if url in PUBLIC:
            continue
        if rule.rule.startswith("/board/"):
            # Public by its pattern (auth.board_public): a token no link has is a 404 with nothing in it.
            r = client(app).get(rule.rule.replace("<token>", "A" * 43))
            assert r.status_code == 404 and b"figures" not in r.data, rule.rule
            board_routes += 1
        method = "GET" if "GET" in rule.methods else min(rule.methods - {"HEAD", "OPTIONS"})
        r = client(app).open(url, method=method)
        assert r.status_code in (401, 302), f"{method} {url} answered {r.status_code} without a session"
        if r.status_code == 302:
            assert r.headers["Location"].startswith("/login"), url
        checked += 1
    assert checked >= 8  # Dash's layout, dependencies, update, component suites, index, catch-all...
    assert board_routes == 2  # a board's page and its data, nothing else under /board/


# Paths under Dash's script route that name no script it serves: climbing out, encoded slashes, another or
# no package, odd version suffixes on real files, a folder.
CRAFTED_SCRIPTS = [
    "dash/../../etc/passwd",
    "dash/..%2F..%2Fetc%2Fpasswd",
    "..%2Fdash/dcc/dash_core_components.js",
    "nope/x.js",
    "os/path.py",
    "flask/app.py",
    "dash/dcc/dash_core_components.v9.9.9m1.js.v1",
    "dash/dcc/dash_core_components.vXYZ.js",
    "dash/dcc/dash_core_components.v1_0_0m123..js",
    "dash/dcc/dash_core_components.js.v1_2m3.map",
    "dash/dcc/",
    "dash/dash.py",
    "dash/%00.js",
    "plotly/package_data/../../__init__.py",
]


def test_crafted_script_paths_are_404_not_500(app):
    c = client(app, "bupati")
    served = c.get("/_dash-component-suites/dash/dcc/dash_core_components.js")
    assert served.status_code == 200 and served.data.startswith(b"/*")
    app.server.config["TESTING"] = False  # a 500 is the answer under test, not an exception to raise here
    try:
        answers = {path: c.get("/_dash-component-suites/" + path) for path in CRAFTED_SCRIPTS}
    finally:
        app.server.config["TESTING"] = True
    statuses = {path: r.status_code for path, r in answers.items()}
    assert statuses == dict.fromkeys(CRAFTED_SCRIPTS, 404)
    assert not [path for path, r in answers.items() if b"Traceback" in r.data or b"registered" in r.data]


def test_dash_internals_refused_without_session(app):
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client(app).get(path).status_code == 401
    assert post_callback(client(app), callback_body(app, ROUTER)).status_code == 401


def test_public_routes_are_exactly_the_allowlist(app):
    assert set(PUBLIC) == {
        "/login",
        "/logout",
        "/language",
        "/healthz",
        "/assets/00-bootstrap.min.css",
        "/assets/scc.css",
        "/assets/favicon.svg",
    }
    for path in ("/login", "/healthz", "/assets/00-bootstrap.min.css", "/assets/scc.css"):
        assert client(app).get(path).status_code in (200, 503), path
    r = client(app).get("/assets/scc.js")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    # The public boards: a display link's page and data, and the board's own two files; nothing near them.
    assert set(BOARD_ASSETS) == {"/assets/boards.css", "/assets/boards.js"}
    for path in BOARD_ASSETS:
        assert client(app).get(path).status_code == 200, path
    token = "A" * 43
    assert board_public(f"/board/{token}") and board_public(f"/board/{token}/data")
    for near in (f"/board/{token[:-1]}", f"/board/{token}A", f"/board/{token}/", f"/board/{token}/data/",
                 f"/board/{token}/x", f"/board/{token}/data\n", "/board/", f"/boards/{token}", f"/board/{token}/../x",
                 "/assets/boards.jsx", "/assets/boards.js/x", f"/x/board/{token}"):  # fmt: skip
        assert not board_public(near), near


def test_a_board_token_reaches_its_board_and_nothing_else(app):
    """A display link opens its board's page and data without a session, and nothing else of the app: every
    route, Dash's layout, dependencies and every callback refuse a request that comes with its token in the
    Referer and the query; a forged, malformed or revoked token gets 404, 302 or 410 with no figure."""
    ctx = app.server.config["SCC_CONTEXT"]
    admin = boards.Actor("admin", "admin", None)
    link_id, token = boards.create_link(ctx.engine, ctx.settings, "dukcapil", "Lobi", admin)
    tv = client(app)
    for path in (f"/board/{token}", f"/board/{token}/data"):
        r = tv.get(path)
        assert r.status_code == 200 and "figures" in r.get_data(as_text=True), path
        assert "Set-Cookie" not in r.headers, "a board opens no session"
    board = f"http://localhost/board/{token}"
    tv.environ_base["HTTP_REFERER"] = board
    checked = 0
    for rule in app.server.url_map.iter_rules():
        url = concrete(rule)
        if url in PUBLIC or rule.rule.startswith("/board/"):
            continue
        method = "GET" if "GET" in rule.methods else min(rule.methods - {"HEAD", "OPTIONS"})
        r = tv.open(url, method=method, query_string={"token": token})
        assert r.status_code in (401, 302), f"{method} {url} answered {r.status_code} to a board's TV"
        checked += 1
    assert checked >= 8
    for path in ("/_dash-layout", "/_dash-dependencies", "/", "/boards", "/metrics/dukcapil"):
        assert tv.get(path).status_code in (401, 302), path
    for key in app.callback_map:
        assert post_callback(tv, callback_body(app, key)).status_code == 401, key
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[:-1], token + "A", token.upper()):
        for path in (f"/board/{wrong}", f"/board/{wrong}/data"):
            r = tv.get(path)
            assert r.status_code in (404, 302) and "figures" not in r.get_data(as_text=True), path
    boards.revoke_link(ctx.engine, ctx.settings, link_id, admin)
    for path in (f"/board/{token}", f"/board/{token}/data"):
        r = tv.get(path)
        assert r.status_code == 410 and "figures" not in r.get_data(as_text=True), path


def test_every_callback_is_declared(app, access):
    undeclared = [key for key in server_side(app) if access.callback_roles(key) is None]
    assert undeclared == [], f"callbacks without roles: {undeclared}"
    assert len(server_side(app)) >= 7


def test_clientside_callbacks_are_not_run_by_the_server(app):
    for key in set(app.callback_map) - set(server_side(app)):
        assert post_callback(client(app, "admin"), callback_body(app, key)).status_code == 403, key


def test_malformed_callback_request_is_refused(app):
    c = client(app, "admin")
    assert c.post("/_dash-update-component", data="[1, 2]", content_type="application/json").status_code == 400
    assert c.post("/_dash-update-component", data="{not json", content_type="application/json").status_code == 400


def test_unknown_callback_is_refused(app):
    body = {
        "output": "made-up.children",
        "outputs": {"id": "made-up", "property": "children"},
        "inputs": [],
        "state": [],
        "changedPropIds": [],
    }
    assert post_callback(client(app, "admin"), body).status_code == 403


def test_pages_by_role(app, access):
    staff = {"/", "/cameras", "/cameras/health", "/calls", "/calls/kpi", "/calls/map", "/complaints", "/calls/1"}
    staff |= {"/history", "/alerts", "/bupati", "/reports"}
    staff |= {"/metrics", "/metrics/compare", "/metrics/dpmptsp", "/metrics/bpkd", "/account"}
    takers = {"/calls/new", "/calls/import"}
    expected = {
        "admin": staff | takers | {"/admin", "/metrics/own", "/boards"},
        "operator": staff | takers,
        "bupati": staff,
        # its own unit's page, no other; the complaints routed to it (and their history); the wall with its own
        # unit's cameras
        "dpmptsp": {"/metrics/own", "/metrics/dpmptsp", "/account", "/complaints", "/history", "/cameras"}
        | {"/cameras/health", "/alerts", "/boards", "/reports"},
    }
    concrete = {"/metrics/dpmptsp", "/metrics/bpkd", "/calls/1"}
    templates = {"/metrics/<code>", "/calls/<incident_id>"}
    assert set(access.pages) == (expected["admin"] - concrete) | templates
    with app.server.config["SCC_CONTEXT"].engine.begin() as conn:  # incident 1, for its page
        if conn.execute(select(incidents.c.id).where(incidents.c.id == 1)).first() is None:
            conn.execute(
                incidents.insert().values(
                    id=1, line_code="psc-119", category="medical", status="received", received_at=utcnow(),
                    created_by="operator",
                )
            )  # fmt: skip
    paths = [p for p in access.pages if "<" not in p] + sorted(concrete)
    for username, allowed in expected.items():
        c = client(app, username)
        for path in paths:
            r = c.get(path)
            if path in allowed:
                assert r.status_code == 200, (username, path)
            elif path == "/":
                assert r.status_code == 302 and r.headers["Location"] == "/metrics/own"
            else:
                assert r.status_code == 403, (username, path, r.status_code)
        assert c.get("/metrics/nowhere").status_code == 404, username  # no such unit
        if username != "dpmptsp":
            assert c.get("/calls/999999").status_code == 404, username  # no such incident


def test_page_layouts_check_the_role_too(app):
    """Dash's router renders any page's layout; the layout itself must refuse."""
    body = callback_body(app, ROUTER)
    body["inputs"][0]["value"] = "/admin"
    r = post_callback(client(app, "operator"), body)
    assert r.status_code == 200
    assert "forbidden" in r.get_data(as_text=True) and "users-table" not in r.get_data(as_text=True)
    r = post_callback(client(app, "admin"), body)
    assert "users-table" in r.get_data(as_text=True)


def test_skpd_staff_see_only_their_own_unit(app):
    """The unit page's refresh names its unit in the request: SKPD staff asking for another one get 403."""
    key = next(k for k in app.callback_map if k.startswith("..unit-body.children"))
    body = callback_body(app, key)
    body["state"][0]["value"] = {"code": "bpkd", "range": "24h"}
    assert post_callback(client(app, "dpmptsp"), body).status_code == 403
    assert post_callback(client(app, "operator"), body).status_code == 200
    body["state"][0]["value"] = {"code": "dpmptsp", "range": "7d"}
    r = post_callback(client(app, "dpmptsp"), body)
    assert r.status_code == 200 and "LaSIDE" in r.get_data(as_text=True)
    # The router renders the layout of another unit's page as a 403 inside the shell, too.
    router = callback_body(app, ROUTER)
    router["inputs"][0]["value"] = "/metrics/bpkd"
    text = post_callback(client(app, "dpmptsp"), router).get_data(as_text=True)
    assert "forbidden" in text and "BPKD" not in text


def test_viewer_cannot_write(app):
    key = next(
        k for k in app.callback_map if "admin-result" in k and "admin-create" in str(app.callback_map[k]["inputs"])
    )
    body = callback_body(app, key)
    body["state"][0]["value"] = "sneaky"
    body["state"][2]["value"] = "admin"
    assert post_callback(client(app, "bupati"), body).status_code == 403
    assert post_callback(client(app, "operator"), body).status_code == 403


def test_acknowledging_an_alert_is_refused_to_the_viewer_and_to_another_units_staff(app):
    """Issue 21: by every route. The only way to acknowledge is the alerts page's callback (no route of the
    server names alerts); the bupati gets 403 for it, DPMPTSP's staff 403 for an alert about RSUD, and the
    alert stays unacknowledged."""
    from datetime import timedelta

    from scc.alerts import evaluator
    from scc.alerts.queries import get, in_sight
    from tests.alerts.conftest import camera

    ctx = app.server.config["SCC_CONTEXT"]
    now = utcnow()
    for cam in ctx.settings.cameras:  # every camera lit but one of RSUD's: one camera alert, about RSUD
        if cam.status == "active":
            camera(ctx.engine, cam.id, "offline" if cam.id == "rsud-lobi" else "online", now, now - timedelta(hours=1))
    for step in range(2):
        evaluator.evaluate(ctx.engine, ctx.settings, now + timedelta(seconds=2 * step))
    (alert,) = [a for a in in_sight(ctx.engine) if a.subject == "rsud-lobi"]
    assert alert.skpd_code == "rsud"
    assert not [r.rule for r in app.server.url_map.iter_rules() if "alert" in r.rule], "a route beside the page"
    key = next(k for k in app.callback_map if k.startswith("..alerts-ack-message.children"))
    body = callback_body(app, key)
    body["state"][0]["value"], body["state"][1]["value"] = alert.id, "seen"
    assert post_callback(client(app, "bupati"), body).status_code == 403
    assert post_callback(client(app, "dpmptsp"), body).status_code == 403
    assert post_callback(client(app), body).status_code == 401
    assert get(ctx.engine, alert.id).acknowledged_at is None
    assert post_callback(client(app, "operator"), body).status_code == 200
    assert get(ctx.engine, alert.id).acknowledged_by == "operator"


def test_session_cookie_flags(app):
    r = client(app).post("/login", data={"username": "admin", "password": PASSWORDS["admin"]})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "scc_session=" in cookie


def test_login_does_not_redirect_off_site(app):
    c = client(app)
    r = c.post("/login?next=//evil.example/x", data={"username": "operator", "password": PASSWORDS["operator"]})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_failed_logins_are_rate_limited(app):
    c = client(app, addr="10.77.0.1")
    for _ in range(5):
        assert c.post("/login", data={"username": "operator", "password": "wrong"}).status_code == 401
    r = c.post("/login", data={"username": "operator", "password": PASSWORDS["operator"]})
    assert r.status_code == 429
    # Another address is not locked out by this one's guessing.
    assert (
        client(app, addr="10.77.0.2")
        .post("/login", data={"username": "operator", "password": PASSWORDS["operator"]})
        .status_code
        == 302
    )


def test_disabled_user_is_signed_out(app):
    engine = app.server.config["SCC_CONTEXT"].engine
    users.create_user(engine, username="temp", role="operator", password="temp-pass-123", actor="test")
    c = client(app)
    assert c.post("/login", data={"username": "temp", "password": "temp-pass-123"}).status_code == 302
    assert c.get("/_dash-layout").status_code == 200
    users.set_active(engine, "temp", False, actor="admin")
    assert c.get("/_dash-layout").status_code == 401


def test_writes_are_audited(app):
    c = client(app, "admin")
    c.post("/language", data={"lang": "en"})
    c.post("/language", data={"lang": "id"})
    c.post("/logout")
    actions = [(r["actor"], r["action"]) for r in audit.recent(app.server.config["SCC_CONTEXT"].engine, 10)]
    assert ("admin", "auth.logout") in actions and ("admin", "user.language") in actions
    assert ("admin", "auth.login") in actions


def test_camera_credentials_never_reach_the_browser(app):
    from scc.clock import utcnow
    from scc.storage.cameras import camera_state

    engine = app.server.config["SCC_CONTEXT"].engine
    settings = app.server.config["SCC_CONTEXT"].settings
    camera = next(c for c in settings.cameras if c.status == "active" and c.password)
    leaked = f"[rtsp @ 0x5] method DESCRIBE failed: 401 Unauthorized ({camera.stream_url('sub')})"
    assert "test-camera-password" in leaked  # what FFmpeg writes when a camera refuses us
    with engine.begin() as conn:
        conn.execute(camera_state.delete().where(camera_state.c.camera_id == camera.id))
        conn.execute(
            camera_state.insert().values(camera_id=camera.id, status="error", last_error=leaked, updated_at=utcnow())
        )
    c = client(app, "admin")
    body = callback_body(app, ROUTER)
    for path in ("/cameras", "/admin", "/"):
        body["inputs"][0]["value"] = path
        text = post_callback(c, body).get_data(as_text=True)
        assert "test-camera-password" not in text
        if path == "/cameras":
            assert "***@10.20." in text  # the error is shown, without the credentials
    assert "test-camera-password" not in c.get("/_dash-layout").get_data(as_text=True)


def test_index_page_declares_the_users_language(app):
    c = client(app, "bupati")
    assert '<html lang="id" ' in c.get("/").get_data(as_text=True)
    c.post("/language", data={"lang": "en"})
    assert '<html lang="en" ' in c.get("/").get_data(as_text=True)
    c.post("/language", data={"lang": "id"})


def test_copied_cookie_dies_with_sign_out(app):
    c = client(app, "operator")
    cookie = c.get_cookie("scc_session").value
    c.post("/logout")
    thief = client(app)
    thief.set_cookie("scc_session", cookie)
    assert thief.get("/_dash-layout").status_code == 401
    assert post_callback(thief, callback_body(app, ROUTER)).status_code == 401


def test_user_errors_speak_the_admins_language(app):
    key = next(
        k for k in app.callback_map if "admin-result" in k and "admin-create" in str(app.callback_map[k]["inputs"])
    )
    body = callback_body(app, key)
    body["state"][0]["value"] = "operator"  # exists already
    body["state"][2]["value"] = "operator"
    text = post_callback(client(app, "admin"), body).get_data(as_text=True)
    assert "Pengguna operator sudah ada." in text


def test_health_details_are_for_signed_in_users(app):
    from scc import health

    engine = app.server.config["SCC_CONTEXT"].engine
    health.beat(engine, "cameras-worker-1", interval_s=5, backlog=3, detail="rtsp worker on /opt/scc")
    anonymous = client(app).get("/healthz").get_json()
    assert anonymous["components"]["cameras-worker-1"] == {"status": "up"}
    assert "/opt/scc" not in json.dumps(anonymous)
    signed_in = client(app, "operator").get("/healthz").get_json()
    assert signed_in["components"]["cameras-worker-1"]["detail"] == "rtsp worker on /opt/scc"
    assert signed_in["components"]["cameras-worker-1"]["backlog"] == 3
