"""The overview summary is shared for at most a second, then read again."""

from __future__ import annotations

import time

from dashboard.queries import overview as overview_query
from scc.clock import utcnow
from scc.settings import load_settings
from scc.storage import open_storage
from scc.storage.cameras import camera_state


def test_overview_is_shared_for_a_second_then_fresh(tmp_path):
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    settings = load_settings()
    first = overview_query.overview(engine, settings)
    assert overview_query.overview(engine, settings) is first  # every screen gets the same reading
    camera = next(c for c in settings.cameras if c.status == "active")
    with engine.begin() as conn:
        conn.execute(camera_state.insert().values(camera_id=camera.id, status="offline", updated_at=utcnow()))
    time.sleep(overview_query.FRESH_S + 0.05)
    fresh = overview_query.overview(engine, settings)
    assert fresh is not first and fresh["cameras"].get("offline") == 1
    assert [c.id for c in fresh["problem_cameras"]] == [camera.id]
    engine.dispose()
