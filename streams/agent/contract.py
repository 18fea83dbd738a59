"""The SKPD metrics contract, API v1 (docs/design.md §3.1): topics and the payload's shape.

Shared by the publisher agent (which runs on an SKPD's own PC with Python and
paho-mqtt alone, so this module is standard library only) and by the command
center's ingest, which validates every message against the metric catalog.

    scc/v1/skpd/{code}/telemetry   QoS 1, published by the unit
    scc/v1/skpd/{code}/status      "online" / "offline", retained, the unit's will
    scc/v1/skpd/{code}/errors      why a message of the unit was rejected (JSON)

A telemetry payload is one object, or a JSON array of them (a backlog sent
after an outage):

    {"id": "<unique per message>", "ts": <epoch ms or ISO-8601 with offset>,
     "values": {"<metric_key>": <number>, ...}}

The command center keeps one value per unit, metric and `ts`. A message sent
again with its `id` changes nothing; a message with a new `id` for a `ts`
already stored corrects that value (the old one stays in the unit's history).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

API = "v1"
PREFIX = f"scc/{API}/skpd"
TELEMETRY = "telemetry"
STATUS = "status"
ERRORS = "errors"
ONLINE = "online"
OFFLINE = "offline"
QOS = 1
# Each SKPD's code is also its broker user name (Mosquitto's %u in the ACL).
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_ID = 128  # characters of a message id


def topic(code: str, kind: str) -> str:
    """`scc/v1/skpd/{code}/{kind}` for kind telemetry, status or errors."""
    if not CODE_PATTERN.match(code):
        raise ValueError(f"{code!r} is not an SKPD code")
    if kind not in (TELEMETRY, STATUS, ERRORS):
        raise ValueError(f"{kind!r} is not a topic kind")
    return f"{PREFIX}/{code}/{kind}"


def parse_topic(name: str) -> tuple[str, str] | None:
    """(code, kind) of a contract topic, or None for anything else."""
    parts = name.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != PREFIX:
        return None
    code, kind = parts[3], parts[4]
    if not CODE_PATTERN.match(code) or kind not in (TELEMETRY, STATUS, ERRORS):
        return None
    return code, kind


def new_id() -> str:
    """A message id, given when a message is made (before any queue), so a re-send is stored once."""
    return uuid.uuid4().hex


def message(values: Mapping[str, float], ts: float | None = None, message_id: str | None = None) -> dict[str, Any]:
    """One telemetry message: values at `ts` (epoch seconds; now when omitted)."""
    if not values:
        raise ValueError("a message needs at least one value")
    return {
        "id": message_id or new_id(),
        "ts": round((time.time() if ts is None else ts) * 1000),
        "values": dict(values),
    }


def encode(payload: Mapping[str, Any] | list[Mapping[str, Any]]) -> bytes:
    """Compact JSON, as sent on the wire; NaN and infinity are refused here, before the broker."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
