"""Figures in the shapes SKPD systems export them: key=value arguments, CSV files, JSON lines.

Indonesian spreadsheets write `1.234,5` for 1234.5, separate columns with `;`,
and write dates as `23/11/2026` and times as `08.00`; all of that is read here.
A bad row never stops the good ones: each reader returns the messages it could
make and, for every other row, its line number and the reason.

Times without an offset are WITA (UTC+8, no daylight saving), by a fixed offset
rather than zoneinfo because Windows' Python has no time zone database.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TextIO

from . import publisher

# Not scc.clock.WITA: the agent installs on an SKPD's PC with Python and paho alone (the import contract).
WITA = timezone(timedelta(hours=8), "WITA")
DELIMITERS = (",", ";", "\t", "|")
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_TIME_FORMATS = ("", " %H:%M", " %H:%M:%S", " %H.%M", " %H.%M.%S")
_CURRENCY = re.compile(r"^(rp\.?|idr)\s*", re.IGNORECASE)
NIL = ("", "-", "–", "—")  # Indonesian tables write a dash for "none"


@dataclass(frozen=True)
class Problem:
    """An input row that could not become a message."""

    line: int
    reason: str


def parse_number(text: str, decimal: str = ".") -> int | float:
    """A number as a person or a spreadsheet wrote it: `1.234,5` with decimal ",", `Rp 2.500.000`, `87,5%`.

    Thousands separators count only in groups of three, so `12,5` is refused with decimal "."
    instead of being read as 125.
    """
    if decimal not in (".", ","):
        raise ValueError(f"decimal separator {decimal!r} must be '.' or ','")
    group = "." if decimal == "," else ","
    raw = text.strip()
    s = _CURRENCY.sub("", raw).removesuffix("%").replace(" ", "").replace("\u00a0", "")
    d, g = re.escape(decimal), re.escape(group)
    if not re.fullmatch(rf"[-+]?(\d+|\d{{1,3}}({g}\d{{3}})+)({d}\d+)?", s):
        hint = f" (decimal separator is {decimal!r}; see --decimal)" if re.search(r"\d[.,]\d", s) else ""
        raise ValueError(f"{raw!r} is not a number{hint}")
    s = s.replace(group, "")
    if decimal in s:
        return float(s.replace(decimal, "."))
    return int(s)


def parse_time(text: str, tz: timezone = WITA) -> float:
    """Epoch seconds of an ISO-8601 time (`2026-11-23T08:00+08:00`, `2026-11-23 08:00`) or an
    Indonesian date (`23/11/2026`, `23-11-2026 08.00`); without an offset, the time is in `tz`.
    A date alone is that day's 00:00."""
    s = text.strip()
    moment = None
    try:
        moment = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        for date_format in _DATE_FORMATS:
            for time_format in _TIME_FORMATS:
                try:
                    moment = datetime.strptime(s, date_format + time_format)
                except ValueError:
                    continue
                break
            if moment is not None:
                break
    if moment is None:
        raise ValueError(f"{text.strip()!r} is not a date or time (e.g. 23/11/2026, 2026-11-23 08:00)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.timestamp()


def parse_assignments(items: Sequence[str], decimal: str = ".") -> dict[str, int | float]:
    """`key=value` arguments as values; ValueError naming the first bad one."""
    values: dict[str, int | float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"{item!r} is not metric=value (e.g. laside_permits_received=12)")
        if not publisher.METRIC_KEY.match(key):
            raise ValueError(f"{key!r} is not a metric key (lower-case letters, digits and _)")
        values[key] = parse_number(value, decimal)
    return values


def parse_column(spec: str) -> tuple[str, str]:
    """`"Column header=metric_key"` as (header, key); the last `=` splits, a header may contain one."""
    header, sep, key = spec.rpartition("=")
    key = key.strip()
    if not sep or not header.strip():
        raise ValueError(f'--column {spec!r} is not "Column header=metric_key"')
    if not publisher.METRIC_KEY.match(key):
        raise ValueError(f"--column {spec!r}: {key!r} is not a metric key")
    return header.strip(), key


def sniff_delimiter(header_line: str) -> str:
    """The separator the header line uses most (a comma when it has none)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _fold(header: str) -> str:
    return " ".join(header.split()).casefold()


def read_csv(
    stream: TextIO,
    columns: Sequence[tuple[str, str]],
    *,
    ts_column: str | None = None,
    delimiter: str | None = None,
    decimal: str = ".",
    tz: timezone = WITA,
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Messages from the rows of a CSV export with a header line; (messages, problems).

    `columns` maps headers (matched ignoring case and spacing) to metric keys; an empty
    cell (or a dash) leaves its metric out of that row. Raises ValueError when the file itself does
    not fit (no header, a named column missing).
    """
    lines = iter(stream)
    first = next(lines, None)
    if first is None:
        raise ValueError("the file is empty")
    delimiter = delimiter or sniff_delimiter(first)
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    folded = [_fold(h) for h in header]
    wanted = [*(h for h, _ in columns), *([ts_column] if ts_column else [])]
    missing = [h for h in wanted if _fold(h) not in folded]
    if missing:
        raise ValueError(
            f"no column {', '.join(repr(m) for m in missing)} in the header "
            f"(it has: {', '.join(repr(h) for h in header)}; separator {delimiter!r}, see --delimiter)"
        )
    # Each wanted column by its position, and named in messages as the file names it.
    index = {h: (folded.index(_fold(h)), header[folded.index(_fold(h))]) for h in wanted}
    messages: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        try:
            messages.append(_row_message(row, columns, index, ts_column, decimal, tz))
        except ValueError as exc:
            problems.append(Problem(reader.line_num, str(exc)))
    return messages, problems


def _row_message(
    row: list[str],
    columns: Sequence[tuple[str, str]],
    index: dict[str, tuple[int, str]],
    ts_column: str | None,
    decimal: str,
    tz: timezone,
) -> dict[str, Any]:
    def cell(header: str) -> tuple[str, str]:
        i, name = index[header]
        return (row[i].strip() if i < len(row) else ""), name

    values = {}
    for header, key in columns:
        text, name = cell(header)
        if text not in NIL:
            try:
                values[key] = parse_number(text, decimal)
            except ValueError as exc:
                raise ValueError(f"column {name!r}: {exc}") from None
    if not values:
        raise ValueError("no values in this row")
    message: dict[str, Any] = {"values": values}
    if ts_column:
        text, name = cell(ts_column)
        if not text:
            raise ValueError(f"column {name!r} is empty")
        try:
            message["ts"] = round(parse_time(text, tz) * 1000)
        except ValueError as exc:
            raise ValueError(f"column {name!r}: {exc}") from None
    return publisher.checked_message(message)


def read_json_lines(stream: Iterable[str], tz: timezone = WITA) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Messages from JSON lines: `{"values": {...}, "ts": ...}` or whole contract messages (with `id`).

    `ts` is epoch milliseconds (the contract's number) or a time text as `parse_time` reads it.
    """
    messages: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            messages.append(_json_message(line, tz))
        except ValueError as exc:
            problems.append(Problem(number, str(exc)))
    return messages, problems


def _json_message(line: str, tz: timezone) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError('not a JSON object like {"values": {"metric_key": 1}}')
    unknown = sorted(set(data) - {"id", "ts", "values"})
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r} (a message has values, and maybe ts and id)")
    ts = data.get("ts")
    if isinstance(ts, str):
        data["ts"] = round(parse_time(ts, tz) * 1000)
    elif isinstance(ts, float) and ts.is_integer():
        data["ts"] = int(ts)
    return publisher.checked_message(data)
