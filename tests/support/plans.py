"""Which queries a piece of code runs, and which of them SQLite answers by reading a table whole."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, event


def selects_during(engine: Engine, run: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SELECT statements (with their parameters) `run` sends to `engine`."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return seen


def whole_reads(engine: Engine, statements: Iterable[tuple[str, Any]], tables: Iterable[str]) -> list[tuple]:
    """(statement, plan step) for every step of SQLite's plan that reads one of `tables` whole: a SCAN of
    the table or of any of its indexes (a covering index read end to end is still every row), unless
    running the statement takes fewer virtual-machine steps than the table has rows: an index walked in
    the order asked, stopped by a LIMIT (the newest 8 incidents), reads a few rows, not all."""
    big = tuple(tables)
    found = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters):
                step = str(row[3])
                table = next((t for t in big if step.startswith(f"SCAN {t}")), None)
                if table is None:
                    continue
                rows = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
                if rows and _steps_of(conn, statement, parameters) >= rows:  # an empty table tells nothing
                    found.append((statement, step))
    return found


def _steps_of(conn: Any, statement: str, parameters: Any) -> int:
    """SQLite's virtual-machine steps to run `statement` to its end."""
    raw = conn.connection.dbapi_connection
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    raw.set_progress_handler(tick, 1)
    try:
        cursor = raw.cursor()
        cursor.execute(statement, parameters)
        cursor.fetchall()
    finally:
        raw.set_progress_handler(None, 1)
    return steps[0]


def vm_steps(engine: Engine, run: Callable[[], Any], every: int = 100) -> int:
    """About how many SQLite virtual-machine steps `run`'s queries take (counted `every` steps): a read
    that stays the same when the history doubles does not go through the history, whatever index the
    planner chose (a SEARCH on a column every old row shares reads them all as surely as a SCAN)."""
    ticks = [0]

    def tick() -> int:
        ticks[0] += 1
        return 0  # go on

    def on(dbapi_conn, _record, _proxy):
        dbapi_conn.set_progress_handler(tick, every)

    def off(dbapi_conn, _record):
        dbapi_conn.set_progress_handler(None, every)

    event.listen(engine, "checkout", on)
    event.listen(engine, "checkin", off)
    try:
        run()
    finally:
        event.remove(engine, "checkout", on)
        event.remove(engine, "checkin", off)
    return ticks[0] * every
