"""The call center's one error type: a code the pages translate, and a message for logs and tests."""

from __future__ import annotations

from typing import Any, Literal

# invalid: a field is wrong; move: that step is not allowed from the current status;
# busy: the unit is out on another incident; stale: someone saved first, reload;
# missing: no such incident or unit; forbidden: not this user's (an SKPD's complaint).
ErrorCode = Literal["invalid", "move", "busy", "stale", "missing", "forbidden"]


class CallError(Exception):
    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
