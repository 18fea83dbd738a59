"""Request hygiene for a LAN deployment: same-origin writes, bounded input, safe log lines.

The guard in auth.py calls these before anything else runs:
- every state-changing request (POST, PUT, PATCH, DELETE), the sign-in form and
  Dash's callbacks included, must carry an Origin (or, failing that, a Referer)
  of this very server, so a page on another host cannot post a form here;
- a request body is limited (Flask's MAX_CONTENT_LENGTH, web.max_body_kb), a callback body is a
  JSON object of bounded depth, and every string in it is bounded;
- callback arguments are checked against the callback's own type annotations
  (access.py), so a list where a string belongs is a 400, not a traceback;
- whatever a client sent is logged through `quote`, cut and escaped;
- a request's JSON may hold an integer of any length (JSONProvider: past the
  4,300 digits Python turns into an int, it is read as the float infinity it
  is), so a number no float holds reaches the form that names its field.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any, get_type_hints
from urllib.parse import urlsplit

from dash._utils import split_callback_id
from flask import Request
from flask.json.provider import DefaultJSONProvider
from pydantic import ConfigDict, TypeAdapter, ValidationError

from scc.users import MAX_PASSWORD

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_JSON_DEPTH = 32
# Longer than any field of any form, short enough that nothing huge reaches a
# callback, the database or a log line.
MAX_STRING = 4000
USERNAME_MAX = 64
PASSWORD_MAX = MAX_PASSWORD  # argon2 hashes any length; a 10 MB password would be a cheap way to burn CPU
LOG_QUOTE_MAX = 80


def quote(value: object, limit: int = LOG_QUOTE_MAX) -> str:
    """User input as it may appear in a log line: cut, with control characters escaped."""
    text = value if isinstance(value, str) else repr(value)
    cut = text[:limit]
    escaped = cut.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{escaped}"' + (f"...(+{len(text) - limit} chars)" if len(text) > limit else "")


def client_addr(request: Request) -> str:
    """The client's address as stored and logged (the column's width). The dashboard is
    served directly on the LAN, without a proxy whose forwarded header we could trust."""
    return (request.remote_addr or "?")[:64]


def same_origin(request: Request) -> bool:
    """True when a state-changing request comes from a page of this server."""
    if request.method in SAFE_METHODS:
        return True
    own = (request.scheme, request.host)
    origin = request.headers.get("Origin")
    if origin == "null":
        return False  # a sandboxed frame or a data: page: never one of ours
    if origin:
        parts = urlsplit(origin)
        return (parts.scheme, parts.netloc) == own
    referer = request.headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        return (parts.scheme, parts.netloc) == own
    return False  # browsers send Origin on every POST; without either we cannot tell


def json_problem(body: Any, max_string: int = MAX_STRING) -> str | None:
    """Why a parsed callback body is unacceptable, or None. `max_string`: larger for a callback that
    takes a whole file (access.Access.callback's max_text)."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"nested deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(value, str) and len(value) > max_string:
            return f"a text longer than {max_string} characters"
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
            stack.extend((k, depth + 1) for k in value)
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return None


def callback_shape_problem(body: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """Why a callback body does not have the shape of the callback it names, or None.

    Dash trusts the renderer to send what it declared; a hand-made body with a
    number where the list of inputs belongs would otherwise fail deep in Dash.
    """
    for group in ("inputs", "state"):
        items = body.get(group, [])
        expected = len(spec.get(group, []))
        if not isinstance(items, list) or len(items) != expected:
            return f"{group}: expected a list of {expected}"
        for item in items:
            entries = item if isinstance(item, list) else [item]  # pattern-matching inputs come as lists
            if not all(isinstance(e, dict) and isinstance(e.get("property"), str) and "id" in e for e in entries):
                return f"{group}: each item has an id and a property"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds: a list of texts"
    if not isinstance(body.get("outputs"), dict | list):
        return "outputs: an object or a list"
    return outputs_problem(body.get("output"), body["outputs"])


def outputs_problem(key: object, outputs: dict[str, Any] | list[Any]) -> str | None:
    """Why `outputs` are not the outputs of the callback `key` names, or None.

    Dash checks them only deep inside the call, failing with a 500 and a traceback."""
    if not isinstance(key, str):
        return "output: a text"
    if key.startswith(".."):
        declared = [(o["id"], o["property"]) for o in split_callback_id(key)]
        if not isinstance(outputs, list) or len(outputs) != len(declared):
            return f"outputs: expected a list of {len(declared)}"
        pairs = list(zip(declared, outputs, strict=True))
    else:
        target, prop = key.rsplit(".", 1)
        pairs = [((target, prop), outputs)]
    for (target, prop), given in pairs:
        # Only a pattern-matching output with ALL names its matches as a list; any other is one object.
        entries = given if isinstance(given, list) and _names_all(target) else [given]
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("property") != prop or not _same_id(target, entry.get("id")):
                return "outputs: not this callback's outputs"
    return None


def _names_all(declared: str) -> bool:
    return declared.startswith("{") and any(v in (["ALL"], ["ALLSMALLER"]) for v in json.loads(declared).values())


def _same_id(declared: str, given: object) -> bool:
    if not declared.startswith("{"):
        return given == declared
    pattern = json.loads(declared)  # a pattern-matching id: its keys, and the values that are not wildcards
    if not isinstance(given, dict) or set(given) != set(pattern):
        return False
    return all(isinstance(want, list) or given[k] == want for k, want in pattern.items())


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, but an integer longer than Python turns text into (4,300 digits) is read as the
    infinity it is to a float, instead of failing the whole request."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_int", _integer)
        return super().loads(s, **kwargs)


def _integer(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:  # past sys.get_int_max_str_digits(); float() reads any length, quickly
        return float(text)


# What a callback argument may be when its parameter has no annotation: one plain value.
Scalar = str | int | float | bool | None


class ArgumentsError(ValueError):
    """A callback was called with arguments its annotations do not allow."""


def argument_checker(fn: Callable[..., Any]) -> Callable[[tuple[Any, ...]], None]:
    """A check of positional callback arguments against `fn`'s annotations (strict: no coercion)."""
    hints = get_type_hints(fn, include_extras=True)
    params = [
        p for p in inspect.signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    strict = ConfigDict(strict=True)
    adapters = [TypeAdapter(hints.get(p.name, Scalar), config=strict) for p in params]

    def check(args: tuple[Any, ...]) -> None:
        if len(args) != len(adapters):
            raise ArgumentsError(f"expected {len(adapters)} arguments, got {len(args)}")
        for param, adapter, value in zip(params, adapters, args, strict=True):
            try:
                adapter.validate_python(value)
            except ValidationError as exc:
                raise ArgumentsError(f"{param.name}: {exc.errors()[0]['msg']}") from None

    return check


def unannotated_parameters(fn: Callable[..., Any]) -> list[str]:
    hints = get_type_hints(fn, include_extras=True)
    return [name for name in inspect.signature(fn).parameters if name not in hints]
