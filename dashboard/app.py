"""The Dash application shell: server, guard, pages. Nothing else lives here."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import dash
from dash import ClientsideFunction, Input, Output
from dash._utils import to_json
from dash.exceptions import DependencyException
from flask import Flask, Response, jsonify
from flask_login import current_user
from sqlalchemy import Engine

from scc import health
from scc.settings import Settings, load_settings
from scc.storage import open_storage

from . import auth, boards_routes, cameras_routes, i18n, reports_routes
from .access import EVERYONE, Access
from .components import shell
from .context import AppContext
from .security import JSONProvider

PAGES = (
    "overview",
    "regent",
    "cameras",
    "cameras_health",
    "callcenter",
    "callcenter_intake",
    "callcenter_kpi",
    "callcenter_map",
    "callcenter_import",
    "callcenter_incident",
    "callcenter_complaints",
    "callcenter_history",
    "metrics",
    "metrics_compare",
    "metrics_own",
    "metrics_unit",
    "admin",
    "account",
    "alerts",
    "boards",
    "reports",
    "not_found_404",
)
HERE = Path(__file__).parent


class _Dash(dash.Dash):
    scc_access: Access

    def dependencies(self) -> Any:
        # The callback map names the controls of every page and what they change: each browser gets the
        # part its user may call, not the administrator's.
        role = current_user.role if current_user.is_authenticated else None
        listed = [c for c in self._callback_list if self.scc_access.listed(role, c["output"])]
        return self.backend.make_response(to_json(listed), content_type="application/json")

    def interpolate_index(self, **kwargs: Any) -> str:  # type: ignore[override]  # Dash passes keywords
        # The page's language, so browsers and screen readers read it right; the dark theme; our own icon.
        kwargs["favicon"] = shell.FAVICON
        return (
            super()
            .interpolate_index(**kwargs)
            .replace("<html>", f'<html lang="{i18n.current_language()}" data-bs-theme="dark">', 1)
        )


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> dash.Dash:
    settings = settings or load_settings()
    engine = engine or open_storage(settings.database_url)
    ctx = AppContext(settings=settings, engine=engine)
    access = Access()

    server = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=None)
    server.json = JSONProvider(server)
    auth.install(server, ctx, access)  # first, so the guard runs before Dash's own hooks

    @server.get("/healthz")
    def healthz() -> tuple[Response, int]:
        healthy, doc = health.summary(engine)
        if not current_user.is_authenticated:
            # Anyone on the LAN may ask whether it runs; what failed and why is for signed-in users.
            doc["components"] = {name: {"status": c["status"]} for name, c in doc["components"].items()}
        return jsonify(doc), 200 if healthy else 503

    cameras_routes.install(server, ctx)  # live video signalling and snapshots, each camera checked per user
    reports_routes.install(server, ctx)  # report downloads, each checked per user and audited
    boards_routes.install(server, ctx)  # the public boards: a display link's page and data, no session
    app = _Dash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash's annotation omits a Flask instance
        use_pages=True,
        pages_folder="",
        assets_folder=str(HERE / "assets"),
        serve_locally=True,
        assets_ignore=r"^boards\.",  # the lobby TV's own script and stylesheet, never a Dash page's
        enable_mcp=False,  # no tool endpoint beside the pages, whatever the environment says
        suppress_callback_exceptions=True,
        title="Soppeng Command Center",
        update_title=None,  # type: ignore[arg-type]  # None: keep the title while callbacks run
    )
    app.scc_access = access
    app.layout = lambda: shell.layout(access)
    access.clientside_callback(
        app,
        ClientsideFunction(namespace="scc", function_name="witaClock"),
        Output("wita-clock", "children"),
        Input("wita-tick", "n_intervals"),
        roles=EVERYONE,
    )

    @server.errorhandler(DependencyException)
    def no_such_script(_exc: DependencyException) -> tuple[Response, int]:
        # Dash's script route raises this for any path outside the scripts it registered (`..`, another
        # package, a made-up version): a 404, not a 500 with its traceback.
        return jsonify(error="no such file"), 404

    for name in PAGES:
        importlib.import_module(f"{__package__}.pages.{name}").register(app, ctx, access)
    server.config["SCC_ACCESS"] = access
    server.config["SCC_CONTEXT"] = ctx
    server.config["SCC_DASH"] = app
    # Dash finishes its setup during the first request and marks it done before
    # it is; threads serving meanwhile answer 500 for its scripts. Do that first
    # request here, single-threaded, before the server takes connections.
    server.test_client().get("/login")
    return app
