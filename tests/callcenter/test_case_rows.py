"""A page of case rows (complaints, history) draws again only the rows whose case changed
(dashboard/components/callcenter_cases.kept): what the browser receives is Dash's own JSON of the row,
whether drawn now or kept."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

from flask import g
from plotly.io.json import to_json_plotly

from dashboard.components import callcenter_cases
from dashboard.components.callcenter_cases import Cell
from scc.clock import utcnow
from tests.support.dashapp import make_app


def test_a_row_is_drawn_again_only_when_what_it_shows_changed(tmp_path, monkeypatch):
    app = make_app(tmp_path / "scc.db")
    engine = app.server.config["SCC_CONTEXT"].engine
    drawn: list[int] = []

    def draw(case: dict) -> object:
        drawn.append(case["id"])
        cells = [Cell(f"#{case['id']}"), Cell(case["status"]), Cell(", ".join(case["units"]))]
        return callcenter_cases.row("history", case["id"], ["No.", "Status", "Unit"], cells, grid="history-grid")

    def shown(case: dict) -> object:
        return callcenter_cases.kept(engine, "history", case, partial(draw, case))

    case = {"id": 7, "status": "dispatched", "units": ["amb-1"], "received_at": utcnow()}
    with app.server.test_request_context():
        first = shown(case)
        assert first == json.loads(to_json_plotly(draw(case))), "what Dash itself would send"
        drawn.clear()
        assert shown(dict(case)) == first and drawn == [], "the same case as read again: kept"
        assert "closed" in json.dumps(shown({**case, "status": "closed"})) and drawn == [7]
        assert shown({**case, "units": ["amb-1", "amb-2"]}) != first and drawn == [7, 7]
        g.scc_language = "en"  # another reader's language: drawn in it
        shown(case)
        assert drawn == [7, 7, 7]
    tomorrow = utcnow() + timedelta(days=1)  # "09.05 WITA" today is "6 Des 09.05 WITA" tomorrow
    monkeypatch.setattr(callcenter_cases, "utcnow", lambda: tomorrow)
    other = make_app(tmp_path / "other.db")  # another app's settings name its districts and units
    other_engine = other.server.config["SCC_CONTEXT"].engine
    with app.server.test_request_context():
        shown(case)
        assert drawn == [7, 7, 7, 7]
        callcenter_cases.kept(other_engine, "history", case, partial(draw, case))
        assert drawn == [7, 7, 7, 7, 7], "its own rows"
        assert callcenter_cases.kept(engine, "history", {**case, "meta": {"a": [1]}}, partial(draw, case))
    other_engine.dispose()
    engine.dispose()
