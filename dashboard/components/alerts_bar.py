"""The alert bar on every page, the wall's too: the alerts in sight by severity, each an icon and a word, and
how long the oldest has waited; a link to the alerts page.

The shell draws it empty with its own timer (BAR_MS); dashboard.pages.alerts fills it, one read of the open
and unacknowledged alerts through their indexes. On the wall (kiosk) it sits in the header between the
wordmark and the clock, taking no height from the page (alerts.css).

Sound (dashboard/assets/alerts_sound.js): beside the bar, a hidden feed says whether this screen sounds and
which critical alerts are due a tone, each as `id:generation`, the generation being the alert's
`notify_count`: the alerts process raises it when the alert fires and at each `renotify` of its rule while
nobody acknowledged it (scc.alerts.lifecycle), so the browser plays when it sees an id or a generation it has
not played yet, and nothing once the alert is acknowledged. Whether a screen sounds is the account's choice
(the Akun page) unless the browser was told otherwise for itself with `?sound=1` / `?sound=0` (a wall's
screens share one account); the browser keeps that in its localStorage and hands it to the server in the
cookie DISPLAY_COOKIE, so the feed (filled by dashboard.pages.alerts) is what the screen plays.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from dash import dcc, html

from ..i18n import age, t
from ..queries.alerts import AlertView, Summary
from .status import ALERT_SEVERITY, attrs, icon, pill

BAR_MS = 3_000  # a firing alert reaches every screen within 5 s (benchmarks/alerts.py: the poll plus a request)
DISPLAY_COOKIE = "scc_alert_sound"  # this browser's own choice, "1" or "0"; absent: the account's


def shell_part() -> html.Div:
    """What the shell puts on every page: the bar, empty until its first read, and its timer."""
    return html.Div(
        [
            html.A(id="alerts-bar", href="/alerts", className="alerts-bar", **attrs(aria_live="polite")),
            # Shown by alerts_sound.js while the browser holds the sound back until someone clicks.
            html.Button(
                [icon("sound"), html.Span(t("alerts.sound.unlock"))],
                id="alerts-sound-unlock",
                type="button",
                className="alerts-sound-unlock",
                hidden=True,
            ),
            html.Div(id="alerts-sound", hidden=True, **attrs(data_on="0", data_due="")),
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


def sounds(account: bool, display: str | None) -> bool:
    """Whether a screen sounds: its browser's own `?sound=` choice if it made one, else its account's."""
    return {"1": True, "0": False}.get(display or "", account)


def tones_due(found: Iterable[AlertView]) -> str:
    """The feed's `data-due`: each critical alert firing, unacknowledged and not silenced that was told at least
    once, as `id:generation`, in id order."""
    due = sorted(
        (a.id, a.notify_count)
        for a in found
        if a.severity == "critical"
        and a.state == "firing"
        and a.open
        and not a.acknowledged
        and not a.silenced
        and a.notify_count > 0
    )
    return " ".join(f"{i}:{n}" for i, n in due)
