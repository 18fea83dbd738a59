"""Sign-in, sign-out and the one guard in front of every route.

The guard runs before anything else Flask or Dash does. It refuses a
state-changing request from another origin and a malformed callback body
(security.py). Only the routes in PUBLIC, and a public board's (board_public), answer without a session; every
other route, Dash's /_dash-update-component, /_dash-layout and
/_dash-dependencies included, needs a signed-in user, and pages and callbacks
also need the right role (see access.py). A page the role may not open, and a
path that is no page, get the shell with 403 or 404 and the page's own message.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy import Engine

from scc import signin, users
from scc.audit import record, record_once
from scc.users import UserError

from . import i18n
from .access import ROUTER, Access
from .context import AppContext
from .security import (
    PASSWORD_MAX,
    USERNAME_MAX,
    callback_shape_problem,
    client_addr,
    json_problem,
    quote,
    same_origin,
)

log = logging.getLogger(__name__)

# Reachable without a session: the sign-in page, its stylesheets, the health summary.
PUBLIC = frozenset(
    {
        "/login",
        "/logout",
        "/language",
        "/healthz",
        "/assets/00-bootstrap.min.css",
        "/assets/scc.css",
        "/assets/favicon.svg",
    }
)
# A public board's page and data, opened by a display link's token without a session, and the board's own
# two files (dashboard/boards_routes.py): exactly these paths, GET only (their routes take no other method).
BOARD_PATHS = re.compile(r"/board/[A-Za-z0-9_-]{43}(?:/data)?")
BOARD_ASSETS = frozenset({"/assets/boards.css", "/assets/boards.js"})
DASH_CALLBACK = "/_dash-update-component"
DASH_INDEX_ENDPOINTS = frozenset({"/", "/<path:path>"})  # Dash's index and its catch-all


class SessionUser(UserMixin):
    """The signed-in user as Flask-Login sees it; its id is the session's id."""

    def __init__(self, user: users.User, sid: str):
        self.user = user
        self.sid = sid
        self.username = user.username
        self.role = user.role
        self.skpd_code = user.skpd_code
        self.language = user.language
        self.kiosk = user.kiosk
        self.full_name = user.full_name or user.username

    def get_id(self) -> str:
        return self.sid


def install(server: Flask, ctx: AppContext, access: Access) -> None:
    web = ctx.settings.app.web
    tls = web.tls.enabled
    server.config.update(
        SECRET_KEY=web.secret_key.get_secret_value(),
        SESSION_COOKIE_NAME="scc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=web.cookie_secure or tls,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=web.session_hours),
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
        MAX_CONTENT_LENGTH=web.max_body_kb * 1024,
        MAX_FORM_MEMORY_SIZE=64 * 1024,
        SCC_LANGUAGE=ctx.settings.app.language,
    )
    manager = LoginManager()
    manager.init_app(server)

    @manager.user_loader
    def load(sid: str) -> SessionUser | None:
        user = signin.session_user(ctx.engine, sid)
        return SessionUser(user, sid) if user else None

    @server.before_request
    def guard() -> Any:
        return _check(request.path, access)

    @server.after_request
    def headers(response: Response) -> Response:
        response = _page_status(response, access)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Everything comes from this server: no other host may be contacted.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        if tls:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.path.startswith("/_dash-") or request.path.startswith("/login"):
            response.headers.setdefault("Cache-Control", "no-store")
        elif request.path.startswith("/assets/") and "m" in request.args and response.status_code == 200:
            # Dash names each asset with its file's modification time (?m=...): a changed file is a new
            # URL, so the browser may keep this one. Without it every page load asked again for a dozen
            # files, each through the guard's session lookup. Private: it is behind the sign-in.
            response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
        return response

    _routes(server, ctx, access)


def _check(path: str, access: Access) -> Any:
    if not same_origin(request):
        log.warning(
            "refused %s %s from another origin (Origin %s, Referer %s)",
            request.method,
            quote(path),
            quote(request.headers.get("Origin", "-")),
            quote(request.headers.get("Referer", "-")),
        )
        if path == "/login":
            return _login_page(error=i18n.t("login.csrf"), status=403)
        return jsonify(error="cross-origin request refused"), 403
    if path in PUBLIC or board_public(path):
        return None
    if not current_user.is_authenticated:
        if request.method == "GET" and not path.startswith("/_"):
            return redirect(url_for("login", next=request.full_path.rstrip("?")))
        return jsonify(error="sign in first"), 401
    role = current_user.role
    if path == DASH_CALLBACK:
        return _check_callback(role, access)
    roles = access.page_roles(path)
    if path == "/" and roles is not None and role not in roles:
        return redirect(access.pages_for(role)[0])
    return None


def board_public(path: str) -> bool:
    """Whether `path` is one of the public boards' routes or files, reachable with a token and no session."""
    return path in BOARD_ASSETS or BOARD_PATHS.fullmatch(path) is not None


def _check_callback(role: str, access: Access) -> Any:
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        return jsonify(error="a callback request is a JSON object"), 400
    output = body.get("output")
    problem = json_problem(body, access.text_limit(output))
    if problem:
        log.warning("refused callback body from %s: %s", current_user.username, problem)
        return jsonify(error=f"callback request refused: {problem}"), 400
    roles = access.callback_roles(output) if isinstance(output, str) else None
    if roles is None or role not in roles:
        log.warning("refused callback %s for %s (%s)", quote(output), current_user.username, role)
        return jsonify(error="not allowed"), 403
    spec = current_app.config["SCC_DASH"].callback_map.get(output, {})
    shape = callback_shape_problem(body, spec)
    if shape:
        log.warning("refused callback %s from %s: %s", quote(output), current_user.username, shape)
        return jsonify(error=f"callback request refused: {shape}"), 400
    if output == ROUTER and not _router_arguments_ok(body):
        # Dash's own page router has no annotations to check: it reads a path and a query string.
        return jsonify(error="callback request refused: the page router takes text"), 400
    return None


def _router_arguments_ok(body: dict[str, Any]) -> bool:
    """The router's inputs (their shape already checked): text, and a path that starts with '/' (always
    given: Dash matches path templates against it)."""
    for item in [*body.get("inputs", []), *body.get("state", [])]:
        value = item.get("value")
        if item.get("property") == "pathname":
            if not isinstance(value, str) or not value.startswith("/"):
                return False
        elif value is not None and not isinstance(value, str):
            return False
    return True


def _page_status(response: Response, access: Access) -> Response:
    """Dash serves the same shell for every path; say in the status what the page says."""
    if request.endpoint not in DASH_INDEX_ENDPOINTS or response.status_code != 200:
        return response
    if not current_user.is_authenticated:
        return response
    status = access.page_status(request.path, current_user.role)
    if status != 200:
        response.status_code = status
    return response


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so a link cannot bounce users elsewhere."""
    if not target or len(target) > 2000 or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _referrer_path() -> str | None:
    if not request.referrer:
        return None
    ref = urlsplit(request.referrer)
    if ref.netloc != request.host:
        return None
    return ref.path + (f"?{ref.query}" if ref.query else "")


def _login_page(*, error: str | None = None, status: int = 200, username: str = "", next_url: str = "/") -> Any:
    return render_template(
        "login.html", t=i18n.t, lang=i18n.current_language(), next=next_url, error=error, username=username
    ), status


def _audit_signin(engine: Engine, action: str, username: str, addr: str, *, once_in_s: int = 0) -> None:
    actor = username[:USERNAME_MAX] or "-"
    with engine.begin() as conn:
        if once_in_s:
            record_once(conn, actor, action, username[:USERNAME_MAX], addr, timedelta(seconds=once_in_s))
        else:
            record(conn, actor, action, username[:USERNAME_MAX], remote_addr=addr)


def _routes(server: Flask, ctx: AppContext, access: Access) -> None:
    engine = ctx.engine
    auth_cfg = ctx.settings.app.auth

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        next_url = _safe_next(request.values.get("next"))
        if request.method == "GET":
            if current_user.is_authenticated:
                return redirect(next_url)
            return _login_page(next_url=next_url)
        username = request.form.get("username", "").strip().lower()
        password = request.form.get("password", "")
        addr = client_addr(request)
        if len(username) > USERNAME_MAX or len(password) > PASSWORD_MAX:
            log.warning("sign-in with an over-long field from %s (user name %s)", addr, quote(username))
            _audit_signin(engine, "auth.refused", username, addr, once_in_s=auth_cfg.window_s)
            signin.refused(engine, username, addr, "too_long")
            return _login_page(
                error=i18n.t("login.failed"), status=400, next_url=next_url, username=username[:USERNAME_MAX]
            )
        attempt = signin.attempt(engine, username, addr, auth_cfg.max_failures, auth_cfg.window_s)
        if attempt is None:
            log.warning("sign-in throttled for %s from %s", quote(username), addr)
            return _login_page(
                error=i18n.t("login.throttled", minutes=auth_cfg.window_s // 60),
                status=429,
                username=username,
                next_url=next_url,
            )
        user = users.authenticate(engine, username, password)
        if user is None:
            log.info("failed sign-in for %s from %s", quote(username), addr)
            _audit_signin(engine, "auth.failed", username, addr)
            signin.refused(engine, username, addr)
            return _login_page(error=i18n.t("login.failed"), status=401, username=username, next_url=next_url)
        if current_user.is_authenticated:  # signing in again, maybe as someone else: the old session ends
            signin.close_session(engine, current_user.sid)
            logout_user()
        signin.succeeded(engine, attempt, username, addr)
        sid = signin.open_session(engine, user, ctx.settings.app.web.session_hours, addr)
        with engine.begin() as conn:
            record(conn, user.username, "auth.login", user.username, remote_addr=addr)
        session.clear()
        login_user(SessionUser(user, sid))
        session.permanent = True
        return redirect(next_url if next_url != "/" else access.pages_for(user.role)[0])

    @server.route("/logout", methods=["POST"])
    def logout() -> Any:
        if current_user.is_authenticated:
            with engine.begin() as conn:
                record(
                    conn, current_user.username, "auth.logout", current_user.username, remote_addr=client_addr(request)
                )
            signin.close_session(engine, current_user.sid)
            logout_user()
        return redirect(url_for("login"))

    @server.route("/language", methods=["POST"])
    def language() -> Any:
        lang = request.form.get("lang", "")
        next_url = _safe_next(request.form.get("next") or _referrer_path())
        if lang not in i18n.LANGUAGES:
            return jsonify(error="unknown language"), 400
        if current_user.is_authenticated:
            try:
                users.set_language(engine, current_user.username, lang, actor=current_user.username)
            except UserError as exc:
                return jsonify(error=str(exc)), 400
        response = redirect(next_url)
        response.set_cookie(
            i18n.LANG_COOKIE,
            lang,
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=bool(server.config["SESSION_COOKIE_SECURE"]),
        )
        return response
