"""Platform reads for the admin page: users, the audit log, refused access, the health of every process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from scc import audit, health, refusals, users
from scc.settings import Settings


def user_list(engine: Engine) -> list[users.User]:
    return users.list_users(engine)


def audit_entries(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    return audit.recent(engine, limit)


def refusal_list(engine: Engine, limit: int = 200) -> list[refusals.Refusal]:
    return refusals.recent(engine, limit)


def components(engine: Engine) -> list[health.ComponentHealth]:
    return health.read_all(engine)


def database_location(settings: Settings) -> str:
    """The database URL without its password or options (options may carry secrets too)."""
    return make_url(settings.database_url).set(password=None, query={}).render_as_string()
