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
from typing import Any, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select

from . import audit
from .clock import utcnow
from .storage.platform import Language, Role, sessions, users

ROLES: tuple[Role, ...] = get_args(Role)
LANGUAGES: tuple[Language, ...] = get_args(Language)
MIN_PASSWORD = 10
MAX_PASSWORD = 256  # argon2 hashes any length; a huge one would only burn CPU
MAX_NAME = 200
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of
# "no such user" and "wrong password" the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    """A user operation that cannot be done. `code` names the reason so the
    dashboard can say it in the admin's language; str() is the English text."""

    def __init__(self, code: str, message: str, **params: object):
        self.code = code
        self.params = params
        super().__init__(message)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: str
    skpd_code: str | None
    language: str
    active: bool
    kiosk: bool = False
    alert_sound: bool = False


def from_row(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        full_name=row.full_name,
        role=row.role,
        skpd_code=row.skpd_code,
        language=row.language,
        active=row.active,
        kiosk=row.kiosk,
        alert_sound=row.alert_sound,
    )


def new_password() -> str:
    return secrets.token_urlsafe(12)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError("password_short", f"password must have at least {MIN_PASSWORD} characters", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise UserError("password_long", f"password must have at most {MAX_PASSWORD} characters", n=MAX_PASSWORD)


def create_user(
    engine: Engine,
    *,
    username: str,
    role: str,
    actor: str,
    password: str | None = None,
    skpd_code: str | None = None,
    full_name: str = "",
    language: str = "id",
    known_skpd: set[str] | None = None,
) -> tuple[User, str]:
    """Create a user; returns the user and the password (generated when not given)."""
    if not _USERNAME.match(username):
        raise UserError(
            "username_invalid", "username must be 2-64 characters: lowercase letters, digits, '.', '_' or '-'"
        )
    if role not in ROLES:
        raise UserError("role_invalid", f"role must be one of {', '.join(ROLES)}")
    if role == "skpd":
        if not skpd_code:
            raise UserError("skpd_required", "an skpd user must be bound to one SKPD code")
        if known_skpd is not None and skpd_code not in known_skpd:
            raise UserError("skpd_unknown", f"unknown SKPD code {skpd_code!r}", skpd=skpd_code)
    elif skpd_code:
        raise UserError("skpd_not_allowed", "only users with role skpd are bound to an SKPD")
    if language not in LANGUAGES:
        raise UserError("language_invalid", f"language must be one of {', '.join(LANGUAGES)}")
    if len(full_name) > MAX_NAME:
        raise UserError("name_long", f"full name is longer than {MAX_NAME} characters", n=MAX_NAME)
    password = password or new_password()
    _check_password(password)
    now = utcnow()
    with engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise UserError("exists", f"user {username!r} already exists", user=username)
        conn.execute(
            users.insert().values(
                username=username,
                full_name=full_name,
                role=role,
                skpd_code=skpd_code,
                password_hash=_hasher.hash(password),
                language=language,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
        audit.record(conn, actor, "user.create", username, {"role": role, "skpd": skpd_code})
        created = from_row(conn.execute(select(users).where(users.c.username == username)).one())
    return created, password


def get_by_username(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    return from_row(row) if row else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [from_row(r) for r in conn.execute(select(users).order_by(users.c.username))]


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
    return from_row(row)


def _update(
    engine: Engine,
    username: str,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
    end_sessions: bool = False,
    **values: Any,
) -> None:
    with engine.begin() as conn:
        user_id = conn.scalar(select(users.c.id).where(users.c.username == username))
        if user_id is None:
            raise UserError("no_user", f"no user {username!r}", user=username)
        conn.execute(users.update().where(users.c.id == user_id).values(updated_at=utcnow(), **values))
        if end_sessions:
            conn.execute(sessions.delete().where(sessions.c.user_id == user_id))
        audit.record(conn, actor, action, username, detail)


def set_active(engine: Engine, username: str, active: bool, actor: str) -> None:
    """Enable or disable; disabling ends the user's sessions at once."""
    if not active and actor == username:
        raise UserError("disable_self", "you cannot disable your own account")
    _update(
        engine, username, actor, "user.enable" if active else "user.disable", active=active, end_sessions=not active
    )


def reset_password(engine: Engine, username: str, actor: str, password: str | None = None) -> str:
    """Set a new password (random unless given); the user's sessions end."""
    password = password or new_password()
    _check_password(password)
    _update(engine, username, actor, "user.reset_password", password_hash=_hasher.hash(password), end_sessions=True)
    return password


def change_own_password(engine: Engine, username: str, current: str, new: str, keep_session: str) -> None:
    """A user sets their own password: the current one is required, and every
    other session of theirs ends (a forgotten sign-in elsewhere, a copied cookie)."""
    if len(current) > MAX_PASSWORD or authenticate(engine, username, current) is None:
        raise UserError("password_wrong", "the current password is wrong")
    _check_password(new)
    with engine.begin() as conn:
        user_id = conn.scalar(select(users.c.id).where(users.c.username == username))
        conn.execute(
            users.update().where(users.c.id == user_id).values(password_hash=_hasher.hash(new), updated_at=utcnow())
        )
        conn.execute(sessions.delete().where(sessions.c.user_id == user_id, sessions.c.id != keep_session))
        audit.record(conn, username, "user.change_password", username)


def set_language(engine: Engine, username: str, language: str, actor: str) -> None:
    if language not in LANGUAGES:
        raise UserError("language_invalid", f"language must be one of {', '.join(LANGUAGES)}")
    _update(engine, username, actor, "user.language", {"language": language}, language=language)


def set_kiosk(engine: Engine, username: str, kiosk: bool, actor: str) -> None:
    """A wall account: every page opens in kiosk mode (no navigation, no scrollbar)."""
    _update(engine, username, actor, "user.kiosk", {"kiosk": kiosk}, kiosk=kiosk)


def set_alert_sound(engine: Engine, username: str, on: bool, actor: str) -> None:
    """The user's screens sound a tone for a new critical alert, again at each re-notify, until acknowledged."""
    _update(engine, username, actor, "user.alert_sound", {"alert_sound": on}, alert_sound=on)


def ensure_admin(engine: Engine, password: str | None = None, language: str = "id") -> str | None:
    """Create user 'admin' when no admin exists; returns its password then, else None."""
    with engine.connect() as conn:
        if conn.execute(select(users.c.id).where(users.c.role == "admin")).first():
            return None
    _, password = create_user(
        engine,
        username="admin",
        role="admin",
        actor="system",
        password=password,
        full_name="Administrator",
        language=language,
    )
    return password
