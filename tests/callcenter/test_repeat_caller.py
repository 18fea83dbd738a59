"""A caller who rings again while help is on its way joins the incident already open: also when two
operators take the two calls at the same moment, through two real requests to the intake page, on
both backends."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from scc.storage.callcenter import call_log, incidents
from tests.support.dashapp import client, make_app, post_callback

from .conftest import intake_request

CALL = {"intake-line": "psc-119", "intake-district": "lalabata", "intake-category": "medical",
        "intake-priority": 1, "intake-summary": "Bapak pingsan di sawah", "intake-withheld": False}  # fmt: skip
ROUNDS = 8


def test_two_operators_taking_one_number_at_once_open_one_incident(database_url):
    app = make_app(database_url)
    engine = app.server.config["SCC_CONTEXT"].engine
    operators = [client(app, "operator"), client(app, "admin")]

    def take(c, number: str, barrier: threading.Barrier) -> str:
        body = intake_request(app, {**CALL, "intake-number": number})
        barrier.wait()
        r = post_callback(c, body)
        assert r.status_code == 200, r.status_code
        return json.loads(r.get_data(as_text=True))["response"]["intake-go"]["href"]

    with ThreadPoolExecutor(2) as pool:
        for n in range(ROUNDS):
            number = f"0812 7000 {n:04d}"
            barrier = threading.Barrier(2)
            hrefs = list(pool.map(lambda c, number=number, barrier=barrier: take(c, number, barrier), operators))
            assert sorted(h.endswith("?linked=1") for h in hrefs) == [False, True], hrefs
    with engine.connect() as conn:
        per_number = conn.execute(select(incidents.c.caller_number, func.count()).group_by(incidents.c.caller_number))
        assert sorted(n for _, n in per_number) == [1] * ROUNDS, "one incident per caller"
        assert conn.scalar(select(func.count()).select_from(call_log)) == 2 * ROUNDS, "both calls logged"
    engine.dispose()
