"""The public boards' links and announcements: made, revoked and set here, each write audited with it.

A display link is `/board/<token>`: 32 random bytes (43 URL-safe characters), shown once to whoever makes
it. Only the token's SHA-256 is stored (scc/storage/boards.py), so nobody can read a working link back out of
the database, a backup or the audit log; a token is unguessable, so its hash is as good a signature as an
HMAC would be, without tying every TV in the regency to the server's secret key (rotating that key signs
everyone out, and must not also blank the lobbies). An admin manages any unit's board; a unit's SKPD staff
only their own; nobody else anything (docs/design.md §3.9).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from . import audit
from .clock import as_utc, utcnow
from .settings import Settings
from .storage.boards import board_announcements, board_links

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
MAX_LABEL = 80
SEEN_EVERY = timedelta(minutes=1)  # a TV's refresh writes its last_seen_at no more often
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # a line break is kept, other control characters not


class BoardError(ValueError):
    """A board operation that cannot be done; `code` names the reason for the page's own words."""

    def __init__(self, code: str, message: str, **params: object):
        self.code = code
        self.params = params
        super().__init__(message)


@dataclass(frozen=True)
class Actor:
    """Who asks: a signed-in user's name, role and unit, and the address the request came from."""

    username: str
    role: str
    skpd_code: str | None
    addr: str | None = None


@dataclass(frozen=True)
class Link:
    """A display link as the server knows it after a TV asked with its token."""

    id: int
    skpd_code: str
    revoked: bool
    last_seen_at: datetime | None


def may_manage(role: str, own_unit: str | None, unit: str) -> bool:
    """Whether a user may make and revoke `unit`'s links and set its announcement."""
    return role == "admin" or (role == "skpd" and own_unit == unit)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def create_link(engine: Engine, settings: Settings, unit: str, label: str, actor: Actor) -> tuple[int, str]:
    """A new display link of `unit`'s board: (its id, its token). The token is never stored nor shown again."""
    _check(settings, unit, actor)
    label = _CONTROL.sub("", label).strip()
    if not label:
        raise BoardError("label_missing", "say where the TV stands")
    if len(label) > MAX_LABEL:
        raise BoardError("label_long", f"at most {MAX_LABEL} characters", n=MAX_LABEL)
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        row = board_links.insert().values(
            skpd_code=unit, token_hash=token_hash(token), label=label, created_by=actor.username, created_at=utcnow()
        )
        key: Any = conn.execute(row).inserted_primary_key
        link_id = int(key[0])
        audit.record(conn, actor.username, "boards.link_created", unit, {"link": link_id, "label": label}, actor.addr)
    return link_id, token


def revoke_link(engine: Engine, settings: Settings, link_id: int, actor: Actor) -> bool:
    """Revoke a link; False when it was revoked already. A link of a unit the actor may not manage, or none
    at all, is a BoardError, the same for both, so a unit's staff learn nothing of another's links."""
    with engine.begin() as conn:
        row = conn.execute(select(board_links).where(board_links.c.id == link_id)).first()
        if row is None or not may_manage(actor.role, actor.skpd_code, row.skpd_code):
            raise BoardError("no_link", f"no link {link_id} of a unit you manage")
        if row.revoked_at is not None:
            return False
        conn.execute(
            update(board_links)
            .where(board_links.c.id == link_id, board_links.c.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_by=actor.username)
        )
        audit.record(
            conn, actor.username, "boards.link_revoked", row.skpd_code, {"link": link_id, "label": row.label},
            actor.addr,
        )  # fmt: skip
    return True


def set_announcement(engine: Engine, settings: Settings, unit: str, text: str, actor: Actor) -> str:
    """Set (or with an empty text, clear) `unit`'s announcement; returns the text as stored."""
    _check(settings, unit, actor)
    text = "\n".join(line.strip() for line in _CONTROL.sub("", text).strip().splitlines())
    limit = settings.boards.announcement_chars
    if len(text) > limit:
        raise BoardError("announcement_long", f"at most {limit} characters", n=limit)
    now = utcnow()
    with engine.begin() as conn:
        done = conn.execute(
            update(board_announcements)
            .where(board_announcements.c.skpd_code == unit)
            .values(text=text, set_by=actor.username, set_at=now)
        ).rowcount
        if not done:
            conn.execute(board_announcements.insert().values(skpd_code=unit, text=text, set_by=actor.username,
                                                             set_at=now))  # fmt: skip
        audit.record(conn, actor.username, "boards.announcement", unit, {"text": text}, actor.addr)
    return text


def lookup(engine: Engine, token: str) -> Link | None:
    """The link a token opens, revoked or not; None for a token no link ever had."""
    if not TOKEN.fullmatch(token):
        return None
    c = board_links.c
    with engine.connect() as conn:
        row = conn.execute(
            select(c.id, c.skpd_code, c.revoked_at, c.last_seen_at).where(c.token_hash == token_hash(token))
        ).first()
    if row is None:
        return None
    seen = as_utc(row.last_seen_at) if row.last_seen_at else None
    return Link(int(row.id), row.skpd_code, row.revoked_at is not None, seen)


def seen(engine: Engine, link: Link, now: datetime | None = None) -> None:
    """Note that the link's TV asked, at most once per SEEN_EVERY (a write every 10 s of 50 TVs is waste)."""
    now = now or utcnow()
    if link.last_seen_at is not None and now - link.last_seen_at < SEEN_EVERY:
        return
    with engine.begin() as conn:
        conn.execute(update(board_links).where(board_links.c.id == link.id).values(last_seen_at=now))


def _check(settings: Settings, unit: str, actor: Actor) -> None:
    if not may_manage(actor.role, actor.skpd_code, unit):
        raise BoardError("not_allowed", f"{actor.username} may not manage the board of {unit}")
    if settings.boards.board_of(unit) is None:
        raise BoardError("no_board", f"{unit} has no board in config/boards.yaml")
