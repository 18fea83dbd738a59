"""Technical failures told in the user's language: a camera's (or its relay's), and a refused message's.

The reader, the relay, FFmpeg and ingest report in English ("timeout: no answer
within 5 s", "Server returned 5XX Server Error reply", "'x': 7500 is above the
largest valid value, 5000"): right for the log and for a technician, wrong for
an Indonesian wall. A page shows the meaning in words and keeps the raw text in
the tooltip (title), where whoever fixes it can read it. Patterns are matched
in order; a text none of them knows says only that something failed, the rest
is in the tooltip.
"""

from __future__ import annotations

import re

from dash import html

from .. import i18n
from ..i18n import t

__all__ = ["camera_fault", "fault_span", "refusal", "refusal_span"]

SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*s\b")
# (what the text contains, the key of its meaning); the first match wins, so the specific come first.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), key)
    for pattern, key in (
        (r"\b40[13]\b|unauthori[sz]ed|forbidden|password", "fault.login"),
        (r"\b404\b|not found|no such stream", "fault.path"),
        (r"refused", "fault.refused"),
        (r"unknown host|resolve|name or service", "fault.host"),
        (r"unreachable|no route", "fault.unreachable"),
        (r"\b5\d\d\b|5xx|server error", "fault.server"),
        (r"no frame", "fault.no_frame"),
        (r"timeout|timed out|no answer", "fault.timeout"),
        (r"codec|decode|unsupported|no video", "fault.codec"),
        (r"ended|stopped|stream stopped", "fault.stopped"),
    )
)


# Why ingest or the web intake refused a message (streams/metrics: validate.py, ingest.py, intake.py).
REFUSALS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), key)
    for pattern, key in (
        (r"largest valid|smallest valid|out of range", "refusal.range"),
        (r"not a (finite )?number", "refusal.number"),
        (r"unknown metric|is not a metric of", "refusal.metric"),
        (r"unknown (unit|skpd)", "refusal.unit"),
        (r"\bts\b|\btime\b|\bdate\b|utc offset|iso-8601", "refusal.time"),
        (r"not json|json object", "refusal.json"),
        (r"fields where|header", "refusal.columns"),
        (r"bytes, over|more than \d+ rows", "refusal.size"),
        (r"topic|publish to|status must", "refusal.topic"),
    )
)
AT_LINE = re.compile(r"^line (\d+): ")


def camera_fault(raw: str) -> str:
    """`no frame for 45 s` -> `Tidak ada gambar selama 45 dtk`; an unknown text -> `Gangguan kamera`."""
    for pattern, key in PATTERNS:
        if pattern.search(raw):
            found = SECONDS.search(raw)
            seconds = i18n.number(float(found.group(1)), digits=1) if found else ""
            return t(key + ("_s" if seconds and key in ("fault.no_frame", "fault.timeout") else ""), s=seconds)
    return t("fault.other")


def fault_span(raw: str | None, className: str) -> html.Span | None:
    """The fault in words, the technical text in its tooltip; nothing when there is no fault."""
    if not raw:
        return None
    return html.Span(camera_fault(raw), className=className, title=raw)


def refusal(raw: str) -> str:
    """`line 4: value 'dua belas' is not a number` -> `Baris 4: nilai bukan angka`."""
    at = AT_LINE.match(raw)
    what = next((t(key) for pattern, key in REFUSALS if pattern.search(raw)), t("refusal.other"))
    return t("own.at_line", n=at.group(1)) + ": " + what if at else what


def refusal_span(raw: str, className: str) -> html.Span:
    return html.Span(refusal(raw), className=className, title=raw)
