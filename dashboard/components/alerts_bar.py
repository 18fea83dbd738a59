"""The alert bar on every page, the wall's too: the alerts in sight by severity, each an icon and a word, and
how long the oldest has waited; a link to the alerts page.

The shell draws it empty with its own timer (BAR_MS); dashboard.pages.alerts fills it, one read of the open
and unacknowledged alerts through their indexes. On the wall (kiosk) it sits in the header between the
wordmark and the clock, taking no height from the page (alerts.css).
"""

from __future__ import annotations

from datetime import datetime

from dash import dcc, html

from ..i18n import age, t
from ..queries.alerts import Summary
from .status import ALERT_SEVERITY, attrs, pill

BAR_MS = 5_000  # a new alert reaches every screen within a few seconds


def shell_part() -> html.Div:
    """What the shell puts on every page: the bar, empty until its first read, and its timer."""
    return html.Div(
        [
            html.A(id="alerts-bar", href="/alerts", className="alerts-bar", **attrs(aria_live="polite")),
            dcc.Interval(id="alerts-bar-tick", interval=BAR_MS),
        ],
        className="alerts-strip",
        id="alerts-strip",
    )


def contents(found: Summary, now: datetime | None = None) -> list[html.Span]:
    """The bar's words: each severity with alerts in sight, the oldest's age, or that there are none."""
    if found.total == 0:
        return [pill(t("alerts.bar.none"), "ok", size="sm")]
    parts = [html.Span(t("alerts.bar.title"), className="alerts-bar-title")]
    for severity, n in found.counts.items():
        if n:
            word = t(f"alert_severity.{severity}")
            parts.append(pill(f"{n} {word}", ALERT_SEVERITY[severity], status=severity, size="sm"))
    if found.oldest is not None:
        parts.append(html.Span(t("alerts.bar.oldest", age=age(found.oldest, now=now)), className="alerts-bar-age"))
    if found.unacknowledged:
        parts.append(html.Span(t("alerts.bar.unseen", n=found.unacknowledged), className="alerts-bar-unseen"))
    return parts


def tone_class(found: Summary) -> str:
    worst = found.worst
    return "alerts-bar" + (f" alerts-bar-{ALERT_SEVERITY[worst]}" if worst else " alerts-bar-ok")
