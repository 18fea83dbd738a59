"""Many rows through one compiled INSERT, as plain tuples: the hot paths of ingest and the call-log import.

SQLAlchemy's per-row parameter processing was about half of an ingest batch's
storage time in a profile. Here the statement is compiled once and the rows go
to the driver as they are, except the values of typed columns (timestamps),
which go through their column type's processing for this dialect, so a row
written here is stored byte for byte as SQLAlchemy stores it everywhere else
and compares equal to the same moment in any query.

Rows can also go many to a statement (`per_statement`): SQLite evaluates a CHECK
constraint's IN-list (every status column has one) once per statement, so one
row per statement spent two thirds of its time there on a table with two status
columns; 200 rows per statement spent a sixth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Insert, bindparam

# The most parameters a statement may carry: SQLite's limit since 3.32 (PostgreSQL's is 65,535).
MAX_PARAMETERS = 32_766


def to_db(conn: Connection, column: Column[Any]) -> Callable[[Any], Any]:
    """What the driver is given for a value of `column` on this connection's dialect.

    The column's own type's processor (`column.type.bind_processor`) is not enough for a TypeDecorator:
    it applies the decorator but not its implementation's processing for the dialect, so on SQLite an
    aware datetime reached the driver as-is and was stored as '... 02:00:00+00:00' where SQLAlchemy
    stores '... 02:00:00.000000'; the two texts differ, and equality and range tests on them disagree."""
    processor = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return processor or (lambda value: value)


def insert_many(
    conn: Connection,
    stmt: Insert,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    per_statement: int = 1,
) -> int:
    """Execute `stmt` for every row (values in `columns` order, already as the driver takes them);
    the rows inserted (both drivers sum an executemany's; a row skipped on conflict counts none).

    With `per_statement` > 1, rows go that many to a statement (fewer if that would pass
    MAX_PARAMETERS), and what is left over one to a statement; every column with a default must then
    be among `columns`."""
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(columns))
    size = min(per_statement, MAX_PARAMETERS // max(len(columns), 1))
    whole = len(rows) - len(rows) % size if size > 1 else 0
    done = 0
    if whole:
        sql, order = _many_rows(conn.dialect, stmt, str(compiled), tuple(columns), size)
        for start in range(0, whole, size):
            chunk = rows[start : start + size]
            if isinstance(order, dict):
                params: Any = {name: chunk[i][j] for name, (i, j) in order.items()}
            elif order == list(range(len(columns))):
                params = tuple(chain.from_iterable(chunk))
            else:
                params = tuple([row[j] for row in chunk for j in order])
            done += int(conn.exec_driver_sql(sql, params).rowcount)
    rest = rows[whole:]
    if not rest:
        return done
    if compiled.positional:
        order_1 = [columns.index(name) for name in compiled.positiontup or ()]
        result = conn.exec_driver_sql(str(compiled), [tuple(row[i] for i in order_1) for row in rest])
    else:
        result = conn.exec_driver_sql(str(compiled), [dict(zip(columns, row, strict=True)) for row in rest])
    return done + int(result.rowcount)


# Where a statement's parameters come from: each row's columns in the driver's order (the same in every
# row), or (row, column) by name.
_Order = list[int] | dict[str, tuple[int, int]]
# Statements of many rows, by dialect, the one-row statement's text, columns and rows: the same
# table's inserts are new objects every time, and a statement of 200 rows takes SQLAlchemy some 50 ms.
_compiled: dict[tuple[str, str, tuple[str, ...], int], tuple[str, _Order]] = {}


def _many_rows(dialect: Dialect, stmt: Insert, one_row: str, columns: tuple[str, ...], size: int) -> tuple[str, _Order]:
    """`stmt` with `size` rows of VALUES, and where its parameters come from."""
    key = (dialect.name, one_row, columns, size)
    if key in _compiled:
        return _compiled[key]
    names = {f"r{i}_{column}": (i, j) for i in range(size) for j, column in enumerate(columns)}
    many = stmt.values([{column: bindparam(f"r{i}_{column}") for column in columns} for i in range(size)])
    compiled = many.compile(dialect=dialect)
    given = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    missing = [name for name in given if name not in names]
    if missing:
        raise ValueError(f"rows many to a statement need every column with a default: {missing[0]}")
    if not compiled.positional:
        order: _Order = names
    else:
        places = [names[name] for name in given]
        order = [j for i, j in places[: len(columns)]]
        assert places == [(i, j) for i in range(size) for j in order], "VALUES compiled row by row"
    if len(_compiled) >= 64:
        _compiled.clear()
    _compiled[key] = (str(compiled), order)
    return _compiled[key]
