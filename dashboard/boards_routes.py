"""The public boards on a lobby TV: the only routes a display link's token reaches (docs/design.md §3.9).

- `GET /board/<token>`: a small page rendered here (templates/boards.html) with the board's own script and
  stylesheet (assets/boards.js, boards.css; Dash's pages never load them), the first figures inside it;
- `GET /board/<token>/data`: the figures as JSON, which the page asks for every `refresh_s` seconds.

No session: the guard in auth.py lets exactly these two paths, with a token of the right shape, and the two
files through (auth.board_public). A token no link ever had is 404, a revoked one 410, neither with a figure;
a revoked link's TV learns it at its next refresh. Both routes are rate-limited per link and per client
address (429). The token is a credential: no log line of this server carries it (MaskTokens).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from datetime import datetime
from typing import Any

from flask import Flask, Response, jsonify, render_template, request

from scc import boards
from scc.clock import utcnow
from scc.settings.boards import Board

from .context import AppContext
from .queries import boards as board_queries
from .security import client_addr

log = logging.getLogger(__name__)

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)
_TOKEN_IN_TEXT = re.compile(r"(/board/)[A-Za-z0-9_-]{8,}")
# Loggers that may name a request's path: Werkzeug's request lines (tests, `python -m dashboard`),
# gunicorn's (its access log is off, dashboard/serve.py; this holds if someone turns it on), Flask's
# "Exception on <path>", and the guard's refusals.
MASKED_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "dashboard", "dashboard.app", "dashboard.auth")
MAX_KEYS = 20_000  # rate-limit windows kept at once; beyond, the idle ones go


class MaskTokens(logging.Filter):
    """Writes `/board/<hidden>` for a token in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a record whose arguments do not fit its message: left to logging
            return True
        if "/board/" in message:
            record.msg, record.args = _TOKEN_IN_TEXT.sub(r"\1<hidden>", message), None
        return True


class Limiter:
    """At most `per_minute` requests per key in any 60 s (a sliding window), in this process."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, per_minute: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= MAX_KEYS:
                    self._forget_idle(now)
                hits = self._hits[key] = deque()
            while hits and now - hits[0] >= 60.0:
                hits.popleft()
            if len(hits) >= per_minute:
                return False
            hits.append(now)
            return True

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or now - h[-1] >= 60.0]:
            del self._hits[key]


def install(server: Flask, ctx: AppContext) -> None:
    masker = MaskTokens()
    for name in (*MASKED_LOGGERS, server.logger.name):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskTokens) for f in logger.filters):
            logger.addFilter(masker)
    limiter = Limiter()
    server.config["SCC_BOARD_LIMITER"] = limiter
    settings = ctx.settings
    limits = settings.boards.limits

    def opened(token: str) -> tuple[boards.Link, Board] | Response:
        """The link and board a request may see, or the answer that it may not."""
        if not limiter.allow("addr:" + client_addr(request), limits.per_address_per_minute):
            return _refused(429, "too many requests")
        link = boards.lookup(ctx.engine, token)
        board = settings.boards.board_of(link.skpd_code) if link else None
        if link is None or board is None:  # a link of a board taken out of boards.yaml is no link either
            return _refused(404, "no such board")
        if link.revoked:
            return _refused(410, "revoked")
        if not limiter.allow(f"link:{link.id}", limits.per_link_per_minute):
            return _refused(429, "too many requests")
        boards.seen(ctx.engine, link)
        return link, board

    @server.get("/board/<token>")
    def board_page(token: str) -> Any:
        found = opened(token)
        if isinstance(found, Response):
            status = found.status_code
            html = render_template("boards.html", doc=None, status=status, refresh_s=settings.boards.refresh_s)
            return _headers(Response(html, status=status, mimetype="text/html"))
        doc = document(ctx, found[1])
        html = render_template("boards.html", doc=doc, status=200, refresh_s=settings.boards.refresh_s)
        return _headers(Response(html, mimetype="text/html"))

    @server.get("/board/<token>/data")
    def board_data(token: str) -> Any:
        found = opened(token)
        if isinstance(found, Response):
            return _headers(found)
        return _headers(jsonify(document(ctx, found[1])))


def document(ctx: AppContext, board: Board, now: datetime | None = None) -> dict[str, Any]:
    """What the TV shows, in words ready to print; ages also in seconds, for the TV to count on while the
    server does not answer."""
    settings = ctx.settings
    now = now or utcnow()
    unit = settings.skpd_by_code[board.skpd]
    notice = board_queries.announcement(ctx.engine, board.skpd)
    figures = []
    for f in board_queries.figures(ctx.engine, settings, board, now):
        age = f.age(now)
        figures.append(
            {
                "role": f.role,
                "label": f.label,
                "value": None if f.value is None else board_queries.number(f.value, f.unit),
                "state": f.state(now),
                "age_s": None if age is None else int(age.total_seconds()),
                "stale_after_s": int(f.stale_after.total_seconds()),
                "age": board_queries.age_words(age) if f.value is not None else _none_words(f.role, f.at),
            }
        )
    return {
        "ok": True,
        "title": board.title or unit.name,
        "unit": unit.name,
        "now_ms": int(now.timestamp() * 1000),
        "refresh_s": settings.boards.refresh_s,
        "hours": board_queries.hours(settings, board, now),
        "announcement": None
        if notice is None
        else {"text": notice[0], "age": board_queries.age_words(now - notice[1])},
        "figures": figures,
    }


def _none_words(role: str, at: datetime | None) -> str:
    return "belum ada laporan hari ini" if at is not None else "belum pernah dilaporkan"


def _refused(status: int, error: str) -> Response:
    response = jsonify(error=error)
    response.status_code = status
    if status == 429:
        response.headers["Retry-After"] = "10"
    return response


def _headers(response: Response) -> Response:
    # The token is in the address: no cache keeps the page, and no request elsewhere is told where it came from.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response
