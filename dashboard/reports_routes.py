"""Report downloads, behind the one guard: `GET /reports/<id>/<file>`.

The guard in auth.py has refused a request without a session; here the role is checked again (SKPD
staff: their own unit's weekly reports only, anything else 403), the file must be one the report row
names (never a path from the request), and every download is in the audit log.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request, send_file
from flask_login import current_user

from .context import AppContext
from .queries import reports as queries
from .reports.jobs import report_folder
from .security import client_addr, quote

log = logging.getLogger(__name__)

READERS = frozenset({"admin", "operator", "viewer", "skpd"})
TYPES = {"pdf": "application/pdf", "csv": "text/csv"}


def install(server: Flask, ctx: AppContext) -> None:
    @server.get("/reports/<int:report_id>/<name>")
    def report_file(report_id: int, name: str) -> Response:
        role = current_user.role
        if role not in READERS:
            return _error(403, "not allowed")
        found = queries.one(ctx.engine, report_id)
        if found is None or found.status != "ready" or name not in found.files:
            return _error(404, "no such report file")
        if role == "skpd" and (found.kind != "unit" or found.skpd_code != current_user.skpd_code):
            log.warning("refused report %d to %s (%s)", report_id, current_user.username, role)
            return _error(403, "not allowed to download this report")
        path = report_folder(ctx.settings, report_id) / name
        if not path.is_file():
            log.error("report %d: %s is gone from its folder", report_id, quote(name, 80))
            return _error(404, "no such report file")
        queries.record_download(ctx.engine, current_user.username, report_id, name, client_addr(request))
        mimetype = TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
        response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
        response.headers["Cache-Control"] = "no-store"
        return response


def _error(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response
