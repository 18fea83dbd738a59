"""The database's part of a backup: a consistent copy out, and back in, on SQLite and PostgreSQL.

Whether the installation runs is told from its own health records (scc.health), the one place every
process of it reports to, on either backend and from any machine: a heartbeat that is not yet
overdue, and not older than the supervisor's record of a clean stop, is a process that still works
on this database. A process killed outright stops beating and counts as stopped once its beat is
overdue (HEARTBEAT_MISSES intervals, 15 s for most).
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import make_url

from . import health
from .clock import utcnow
from .storage import connect
from .storage.db import MIGRATIONS
from .storage.platform import heartbeats, process_state

# Rows that describe the processes of one run, not the regency's data: they neither make a database
# "hold data" nor survive a restore (they would show the old run's processes as this one's).
_RUN_STATE = {"alembic_version", process_state.name, heartbeats.name}
# libpq's names for what a SQLAlchemy URL may carry in its query string.
_PG_QUERY_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
}


class BackupError(Exception):
    """A backup or restore that cannot be done, said in words for the person running it."""


class Database:
    """The installation's database, by its URL."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.backend = self.url.get_backend_name()
        if self.backend not in ("sqlite", "postgresql"):
            raise BackupError(f"cannot back up a {self.backend} database")
        self.member = "database/scc.sqlite3" if self.backend == "sqlite" else "database/scc.pgdump"
        self.safe_url = self.url.render_as_string(hide_password=True)

    # -- out ----------------------------------------------------------------------------------------------------

    def dump(self, out: Path) -> list[str]:
        """A consistent copy into `out`; returns the Alembic revision it is at."""
        if self.backend == "sqlite":
            return self._sqlite_dump(out)
        revision = self._revision()
        self._pg("pg_dump", "--format=custom", "--lock-wait-timeout=60s", f"--file={out}")
        os.chmod(out, 0o600)
        return revision

    def _sqlite_dump(self, out: Path) -> list[str]:
        path = self._sqlite_path()
        if not path.is_file():
            raise BackupError(f"there is no database at {path}: nothing to back up (is SCC_DATA_DIR right?)")
        src = sqlite3.connect(path, timeout=30)
        try:
            dst = sqlite3.connect(out)
            try:
                # All pages in one step: one read transaction, one snapshot; in WAL mode it blocks no writer.
                # (Step by step, every commit in between would start the copy over.)
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file; storage turns WAL on again
                verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
                if verdict != "ok":
                    raise BackupError(f"the copy of the database fails SQLite's check: {verdict}")
                has_version = dst.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone()
                rows = dst.execute("SELECT version_num FROM alembic_version").fetchall() if has_version else []
            finally:
                dst.close()
        finally:
            src.close()
        os.chmod(out, 0o600)
        return sorted(r[0] for r in rows)

    def _revision(self) -> list[str]:
        engine = self._engine()
        try:
            with engine.connect() as conn:
                if "alembic_version" not in inspect(conn).get_table_names():
                    return []
                return sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        finally:
            engine.dispose()

    # -- checks before a restore --------------------------------------------------------------------------------

    def check_revision(self, revision: list[str]) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
        unknown = sorted(set(revision) - known)
        if unknown:
            raise BackupError(
                f"the archive's database is at revision {', '.join(unknown)}, which this version does not know: "
                "restore it with the version of the command center that made it (its manifest.json says which)"
            )

    def check_stopped(self) -> None:
        if not self._exists():
            return
        engine = self._engine()
        try:
            with engine.connect() as conn:
                tables = set(inspect(conn).get_table_names())
                if not {heartbeats.name, process_state.name} <= tables:
                    return
                beats = conn.execute(select(heartbeats.c.name, heartbeats.c.beat_at, heartbeats.c.interval_s)).all()
                supervisor = conn.execute(
                    select(process_state.c.status, process_state.c.updated_at).where(
                        process_state.c.name == "supervisor"
                    )
                ).first()
        finally:
            engine.dispose()
        now = utcnow()
        stopped_at = supervisor.updated_at if supervisor is not None and supervisor.status == "stopped" else None
        working = sorted(
            (b.name, int((now - b.beat_at).total_seconds()))
            for b in beats
            if now - b.beat_at <= timedelta(seconds=health.HEARTBEAT_MISSES * b.interval_s)
            and (stopped_at is None or b.beat_at > stopped_at)
        )
        if working:
            which = ", ".join(f"{name} (beat {age} s ago)" for name, age in working)
            raise BackupError(
                f"the installation is running: {which}. Stop `scc run` (and any process started on its own) "
                "first; a process that was killed counts as stopped once its heartbeat is overdue"
            )

    def check_empty(self) -> None:
        if not self._exists():
            return
        engine = self._engine()
        try:
            with engine.connect() as conn:
                for table in sorted(set(inspect(conn).get_table_names()) - _RUN_STATE):
                    quoted = conn.dialect.identifier_preparer.quote(table)
                    if conn.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first() is not None:
                        raise BackupError(
                            f"the database {self.safe_url} already holds data (table {table}); "
                            "add --force to replace it with the archive's"
                        )
        finally:
            engine.dispose()

    # -- in -----------------------------------------------------------------------------------------------------

    def load(self, copy: Path) -> None:
        """Replace the database with `copy` (as `dump` wrote it); the old run's health rows go."""
        if self.backend == "sqlite":
            target = self._sqlite_path()
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.restoring")
            move_private(copy, partial)
            # The replaced database's write-ahead log would be replayed into the restored one.
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(partial, target)
        else:
            self._pg(
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",  # the URL's user owns what it restores, whoever owned it where the dump was made
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={self.url.database}",
                str(copy),
            )
        engine = self._engine()
        try:
            health.forget_all(engine)
        finally:
            engine.dispose()

    # -- helpers ------------------------------------------------------------------------------------------------

    def _engine(self) -> Engine:
        return connect(self.url.render_as_string(hide_password=False), pooled=False)

    def _sqlite_path(self) -> Path:
        if not self.url.database or self.url.database == ":memory:":
            raise BackupError("the database is in memory: there is nothing on disk to back up or restore")
        return Path(self.url.database)

    def _exists(self) -> bool:
        return self.backend != "sqlite" or self._sqlite_path().is_file()

    def _pg(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [_pg_tool(tool), "--no-password", *args],
            env=self._pg_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            said = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise BackupError(f"{tool} failed (exit {done.returncode}) for {self.safe_url}:\n{said}")

    def _pg_env(self) -> dict[str, str]:
        """The URL's parts as libpq's variables: the password never shows on a command line (ps) or in a log."""
        env = dict(os.environ)
        url = self.url
        parts = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username, "PGDATABASE": url.database}
        parts["PGPASSWORD"] = url.password
        for key, value in url.query.items():
            if key not in _PG_QUERY_ENV:
                raise BackupError(f"the database URL's option {key!r} cannot be passed on to pg_dump/pg_restore")
            parts[_PG_QUERY_ENV[key]] = value if isinstance(value, str) else value[-1]
        env.update({name: str(value) for name, value in parts.items() if value is not None and value != ""})
        return env


def move_private(source: Path, target: Path) -> None:
    """`source` to `target`, readable by its owner only from the first byte: a rename where one
    filesystem holds both, else a copy."""
    try:
        os.replace(source, target)
    except OSError:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
    os.chmod(target, 0o600)


def _pg_tool(name: str) -> str:
    on_path = shutil.which(name)
    if on_path:
        return on_path

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(p) for p in Path(path).parent.parent.name.split(".") if p.isdigit())

    found = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if found:
        return max(found, key=version)
    raise BackupError(
        f"{name} was found neither on PATH nor under /usr/lib/postgresql/*/bin: "
        "install PostgreSQL's client programs (Debian: apt install postgresql-client)"
    )
