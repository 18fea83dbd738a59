"""Engines and migrations.

SQLite runs in WAL mode so the web workers read while a worker writes, with
a busy timeout instead of "database is locked" errors under load.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def connect(url: str, *, pooled: bool = True) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout.

    `pooled=False` holds no connection between uses: for a background thread that
    writes now and then (a heartbeat), so it keeps no connection open meanwhile.
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


class UnknownSchema(RuntimeError):
    """The database was made by a schema this version does not know."""


@contextlib.contextmanager
def _one_migrator(engine: Engine) -> Iterator[Connection]:
    """A transaction in which this process alone migrates; the others wait, then find nothing to do.

    Every process opens storage at start, and a supervisor starts several at
    once: two unserialised migrations on a new database both create the first
    table, and one of them fails. The SQLite file lock is taken outside the
    transaction so that it is released only after the commit.
    """
    database = engine.url.database
    on_disk = engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
    lock_path = f"{database}.migrate-lock" if on_disk else None
    with contextlib.ExitStack() as stack:
        if lock_path:
            lock = stack.enter_context(open(lock_path, "a"))
            fcntl.flock(lock, fcntl.LOCK_EX)  # freed when the file closes, after the commit below
        conn = stack.enter_context(engine.begin())
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('scc:migrate'))"))  # freed at commit
        yield conn


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest revision (idempotent, one process at a time)."""
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()}
    with engine.connect() as conn:
        stored = set(MigrationContext.configure(conn).get_current_heads())
    if stored - known:
        # The pre-release schema (revision "0001", before the per-domain migrations) has no
        # upgrade path: Alembic would take "0001" for "0001_platform" and fail halfway.
        raise UnknownSchema(
            f"the database is at revision {', '.join(sorted(stored - known))}, which this version does not know "
            f"(known: {', '.join(sorted(known))}); a database from before the per-domain migrations must be "
            "recreated: move it aside (e.g. var/scc.db) and run `scc setup` again"
        )
    with _one_migrator(engine) as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_storage(url: str) -> Engine:
    engine = connect(url)
    migrate(engine)
    return engine
