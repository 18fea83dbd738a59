"""Figures typed into the web form or uploaded as CSV by a unit with no system of its own.

They take the same road as MQTT: each reading becomes a contract message,
is checked by `validate.check` against the catalog and stored by
`store.write_in`, rejections included, in one transaction with its audit row.
Which unit may write is decided by the caller (the page's role check); this
module only ever writes for the unit it is given.

CSV columns (a header row is required; `,` or `;` between fields):

    metric | kunci          the metric key, e.g. laside_permits_issued
    value  | nilai          a number; with `;` separators a decimal comma is fine (12,5)
    ts     | waktu          optional: ISO-8601 with offset, `2026-11-23 08:00` or
                            `23/11/2026 08.00` (WITA), or a date alone (08:00 WITA)
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from scc import audit
from scc.clock import WITA, utcnow
from scc.settings import Settings
from scc.storage.metrics import MetricSource
from streams.agent import contract

from . import store
from .validate import Catalog, Rejection, check

MAX_CSV_ROWS = 10_000
HEADERS = {"metric": "metric", "kunci": "metric", "value": "value", "nilai": "value", "ts": "ts", "waktu": "ts"}
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y %H.%M", "%d/%m/%Y")
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


@dataclass
class Report:
    """What became of a submission: values stored, and each problem with where it was."""

    stored: int = 0
    problems: list[str] = field(default_factory=list)


def submit_values(
    engine: Engine,
    settings: Settings,
    unit: str,
    values: Mapping[str, float],
    *,
    actor: str,
    ts: datetime | None = None,
    remote_addr: str | None = None,
) -> Report:
    """One reading from the web form."""
    if unit not in settings.skpd_by_code:
        raise ValueError(f"unknown unit {unit!r}")
    if not values:
        return Report(problems=["no value entered"])
    payload = contract.encode(contract.message(values, ts=(ts or utcnow()).timestamp()))
    return _submit(engine, settings, unit, [(None, payload)], "web", actor, remote_addr)


def submit_csv(
    engine: Engine, settings: Settings, unit: str, data: bytes, *, actor: str, remote_addr: str | None = None
) -> Report:
    """A CSV upload: every good row stored, every bad row reported by line and kept with its reason."""
    if unit not in settings.skpd_by_code:
        raise ValueError(f"unknown unit {unit!r}")
    digest = hashlib.sha256(data).hexdigest()[:16]  # the same file uploaded twice is stored once
    messages: list[tuple[int | None, bytes]] = []
    early: list[tuple[int | None, str, str]] = []  # (line, row text, reason) found before validation
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        early.append((None, data.decode("utf-8", errors="replace")[:4000], "the file is not UTF-8 text"))
        text = ""
    lines = text.splitlines()
    if text and len(lines) > MAX_CSV_ROWS + 1:
        early.append((None, "", f"more than {MAX_CSV_ROWS} rows; split the file"))
        lines = []
    if lines:
        delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
        reader = csv.reader(lines, delimiter=delimiter)
        header = [HEADERS.get(h.strip().lower(), h.strip()) for h in next(reader)]
        if "metric" not in header or "value" not in header:
            early.append((1, lines[0], "the header needs columns metric/kunci and value/nilai"))
        else:
            for number, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                try:
                    key, value, moment = _row(header, row, delimiter)
                except ValueError as exc:
                    early.append((number, delimiter.join(row), str(exc)))
                    continue
                message = contract.message({key: value}, ts=moment, message_id=f"csv-{digest}-{number}")
                messages.append((number, contract.encode(message)))
    if not messages and not early:
        early.append((None, text[:4000], "the file has no data rows"))
    return _submit(engine, settings, unit, messages, "csv", actor, remote_addr, early)


def _row(header: list[str], row: list[str], delimiter: str) -> tuple[str, float, float | None]:
    if len(row) != len(header):
        raise ValueError(f"{len(row)} fields where the header has {len(header)}")
    cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
    raw = cells["value"].replace(" ", "")
    # An Indonesian spreadsheet (`;` between fields) writes 1.234,5 and 1.250 for one thousand two hundred fifty.
    if delimiter == ";" and ("," in raw or THOUSANDS.match(raw)):
        raw = raw.replace(".", "").replace(",", ".")
    if not NUMBER.match(raw):
        raise ValueError(f"value {cells['value'][:40]!r} is not a number")
    return cells["metric"], float(raw), _moment(cells.get("ts", ""))


def _moment(text: str) -> float | None:
    if not text:
        return None
    parsed = _parse_time(text)
    if parsed is None:
        raise ValueError(f"time {text[:40]!r} is not a date (use 2026-11-23 08:00 or 23/11/2026 08.00)")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=WITA)  # people write the regency's own time
    return parsed.timestamp()


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _submit(
    engine: Engine,
    settings: Settings,
    unit: str,
    messages: list[tuple[int | None, bytes]],
    source: MetricSource,
    actor: str,
    remote_addr: str | None,
    early: list[tuple[int | None, str, str]] | None = None,
) -> Report:
    catalog = Catalog.from_settings(settings)
    topic = contract.topic(unit, contract.TELEMETRY)
    now = utcnow()
    batch = store.Batch.empty()
    report = Report()
    for line, text, reason in early or []:
        batch.rejections.append(Rejection(topic, unit, text, _at(line, reason), None))
    for line, payload in messages:
        outcome = check(catalog, topic, payload, now, source)
        batch.samples.extend(outcome.samples)
        for rejection in outcome.rejections:
            batch.rejections.append(
                Rejection(topic, unit, rejection.payload, _at(line, rejection.reason), rejection.message_id)
            )
    report.stored = len(batch.samples)
    report.problems = [r.reason for r in batch.rejections]
    with engine.begin() as conn:
        store.write_in(conn, batch, now, source)
        audit.record(
            conn,
            actor,
            f"metrics.{source}",
            unit,
            {"stored": report.stored, "rejected": len(report.problems)},
            remote_addr,
        )
    return report


def _at(line: int | None, reason: str) -> str:
    return f"line {line}: {reason}" if line is not None else reason
