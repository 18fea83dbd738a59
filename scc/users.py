"""Users, roles and passwords (argon2).

Roles:
- admin: everything, including users and configuration;
- operator: the video wall, calls and metrics;
- viewer: the bupati: sees the regency, changes nothing;
- skpd: staff of exactly one SKPD: that unit's metrics only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, and_, func, select

from . import audit
from .clock import utcnow
from .storage.schema import login_attempts, users

ROLES = ("admin", "operator", "viewer", "skpd")
LANGUAGES = ("id", "en")
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of
# "no such user" and "wrong password" the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    """A user operation that cannot be done, with the reason for the admin."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: str
    skpd_code: str | None
    language: str
    active: bool
    session_version: int


def _to_user(row) -> User:
    return User(id=row.id, username=row.username, full_name=row.full_name, role=row.role,
                skpd_code=row.skpd_code, language=row.language, active=row.active,
                session_version=row.session_version)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")


def create_user(engine: Engine, *, username: str, role: str, actor: str,
                password: str | None = None, skpd_code: str | None = None, full_name: str = "",
                language: str = "id", known_skpd: set[str] | None = None) -> tuple[User, str]:
    """Create a user; returns the user and the password (generated when not given)."""
    if not _USERNAME.match(username):
        raise UserError("username must be 2-64 characters: lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if role == "skpd":
        if not skpd_code:
            raise UserError("an skpd user must be bound to one SKPD code")
        if known_skpd is not None and skpd_code not in known_skpd:
            raise UserError(f"unknown SKPD code {skpd_code!r}")
    elif skpd_code:
        raise UserError("only users with role skpd are bound to an SKPD")
    if language not in LANGUAGES:
        raise UserError(f"language must be one of {', '.join(LANGUAGES)}")
    password = password or new_password()
    _check_password(password)
    now = utcnow()
    with engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise UserError(f"user {username!r} already exists")
        conn.execute(users.insert().values(
            username=username, full_name=full_name, role=role, skpd_code=skpd_code,
            password_hash=_hasher.hash(password), language=language, active=True,
            session_version=1, created_at=now, updated_at=now))
        audit.record(conn, actor, "user.create", username, {"role": role, "skpd": skpd_code})
    return get_by_username(engine, username), password


def get(engine: Engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return _to_user(row) if row else None


def get_by_username(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    return _to_user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_to_user(r) for r in conn.execute(select(users).order_by(users.c.username))]


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The user if the password is right and the account active, else None."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row.active:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == row.id).values(password_hash=_hasher.hash(password)))
    return _to_user(row)


def _update(engine: Engine, username: str, actor: str, action: str, detail: dict | None = None, **values) -> None:
    with engine.begin() as conn:
        done = conn.execute(users.update().where(users.c.username == username)
                            .values(updated_at=utcnow(), **values))
        if done.rowcount == 0:
            raise UserError(f"no user {username!r}")
        audit.record(conn, actor, action, username, detail)


def set_active(engine: Engine, username: str, active: bool, actor: str) -> None:
    if not active and actor == username:
        raise UserError("you cannot disable your own account")
    _update(engine, username, actor, "user.enable" if active else "user.disable",
            active=active, session_version=users.c.session_version + 1)


def reset_password(engine: Engine, username: str, actor: str, password: str | None = None) -> str:
    password = password or new_password()
    _check_password(password)
    _update(engine, username, actor, "user.reset_password",
            password_hash=_hasher.hash(password), session_version=users.c.session_version + 1)
    return password


def set_language(engine: Engine, username: str, language: str, actor: str) -> None:
    if language not in LANGUAGES:
        raise UserError(f"language must be one of {', '.join(LANGUAGES)}")
    _update(engine, username, actor, "user.language", {"language": language}, language=language)


def ensure_admin(engine: Engine, password: str | None = None) -> str | None:
    """Create user 'admin' when no admin exists; returns its password then, else None."""
    with engine.connect() as conn:
        if conn.execute(select(users.c.id).where(users.c.role == "admin")).first():
            return None
    _, password = create_user(engine, username="admin", role="admin", actor="system",
                              password=password, full_name="Administrator")
    return password


# -- failed sign-in throttling ------------------------------------------------------

def record_attempt(engine: Engine, username: str, remote_addr: str, success: bool) -> None:
    with engine.begin() as conn:
        conn.execute(login_attempts.insert().values(
            at=utcnow(), username=username[:64], remote_addr=remote_addr[:64], success=success))
        if success:
            # A good sign-in clears the failures of that user from that address.
            conn.execute(login_attempts.delete().where(and_(
                login_attempts.c.username == username, login_attempts.c.remote_addr == remote_addr,
                login_attempts.c.success.is_(False))))


def is_throttled(engine: Engine, username: str, remote_addr: str, max_failures: int, window_s: int) -> bool:
    """True when this user, from this address, failed too often lately, or the
    address alone is guessing across many user names."""
    since = utcnow() - timedelta(seconds=window_s)
    failed = and_(login_attempts.c.success.is_(False), login_attempts.c.at >= since,
                  login_attempts.c.remote_addr == remote_addr)
    with engine.connect() as conn:
        per_user = conn.scalar(select(func.count()).where(failed, login_attempts.c.username == username))
        per_addr = conn.scalar(select(func.count()).where(failed))
    return per_user >= max_failures or per_addr >= 4 * max_failures
