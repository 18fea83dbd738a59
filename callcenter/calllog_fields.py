"""The columns of a call-log export, and each value as offices write it to the form `call_log` stores.

Headers are matched by meaning, in Indonesian or English, whatever their case,
spacing or a unit in brackets (`Durasi (detik)`). Every reader here gives the
stored value or the reason it cannot: the cached parsers of times and durations
return the reason as a str (it follows the quoted value), the others raise
FieldError with the value quoted; the importer adds the column's name. An
export repeats its values a lot, so each distinct text is parsed once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Literal

from scc.clock import WITA
from scc.settings import Settings
from scc.storage.callcenter import CallOutcome

from .phone import PhoneError, normalise

# role -> header names (normalised by `header_key`); the first column that matches a role wins.
HEADERS: dict[str, tuple[str, ...]] = {
    "at": ("waktu", "time", "datetime", "date_time", "tanggal_jam", "tanggal_waktu", "waktu_panggilan", "timestamp"),
    "date": ("tanggal", "date", "tgl"),
    "clock": ("jam", "time_of_day", "pukul"),
    "line": ("saluran", "line", "nomor_tujuan", "called", "tujuan", "line_code"),
    "caller": ("penelepon", "nomor", "caller", "from", "nomor_penelepon", "caller_number"),
    "district": ("kecamatan", "district"),
    "outcome": ("status", "hasil", "outcome"),
    "duration": ("durasi", "duration", "lama", "duration_s"),
}
_ROLE_OF = {name: role for role, names in HEADERS.items() for name in names}

OUTCOMES: dict[str, CallOutcome] = {
    **dict.fromkeys(("dijawab", "terjawab", "answered", "diangkat"), "answered"),
    **dict.fromkeys(("terputus", "abandoned", "ditutup penelepon", "ditutup"), "abandoned"),
    **dict.fromkeys(
        ("tidak dijawab", "tak terjawab", "tidak terjawab", "tak dijawab", "unanswered", "missed", "no answer"),
        "unanswered",
    ),
}
# Caller IDs that say the number was not shown (phone.normalise knows the lower-case ones).
WITHHELD = frozenset(
    ("-", "anonim", "anonymous", "private", "unknown", "tidak diketahui", "withheld", "hidden", "disembunyikan")
)
_PHONE_TEXT = re.compile(r"\+?[0-9][0-9 ()./-]{1,39}")  # within what phone.normalise accepts
_NOT_DIGIT = re.compile(r"[^0-9]")
MAX_DURATION_S = 24 * 3600
EARLIEST_YEAR = 1970


class FieldError(ValueError):
    """A value that cannot be stored; the message quotes the value and says why (the importer adds the column)."""


def show(text: str) -> str:
    """A value as a reason quotes it: in quotes, cut to 40 characters."""
    return repr(text[:40] + "…") if len(text) > 40 else repr(text)


def header_key(raw: str) -> str:
    """`Nomor Tujuan` -> `nomor_tujuan`, `Durasi (detik)` -> `durasi`."""
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", raw.lower())
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


@dataclass(frozen=True)
class Column:
    index: int
    name: str  # as the file writes it, for the reasons


@dataclass(frozen=True)
class Columns:
    """Where each field is; `at` alone, or `date` + `clock` (then `at` is unused)."""

    at: Column | None
    date: Column | None
    clock: Column | None
    line: Column | None
    caller: Column | None
    district: Column | None
    outcome: Column | None
    duration: Column | None

    @property
    def width(self) -> int:
        """Cells a row needs for every column used (short rows are padded with blanks)."""
        used = (self.at, self.date, self.clock, self.line, self.caller, self.district, self.outcome, self.duration)
        return 1 + max(c.index for c in used if c is not None)


def find_columns(header: list[str]) -> Columns | str:
    """The columns of a header row, or why the file cannot be read (a whole-file problem)."""
    found: dict[str, Column] = {}
    for index, raw in enumerate(header):
        role = _ROLE_OF.get(header_key(raw))
        if role is not None and role not in found:
            found[role] = Column(index, raw.strip())
    if not found:
        return "no header: line 1 must name the columns (waktu, saluran, penelepon, kecamatan, status, durasi)"
    at, day, clock = found.get("at"), found.get("date"), found.get("clock")
    if day is not None and clock is None and at is not None:
        at, clock = None, at  # `Tanggal;Waktu` or `Date;Time`: the second holds the time of day
    if day is not None and clock is not None:
        at = None
    elif at is None and day is not None:
        at, day = day, None  # one `tanggal` column holding date and time
    elif at is None:
        return "no time column: name one waktu (date and time), or tanggal and jam"
    return Columns(
        at=at,
        date=day,
        clock=clock,
        line=found.get("line"),
        caller=found.get("caller"),
        district=found.get("district"),
        outcome=found.get("outcome"),
        duration=found.get("duration"),
    )


_DAY = r"(?:(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})|(?P<Y>\d{4})-(?P<M>\d{1,2})-(?P<D>\d{1,2}))"
_TIME = r"(?P<H>\d{1,2})[:.](?P<I>\d{2})(?:[:.](?P<S>\d{2})(?:[.,]\d{1,9})?)?"
_ZONE = r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)"
_MOMENT = re.compile(rf"{_DAY}(?:(?:\s+|T){_TIME})?\s*{_ZONE}?\s*(?:WITA)?", re.IGNORECASE)
_CLOCK = re.compile(rf"{_TIME}\s*(?:WITA)?", re.IGNORECASE)
_EXAMPLE = "write it like 23/11/2026 14.05"


def _day(m: re.Match[str]) -> date | str:
    if m["y"]:
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    else:
        y, mo, d = int(m["Y"]), int(m["M"]), int(m["D"])
    try:
        day = date(y, mo, d)
    except ValueError:
        return "is not a date"
    return day if y >= EARLIEST_YEAR else f"is too long ago (before {EARLIEST_YEAR})"


def _clock(m: re.Match[str]) -> tuple[int, int, int] | str:
    h, mi, s = int(m["H"]), int(m["I"]), int(m["S"] or 0)
    if h > 23 or mi > 59 or s > 59:
        return "is not a time of day"
    return h, mi, s


def _zone(text: str | None) -> tzinfo | str:
    if not text:
        return WITA  # the regency's clock, when the export does not say
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        return "has an impossible UTC offset"
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _at(day: date, clock: tuple[int, int, int], zone: tzinfo) -> tuple[datetime, str] | str:
    try:
        moment = datetime(day.year, day.month, day.day, *clock, tzinfo=zone).astimezone(UTC)
    except OverflowError:  # the last day of year 9999, west of UTC
        return "is not a date"
    return moment, moment.isoformat()


# Most rows: a day (a few distinct ones) and a time of day (at most 86,400), in WITA. Both halves are
# cached apart; the offset is fixed, as Asia/Makassar has kept UTC+8 without summer time since 1970.
_COMMON = re.compile(r"(\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{1,2}-\d{1,2})(?:\s+|T)(\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)")
WITA_OFFSET = WITA.utcoffset(datetime(EARLIEST_YEAR, 1, 1)) or timedelta(hours=8)


@lru_cache(maxsize=65536)
def parse_moment(text: str) -> tuple[datetime, str] | str:
    """(UTC moment, its ISO text) of a date and time, or why not (after the quoted value)."""
    common = _COMMON.fullmatch(text)
    if common is not None:
        day, clock = _day_of(common[1]), _clock_of(common[2])
        if isinstance(day, str) or isinstance(clock, str):
            return day if isinstance(day, str) else str(clock)
        moment = datetime(day.year, day.month, day.day, *clock, tzinfo=UTC) - WITA_OFFSET
        return moment, moment.isoformat()
    m = _MOMENT.fullmatch(text)
    if m is None:
        return f"is not a date and time ({_EXAMPLE})"
    day = _day(m)
    if isinstance(day, str):
        return day
    if m["H"] is None:
        return f"has a date but no time of day ({_EXAMPLE})"
    clock, zone = _clock(m), _zone(m["tz"])
    if isinstance(clock, str):
        return clock
    return zone if isinstance(zone, str) else _at(day, clock, zone)


@lru_cache(maxsize=4096)
def _day_of(text: str) -> date | str:
    m = _MOMENT.fullmatch(text)
    return _day(m) if m is not None else "is not a date (write it like 23/11/2026)"


@lru_cache(maxsize=65536)
def _clock_of(text: str) -> tuple[int, int, int] | str:
    m = _CLOCK.fullmatch(text)
    return _clock(m) if m is not None else "is not a time of day"


@dataclass(frozen=True)
class BadCell:
    """Which cell of a `tanggal` + `jam` pair is wrong, and why (after the quoted value)."""

    cell: Literal["date", "clock"]
    reason: str


@lru_cache(maxsize=65536)
def parse_split(day_text: str, clock_text: str) -> tuple[datetime, str] | BadCell:
    """A `tanggal` and a `jam` cell to (UTC moment, its ISO text), or the bad cell."""
    m = _CLOCK.fullmatch(clock_text)
    if m is None:
        whole = parse_moment(clock_text)  # a `jam` cell that holds the date too
        return whole if not isinstance(whole, str) else BadCell("clock", "is not a time of day (write it like 14.05)")
    clock = _clock(m)
    if isinstance(clock, str):
        return BadCell("clock", clock)
    day = _day_of(day_text)  # any time in the date cell (`23/11/2026 00:00` from Excel) is ignored
    if isinstance(day, str):
        return BadCell("date", day)
    moment = datetime(day.year, day.month, day.day, *clock, tzinfo=UTC) - WITA_OFFSET
    return moment, moment.isoformat()


# Digits are bounded: a cell of a million nines is "longer than a day", not a slow int().
_DURATION = re.compile(
    r"(?P<n>-?\d{1,9})(?:[.,](?P<f>\d{1,9}))?\s*(?:s|sec|secs|detik|dtk)?|(?:(?P<h>\d{1,6}):)?(?P<m>\d{1,9}):(?P<s>\d{2})",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def parse_duration(text: str) -> int | str:
    """Seconds from `95`, `95 detik`, `1:35` or `0:01:35`, or why not."""
    m = _DURATION.fullmatch(text)
    if m is None:
        too_long = re.fullmatch(r"[\d:.,]+", text) is not None and len(text) > 9
        return "is longer than a day" if too_long else "is not a duration (seconds like 95, or 1:35)"
    if m["n"] is not None:
        seconds = abs(int(m["n"])) + (1 if m["f"] and m["f"][0] >= "5" else 0)  # to the nearest second
        if m["n"].startswith("-") and seconds:
            return "is negative"
    else:
        minutes, secs = int(m["m"]), int(m["s"])
        if secs > 59 or (m["h"] is not None and minutes > 59):
            return "is not a duration (seconds like 95, or 1:35)"
        seconds = int(m["h"] or 0) * 3600 + minutes * 60 + secs
    return seconds if seconds <= MAX_DURATION_S else "is longer than a day"


@lru_cache(maxsize=1024)
def parse_outcome(text: str) -> CallOutcome | None:
    """The outcome, or None when blank; FieldError when neither."""
    key = " ".join(text.lower().replace("_", " ").replace("-", " ").split())
    if not key:
        return None
    found = OUTCOMES.get(key)
    if found is None:
        raise FieldError(f"{show(text.strip())} is not an outcome (dijawab, terputus or tidak dijawab)")
    return found


def _place_key(text: str) -> str:
    return "-".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


class Places:
    """The configured lines and districts, looked up by code, name or number, and callers' numbers.

    Each method returns the stored value (None for a blank cell) or raises FieldError. The importer
    caches their answers per distinct cell; callers are also cached here per number, so a number
    written three ways is parsed once.
    """

    def __init__(self, settings: Settings) -> None:
        self.lines: dict[str, str] = {}
        for line in settings.call_lines:
            self.lines.setdefault(_place_key(line.code), line.code)
            self.lines.setdefault(_place_key(line.name), line.code)
            for number in line.numbers:  # a number two posts share goes to the first
                self.lines.setdefault(_number(number) or "", line.code)
        self.districts: dict[str, str] = {}
        for district in settings.districts:
            self.districts.setdefault(_place_key(district.code), district.code)
            self.districts.setdefault(_place_key(district.name), district.code)
        self._numbers: dict[str, str | None] = {}

    def caller(self, text: str) -> str | None:
        """phone.normalise's answer, parsed once per number however many ways the file writes it:
        it depends only on the digits and a leading +, once the text is in normalise's alphabet."""
        text = text.strip()
        if _PHONE_TEXT.fullmatch(text) is None:
            return _caller(text)
        key = ("+" if text[0] == "+" else "") + _NOT_DIGIT.sub("", text)
        number = self._numbers.get(key)
        if number is None:
            number = self._numbers[key] = _e164(key) or _caller(text)
        return number

    def line(self, text: str) -> str | None:
        text = text.strip()
        if not text:
            return None
        code = self.lines.get(_place_key(text)) or self.lines.get(_number(text) or "-")
        if code is None:
            raise FieldError(f"{show(text)} is not a call line (a code such as psc-119, or a line's number)")
        return code

    def district(self, text: str) -> str | None:
        text = text.strip()
        if not text:
            return None
        key = re.sub(r"^(kecamatan|kec)-", "", _place_key(text))
        code = self.districts.get(key)
        if code is None:
            raise FieldError(f"{show(text)} is not a district of Soppeng")
        return code


def _caller(text: str) -> str | None:
    if text.strip().casefold() in WITHHELD:  # PBX exports write `Anonim`, `PRIVATE`...
        return None
    try:
        return normalise(text)
    except PhoneError as exc:
        raise FieldError(str(exc)) from None


_NATIONAL = re.compile(r"0[1-9][0-9]{6,16}")  # 0812 3456 7890, 0484-23501
_INDONESIAN = re.compile(r"\+62[1-9][0-9]{4,16}")  # +62 812 3456 7890


def _e164(key: str) -> str | None:
    """libphonenumber's answer for the two forms most rows use, without its parse (~30 µs a number).

    For Indonesia it strips the trunk 0 when 7 to 17 digits remain, and keeps +62 numbers of 5 to
    17 digits as they are; test_import.py checks these rules against phone.normalise itself.
    """
    if _NATIONAL.fullmatch(key):
        return "+62" + key[1:]
    if _INDONESIAN.fullmatch(key):
        return key
    return None


def _number(text: str) -> str | None:
    try:
        return normalise(text)
    except PhoneError:
        return None
