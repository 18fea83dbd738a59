"""Signed-in sessions and the brake on password guessing.

A session is a row with a random id; the signed cookie carries only that id.
It ends at sign-out, when its fixed lifetime (one shift) is over however
busy the wall keeps it, or when the user is disabled or their password reset.

Every refused sign-in is also counted for the admin (scc/refusals.py): by
account when the name exists, by address when it does not.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import Engine, and_, delete, func, select, text

from . import audit, refusals
from .clock import utcnow
from .storage.platform import RefusalReason, login_attempts, sessions, users
from .users import User, UserError, from_row
from .users import change_own_password as _set_own_password


def open_session(engine: Engine, user: User, hours: int, remote_addr: str | None = None) -> str:
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.expires_at < now))
        conn.execute(
            sessions.insert().values(
                id=sid,
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
                remote_addr=remote_addr,
            )
        )
    return sid


def session_user(engine: Engine, sid: str) -> User | None:
    """The active user of a live session, or None."""
    query = (
        select(users)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.id == sid, sessions.c.expires_at > utcnow(), users.c.active.is_(True))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return from_row(row) if row else None


def close_session(engine: Engine, sid: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.id == sid))


def attempt(engine: Engine, username: str, remote_addr: str, max_failures: int, window_s: int) -> int | None:
    """Count a sign-in attempt before checking the password.

    Returns the attempt's id, or None when this user from this address (or the
    address across user names) failed too often lately; that is audited once per
    window and address. Recording first and counting after means parallel
    guesses cannot all slip under the limit.
    """
    now = utcnow()
    username, remote_addr = username[:64], remote_addr[:64]  # the columns' width
    failed = and_(
        login_attempts.c.success.is_(False),
        login_attempts.c.remote_addr == remote_addr,
        login_attempts.c.at >= now - timedelta(seconds=window_s),
    )
    with engine.begin() as conn:
        # One address's attempts are counted one at a time. Without this lock,
        # PostgreSQL hands out ids in one order and commits them in another, so
        # two parallel guesses can each miss the other and both pass the limit.
        # SQLite's single writer already serialises the transaction.
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "signin:" + remote_addr})
        # Old attempts say nothing any more; without this the table grows with every guess.
        conn.execute(delete(login_attempts).where(login_attempts.c.at < now - timedelta(days=1)))
        inserted = conn.execute(
            login_attempts.insert().values(at=now, username=username, remote_addr=remote_addr, success=False)
        ).inserted_primary_key
        attempt_id: int = inserted[0] if inserted else 0
        per_user = conn.scalar(select(func.count()).where(failed, login_attempts.c.username == username))
        per_addr = conn.scalar(select(func.count()).where(failed))
    if (per_user or 0) > max_failures or (per_addr or 0) > 4 * max_failures:
        with engine.begin() as conn:  # audited once per window and address: a stream of guesses is one row
            audit.record_once(conn, username, "auth.throttled", username, remote_addr, timedelta(seconds=window_s))
        refused(engine, username, remote_addr, "throttled")
        return None
    return attempt_id


def refused(engine: Engine, username: str, remote_addr: str, reason: RefusalReason | None = None) -> None:
    """Count a refused sign-in for the admin; without a `reason`, whichever of unknown account,
    disabled account or wrong password it was (the user is told none of this)."""
    with engine.connect() as conn:
        active = conn.scalar(select(users.c.active).where(users.c.username == username[:64]))
    known = active is not None and len(username) <= 64
    if reason is None:
        reason = "unknown_account" if not known else "password" if active else "disabled"
    if known:
        row = refusals.refusal("web", "signin", reason, username, remote_addr, detail=remote_addr)
    else:
        row = refusals.refusal("web", "signin", reason, refusals.UNKNOWN, remote_addr, detail=username)
    refusals.record(engine, [row])


def change_own_password(
    engine: Engine,
    username: str,
    current: str,
    new: str,
    *,
    keep_session: str,
    remote_addr: str,
    max_failures: int,
    window_s: int,
) -> None:
    """A signed-in user's own password change, under the same brake as sign-in:
    a session left open on a wall screen is no way to guess its password."""
    attempt_id = attempt(engine, username, remote_addr, max_failures, window_s)
    if attempt_id is None:
        raise UserError("throttled", "too many failed attempts", minutes=max(1, window_s // 60))
    try:
        _set_own_password(engine, username, current, new, keep_session=keep_session)
    except UserError as exc:
        if exc.code == "password_wrong":
            with engine.begin() as conn:
                audit.record(conn, username, "user.change_password_failed", username, remote_addr=remote_addr)
            refused(engine, username, remote_addr, "password")
            raise
        succeeded(engine, attempt_id, username, remote_addr)  # the current password was right
        raise
    succeeded(engine, attempt_id, username, remote_addr)


def succeeded(engine: Engine, attempt_id: int, username: str, remote_addr: str) -> None:
    """A good password clears that user's failures from that address."""
    with engine.begin() as conn:
        conn.execute(login_attempts.update().where(login_attempts.c.id == attempt_id).values(success=True))
        conn.execute(
            delete(login_attempts).where(
                login_attempts.c.username == username[:64],
                login_attempts.c.remote_addr == remote_addr[:64],
                login_attempts.c.success.is_(False),
            )
        )
