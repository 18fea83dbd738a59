"""Many rows through one compiled INSERT, as plain tuples: the hot paths of ingest and the call-log import.

SQLAlchemy's per-row parameter processing was about half of an ingest batch's
storage time in a profile. Here the statement is compiled once and the rows go
to the driver as they are, except the values of typed columns (timestamps),
which go through their column type's processing for this dialect, so a row
written here is stored byte for byte as SQLAlchemy stores it everywhere else
and compares equal to the same moment in any query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Insert


def to_db(conn: Connection, column: Column[Any]) -> Callable[[Any], Any]:
    """What the driver is given for a value of `column` on this connection's dialect.

    The column's own type's processor (`column.type.bind_processor`) is not enough for a TypeDecorator:
    it applies the decorator but not its implementation's processing for the dialect, so on SQLite an
    aware datetime reached the driver as-is and was stored as '... 02:00:00+00:00' where SQLAlchemy
    stores '... 02:00:00.000000'; the two texts differ, and equality and range tests on them disagree."""
    processor = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return processor or (lambda value: value)


def insert_many(conn: Connection, stmt: Insert, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> int:
    """Execute `stmt` for every row (values in `columns` order, already as the driver takes them);
    the rows inserted (both drivers sum an executemany's; a row skipped on conflict counts none)."""
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positional:
        order = [columns.index(name) for name in compiled.positiontup or ()]
        result = conn.exec_driver_sql(str(compiled), [tuple(row[i] for i in order) for row in rows])
    else:
        result = conn.exec_driver_sql(str(compiled), [dict(zip(columns, row, strict=True)) for row in rows])
    return int(result.rowcount)
