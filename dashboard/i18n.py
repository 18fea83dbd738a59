"""Language and formats: Bahasa Indonesia by default, English on request.

Texts live in locales/<lang>.json (one flat key -> text map per language,
tests keep the key sets equal). Numbers and dates are formatted by Babel,
so Indonesian readers see `1.234,5` and `23 Nov 2026`; times are WITA.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask import current_app, has_request_context, request
from flask_login import current_user

from scc.clock import WITA, as_utc

LANGUAGES = ("id", "en")
DEFAULT = "id"
LANG_COOKIE = "scc_lang"
_LOCALES = Path(__file__).with_name("locales")


@cache
def catalog(lang: str) -> dict[str, str]:
    return json.loads((_LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def current_language() -> str:
    """The signed-in user's language; before sign-in, the cookie's; else the installation's."""
    if has_request_context():
        if current_user and current_user.is_authenticated:
            return current_user.language
        lang = request.cookies.get(LANG_COOKIE)
        if lang in LANGUAGES:
            return lang
        return current_app.config.get("SCC_LANGUAGE", DEFAULT)
    return DEFAULT


def t(key: str, lang: str | None = None, **values) -> str:
    lang = lang or current_language()
    text = catalog(lang).get(key) or catalog(DEFAULT).get(key) or key
    return text.format(**values) if values else text


def number(value: float | int | None, lang: str | None = None, digits: int = 1) -> str:
    if value is None:
        return "-"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=lang or current_language())


def date(moment: datetime | None, lang: str | None = None) -> str:
    if moment is None:
        return "-"
    return format_date(as_utc(moment).astimezone(WITA), "medium", locale=lang or current_language())


def datetime_wita(moment: datetime | None, lang: str | None = None) -> str:
    """`23 Nov 2026 09.05 WITA`: the one way times are shown anywhere."""
    if moment is None:
        return "-"
    lang = lang or current_language()
    pattern = "d MMM yyyy HH.mm" if lang == "id" else "d MMM yyyy HH:mm"
    return format_datetime(as_utc(moment), pattern, tzinfo=WITA, locale=lang) + " WITA"
