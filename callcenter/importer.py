"""Call logs from a PBX or a spreadsheet export (CSV) into `call_log`, each call once.

What offices really produce is accepted: `;`, `,` or tab separators, UTF-8 with
or without a BOM or Windows-1252, Indonesian or English headers, times written
the usual ways (calllog_fields.py; datasets/calls/README.md lists them all). A bad
row is reported by its line number as a spreadsheet shows it and the good rows
are kept; a file that cannot be read at all is one problem on line 1. Nothing
here raises on bad input.

Each stored call carries the sha256 of its normalised fields, and the insert
skips a digest already stored (`ON CONFLICT (digest) DO NOTHING`): importing
a file twice, or one call exported in two files, stores it once. A PBX lists
every call, so two identical rows in one file are two calls (two abandoned
calls from one number in one minute): the second's digest is the first's
with "#1" added, the third's "#2", so a later export holding the same pair
stores neither again. An export cut in the middle of such a run of twins
and the next one beginning inside it would count their twins apart; no other
case can double or lose a call. Rows go in
chunks of 5,000, one executemany and one transaction each, so a large file
does not hold the database for long; every import leaves one audit row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite

from scc import audit
from scc.clock import utcnow
from scc.settings import Settings
from scc.storage import bulk
from scc.storage.callcenter import CallOutcome, call_log

from .calllog_fields import (
    BadCell,
    Columns,
    FieldError,
    Places,
    find_columns,
    parse_duration,
    parse_moment,
    parse_outcome,
    parse_split,
    show,
)

CHUNK = 5000
FUTURE_SLACK = timedelta(hours=1)  # a PBX clock a little ahead is fine; a call tomorrow is a typo
ROW_COLUMNS = ("at", "line_code", "caller_number", "district", "outcome", "duration_s", "source", "digest")
# (at, line_code, caller_number, district, outcome, duration_s, digest): one good row
Record = tuple[datetime, str | None, str | None, str | None, CallOutcome, int | None, str]


@dataclass(frozen=True)
class RowProblem:
    line: int  # 1-based, as a spreadsheet numbers its rows: the header is line 1
    reason: str


@dataclass(frozen=True)
class ImportReport:
    rows: int  # data rows seen (empty lines are skipped, not counted)
    stored: int
    duplicates: int  # already stored by an earlier import
    problems: list[RowProblem]


@dataclass
class Parsed:
    rows: int = 0
    records: list[Record] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def import_calls(
    engine: Engine, settings: Settings, data: bytes, *, by: str, filename: str = "", now: datetime | None = None
) -> ImportReport:
    """Store every good call of a CSV export; report the rest. `now` (default: the clock) bounds future times."""
    parsed = read_calls(data, settings, now or utcnow())
    stored = 0
    for start in range(0, len(parsed.records), CHUNK):
        with engine.begin() as conn:
            stored += _insert(conn, parsed.records[start : start + CHUNK])
    report = ImportReport(
        rows=parsed.rows,
        stored=stored,
        duplicates=len(parsed.records) - stored,
        problems=parsed.problems,
    )
    detail = dict(rows=report.rows, stored=stored, duplicates=report.duplicates, problems=len(report.problems))
    target = re.sub(r"[\x00-\x1f\x7f]", "", filename)[:200]  # an uploaded name, as the audit column takes it
    with engine.begin() as conn:
        audit.record(conn, by, "calls.import", target, detail)
    return report


def read_calls(data: bytes, settings: Settings, now: datetime) -> Parsed:
    """Every row of a file checked: the good ones as records (each its own digest), the rest as problems."""
    text = _decode(data)
    if text is None:
        return _whole_file("the file is not text (save it from the spreadsheet as CSV)")
    head = re.match(r"[ \t\r\n]*([^\r\n]*)", text)
    if head is None or not head.group(1).strip():
        return _whole_file("the file is empty")
    counts = {sep: head.group(1).count(sep) for sep in ";,\t"}
    separator = max(counts, key=lambda sep: counts[sep])  # ties (and none) go to `;`, the Indonesian default
    parsed = Parsed()
    rows = iter(csv.reader(io.StringIO(text, newline=""), delimiter=separator, skipinitialspace=True))
    read: Callable[[list[str]], Record] | None = None
    width = 0
    twins: dict[str, int] = {}  # digest -> rows with it so far
    records, problems = parsed.records, parsed.problems
    index = 0
    while True:
        try:
            for row in rows:
                index += 1
                if not row or (not row[0].strip() and not "".join(row).strip()):
                    continue  # an empty line, or one of separators only
                if read is None:
                    columns = find_columns(row)
                    if isinstance(columns, str):
                        return _whole_file(columns)
                    read, width = RowReader(columns, Places(settings), now).read, columns.width
                    continue
                parsed.rows += 1
                if len(row) != width:  # short rows padded, cells past the header's dropped
                    row = (row + [""] * width)[:width]
                row.append("")  # the cell a missing column reads (RowReader.lookups)
                try:
                    record = read(row)
                except FieldError as exc:
                    problems.append(RowProblem(index, str(exc)))
                    continue
                earlier = twins.get(record[6], 0)
                twins[record[6]] = earlier + 1
                if earlier:
                    twin = hashlib.sha256(f"{record[6]}#{earlier}".encode()).hexdigest()
                    record = (*record[:6], twin)
                records.append(record)
            return parsed
        except csv.Error as exc:  # a field past the csv module's size limit, and the like
            index += 1
            if read is None:
                return _whole_file(f"the header cannot be read as CSV ({exc})")
            parsed.rows += 1
            problems.append(RowProblem(index, f"this line cannot be read as CSV ({exc})"))


def _decode(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252").removeprefix("ï»¿")  # a BOM before bytes that are not UTF-8
        except UnicodeDecodeError:
            return None
    return None if "\x00" in text else text


def _whole_file(reason: str) -> Parsed:
    return Parsed(problems=[RowProblem(1, reason)])


class Bad(str):
    """A cell's reason, cached in place of its value."""


_MISS: Any = object()  # a cell not looked up yet
CACHE_CELLS = 100_000  # distinct cells remembered per column and import


class RowReader:
    """One data row to a Record, or FieldError naming every bad cell of it ("; " between them)."""

    def __init__(self, columns: Columns, places: Places, now: datetime) -> None:
        self.c = columns
        self.latest = now + FUTURE_SLACK
        # (cell index, column name, cache of answers, converter) for the line, caller and district;
        # a column the file lacks reads the blank cell that `read_calls` appends to every row.
        self.lookups: list[tuple[int, str, dict[str, str | None], Callable[[str], str | None]]] = [
            (column.index if column else columns.width, column.name if column else "", {}, convert)
            for column, convert in (
                (columns.line, places.line),
                (columns.caller, places.caller),
                (columns.district, places.district),
            )
        ]

    def read(self, row: list[str]) -> Record:
        c = self.c
        reasons: list[str] = []
        moment = self._moment(row, reasons)
        looked: list[str | None] = []
        for index, name, cache, convert in self.lookups:
            text = row[index]
            hit = cache.get(text, _MISS)
            if hit is _MISS:
                try:
                    hit = convert(text)
                except FieldError as exc:
                    hit = Bad(f"{name}: {exc}")
                if len(cache) < CACHE_CELLS:
                    cache[text] = hit
            if hit.__class__ is Bad:
                reasons.append(hit)
                hit = None
            looked.append(hit)
        line, caller, district = looked
        duration: int | None = None
        duration_ok = True
        if c.duration is not None and (text := row[c.duration.index].strip()):
            found = parse_duration(text)
            if isinstance(found, str):
                reasons.append(f"{c.duration.name}: {show(text)} {found}")
                duration_ok = False
            else:
                duration = found
        outcome: CallOutcome | None = None
        try:
            outcome = parse_outcome(row[c.outcome.index]) if c.outcome is not None else None
        except FieldError as exc:
            reasons.append(f"{c.outcome.name if c.outcome else 'status'}: {exc}")
        else:
            if outcome is None and duration:
                outcome = "answered"  # a blank status with time on the line: it was answered
            elif outcome is None and duration_ok:
                name = c.outcome.name if c.outcome else "status"
                reasons.append(f"{name}: blank, and no duration above 0 to show the call was answered")
        if reasons or moment is None or outcome is None:
            raise FieldError("; ".join(reasons))
        at, iso = moment
        key = f"{iso}|{line or ''}|{caller or ''}|{district or ''}|{outcome}|{'' if duration is None else duration}"
        return at, line, caller, district, outcome, duration, hashlib.sha256(key.encode()).hexdigest()

    def _moment(self, row: list[str], reasons: list[str]) -> tuple[datetime, str] | None:
        c = self.c
        if c.at is not None:  # most files: one cell, a time seen before or parsed once (lru_cache)
            name, text = c.at.name, row[c.at.index].strip()
            if not text:
                reasons.append(f"{name}: blank, but every call needs its date and time")
                return None
            found = parse_moment(text)
            if isinstance(found, str):
                reasons.append(f"{name}: {show(text)} {found}")
                return None
        else:
            assert c.date is not None and c.clock is not None  # find_columns gives `at`, or both of these
            day, clock = row[c.date.index].strip(), row[c.clock.index].strip()
            name, text = f"{c.date.name} + {c.clock.name}", f"{day} {clock}"
            if not day or not clock:
                reasons.append(
                    f"{c.date.name if not day else c.clock.name}: blank, but every call needs its date and time"
                )
                return None
            split = parse_split(day, clock)
            if isinstance(split, BadCell):
                cell, value = (c.date.name, day) if split.cell == "date" else (c.clock.name, clock)
                reasons.append(f"{cell}: {show(value)} {split.reason}")
                return None
            found = split
        if found[0] > self.latest:
            reasons.append(f"{name}: {show(text)} is in the future")
            return None
        return found


def _insert(conn: Connection, records: list[Record]) -> int:
    """One executemany of plain tuples (scc.storage.bulk); returns the rows written."""
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(call_log).on_conflict_do_nothing(index_elements=["digest"])
    stamp = bulk.to_db(conn, call_log.c.at)
    rows = [(stamp(r[0]), r[1], r[2], r[3], r[4], r[5], "csv", r[6]) for r in records]
    return bulk.insert_many(conn, stmt, ROW_COLUMNS, rows)
