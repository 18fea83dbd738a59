"""The dashboard in-process (Flask's test client): an app with one user per role, and its callbacks by hand."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from dash._utils import split_callback_id

from tests.support.web import PASSWORDS

ORIGIN = "http://localhost"  # the Flask test client's own host: what a browser sends with a form


def make_app(db: Any) -> Any:
    """The dashboard on a fresh database: a SQLite file's path, or a database URL."""
    from dashboard.app import create_app
    from scc.settings import load_settings
    from scc.storage import open_storage
    from tests.support.web import seed_users

    engine = open_storage(db if isinstance(db, str) and "://" in db else f"sqlite:///{db}")
    seed_users(engine)
    dash_app = create_app(load_settings(), engine)
    dash_app.server.config["TESTING"] = True
    return dash_app


def client(app: Any, username: str | None = None, addr: str = "127.0.0.1") -> Any:
    """A test client from `addr` that sends this server's Origin, signed in as `username` if given."""
    c = app.server.test_client()
    c.environ_base["REMOTE_ADDR"] = addr
    c.environ_base["HTTP_ORIGIN"] = ORIGIN
    if username:
        r = c.post("/login", data={"username": username, "password": PASSWORDS[username]})
        assert r.status_code == 302, r.status_code
    return c


def callback_key(keys: Iterable[str], output: str) -> str:
    """The one callback among `keys` (an app's callback map, or the server's dependencies by output)
    that fills `output`; one with several outputs is named by its first, written "..first.property"."""
    found = [k for k in keys if k == output or (output.startswith("..") and k.startswith(output))]
    if len(found) != 1:
        raise LookupError(f"{output}: {len(found)} callbacks match: {found[:5]}")
    return found[0]


def callback_body(app: Any, key: str) -> dict[str, Any]:
    """The request Dash's renderer sends for callback `key`, every input and state None."""
    return body_from_spec(key, app.callback_map[key])


def body_from_spec(key: str, spec: dict[str, Any], values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request for callback `key` as `spec` (an app's callback map entry, or the server's
    /_dash-dependencies entry) describes it; inputs and state named "id.property" in `values` take
    those values, the first of them as the input that changed, and the rest None."""
    values = values or {}
    if key.startswith(".."):
        outputs: Any = split_callback_id(key)
    else:
        target, prop = key.rsplit(".", 1)
        outputs = {"id": _one_of(target), "property": prop}

    def filled(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")} for i in items
        ]

    return {
        "output": key,
        "outputs": outputs,
        "inputs": filled(spec["inputs"]),
        "state": filled(spec["state"]),
        "changedPropIds": list(values)[:1],
    }


def _one_of(target: str) -> Any:
    """An output's id as the renderer sends it: a pattern-matching one ({"id": MATCH, ...}, written as JSON)
    names one component, its wildcards filled in (Dash refuses the pattern itself as an output)."""
    if not target.startswith("{"):
        return target
    return {name: 0 if isinstance(value, list) else value for name, value in json.loads(target).items()}


def post_callback(c: Any, body: dict[str, Any]) -> Any:
    return c.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def server_side(app: Any) -> list[str]:
    """Keys of the callbacks the server runs (clientside ones have no Python function)."""
    return [key for key, spec in app.callback_map.items() if "callback" in spec]


def nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every component of a rendered tree (a callback's response, a layout as JSON), depth first."""
    if isinstance(tree, dict):
        if "props" in tree:
            yield tree
        for value in tree.values():
            yield from nodes(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from nodes(item)
