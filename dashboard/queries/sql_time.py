"""A stored time in SQL, in each database's own dialect: minutes between two, the WITA hour of day, the
start of a WITA-aligned bucket. Done by the database, so that a year's rows are grouped there and only
the groups come back.

SQLite keeps a time as text to the microsecond and its time functions round it to the millisecond:
23.59.59.9997 would read as the next day's midnight. Its text is cut to whole seconds first, which is what
PostgreSQL's floor of the epoch does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Float, Integer, cast, extract, func, literal_column

WITA_OFFSET_S = 8 * 3600  # Asia/Makassar has kept UTC+8 without summer time since 1970


def minutes_between(conn: Connection, later: Any, earlier: Any) -> ColumnElement[Any]:
    """Minutes between two stored times (no datetime parsed in Python)."""
    if conn.dialect.name == "postgresql":
        return cast(extract("epoch", later - earlier), Float) / 60.0
    return (func.julianday(later) - func.julianday(earlier)) * 1440.0


def wita_hour(conn: Connection, column: Any) -> ColumnElement[Any]:
    """The WITA hour of day (0-23) of a stored UTC time. Literal texts, so PostgreSQL sees one expression
    in SELECT and GROUP BY."""
    if conn.dialect.name == "postgresql":
        return cast(extract("hour", func.timezone(literal_column("'Asia/Makassar'"), column)), Integer)
    return cast(func.strftime(literal_column("'%H'"), _whole_seconds(column), literal_column("'+8 hours'")), Integer)


def wita_bucket(conn: Connection, column: Any, size: int) -> ColumnElement[Any]:
    """The start (epoch seconds, UTC) of the bucket of `size` seconds, aligned to WITA, holding `column`.
    Literal numbers, so PostgreSQL sees the same expression in SELECT and GROUP BY."""
    offset: ColumnElement[int] = literal_column(str(WITA_OFFSET_S), Integer)
    width: ColumnElement[int] = literal_column(str(int(size)), Integer)
    if conn.dialect.name == "postgresql":
        epoch: ColumnElement[Any] = func.floor(extract("epoch", column))
        return func.floor((epoch + offset) / width) * width - offset
    seconds = cast(func.strftime("%s", _whole_seconds(column)), Integer)
    return (seconds + offset) // width * width - offset  # integer division of positive numbers


def _whole_seconds(column: Any) -> ColumnElement[Any]:
    """SQLite's text of a stored time, `YYYY-MM-DD HH:MM:SS`, without its fraction."""
    return func.substr(column, 1, 19)
