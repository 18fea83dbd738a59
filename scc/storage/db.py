"""Engines and migrations.

SQLite runs in WAL mode so the web workers read while a worker writes, with
a busy timeout instead of "database is locked" errors under load.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def connect(url: str, *, pooled: bool = True) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout.

    `pooled=False` holds no connection between uses: for a process that forks
    afterwards (gunicorn's master), so that no child inherits a live connection.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            **({} if pooled else {"poolclass": NullPool}),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if not pooled:
        return create_engine(url, poolclass=NullPool)
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest revision (idempotent)."""
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_storage(url: str) -> Engine:
    engine = connect(url)
    migrate(engine)
    return engine
