"""The web server restarting mid-shift loses no incident.

Operators take calls through the production server (gunicorn) over HTTP,
exactly as the intake form posts them. The server is killed outright (the
master and its workers, as a power cut or the OOM killer would) while calls
are still coming in, and started again on the same storage: every call it
had acknowledged is there, with its timeline, and the operator's session
survived the restart.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from scc.storage import open_storage
from scc.storage.callcenter import incident_events, incidents
from tests.conftest import free_port
from tests.support.dashapp import callback_body, make_app
from tests.support.web import WebServer, login, seed_users

pytestmark = pytest.mark.timeout(180)


def intake_body(app, number: str) -> dict:
    key = next(k for k in app.callback_map if k.startswith("..intake-go.href"))
    body = callback_body(app, key)
    body["inputs"][0]["value"] = 1  # the submit button's click
    values = {
        "intake-line": "damkar-lilirilau",
        "intake-number": number,
        "intake-name": "Pak Rahman",
        "intake-district": "lilirilau",
        "intake-village": "Cabbenge",
        "intake-landmark": "dekat pasar",
        "intake-category": "fire",
        "intake-priority": 1,
        "intake-summary": "Gudang terbakar",
    }
    for state in body["state"]:
        state["value"] = values.get(state["id"])
    return body


def take(session, url: str, body: dict) -> int:
    r = session.post(url + "/_dash-update-component", json=body, timeout=10)
    r.raise_for_status()
    href = r.json()["response"]["intake-go"]["href"]
    return int(href.removeprefix("/calls/").split("?")[0])


def stored(db_url: str) -> tuple[set[int], int]:
    engine = open_storage(db_url)
    with engine.connect() as conn:
        ids = set(conn.scalars(select(incidents.c.id)))
        events = conn.scalar(select(func.count()).select_from(incident_events))
    engine.dispose()
    return ids, events


def test_a_killed_web_server_loses_no_acknowledged_call(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db_url = f"sqlite:///{data_dir / 'scc.db'}"
    engine = open_storage(db_url)
    seed_users(engine)
    engine.dispose()
    app = make_app(tmp_path / "shape.db")  # only to build the callback's request as the browser would
    server = WebServer(data_dir, free_port()).start()
    try:
        operator = login(server.url, "operator")
        acknowledged = [take(operator, server.url, intake_body(app, f"0812-1000-{i:04d}")) for i in range(5)]

        # Calls keep coming while the server dies under them.
        stop = threading.Event()

        def keep_taking():
            i = 100
            while not stop.is_set():
                try:
                    acknowledged.append(take(operator, server.url, intake_body(app, f"0812-1000-{i:04d}")))
                except Exception:  # the server is gone: the operator sees an error and will call back
                    pass
                i += 1

        caller = threading.Thread(target=keep_taking)
        caller.start()
        while len(acknowledged) < 12 and caller.is_alive():
            time.sleep(0.01)
        server.kill()
        stop.set()
        caller.join(timeout=30)

        server.start()
        ids, events = stored(db_url)
        assert set(acknowledged) <= ids, f"acknowledged but lost: {sorted(set(acknowledged) - ids)}"
        assert events >= len(ids), "every incident kept its first timeline entry"
        # The operator is still signed in after the restart (sessions live in storage) and goes on.
        again = take(operator, server.url, intake_body(app, "0812-1000-9999"))
        assert again not in acknowledged and again in stored(db_url)[0]
    finally:
        server.stop()
