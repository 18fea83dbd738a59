"""What every domain's tables share: one MetaData, UTC timestamps, ids, status columns.

Each domain declares its tables in its own module (platform, cameras, metrics,
callcenter) on this one `metadata`, so Alembic sees the whole schema and a
newcomer finds a table in the module named after its capability.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import BigInteger, DateTime, Dialect, Enum, Integer, MetaData, TypeDecorator
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite keeps no offset: a WITA time stored as-is would come back 8 hours
    off. Converting to UTC on the way in, and refusing naive values, keeps
    SQLite and PostgreSQL in agreement.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp without a timezone: {value.isoformat()}")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


UTC = UTCDateTime()
Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only


def status_column_type(literal: Any, name: str) -> Enum:
    """A VARCHAR that the database itself limits to the values of a `Literal` type.

    The Literal is the one list of a domain's statuses: writers, pages and
    tests import it, and the CHECK constraint makes a typo fail at the write.
    """
    values = get_args(literal)
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


class octets(FunctionElement[int]):  # an SQL function, named like one
    """A text's size in bytes (UTF-8), on every backend: SQLite's length() counts characters, and its
    octet_length() came only in 3.43 (Debian 12 has 3.40)."""

    type = Integer()
    inherit_cache = True


@compiles(octets)
def _octet_length(element: octets, compiler: SQLCompiler, **kw: Any) -> str:
    return f"octet_length({compiler.process(element.clauses, **kw)})"


@compiles(octets, "sqlite")
def _blob_length(element: octets, compiler: SQLCompiler, **kw: Any) -> str:
    return f"length(CAST({compiler.process(element.clauses, **kw)} AS BLOB))"
