"""Every inbound metrics message checked at the edge against the catalog, never raising.

`check()` turns one MQTT message (topic + raw bytes) into typed samples, or a
rejection that keeps the message whole with a reason a unit's IT person can act
on. The web form and CSV upload go through the same function, so a value is
valid or not whatever road it came by.

A message is accepted or rejected whole: a reading with one bad value is not
half-stored, and the unit sees exactly which key was wrong.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from scc.settings import Settings
from scc.storage.metrics import MetricSource
from streams.agent import contract

MAX_VALUES = 200  # keys in one message; the catalog's largest unit has far fewer
MAX_BATCH = 5000  # messages in one backlog array


@dataclass(frozen=True, slots=True)
class Sample:
    skpd_code: str
    metric_key: str
    ts: datetime
    value: float
    message_id: str


@dataclass(frozen=True, slots=True)
class Rejection:
    topic: str
    skpd_code: str | None
    payload: str
    reason: str
    message_id: str | None

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.topic}\n{self.payload}".encode(errors="replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class Availability:
    skpd_code: str
    online: bool


@dataclass
class Outcome:
    samples: list[Sample]
    rejections: list[Rejection]
    availability: Availability | None = None


@dataclass(frozen=True)
class Catalog:
    """What may be published, by whom, within which range and time window."""

    ranges: dict[tuple[str, str], tuple[float, float]]
    units: frozenset[str]
    max_payload_bytes: int
    max_future: timedelta
    max_past: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Catalog:
        mqtt = settings.app.mqtt
        return cls(
            ranges={(m.skpd, m.key): (m.min, m.max) for m in settings.metrics},
            units=frozenset(s.code for s in settings.skpd),
            max_payload_bytes=mqtt.max_payload_bytes,
            max_future=timedelta(seconds=mqtt.max_future_s),
            max_past=timedelta(days=mqtt.max_past_days),
        )


MessageId = Annotated[str, Field(min_length=1, max_length=contract.MAX_ID, pattern=r"^[\x21-\x7e]+$")]


class Telemetry(BaseModel):
    """One message of DESIGN 3.1; the catalog and the clock come in the validation context."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: MessageId
    ts: datetime
    values: dict[str, float] = Field(min_length=1, max_length=MAX_VALUES)

    @field_validator("ts", mode="before")
    @classmethod
    def _epoch_ms_or_iso(cls, value: Any) -> datetime:
        if isinstance(value, bool):
            raise ValueError("ts must be epoch milliseconds or ISO-8601 with an offset, not true/false")
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise ValueError("ts is not a finite number")
            try:
                return datetime.fromtimestamp(value / 1000, UTC)
            except (OverflowError, OSError, ValueError):
                raise ValueError(f"ts {value} is not a time in epoch milliseconds") from None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"ts {value[:40]!r} is not ISO-8601") from None
            if parsed.tzinfo is None:
                raise ValueError("ts has no UTC offset (write e.g. 2026-11-23T08:00:00+08:00)")
            return parsed.astimezone(UTC)
        raise ValueError("ts must be epoch milliseconds or ISO-8601 with an offset")

    @field_validator("values", mode="before")
    @classmethod
    def _numbers_only(cls, values: Any) -> Any:
        # JSON true/false would pass as 1/0 in lax checks, and NaN/Infinity are not JSON: refuse both clearly.
        if isinstance(values, dict):
            for key, value in values.items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{str(key)[:64]!r}: {json.dumps(value)[:40]} is not a number")
                if not math.isfinite(value):
                    raise ValueError(f"{str(key)[:64]!r}: {value} is not a finite number")
        return values

    @model_validator(mode="after")
    def _against_catalog(self, info: ValidationInfo) -> Telemetry:
        context = info.context or {}
        catalog: Catalog = context["catalog"]
        unit: str = context["unit"]
        now: datetime = context["now"]
        problems = []
        for key, value in self.values.items():
            bounds = catalog.ranges.get((unit, key))
            if bounds is None:
                problems.append(f"unknown metric {key[:64]!r} for unit {unit!r}")
            elif not bounds[0] <= value <= bounds[1]:
                problems.append(f"{key!r}: {value:g} is outside {bounds[0]:g}..{bounds[1]:g}")
        if self.ts > now + catalog.max_future:
            problems.append(f"ts {self.ts.isoformat()} is in the future (clock ahead?)")
        elif self.ts < now - catalog.max_past:
            problems.append(f"ts {self.ts.isoformat()} is older than {catalog.max_past.days} days")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def check(catalog: Catalog, topic: str, payload: bytes, now: datetime, source: MetricSource = "mqtt") -> Outcome:
    """Samples, rejections and availability found in one message; never raises."""
    text = payload.decode("utf-8", errors="replace")
    parsed = contract.parse_topic(topic)
    if parsed is None:
        return Outcome([], [Rejection(topic, None, text, "not a topic of the v1 contract", None)])
    unit, kind = parsed
    if unit not in catalog.units:
        return Outcome([], [Rejection(topic, None, text, f"unknown unit {unit!r}", None)])
    if kind == contract.STATUS:
        if text in (contract.ONLINE, contract.OFFLINE):
            return Outcome([], [], Availability(unit, text == contract.ONLINE))
        return Outcome([], [Rejection(topic, unit, text, 'status must be "online" or "offline"', None)])
    if kind != contract.TELEMETRY:
        return Outcome([], [Rejection(topic, unit, text, f"units do not publish to {kind!r}", None)])
    if len(payload) > catalog.max_payload_bytes:
        reason = f"payload is {len(payload)} bytes, over the limit of {catalog.max_payload_bytes}"
        return Outcome([], [Rejection(topic, unit, text, reason, None)])
    try:
        document = json.loads(payload, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        return Outcome([], [Rejection(topic, unit, text, f"not JSON: {str(exc)[:120]}", None)])
    if isinstance(document, dict):
        return _messages(catalog, topic, unit, [document], now, whole=text)
    if isinstance(document, list) and 0 < len(document) <= MAX_BATCH:
        return _messages(catalog, topic, unit, document, now, whole=None)
    reason = f"expected a JSON object or a non-empty array of at most {MAX_BATCH} objects"
    return Outcome([], [Rejection(topic, unit, text, reason, None)])


def _messages(catalog: Catalog, topic: str, unit: str, items: list[Any], now: datetime, whole: str | None) -> Outcome:
    outcome = Outcome([], [])
    context = {"catalog": catalog, "unit": unit, "now": now}
    for item in items:
        try:
            message = Telemetry.model_validate(item, context=context)
        except ValidationError as exc:
            message_id = item.get("id") if isinstance(item, dict) else None
            kept = whole if whole is not None else json.dumps(item, ensure_ascii=False)
            outcome.rejections.append(
                Rejection(topic, unit, kept, explain(exc), message_id if isinstance(message_id, str) else None)
            )
            continue
        outcome.samples.extend(
            Sample(unit, key, message.ts, float(value), message.id) for key, value in message.values.items()
        )
    return outcome


def explain(exc: ValidationError) -> str:
    """pydantic's errors as one line a unit's IT person can act on."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "required field is missing"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)[:1000]


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number in JSON")
