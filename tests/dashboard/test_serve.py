"""How a gunicorn worker settles once it has built its app (dashboard/serve.py)."""

from __future__ import annotations

import gc

from dashboard import serve


def test_a_ready_worker_keeps_its_app_out_of_full_collections(app, monkeypatch):
    """The app lives as long as the worker: a full collection that walked its objects took tens of
    milliseconds out of whichever request triggered it. Once the worker is ready they are frozen."""
    monkeypatch.setattr(serve, "start_heartbeat", lambda settings: None)
    gc.collect()
    assert any(o is app.callback_map for o in gc.get_objects(generation=2)), "walked before"
    try:
        serve.worker_ready(app.server.config["SCC_CONTEXT"].settings)
        assert not any(o is app.callback_map for o in gc.get_objects(generation=2))
        gc.collect()
        assert not any(o is app.callback_map for o in gc.get_objects(generation=2)), "and after a full collection"
    finally:
        gc.unfreeze()
