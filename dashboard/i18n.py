"""Language and formats: Bahasa Indonesia by default, English on request.

Texts live in locales/<lang>.json, plus one locales/<lang>.<room>.json per
capability that has many (one flat key -> text map per file; a key is defined
in one file only, and tests keep each language's key set equal). Numbers and dates are formatted by Babel,
so Indonesian readers see `1.234,5` and `23 Nov 2026`; times are WITA.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import NumberPattern, format_compact_decimal, format_scientific, parse_pattern
from flask import current_app, g, has_request_context, request
from flask_login import current_user

from scc.clock import WITA, as_utc, utcnow

LANGUAGES = ("id", "en")
DEFAULT = "id"
LANG_COOKIE = "scc_lang"
_LOCALES = Path(__file__).with_name("locales")
LARGEST_WRITTEN_OUT = 1e15


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(_LOCALES.glob(f"{lang}.*json")):  # id.json, id.callcenter.json, ...
        texts = json.loads(path.read_text(encoding="utf-8"))
        twice = merged.keys() & texts.keys()
        if twice:
            raise ValueError(f"{path.name} defines again: {', '.join(sorted(twice))}")
        merged.update(texts)
    return merged


def current_language() -> str:
    """The signed-in user's language; before sign-in, the cookie's; else the installation's. Found once a
    request: a page with a year's chart formats thousands of numbers, and looking up the user each time
    cost more than formatting them (a language change redirects, so no request sees two)."""
    if not has_request_context():
        return DEFAULT
    found: str | None = g.get("scc_language")
    if found is None:
        found = g.scc_language = _request_language()
    return found


def _request_language() -> str:
    if current_user and current_user.is_authenticated:
        return str(current_user.language)
    lang = request.cookies.get(LANG_COOKIE)
    if lang in LANGUAGES:
        return str(lang)
    return str(current_app.config.get("SCC_LANGUAGE", DEFAULT))


def t(key: str, lang: str | None = None, /, **values: object) -> str:
    """The text of `key` in `lang`; the default language's if `lang` lacks it; the key itself if both do
    (so a missing text shows up on the page, and tests/dashboard/test_i18n.py fails on it)."""
    lang = lang or current_language()
    for source in (catalog(lang), catalog(DEFAULT)):
        if key in source:
            text = source[key]
            return text.format(**values) if values else text
    return key


def number(value: float | int | None, lang: str | None = None, digits: int = 1) -> str:
    """`1.234,5` (`1,234.5` in English): grouped, at most `digits` decimals, rounded half to even as Babel's
    `#,##0.#` rounds. Written by Decimal's own grouping, then the locale's symbols: a year's chart formats
    thousands of figures, and Babel's pattern engine was most of such a page's time
    (tests/dashboard/test_i18n.py holds it to Babel's output)."""
    if value is None:
        return "-"
    lang = lang or current_language()
    if isinstance(value, float) and not math.isfinite(value):
        return _decimal(digits).apply(value, _locale(lang))  # NaN, infinity: Babel's own symbols
    if abs(value) >= LARGEST_WRITTEN_OUT:
        # Babel rounds in 28 decimal digits and fails past them; only a refused figure is ever this large.
        return format_scientific(value, format="#.##E0", locale=lang)
    if value == 0:  # not kept: -0.0 is 0 to a cache, but written "-0"
        return _written.__wrapped__(value, lang, digits)
    return _written(value, lang, digits)


@lru_cache(maxsize=16384)
def _written(value: float | int, lang: str, digits: int) -> str:
    """Kept: a chart's past points are the same figures on every draw."""
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    text = f"{exact.quantize(_STEPS[digits], ROUND_HALF_EVEN):,f}"
    if digits:
        text = text.rstrip("0").rstrip(".")
    return text.translate(_symbols(lang))


_STEPS = {d: Decimal(1).scaleb(-d) for d in range(7)}


@cache
def _symbols(lang: str) -> dict[int, str]:
    """Python's `,` `.` `-` as the locale writes them."""
    symbols = _locale(lang).number_symbols["latn"]
    return str.maketrans({",": symbols["group"], ".": symbols["decimal"], "-": symbols["minusSign"]})


@cache
def _decimal(digits: int) -> NumberPattern:
    """The pattern `number` writes non-finite values with, parsed once."""
    return parse_pattern("#,##0" + ("." + "#" * digits if digits else ""))


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def figure(value: float | int | None, lang: str | None = None, digits: int = 1) -> str:
    """A headline number, short enough for a tile: `1.386`, `2,62 M` (miliar; `2.62B` in English)."""
    if value is not None and abs(value) >= 1_000_000:
        return format_compact_decimal(value, format_type="short", locale=lang or current_language(), fraction_digits=2)
    return number(value, lang, digits)


def date(moment: datetime | None, lang: str | None = None) -> str:
    if moment is None:
        return "-"
    return format_date(as_utc(moment).astimezone(WITA), "medium", locale=lang or current_language())


def datetime_wita(moment: datetime | None, lang: str | None = None) -> str:
    """`23 Nov 2026 09.05 WITA`: the one way times are shown anywhere."""
    if moment is None:
        return "-"
    return _datetime_wita(as_utc(moment), lang or current_language())


# A list's times are the same on every refresh, and Babel's formatting was a quarter of drawing a page of rows.
@lru_cache(maxsize=4096)
def _datetime_wita(moment: datetime, lang: str) -> str:
    pattern = "d MMM yyyy HH.mm" if lang == "id" else "d MMM yyyy HH:mm"
    return format_datetime(moment, pattern, tzinfo=WITA, locale=lang) + " WITA"


def when(moment: datetime | None, lang: str | None = None) -> str:
    """A time as the wall shows it: `09.05 WITA` today, `23 Nov 09.05 WITA` before (full form in `datetime_wita`)."""
    if moment is None:
        return "-"
    local = as_utc(moment).astimezone(WITA)
    return _when(local, lang or current_language(), local.date() == utcnow().astimezone(WITA).date())


@lru_cache(maxsize=4096)
def _when(local: datetime, lang: str, today: bool) -> str:
    clock = "HH.mm" if lang == "id" else "HH:mm"
    return format_datetime(local, clock if today else f"d MMM {clock}", tzinfo=WITA, locale=lang) + " WITA"


def age(moment: datetime | None, lang: str | None = None, now: datetime | None = None, *, short: bool = False) -> str:
    """How long ago, in words: `3 menit`, `2 jam`, `5 hari` (`3 minutes`); short: `3 mnt` (`3m`)."""
    if moment is None:
        return "-"
    delta = max((now or utcnow()) - as_utc(moment), timedelta(0))
    return format_timedelta(delta, format="narrow" if short else "long", locale=lang or current_language())
