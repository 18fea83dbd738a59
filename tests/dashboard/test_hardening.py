"""LAN hardening: same-origin writes, bounded input and log lines, wrong types refused,
one session per browser, audited sign-in failures, changing one's own password,
and page statuses that say what the page says."""

from __future__ import annotations

import json
import logging
from typing import Any

from dashboard.security import unannotated_parameters
from scc import audit
from tests.support.dashapp import callback_body, client, post_callback, server_side
from tests.support.web import PASSWORDS, ROLE_OF


def engine_of(app):
    return app.server.config["SCC_CONTEXT"].engine


def actions(app, n=20) -> list[tuple[str, str]]:
    return [(r["actor"], r["action"]) for r in audit.recent(engine_of(app), n)]


# -- CSRF: a page on another host cannot make the browser write here --------------------------


def test_sign_in_from_another_origin_is_refused(app):
    c = client(app)
    form = {"username": "operator", "password": PASSWORDS["operator"]}
    r = c.post("/login", data=form, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "Muat ulang halaman" in r.get_data(as_text=True)
    assert c.get_cookie("scc_session") is None
    bare = app.server.test_client()  # no Origin, no Referer: cannot tell, so no
    assert bare.post("/login", data=form).status_code == 403
    referer_only = app.server.test_client()
    r = referer_only.post("/login", data=form, headers={"Referer": "http://localhost/login"})
    assert r.status_code == 302
    r = bare.post("/login", data=form, headers={"Referer": "http://evil.example/login"})
    assert r.status_code == 403


def test_every_write_from_another_origin_is_refused(app):
    c = client(app, "admin")
    foreign = {"Origin": "http://192.0.2.1:8050"}
    assert c.post("/logout", headers=foreign).status_code == 403
    assert c.post("/language", data={"lang": "en"}, headers=foreign).status_code == 403
    key = next(iter(server_side(app)))
    r = c.post(
        "/_dash-update-component",
        data=json.dumps(callback_body(app, key)),
        content_type="application/json",
        headers=foreign,
    )
    assert r.status_code == 403
    # Nothing of that happened: still signed in, language unchanged.
    assert c.get("/_dash-layout").status_code == 200
    assert ("admin", "auth.logout") not in actions(app)


# -- sizes: bodies, fields, log lines ------------------------------------------------------------


def test_request_body_is_limited(app):
    huge = "x" * (3 * 1024 * 1024)
    r = client(app).post("/login", data={"username": huge, "password": "x"})
    assert r.status_code == 413


def test_over_long_user_name_is_refused_audited_cut_and_logged_cut(app, caplog):
    name = "a" * 5000 + "\n\x1b[31mforged log line"
    with caplog.at_level(logging.INFO):
        r = client(app, addr="10.9.0.1").post("/login", data={"username": name, "password": "x"})
    assert r.status_code == 400
    assert all(len(record.getMessage()) < 400 for record in caplog.records), "user input logged unbounded"
    assert not any("\x1b" in record.getMessage() or "\nforged" in record.getMessage() for record in caplog.records)
    refused = [a for a in audit.recent(engine_of(app), 20) if a["action"] == "auth.refused"]
    assert refused and len(refused[0]["actor"]) == 64 and refused[0]["remote_addr"] == "10.9.0.1"
    for _ in range(30):  # a stream of refusals is one row per window: it cannot push real events off the page
        client(app, addr="10.9.0.1").post("/login", data={"username": name + "x", "password": "x"})
    assert len([a for a in audit.recent(engine_of(app), 100) if a["action"] == "auth.refused"]) == 1


def test_over_long_password_is_not_hashed(app):
    r = client(app, addr="10.9.0.2").post("/login", data={"username": "operator", "password": "p" * 10_000})
    assert r.status_code == 400


def test_failed_and_throttled_sign_ins_are_audited(app):
    c = client(app, addr="10.9.0.3")
    for _ in range(6):
        c.post("/login", data={"username": "bupati", "password": "wrong-password"})
    kinds = [a for a in actions(app, 10) if a[0] == "bupati"]
    assert ("bupati", "auth.failed") in kinds and ("bupati", "auth.throttled") in kinds


# -- callbacks: wrong types and deep JSON are a 400, never a 500 ---------------------------------


def test_every_callback_annotates_its_parameters(app, access):
    missing = {
        key: unannotated_parameters(access.functions[key])
        for key in server_side(app)
        if key in access.functions and unannotated_parameters(access.functions[key])
    }
    assert missing == {}, f"callbacks whose arguments cannot be checked: {missing}"


# Never right for a callback argument: collections, over-long text, deep nesting.
ALWAYS_WRONG: list[Any] = [["a", "list"], {"a": "dict"}, "x" * 5000, [[[[["deep"]]]]]]
# A number where text belongs, text where a number belongs: one of the two is wrong for every argument.
EITHER_WRONG: list[Any] = [12345, "12345"]


def test_wrong_types_to_every_callback_get_400_not_500(app, access, caplog):
    """Each argument of each callback, in turn, gets values of the wrong shape."""
    sessions = {}
    checked = 0
    for key in server_side(app):
        role = sorted(access.callback_roles(key))[0]
        username = next(u for u, r in ROLE_OF.items() if r == role)
        c = sessions.setdefault(username, client(app, username))
        base = callback_body(app, key)
        for group in ("inputs", "state"):
            for i in range(len(base[group])):
                statuses = {}
                for wrong in ALWAYS_WRONG + EITHER_WRONG:
                    body = json.loads(json.dumps(base))
                    body[group][i]["value"] = wrong
                    with caplog.at_level(logging.ERROR):
                        statuses[repr(wrong)[:20]] = post_callback(c, body).status_code
                    checked += 1
                where = (key, group, i, statuses)
                assert all(statuses[repr(w)[:20]] == 400 for w in ALWAYS_WRONG), where
                assert 400 in (statuses["12345"], statuses["'12345'"]), where
                assert all(code < 500 for code in statuses.values()), where
    assert checked >= 60
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR and rec.exc_info], (
        "a traceback was logged"
    )


def test_deep_or_malformed_callback_bodies_get_400(app):
    c = client(app, "admin")
    deep = "[" * 5000 + "]" * 5000
    assert c.post("/_dash-update-component", data=deep, content_type="application/json").status_code == 400
    body = callback_body(app, next(iter(server_side(app))))
    body["inputs"][0]["value"] = json.loads("[" * 40 + "]" * 40)
    assert post_callback(c, body).status_code == 400
    body["output"] = ["not", "a", "string"]
    assert post_callback(c, body).status_code in (400, 403)


# -- sessions --------------------------------------------------------------------------------------


def test_signing_in_again_ends_the_old_session(app):
    c = client(app, "operator")
    old = c.get_cookie("scc_session").value
    r = c.post("/login", data={"username": "admin", "password": PASSWORDS["admin"]})
    assert r.status_code == 302
    thief = client(app)
    thief.set_cookie("scc_session", old)
    assert thief.get("/_dash-layout").status_code == 401
    assert c.get("/admin").status_code == 200  # the new session is the admin's


def test_changing_ones_own_password(app):
    from scc import users

    engine = engine_of(app)
    users.create_user(
        engine, username="siti", role="skpd", skpd_code="dukcapil", password="siti-pass-123", actor="test"
    )
    here, elsewhere = client(app), client(app)
    for c in (here, elsewhere):
        assert c.post("/login", data={"username": "siti", "password": "siti-pass-123"}).status_code == 302
    key = next(k for k in app.callback_map if k.startswith("..account-result.children"))

    def change(current, new, repeat):
        body = callback_body(app, key)
        body["inputs"][0]["value"] = 1
        for i, value in enumerate((current, new, repeat)):
            body["state"][i]["value"] = value
        r = post_callback(here, body)
        assert r.status_code == 200, r.status_code
        return r.get_data(as_text=True)

    assert "account-error" in change("wrong-password", "new-pass-12345", "new-pass-12345")
    assert "account-error" in change("siti-pass-123", "new-pass-12345", "other-pass-12345")
    assert "account-error" in change("siti-pass-123", "short", "short")
    assert users.authenticate(engine, "siti", "siti-pass-123") is not None
    assert "account-done" in change("siti-pass-123", "new-pass-12345", "new-pass-12345")
    assert users.authenticate(engine, "siti", "new-pass-12345") is not None
    assert here.get("/_dash-layout").status_code == 200  # this session goes on
    assert elsewhere.get("/_dash-layout").status_code == 401  # every other one ends
    assert ("siti", "user.change_password") in actions(app)
    # Guessing the current password from an open session meets the sign-in brake, and is audited.
    for _ in range(5):
        assert "account-error" in change("wrong-guess-123", "guess-pass-12345", "guess-pass-12345")
    throttled = change("new-pass-12345", "guess-pass-12345", "guess-pass-12345")
    assert "account-error" in throttled and ("siti", "auth.throttled") in actions(app)
    assert users.authenticate(engine, "siti", "new-pass-12345") is not None  # unchanged while throttled
    assert ("siti", "user.change_password_failed") in actions(app)


def test_password_change_is_for_the_signed_in_user_only(app):
    anonymous = client(app)
    key = next(k for k in app.callback_map if k.startswith("..account-result.children"))
    assert post_callback(anonymous, callback_body(app, key)).status_code == 401


# -- statuses of the shell -----------------------------------------------------------------------


def test_forbidden_and_unknown_pages_are_403_and_404_inside_the_shell(app):
    c = client(app, "dpmptsp")
    r = c.get("/admin")
    assert r.status_code == 403 and "_dash-config" in r.get_data(as_text=True)  # the shell, not a bare page
    r = c.get("/no-such-page")
    assert r.status_code == 404 and "_dash-config" in r.get_data(as_text=True)
    assert c.get("/metrics/own").status_code == 200 and c.get("/account").status_code == 200
    assert c.get("/metrics").status_code == 403, "the regency's grid is for staff"
    assert c.get("/metrics/dpmptsp").status_code == 200 and c.get("/metrics/bpkd").status_code == 403
    assert c.get("/metrics/no-such-unit").status_code == 404 and c.get("/metrics/dpmptsp/x").status_code == 404
    assert client(app).get("/no-such-page").status_code == 302  # signed out: to the sign-in page first


def test_null_origin_and_control_characters_in_next_are_refused(app):
    form = {"username": "operator", "password": PASSWORDS["operator"]}
    r = client(app).post("/login", data=form, headers={"Origin": "null", "Referer": "http://localhost/login"})
    assert r.status_code == 403
    r = client(app).post("/login?next=/a%0d%0aSet-Cookie:x=1", data=form)
    assert r.status_code == 302 and r.headers["Location"] == "/"


MALFORMED_SHAPES: list[tuple[str, Any]] = [
    ("inputs", 5),
    ("inputs", [5]),
    ("inputs", []),
    ("inputs", [{}]),
    ("state", "x"),
    ("changedPropIds", 5),
    ("changedPropIds", [1]),
    ("outputs", 5),
]


def test_callback_bodies_of_the_wrong_shape_get_400(app, caplog):
    c = client(app, "admin")
    for key in server_side(app):
        for field, value in MALFORMED_SHAPES:
            body = callback_body(app, key)
            if field == "inputs" and value == [] and not body["inputs"]:
                continue
            body[field] = value
            with caplog.at_level(logging.ERROR):
                status = post_callback(c, body).status_code
            assert status in (400, 403), (key, field, value, status)
    assert not [rec for rec in caplog.records if rec.exc_info], "a traceback was logged"


def _tampered_outputs(body: dict[str, Any]) -> list[Any]:
    """`outputs` as a hand-made request might send them: another property, another component, one too
    few or one too many, and another callback's outputs altogether."""
    outputs = body["outputs"]
    first = outputs[0] if isinstance(outputs, list) else outputs
    if isinstance(first, list):  # a pattern-matching output that names every match
        first = first[0] if first else {"id": "x", "property": "children"}
    other_prop = {**first, "property": "not_a_property"}
    other_id = {**first, "id": "no-such-component"}
    many = [first, first, first] if isinstance(outputs, list) else [first, first]
    few = outputs[:-1] if isinstance(outputs, list) else []
    swapped = {"id": "wita-clock", "property": "children"}
    tampered = [other_prop, other_id, many, few, swapped]
    return [[t, *outputs[1:]] if isinstance(outputs, list) and isinstance(t, dict) else t for t in tampered]


def test_callback_outputs_other_than_the_callbacks_own_get_400(app, access, caplog):
    """The renderer names the outputs it wants updated; a hand-made request naming others must not
    reach Dash, which fails on them with a 500 and a traceback."""
    clients = {role: client(app, user) for user, role in ROLE_OF.items()}
    for key in server_side(app):
        c = clients[sorted(access.callback_roles(key) or {"admin"})[0]]
        for outputs in _tampered_outputs(callback_body(app, key)):
            body = {**callback_body(app, key), "outputs": outputs}
            with caplog.at_level(logging.ERROR):
                status = post_callback(c, body).status_code
            assert status == 400, (key, outputs, status)
    assert not [rec for rec in caplog.records if rec.exc_info], "a traceback was logged"


# -- caching: a named version of an asset is kept, nothing with data is ----------------------------


def test_an_asset_named_by_its_version_is_kept_and_data_never(app):
    c = client(app, "bupati")
    versioned = c.get("/assets/regent.css?m=1796583165.6")
    assert versioned.status_code == 200
    assert versioned.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert "immutable" not in c.get("/assets/regent.css").headers.get("Cache-Control", "")
    assert c.get("/_dash-layout").headers["Cache-Control"] == "no-store"
    # Behind the sign-in as before: kept by the browser that was let in, never fetched without a session.
    assert client(app).get("/assets/regent.css?m=1").status_code == 302
