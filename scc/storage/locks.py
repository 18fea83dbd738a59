"""Making two transactions that would decide on the same reads take turns.

Read-then-write decisions (is a call from this number already open? then link,
else open one) are not protected by a unique key. Two at the same moment
would both read "none" and both write. `take_turns` makes the rest of the
transaction wait for any other holding the same key.
"""

from __future__ import annotations

from sqlalchemy import Connection, text


def take_turns(conn: Connection, key: str) -> None:
    """Call first in a transaction. PostgreSQL: an advisory lock on `key`, freed at commit or rollback.
    SQLite has one writer at a time: the transaction takes the write lock now (BEGIN IMMEDIATE) rather
    than at its first write, so another's reads wait until this one has written (whatever the key)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
