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
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from scc.settings import Settings
from scc.storage.metrics import MetricSource
from streams.agent import contract

log = logging.getLogger("scc.metrics.validate")

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
    """A message kept with its reason. Every text is storable as it is: no NUL, no lone surrogate, and
    the topic and id cut to their columns, since a database that refuses a rejection would refuse it
    again at every redelivery and wedge the session."""

    topic: str
    skpd_code: str | None
    payload: str
    reason: str
    message_id: str | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "topic", storable(self.topic)[:MAX_TOPIC])
        object.__setattr__(self, "payload", storable(self.payload))
        object.__setattr__(self, "reason", storable(self.reason)[:MAX_REASON])
        if self.message_id is not None:
            object.__setattr__(self, "message_id", storable(self.message_id)[: contract.MAX_ID])

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.topic}\n{self.payload}".encode()).hexdigest()


MAX_TOPIC = 256  # rejected_messages.topic
MAX_REASON = 1000


def storable(text: str) -> str:
    """`text` as any database stores it: lone surrogates (JSON's \\ud800) and NUL written out as escapes."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


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
    # (unit, metric) the command center counts from its own records (the call center's calls for Dinkes):
    # shown on the unit's card, never taken from the unit, so that a figure has one source.
    counted_here: frozenset[tuple[str, str]]
    max_payload_bytes: int
    max_future: timedelta
    max_past: timedelta

    def unit_of(self, topic: str) -> str | None:
        """The known unit whose topic this is, or None, for a message kept whatever it holds."""
        parsed = contract.parse_topic(topic)
        return parsed[0] if parsed is not None and parsed[0] in self.units else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Catalog:
        mqtt = settings.app.mqtt
        return cls(
            ranges={(m.skpd, m.key): (m.min, m.max) for m in settings.metrics},
            units=frozenset(s.code for s in settings.skpd),
            counted_here=frozenset((m.skpd, m.key) for m in settings.metrics if m.from_calls is not None),
            max_payload_bytes=mqtt.max_payload_bytes,
            max_future=timedelta(seconds=mqtt.max_future_s),
            max_past=timedelta(days=mqtt.max_past_days),
        )


MessageId = Annotated[str, Field(min_length=1, max_length=contract.MAX_ID, pattern=r"^[\x21-\x7e]+$")]


class Telemetry(BaseModel):
    """One message of docs/design.md §3.1.3; the catalog and the clock come in the validation context."""

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
            millis = finite(value)
            if millis is None:
                raise ValueError(f"ts {shown(value)} is not a finite number")
            try:
                return datetime.fromtimestamp(millis / 1000, UTC)
            except (OverflowError, OSError, ValueError):
                raise ValueError(f"ts {shown(value)} is not a time in epoch milliseconds") from None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"ts {value[:40]!r} is not ISO-8601") from None
            if parsed.tzinfo is None:
                raise ValueError("ts has no UTC offset (write e.g. 2026-11-23T08:00:00+08:00)")
            try:
                return parsed.astimezone(UTC)
            except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first UTC day
                raise ValueError(f"ts {value[:40]!r} is out of range") from None
        raise ValueError("ts must be epoch milliseconds or ISO-8601 with an offset")

    @field_validator("values", mode="before")
    @classmethod
    def _numbers_only(cls, values: Any) -> Any:
        # JSON true/false would pass as 1/0 in lax checks, and NaN/Infinity are not JSON: refuse both clearly.
        if not isinstance(values, dict):
            return values
        numbers = {}
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{str(key)[:64]!r}: {shown(value)} is not a number")
            number = finite(value)
            if number is None:
                raise ValueError(f"{str(key)[:64]!r}: {shown(value)} is not a finite number")
            numbers[key] = number
        return numbers

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
            elif (unit, key) in catalog.counted_here:
                problems.append(f"{key!r} is counted by the command center from its own records, not sent")
            elif not bounds[0] <= value <= bounds[1]:
                problems.append(f"{key!r}: {value:g} is outside {bounds[0]:g}..{bounds[1]:g}")
        if self.ts > now + catalog.max_future:
            problems.append(f"ts {self.ts.isoformat()} is in the future (clock ahead?)")
        elif self.ts < now - catalog.max_past:
            problems.append(f"ts {self.ts.isoformat()} is older than {catalog.max_past.days} days")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def finite(value: int | float) -> float | None:
    """`value` as a float, or None for NaN, an infinity, or an integer beyond a float (10**400)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def shown(value: object) -> str:
    """A value as a reason quotes it: short, whatever it is (a 400-digit integer, a nested list)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        # str() of an integer past 4,300 digits raises; its bit length tells its size well enough.
        return f"an integer of about {int(abs(value).bit_length() * math.log10(2)) + 1} digits"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 40 else text[:39] + "…"


def check(catalog: Catalog, topic: str, payload: bytes, now: datetime, source: MetricSource = "mqtt") -> Outcome:
    """Samples, rejections and availability found in one message; never raises.

    A fault of this code on some message must not stop ingest: it turns into a rejection that keeps
    the message for the administrators, and the traceback goes to the log.
    """
    try:
        return _check(catalog, topic, payload, now)
    except Exception as exc:
        log.exception("could not check a message on %s (%d bytes)", storable(topic)[:120], len(payload))
        text = payload.decode("utf-8", errors="replace")
        reason = f"ingest could not check this message ({type(exc).__name__}); kept for the administrators"
        return Outcome([], [Rejection(topic, catalog.unit_of(topic), text, reason, None)])


def _check(catalog: Catalog, topic: str, payload: bytes, now: datetime) -> Outcome:
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
        return _messages(catalog, topic, unit, [document], now, text, whole=True)
    if isinstance(document, list) and 0 < len(document) <= MAX_BATCH:
        return _messages(catalog, topic, unit, document, now, text, whole=False)
    reason = f"expected a JSON object or a non-empty array of at most {MAX_BATCH} objects"
    return Outcome([], [Rejection(topic, unit, text, reason, None)])


def _messages(
    catalog: Catalog, topic: str, unit: str, items: list[Any], now: datetime, text: str, *, whole: bool
) -> Outcome:
    """`text` is the payload: kept for a rejected single message, or for an array's item that JSON
    cannot write back (nested deeper than the encoder goes)."""
    outcome = Outcome([], [])
    context = {"catalog": catalog, "unit": unit, "now": now}
    for item in items:
        try:
            message = Telemetry.model_validate(item, context=context)
        except ValidationError as exc:
            message_id = item.get("id") if isinstance(item, dict) else None
            kept = text if whole else _text_of(item, text)
            outcome.rejections.append(
                Rejection(topic, unit, kept, explain(exc), message_id if isinstance(message_id, str) else None)
            )
            continue
        outcome.samples.extend(
            Sample(unit, key, message.ts, float(value), message.id) for key, value in message.values.items()
        )
    return outcome


def _text_of(item: Any, payload: str) -> str:
    try:
        return json.dumps(item, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        return payload


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
