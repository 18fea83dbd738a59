"""What every upload page shares: the bytes of dcc.Upload's data URL, and a size in words."""

from __future__ import annotations

import base64
import binascii

from .. import i18n


def decode(contents: str) -> bytes | None:
    """The bytes of dcc.Upload's `data:<type>;base64,<data>`, or None for anything else."""
    head, sep, data = contents.partition(",")
    if not sep or not head.startswith("data:") or not head.endswith(";base64"):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def size_text(n: int) -> str:
    return i18n.number(n / (1024 * 1024), digits=1) + " MB"
