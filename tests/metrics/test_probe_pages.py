"""The units' services on the metrics pages, in-process: the grid's tiles and counts, the comparisons, a
unit's page, each with its website judged by its probe where it has a URL and by its figure where not;
states in words and icons, both languages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from dashboard.access import ROUTER
from scc.clock import utcnow
from scc.settings import load_settings
from scc.storage import open_storage
from scc.storage.metrics import metric_latest
from streams.metrics.probes import Probe, store
from tests.support.dashapp import callback_body, client, nodes, post_callback
from tests.support.metrics_own import key_of
from tests.support.web import seed_users

from .probe_settings import with_urls

PROBED = ("dinsos", "dukcapil", "dppkb", "bpkd")
MIN = timedelta(minutes=1)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from dashboard.app import create_app

    engine = open_storage(f"sqlite:///{tmp_path_factory.mktemp('probe-pages') / 'scc.db'}")
    seed_users(engine)
    now = utcnow()
    # Every unit says its website is up, but setda, whose site is down by its own word, and disdik, which
    # says nothing; the probed units' figures are not what the pages go by.
    with engine.begin() as conn:
        conn.execute(
            insert(metric_latest),
            [
                dict(skpd_code=u.code, metric_key="website_up", ts=now - MIN, value=0.0 if u.code == "setda" else 1.0,
                     received_at=now - MIN)
                for u in load_settings().skpd
                if u.code != "disdik"
            ],
        )  # fmt: skip
    # dinsos: up for two hours, down (HTTP 503) for the last 25 minutes; dukcapil slow; dppkb's certificate
    # nine days from its end; bpkd never checked.
    store(engine, [Probe("dinsos", now - k * 5 * MIN, k >= 6, 503 if k < 6 else 200, 40) for k in range(30)])
    store(engine, [Probe("dukcapil", now - 2 * MIN, True, 200, 3100)])
    store(engine, [Probe("dppkb", now - 2 * MIN, True, 200, 120, tls_days_left=9)])
    dash_app = create_app(with_urls(load_settings(), *PROBED), engine)
    dash_app.server.config["TESTING"] = True
    yield dash_app
    engine.dispose()


def run(app: Any, user: str, start: str, values: dict[str, Any], lang: str = "id") -> dict[str, Any]:
    """The callback's response (its outputs by id), as `user` in `lang`."""
    c = client(app, user)
    c.post("/language", data={"lang": lang})
    key = ROUTER if start == ROUTER else key_of(app, start)
    body = callback_body(app, key)
    for item in body["inputs"] + body["state"]:
        name = f"{item['id']}.{item['property']}"
        if name in values:
            item["value"] = values[name]
    r = post_callback(c, body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.get_json()["response"]


def by_id(tree: Any, wanted: str) -> dict[str, Any]:
    return next(c for c in nodes(tree) if c["props"].get("id") == wanted)


def text(tree: Any) -> str:
    """Every word the tree shows, in order."""
    if isinstance(tree, str):
        return tree
    if isinstance(tree, dict):
        return text(tree.get("props", {}).get("children")) if "props" in tree else " ".join(map(text, tree.values()))
    if isinstance(tree, list):
        return " ".join(text(x) for x in tree if x is not None)
    return "" if tree is None else str(tree)


def probe_line(tree: Any, code: str) -> dict[str, Any]:
    tile = by_id(tree, f"unit-{code}")
    return next(c for c in nodes(tile) if "probe-line" in c["props"].get("className", ""))


def test_the_grid_judges_each_website_by_its_probe_or_its_figure(app):
    body = run(app, "operator", "metrics-body", {"metrics-tick.n_intervals": 1})
    websites = text(by_id(body, "kpi-websites"))
    # Up: the 34 units without a URL but setda and disdik by their word, dukcapil and dppkb by their probes;
    # down: dinsos by its probe (though it says up), setda by its word; not known: bpkd, which has a URL and
    # no check, and disdik.
    assert "34 / 38" in websites and "2 tidak aktif" in websites and "2 belum melapor" in websites, websites
    down = probe_line(body, "dinsos")
    assert down["props"]["data-probe"] == "down" and "Situs mati" in text(down)  # a word, and an icon's shape:
    assert "icon-alarm" in down["props"]["children"][0]["props"]["className"]
    # 24 of its 30 checks were up, all within 24 hours: 80 % over every window, each named in the title.
    assert text(down).strip().endswith("80·80·80") and "24 j 80 %" in down["props"]["title"]
    assert probe_line(body, "dukcapil")["props"]["data-probe"] == "slow"
    expiring = probe_line(body, "dppkb")
    assert expiring["props"]["data-probe"] == "expiring" and "9" in text(expiring)
    assert probe_line(body, "bpkd")["props"]["data-probe"] == "unknown"
    setda = probe_line(body, "setda")  # no URL: its own word that its site is down, and that it has none
    assert setda["props"]["data-probe"] == "no_url" and text(setda).split() == ["Situs", "mati", "tanpa", "URL"]
    assert "Tanpa alamat layanan" in setda["props"]["title"]
    assert "Situs aktif" in text(probe_line(body, "dinkes"))  # no URL, up by its word
    assert "Belum lapor" in text(probe_line(body, "disdik"))  # no URL, and no word
    english = run(app, "bupati", "metrics-body", {"metrics-tick.n_intervals": 1}, lang="en")
    assert "No service URL" in probe_line(english, "setda")["props"]["title"]
    assert text(probe_line(english, "setda")).split()[-2:] == ["no", "URL"]
    assert "Site down" in text(probe_line(english, "dinsos"))
    assert "uptime 24 h · 7 d · 30 d" in text(by_id(english, "kpi-websites"))


def test_the_comparisons_count_the_same_websites_down(app):
    body = run(app, "operator", "compare-body", {"compare-tick.n_intervals": 1, "compare-which.data": {"range": "7d"}})
    down = by_id(body, "compare-sites-down")
    chips = [c["props"]["data-skpd"] for c in nodes(down) if "data-skpd" in c["props"]]
    assert chips == ["setda", "dinsos", "bpkd", "disdik"]  # down in the regency's order, then not known


def test_a_probed_units_page_shows_its_checks_and_one_without_says_so(app):
    which = {"unit-tick.n_intervals": 1, "unit-which.data": {"code": "dinsos", "range": "24h"}}
    body = run(app, "operator", "..unit-body", which)
    panel = by_id(body, "panel-probe")
    state = by_id(panel, "probe-state")
    assert state["props"]["data-probe"] == "down" and "Situs mati" in text(state)
    facts = text(by_id(panel, "probe-facts"))
    assert "503" in facts and "40 ms" in facts and "80 %" in facts  # 24 of 30 checks up in 24 h
    rows = by_id(panel, "probe-checks")["props"]["children"][1]["props"]["children"]
    assert len(rows) == 12 and "503" in text(rows[0]) and "Situs mati" in text(rows[0])  # newest first
    assert "Situs aktif" in text(rows[6])
    assert "sejak" in text(by_id(panel, "probe-periods"))  # down still, since its first failed check
    english = run(app, "bupati", "..unit-body", which, lang="en")
    assert "Site down" in text(by_id(english, "probe-state")) and "since" in text(by_id(english, "probe-periods"))
    which["unit-which.data"] = {"code": "setda", "range": "24h"}
    none = by_id(run(app, "operator", "..unit-body", which), "panel-probe")
    assert "Tanpa alamat layanan" in text(none) and "probe-checks" not in str(none)


def test_the_page_opens_whole_with_its_service(app):
    router = {"_pages_location.pathname": "/metrics/dppkb", "_pages_location.search": ""}
    page = run(app, "dpmptsp", ROUTER, router)
    assert "panel-probe" not in str(page)  # another unit's page: not for its staff
    page = run(app, "admin", ROUTER, router)
    assert by_id(page, "probe-state")["props"]["data-probe"] == "expiring"
    assert "Sertifikat hampir habis" in text(by_id(page, "probe-state"))
    assert "9 hari lagi" in text(by_id(page, "probe-facts"))
