"""Cross-checks between config files: every reference must resolve.

Each check is a named function returning the problems it found, so the
loader can report all of them at once, each with its file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .broker import SERVICE_USERS, queue_holds_an_hour
from .source import ConfigError, Document


def unique(doc: Document, section: str, items: Iterable[Any], attr: str) -> Iterator[ConfigError]:
    seen: dict[Any, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value in seen:
            yield doc.error((section, i, attr), f"duplicate {attr} {value!r} (first at {section}[{seen[value]}])")
        else:
            seen[value] = i


def references(
    doc: Document, section: str, items: Iterable[Any], attr: str, known: set[str], what: str
) -> Iterator[ConfigError]:
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value is not None and value not in known:
            yield doc.error((section, i, attr), f"unknown {what} {value!r}")


def metric_keys_unique_per_skpd(doc: Document, common: list[Any], metrics: list[Any]) -> Iterator[ConfigError]:
    common_keys = {m.key for m in common}
    seen: set[tuple[str, str]] = set()
    for i, metric in enumerate(metrics):
        if metric.key in common_keys:
            yield doc.error(("metrics", i, "key"), f"{metric.key!r} is already a common metric of every SKPD")
        elif (metric.skpd, metric.key) in seen:
            yield doc.error(("metrics", i, "key"), f"duplicate metric {metric.key!r} for SKPD {metric.skpd!r}")
        seen.add((metric.skpd, metric.key))


def broker_queue_holds_an_hour(doc: Document, app: Any, units: int) -> Iterator[ConfigError]:
    problem = queue_holds_an_hour(app.mqtt, units)
    if problem:
        yield doc.error(("mqtt", "max_queued_messages"), problem)


def skpd_codes_are_not_service_accounts(doc: Document, skpd: list[Any]) -> Iterator[ConfigError]:
    """Each SKPD's broker user is its code, so no code may be one of the command center's own accounts."""
    for i, unit in enumerate(skpd):
        if unit.code in SERVICE_USERS:
            yield doc.error(("skpd", i, "code"), f"{unit.code!r} is reserved for the broker's own account")
