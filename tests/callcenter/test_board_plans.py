"""The board is read every few seconds on every screen for years: none of its reads may go through the
whole of the incidents or the call log, which only grow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from callcenter.intake import take_call
from dashboard.pages import callcenter as board_page
from scc.clock import utcnow
from scc.storage.callcenter import call_log, incidents
from tests.support.dashapp import make_app
from tests.support.plans import selects_during, vm_steps, whole_reads

FIRE = dict(line_code="damkar-citta", caller_number="0812 3456 7890", district="citta", category="fire",
            priority=1, summary="Rumah terbakar")  # fmt: skip


def add_history(ctx, n: int, days_ago: int) -> None:
    """`n` closed cases, three complaints to one emergency, a call each, from `days_ago` on."""
    old = utcnow() - timedelta(days=days_ago)
    past = [
        dict(line_code="psc-119", district="citta", category=("complaint" if i % 4 else "medical"), priority=2,
             summary="", status="closed", received_at=old + timedelta(minutes=30 * i),
             closed_at=old + timedelta(minutes=30 * i + 60), source="csv", created_by="test",
             skpd_code="pupr" if i % 4 else None)
        for i in range(n)
    ]  # fmt: skip
    with ctx.engine.begin() as conn:
        conn.execute(insert(incidents), past)
        conn.execute(
            insert(call_log),
            [dict(at=p["received_at"], line_code="psc-119", outcome="answered", source="csv") for p in past],
        )


def test_the_board_reads_no_history_whole(tmp_path):
    app = make_app(tmp_path / "board.db")
    ctx = app.server.config["SCC_CONTEXT"]
    add_history(ctx, 5000, 300)
    take_call(ctx.engine, ctx.settings, FIRE, operator="admin")
    take_call(ctx.engine, ctx.settings, {**FIRE, "caller_number": "0812 3456 7891", "category": "complaint",
                                         "topic": "roads", "line_code": "psc-119"}, operator="admin")  # fmt: skip
    statements = selects_during(ctx.engine, lambda: board_page.body(ctx))
    assert len(statements) >= 4
    assert whole_reads(ctx.engine, statements, ("incidents", "call_log", "incident_units")) == []
    before = vm_steps(ctx.engine, lambda: board_page.body(ctx))
    add_history(ctx, 5000, 200)  # twice the history, none of it today or open
    after = vm_steps(ctx.engine, lambda: board_page.body(ctx))
    assert after <= before * 1.1, f"{before} steps with 5,000 past cases, {after} with 10,000"
    ctx.engine.dispose()
