"""Caller numbers as people write them (`0484-23501`, `+62 812...`, `0812...`) to one form.

Parsing is Google's libphonenumber (the `phonenumbers` package) with Indonesia
as the home region, so `0812 3456 7890` and `+62 812-3456-7890` are one caller
and the repeat-call rule can find them.

Two strictnesses. `normalise` reads what a PBX logged, history included, so a
short service number (119, 110, an extension) is kept as dialled digits.
`caller` is what the intake takes down: a number a dispatcher can call back,
so only a number in use (libphonenumber's `is_valid_number`, not just the
right length) of a kind a person calls from; a service or short number is
refused with the reason, in a word the intake's pages translate.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberType

REGION = "ID"
_ALLOWED = re.compile(r"^\+?[0-9 ()./-]{2,40}$")
_SHORT = re.compile(r"^[0-9]{2,6}$")
# What a PBX or an operator writes for a caller who withheld the number.
WITHHELD = frozenset({"-", "anonim", "anonymous", "private", "unknown", "tidak diketahui", "privat", "disembunyikan"})


# Why a caller's number is refused: invalid (not digits at all), number_short (a service number or
# too few digits), number_area_code (a landline without its area code), number_service (toll-free,
# premium, a company's 1500 number: nobody calls from one), number_invalid (not a number in use).
CallerProblem = Literal["invalid", "number_short", "number_area_code", "number_service", "number_invalid"]
# The kinds of number a person calls from; libphonenumber cannot tell some mobiles from landlines.
_CALLER_TYPES = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
        PhoneNumberType.PERSONAL_NUMBER,
    }
)
# Subscriber numbers without an area code are 5 to 8 digits in Indonesia and never begin with 1.
_LOCAL = re.compile(r"^[2-9][0-9]{4,7}$")


class PhoneError(ValueError):
    """Not a phone number; the message says why, in words an operator can act on."""


class CallerError(PhoneError):
    """Not a number to call a caller back on; `problem` is the reason as a code."""

    def __init__(self, problem: CallerProblem, message: str) -> None:
        super().__init__(message)
        self.problem: CallerProblem = problem


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


def is_withheld(raw: str) -> bool:
    """True for the words a PBX or an operator writes for a number the caller did not show."""
    return raw.strip().casefold() in WITHHELD


def caller(raw: str) -> str:
    """A caller's number, in E.164, that a dispatcher can call back; CallerError otherwise.

    Mobile `0812-3456-7890`, a landline with its area code `0484-21234`, or a
    foreign number written with `+` (a traveller's phone roams here).
    """
    return _caller(raw.strip())


@lru_cache(maxsize=4096)
def _caller(text: str) -> str:
    shown = repr(text[:40])
    if not _ALLOWED.match(text):
        raise CallerError("invalid", f"{shown} is not a phone number (digits, spaces, +, - only)")
    digits = re.sub(r"[^0-9]", "", text)
    if not text.startswith("+") and not digits.startswith(("0", "62")):
        if _LOCAL.match(digits):
            raise CallerError("number_area_code", f"{shown} needs its area code (0484-...)")
        raise CallerError("number_short", f"{shown} is a service number or too short, not a caller's number")
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        raise CallerError("invalid", f"{shown} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise CallerError("number_invalid", f"{shown} is not a phone number in use")
    if phonenumbers.number_type(number) not in _CALLER_TYPES:
        raise CallerError("number_service", f"{shown} is a service number nobody calls from")
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
