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

A figure no float holds (`NaN`, `1e999`, an integer of 400 digits, from a CSV
cell or a hand-made form request) is refused here, before a message is made of
it, with its row or field named, and kept with the rejections like any other.
Each refusal comes back as a Problem a page can say in its user's language.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

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
INFINITE = re.compile(r"^[-+]?(inf|infinity)$", re.IGNORECASE)
SHOWN = 24  # characters of a refused value quoted back

# What was wrong, for a page to say in its user's language (dashboard/locales: own.err_<code>).
ProblemCode = Literal[
    "not_a_number",
    "not_finite",
    "out_of_range",
    "unknown_metric",
    "counted_here",
    "fields",
    "time",
    "header",
    "not_utf8",
    "too_many_rows",
    "no_rows",
]


@dataclass(frozen=True)
class Problem:
    """One refused value, row or file. `reason` is English, as the rejection keeps it (the admin reads
    these beside MQTT's); `code` and `details` let a page say it in its user's language, `line` (a CSV
    row) and `key` (the metric) where it was. Without a code only the reason says what was wrong."""

    reason: str
    code: ProblemCode | None = None
    line: int | None = None
    key: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)


# (line, payload, the figures in it) of a message to check; (line, text kept, why) of a row refused before.
Message = tuple[int | None, bytes, dict[str, float]]
Early = tuple[int | None, str, list[Problem]]


class Refused(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.reason)
        self.problem = problem


@dataclass
class Report:
    """What became of a submission: values stored new, corrected (another value for a time already stored)
    and unchanged (the same value for that time: a file uploaded again); each rejection's reason as kept
    (`problems`, one per refused reading or row); and what to tell the person (`issues`, one per refused
    value, row or file)."""

    stored: int = 0
    corrected: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    issues: list[Problem] = field(default_factory=list)


def submit_values(
    engine: Engine,
    settings: Settings,
    unit: str,
    values: Mapping[str, object],
    *,
    actor: str,
    ts: datetime | None = None,
    remote_addr: str | None = None,
) -> Report:
    """One reading from the web form: whatever a request carried, each figure is a number or its field is
    named; one bad figure refuses the reading whole, as validate.check does a message."""
    if unit not in settings.skpd_by_code:
        raise ValueError(f"unknown unit {unit!r}")
    if not values:
        return Report(problems=["no value entered"], issues=[Problem("no value entered")])
    numbers: dict[str, float] = {}
    bad: list[Problem] = []
    for key, value in values.items():
        try:
            numbers[key] = _figure(value, f"{key[:64]!r}:")
        except Refused as exc:
            bad.append(replace(exc.problem, key=key))
    if bad:
        return _submit(engine, settings, unit, [], "web", actor, remote_addr, [(None, _entered(values), bad)])
    payload = contract.encode(contract.message(numbers, ts=(ts or utcnow()).timestamp()))
    return _submit(engine, settings, unit, [(None, payload, numbers)], "web", actor, remote_addr)


def submit_csv(
    engine: Engine, settings: Settings, unit: str, data: bytes, *, actor: str, remote_addr: str | None = None
) -> Report:
    """A CSV upload: every good row stored, every bad row reported by line and kept with its reason."""
    if unit not in settings.skpd_by_code:
        raise ValueError(f"unknown unit {unit!r}")
    digest = hashlib.sha256(data).hexdigest()[:16]  # the same file uploaded twice is stored once
    messages: list[Message] = []
    early: list[Early] = []  # found before validation
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        kept = data.decode("utf-8", errors="replace")[:4000]
        early.append((None, kept, [Problem("the file is not UTF-8 text", "not_utf8")]))
        text = ""
    lines = text.splitlines()
    if text and len(lines) > MAX_CSV_ROWS + 1:
        reason = f"more than {MAX_CSV_ROWS} rows; split the file"
        early.append((None, "", [Problem(reason, "too_many_rows", details={"max": MAX_CSV_ROWS})]))
        lines = []
    if lines:
        delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
        reader = csv.reader(lines, delimiter=delimiter)
        header = [HEADERS.get(h.strip().lower(), h.strip()) for h in next(reader)]
        if "metric" not in header or "value" not in header:
            reason = "the header needs columns metric/kunci and value/nilai"
            early.append((1, lines[0], [Problem(reason, "header", line=1)]))
        else:
            for line, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                try:
                    key, value, moment = _row(header, row, delimiter)
                except Refused as exc:
                    early.append((line, delimiter.join(row), [replace(exc.problem, line=line)]))
                    continue
                message = contract.message({key: value}, ts=moment, message_id=f"csv-{digest}-{line}")
                messages.append((line, contract.encode(message), {key: value}))
    if not messages and not early:
        early.append((None, text[:4000], [Problem("the file has no data rows", "no_rows")]))
    return _submit(engine, settings, unit, messages, "csv", actor, remote_addr, early)


def _figure(value: object, what: str) -> float:
    """A form's figure as a float, or Refused (its reason starting with `what`): not a number (text, NaN,
    true), or not finite (an infinity, or past the largest float: an integer of 400 digits)."""
    shown = _shown(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _not_a_number(shown, what)
    try:
        result = float(value)
    except OverflowError:  # an int past 1.8e308
        raise _not_finite(shown, what) from None
    if math.isnan(result):
        raise _not_a_number(shown, what)
    if math.isinf(result):
        raise _not_finite(shown, what)
    return result


def _number_text(raw: str, written: str | None = None) -> float:
    """`raw` (a CSV cell with its separators undone) as a float; a refusal quotes it as `written`."""
    shown = _shown(raw if written is None else written)
    if NUMBER.match(raw):
        result = float(raw)  # text past the largest float is an infinity here, never an error
        if math.isinf(result):
            raise _not_finite(shown)
        return result
    if INFINITE.match(raw):
        raise _not_finite(shown)
    raise _not_a_number(shown)


def _not_a_number(shown: str, what: str = "value") -> Refused:
    return Refused(Problem(f"{what} {shown!r} is not a number", "not_a_number", details={"value": shown}))


def _not_finite(shown: str, what: str = "value") -> Refused:
    reason = f"{what} {shown!r} is not a finite number (too large, or infinite)"
    return Refused(Problem(reason, "not_finite", details={"value": shown}))


def _shown(value: object) -> str:
    """A value as a person can read it back: short, whatever its size or type."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value) if math.isfinite(value) else "NaN" if math.isnan(value) else "-∞" if value < 0 else "∞"
    elif isinstance(value, int):
        size = int(abs(value).bit_length() * math.log10(2)) + 1  # digits, or one more
        if size > SHOWN:  # str() of an integer past 4,300 digits raises: quote its first digits only
            head = str(abs(value) // 10 ** (size - SHOWN))
            return ("-" if value < 0 else "") + head[: SHOWN - 1] + "…"
        text = str(value)
    else:
        text = value if isinstance(value, str) else type(value).__name__
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _entered(values: Mapping[str, object]) -> str:
    """A refused form reading as its rejection keeps it: each field and what it held."""
    return (
        "{" + ", ".join(f"{json.dumps(key[:64], ensure_ascii=False)}: {_shown(v)}" for key, v in values.items()) + "}"
    )


def _row(header: list[str], row: list[str], delimiter: str) -> tuple[str, float, float | None]:
    if len(row) != len(header):
        reason = f"{len(row)} fields where the header has {len(header)}"
        raise Refused(Problem(reason, "fields", details={"n": len(row), "expected": len(header)}))
    cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
    key = cells["metric"]
    raw = cells["value"].replace(" ", "")
    # An Indonesian spreadsheet (`;` between fields) writes 1.234,5 and 1.250 for one thousand two hundred fifty.
    if delimiter == ";" and ("," in raw or THOUSANDS.match(raw)):
        raw = raw.replace(".", "").replace(",", ".")
    try:
        return key, _number_text(raw, cells["value"]), _moment(cells.get("ts", ""))
    except Refused as exc:
        raise Refused(replace(exc.problem, key=key[:64] or None)) from None


def _moment(text: str) -> float | None:
    if not text:
        return None
    parsed = _parse_time(text)
    if parsed is None:
        reason = f"time {text[:40]!r} is not a date (use 2026-11-23 08:00 or 23/11/2026 08.00)"
        raise Refused(Problem(reason, "time", details={"value": _shown(text)}))
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
    messages: Sequence[Message],
    source: MetricSource,
    actor: str,
    remote_addr: str | None,
    early: Sequence[Early] = (),
) -> Report:
    catalog = Catalog.from_settings(settings)
    topic = contract.topic(unit, contract.TELEMETRY)
    now = utcnow()
    batch = store.Batch.empty()
    report = Report()
    for line, text, problems in early:
        reason = "; ".join(p.reason for p in problems)
        batch.rejections.append(Rejection(topic, unit, text, _at(line, reason), None))
        report.issues.extend(problems)
    for line, payload, figures in messages:
        outcome = check(catalog, topic, payload, now, source)
        batch.samples.extend(outcome.samples)
        for rejection in outcome.rejections:
            batch.rejections.append(
                Rejection(topic, unit, rejection.payload, _at(line, rejection.reason), rejection.message_id)
            )
            report.issues.extend(_explained(catalog, unit, figures, rejection.reason, line))
    report.problems = [r.reason for r in batch.rejections]
    report.issues.sort(key=lambda p: p.line or 0)  # a file's rows in their order
    with engine.begin() as conn:
        written = store.write_in(conn, batch, now, source, by=actor)
        report.stored, report.corrected, report.unchanged = written.stored, written.corrected, written.unchanged
        detail = {"stored": written.stored, "corrected": written.corrected, "rejected": len(report.problems)}
        audit.record(conn, actor, f"metrics.{source}", unit, detail, remote_addr)
    return report


def _explained(
    catalog: Catalog, unit: str, figures: Mapping[str, float], reason: str, line: int | None
) -> list[Problem]:
    """What a page can say in its user's language of a reading validate.check refused: each figure the unit
    does not report, or outside its range. Anything else (a time outside the window) only `reason` says."""
    found = []
    for key, value in figures.items():
        bounds = catalog.ranges.get((unit, key))
        if bounds is None:
            found.append(Problem(reason, "unknown_metric", line, key, {"key": key[:64]}))
        elif (unit, key) in catalog.counted_here:
            found.append(Problem(reason, "counted_here", line, key))
        elif not bounds[0] <= value <= bounds[1]:
            found.append(
                Problem(reason, "out_of_range", line, key, {"value": value, "low": bounds[0], "high": bounds[1]})
            )
    return found or [Problem(reason, line=line)]


def _at(line: int | None, reason: str) -> str:
    return f"line {line}: {reason}" if line is not None else reason
