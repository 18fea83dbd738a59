"""Issue 19 §8: one source for each figure shown twice. A tester saw Dinkes' card say 7 PSC 119 calls
while the call center's board said 39: the card showed a number the metrics simulator made up.

The same seeded database is read through each page's own callback, as a browser asks for it, and the
figures compared: PSC 119's calls today on the board and on Dinkes' page (and in the KPI page's
query), the fire lines' calls today on the board and on Satpol PP dan Damkar's page.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter import intake
from callcenter.sim.history import seed_history
from dashboard.queries import callcenter_kpi, metrics
from scc.clock import utcnow
from scc.settings import InvalidConfig, load_settings
from scc.storage.callcenter import call_log
from tests.support.dashapp import callback_body, client, make_app, nodes, post_callback
from tests.support.metrics_own import key_of


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    dash_app = make_app(tmp_path_factory.mktemp("one-source") / "scc.db")
    ctx = dash_app.server.config["SCC_CONTEXT"]
    seed_history(ctx.engine, ctx.settings, 400, end=utcnow() - timedelta(minutes=1), days=3, seed=8)
    for i, line in enumerate(("psc-119", "psc-119", "psc-119", "damkar-citta", "damkar-ganra")):  # today, surely
        category = "medical" if line == "psc-119" else "fire"
        call = {"line_code": line, "category": category, "district": "citta", "caller_number": f"0812 3456 71{i:02d}"}
        intake.take_call(ctx.engine, ctx.settings, call, operator="operator")
    yield dash_app
    ctx.engine.dispose()


def rendered(app, username: str, key: str, state: Any = None) -> Any:
    body = callback_body(app, key)
    if state is not None:
        body["state"][0]["value"] = state
    r = post_callback(client(app, username), body)
    assert r.status_code == 200, r.get_data(as_text=True)[:400]
    return json.loads(r.get_data(as_text=True))


def text(tree: Any) -> str:
    if isinstance(tree, str | int | float):
        return str(tree)
    if isinstance(tree, dict):
        return text(tree.get("props", {}).get("children"))
    if isinstance(tree, list):
        return "".join(text(x) for x in tree if x is not None)
    return ""


def board_line_counts(app) -> dict[str, int]:
    out = rendered(app, "operator", "calls-body.children")
    return {
        n["props"]["data-line"]: int(text(c))
        for n in nodes(out)
        if "data-line" in n["props"]
        for c in nodes(n["props"]["children"])
        if c["props"].get("className") == "line-count"
    }


def unit_figure(app, code: str, key: str) -> str:
    """The newest value on a unit's page, as shown (its number, without the unit)."""
    out = rendered(app, "operator", key_of(app, "..unit-body"), {"code": code, "range": "24h"})
    panel = next(n for n in nodes(out) if n["props"].get("id") == f"panel-{key}")
    return next(text(n) for n in nodes(panel) if n["props"].get("className") == "metric-number")


def test_psc_119_calls_today_are_one_figure_on_the_board_the_kpi_page_and_dinkes_card(app):
    board = board_line_counts(app)["psc-119"]
    assert board >= 3
    assert unit_figure(app, "dinkes", "psc119_calls") == str(board)
    ctx = app.server.config["SCC_CONTEXT"]
    assert callcenter_kpi.kpi(ctx.engine, "today").calls.by_line["psc-119"] == board
    for range_ in ("24h", "30d"):  # the chart under the card ends at the same count
        assert metrics.series(ctx.engine, ctx.settings, "dinkes", range_)["psc119_calls"][-1].value == board


def test_the_fire_brigades_chart_is_the_call_log_day_by_day(app):
    ctx = app.server.config["SCC_CONTEXT"]
    days = metrics.series(ctx.engine, ctx.settings, "satpolpp-damkar", "30d")["damkar_fire_calls"]
    fire = [line.code for line in ctx.settings.call_lines if line.service == "fire"]
    with ctx.engine.connect() as conn:
        for point in days:
            at = select(func.count()).where(call_log.c.line_code.in_(fire), call_log.c.at >= point.at)
            logged = conn.execute(at.where(call_log.c.at < point.at + timedelta(days=1))).scalar()
            assert point.value == logged, point.at


def test_fire_calls_today_are_one_figure_on_the_board_and_the_fire_brigades_card(app):
    fire = sum(n for line, n in board_line_counts(app).items() if line.startswith("damkar-"))
    assert fire >= 2
    assert unit_figure(app, "satpolpp-damkar", "damkar_fire_calls") == str(fire)


def kpi_value(out: Any, card: str) -> str:
    """The large figure of a headline card (dashboard.components.tables.kpi)."""
    found = next(n for n in nodes(out) if n["props"].get("id") == card)
    return next(text(n) for n in nodes(found) if n["props"].get("className") == "kpi-value")


def test_open_emergencies_are_one_figure_on_the_overview_and_the_board(app):
    ctx = app.server.config["SCC_CONTEXT"]
    for i in range(2):  # two emergencies still open
        call = {"line_code": "psc-119", "category": "medical", "district": "ganra", "caller_number": f"0813 5555 00{i}"}
        intake.take_call(ctx.engine, ctx.settings, call, operator="operator")
    overview = kpi_value(rendered(app, "operator", "overview-body.children"), "kpi-calls-open")
    board = kpi_value(rendered(app, "operator", "calls-body.children"), "board-open")
    assert overview == board and int(board) >= 2


def test_skpd_reporting_is_one_figure_on_the_overview_and_the_metrics_wall(app):
    overview = kpi_value(rendered(app, "operator", "overview-body.children"), "kpi-skpd")
    wall = kpi_value(rendered(app, "operator", "metrics-body.children"), "kpi-units")
    assert overview == wall


def test_a_figure_kept_by_the_call_center_needs_a_line_of_the_unit(config_dir):
    path = config_dir / "metrics.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - key: laside_permits_issued\n")
    end = text.index("    estimate: true\n", start) + len("    estimate: true\n")
    path.write_text(text[:end] + "    from_calls: calls_today\n" + text[end:], encoding="utf-8")
    with pytest.raises(InvalidConfig) as info:
        load_settings(config_dir)
    assert "SKPD 'dpmptsp' runs no call line" in str(info.value) and "from_calls" in str(info.value)
