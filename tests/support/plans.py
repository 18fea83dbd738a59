"""Which queries a piece of code runs, and which of them the database answers by reading a table whole."""

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
    """(statement, plan step) for every step of the database's plan that reads one of `tables` whole.

    SQLite: a SCAN of the table or of any of its indexes (a covering index read end to end is still every
    row), unless running the statement takes fewer virtual-machine steps than the table has rows: an index
    walked in the order asked, stopped by a LIMIT (the newest 8 incidents), reads a few rows, not all.

    PostgreSQL: a Seq Scan of the table, or an index scan with no condition (the whole index walked for its
    order), that went through as many rows as the table holds when the statement ran (EXPLAIN ANALYZE). The
    tables are vacuumed and analysed first, as autovacuum keeps them in service, so the planner knows their
    sizes and what an index alone can answer. With true figures it reads a large table whole only where no
    index fits the query or the query wants most of the table, so the history the caller laid down must be
    long beside the widest window a query asks for. A table of a few pages is read whole whatever its
    indexes, being cheapest so, and tells nothing."""
    big = tuple(tables)
    if engine.dialect.name == "postgresql":
        return _whole_reads_pg(engine, statements, big)
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


# Below about this many pages (8 kB each) PostgreSQL's costs make reading a table whole cheaper than an
# index that fits.
PG_SMALL_PAGES = 10


def _whole_reads_pg(engine: Engine, statements: Iterable[tuple[str, Any]], tables: tuple[str, ...]) -> list[tuple]:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(tables)}")
    with engine.connect() as conn:
        large = {
            name: conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
            for (name,) in conn.exec_driver_sql(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND relpages >= %(pages)s AND relname = ANY(%(t)s) "
                "AND pg_table_is_visible(oid)",
                {"pages": PG_SMALL_PAGES, "t": list(tables)},
            )
        }
        found = []
        for statement, parameters in statements:
            explained = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).scalar_one()
            for node in _pg_nodes(explained[0]["Plan"]):
                table = node.get("Relation Name")
                whole = node["Node Type"] == "Seq Scan" or (
                    node["Node Type"] in ("Index Scan", "Index Only Scan") and "Index Cond" not in node
                )
                if table not in large or not whole:
                    continue
                # Per loop (a parallel scan's workers are loops too), each figure an average rounded to a row.
                loops = node["Actual Loops"]
                read = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * loops
                if large[table] and read + loops >= large[table]:
                    found.append((statement, _pg_step(node, read)))
        conn.rollback()  # EXPLAIN ANALYZE ran the statements: nothing of theirs is kept
    return found


def _pg_nodes(plan: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _pg_nodes(child)


def _pg_step(node: dict[str, Any], read: float) -> str:
    how = node["Node Type"] + (f" using {node['Index Name']}" if "Index Name" in node else "")
    where = f" (filter: {node['Filter']})" if "Filter" in node else ""
    return f"{how} on {node['Relation Name']}: {read:.0f} rows read{where}"


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
