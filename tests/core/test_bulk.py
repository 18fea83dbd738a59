"""Many rows through one INSERT (scc.storage.bulk), on SQLite and PostgreSQL: rows many to a statement are
stored as SQLAlchemy stores them one at a time, and meet every constraint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from scc.storage import bulk, open_storage
from scc.storage.callcenter import call_log, incidents

T0 = datetime(2026, 11, 23, 1, 5, 7, tzinfo=UTC)
COLUMNS = ("at", "line_code", "caller_number", "district", "outcome", "duration_s", "incident_id", "source")


def calls(n: int, start: int = 0) -> list[dict]:
    return [
        dict(at=T0 + timedelta(seconds=17 * k), line_code="psc-119", caller_number=f"+62812{k:07d}",
             district="lalabata", outcome=("answered", "abandoned", "unanswered")[k % 3], duration_s=k,
             incident_id=None, source="intake")
        for k in range(start, start + n)
    ]  # fmt: skip


def stored(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*[call_log.c[c] for c in COLUMNS]).order_by(call_log.c.id))]


def test_rows_many_to_a_statement_are_stored_as_one_at_a_time(database_url):
    engine = open_storage(database_url)
    wanted = calls(450)  # two statements of 200 rows, and 50 rows one at a time
    with engine.begin() as conn:
        stamp = bulk.to_db(conn, call_log.c.at)
        rows = [tuple(stamp(r[c]) if c == "at" else r[c] for c in COLUMNS) for r in wanted]
        assert bulk.insert_many(conn, insert(call_log), COLUMNS, rows, per_statement=200) == 450
    many = stored(engine)
    with engine.begin() as conn:
        conn.execute(call_log.delete())
        conn.execute(insert(call_log), wanted)  # SQLAlchemy's own way, row by row
    assert many == stored(engine) == [tuple(r[c] for c in COLUMNS) for r in wanted]
    with engine.connect() as conn:  # and the times compare equal to the same moments in a query
        assert conn.execute(select(call_log.c.id).where(call_log.c.at == T0 + timedelta(seconds=17 * 449))).first()
    engine.dispose()


def test_rows_many_to_a_statement_meet_the_check_constraints(database_url):
    """The demo's history writer once switched SQLite's CHECK constraints off for speed; rows many to a
    statement are the fast way that keeps them, and a bad status among 200 stores none of them."""
    engine = open_storage(database_url)
    bad = calls(200)
    bad[150]["outcome"] = "hung_up"
    with pytest.raises(IntegrityError), engine.begin() as conn:
        stamp = bulk.to_db(conn, call_log.c.at)
        rows = [tuple(stamp(r[c]) if c == "at" else r[c] for c in COLUMNS) for r in bad]
        bulk.insert_many(conn, insert(call_log), COLUMNS, rows, per_statement=200)
    assert stored(engine) == []
    engine.dispose()


def test_rows_many_to_a_statement_need_every_column_with_a_default(database_url):
    engine = open_storage(database_url)
    columns = ("id", "category", "priority", "summary", "status", "received_at", "created_by", "updated_at")
    with pytest.raises(ValueError, match="every column with a default"), engine.begin() as conn:
        row = (1, "medical", 1, "x", "received", T0, "op", T0)  # no `source`, which defaults to "intake"
        bulk.insert_many(conn, insert(incidents), columns, [row] * 4, per_statement=2)
    engine.dispose()
