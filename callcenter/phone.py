"""Caller numbers as people write them (`0484-23501`, `+62 812...`, `0812...`) to one form.

Parsing is Google's libphonenumber (the `phonenumbers` package) with Indonesia
as the home region, so `0812 3456 7890` and `+62 812-3456-7890` are one caller
and the repeat-call rule can find them. Short service numbers (119, 110, an
extension) are kept as dialled digits.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

REGION = "ID"
_ALLOWED = re.compile(r"^\+?[0-9 ()./-]{2,40}$")
_SHORT = re.compile(r"^[0-9]{2,6}$")
# What a PBX or an operator writes for a caller who withheld the number.
WITHHELD = frozenset({"-", "anonim", "anonymous", "private", "unknown", "tidak diketahui", "privat", "disembunyikan"})


class PhoneError(ValueError):
    """Not a phone number; the message says why, in words an operator can act on."""


def normalise(raw: str | None) -> str | None:
    """E.164 (`+6248423501`) for a dialable number, digits for a short one, None when withheld.

    Raises PhoneError for anything else.
    """
    text = (raw or "").strip()
    if not text or text.casefold() in WITHHELD:
        return None
    return _normalise(text)


@lru_cache(maxsize=65536)  # PBX logs repeat numbers: each distinct one is parsed once per process
def _normalise(text: str) -> str:
    if not _ALLOWED.match(text):
        raise PhoneError(f"{text[:40]!r} is not a phone number (digits, spaces, +, - only)")
    digits = re.sub(r"[^0-9]", "", text)
    if _SHORT.match(digits) and not text.startswith("+"):
        return digits
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        raise PhoneError(f"{text[:40]!r} is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise PhoneError(f"{text[:40]!r} has the wrong number of digits for a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(number: str | None) -> str:
    """How an operator reads a stored number: `0812-3456-7890`, `0484-23501`, `119`."""
    if not number:
        return ""
    if not number.startswith("+"):
        return number
    try:
        parsed = phonenumbers.parse(number, REGION)
    except phonenumbers.NumberParseException:
        return number
    if parsed.country_code == 62:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
