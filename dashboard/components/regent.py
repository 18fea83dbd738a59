"""The pieces of the bupati's desk: a figure against the weeks before, a trend in an arrow and a word, a
sparkline, a figure's age.

A sparkline is a small SVG drawn here and sent as an image: eight points need no charting library in the
browser, and an image with its words in `alt` reads the same to a screen reader as to the eye.
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Sequence
from datetime import datetime, timedelta

from dash import html

from scc.clock import utcnow
from scc.settings.regent import Better

from .. import i18n
from ..i18n import t
from ..queries.regent import Compared
from ..queries.regent_units import Trend
from .status import Tone, attrs, pill

SPARK_W, SPARK_H, SPARK_PAD = 96, 26, 3
ARROWS: dict[Trend, str] = {"up": "↑", "down": "↓", "steady": "→"}
WORDS: dict[Trend, str] = {"up": "regent.trend_up", "down": "regent.trend_down", "steady": "regent.trend_steady"}


def trend_tone(trend: Trend | None, better: Better) -> Tone:
    """Good news green, bad news amber, a load that is neither good nor bad grey."""
    if trend is None or better == "neither":
        return "unknown"
    if trend == "steady":
        return "ok"
    good = (trend == "up") == (better == "higher")
    return "ok" if good else "warning"


def trend(value: Trend | None, better: Better) -> html.Span:
    """An arrow with its word (naik / turun / tetap), never the colour alone."""
    if value is None:
        return pill(t("regent.trend_none"), "unknown")
    return pill(f"{ARROWS[value]} {t(WORDS[value])}", trend_tone(value, better))


def arrow(value: Trend | None, better: Better, before: str) -> html.Span | None:
    """A small arrow after a figure, its shape the direction and its word in the tooltip and for screen
    readers: "turun dari rata² 4 mgg 18"."""
    if value is None:
        return None
    words = t("regent.arrow_words", trend=t(WORDS[value]), before=before)
    tone = trend_tone(value, better)
    return html.Span(ARROWS[value], className=f"regent-arrow tone-{tone}", title=words, **attrs(aria_label=words))


def compared(c: Compared, direction: Trend | None = None, better: Better = "neither") -> list[html.Td]:
    """Three cells: today (with its direction against the 4 weeks), the same weekday last week, the mean of
    the four weeks before."""
    return [
        html.Td(
            [i18n.number(c.today, digits=0), arrow(direction, better, i18n.number(c.four_weeks, digits=1))],
            className="num regent-today",
        ),
        html.Td(i18n.number(c.last_week, digits=0), className="num"),
        html.Td(i18n.number(c.four_weeks, digits=1), className="num"),
    ]


def sparkline(values: Sequence[float | None], label: str) -> html.Img:
    """Eight weeks as a line, the last week's point marked; a week with no reading leaves a gap."""
    known = [v for v in values if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    span = (high - low) or 1.0
    step = (SPARK_W - 2 * SPARK_PAD) / max(1, len(values) - 1)

    def y(v: float) -> float:
        return SPARK_H - SPARK_PAD - (v - low) / span * (SPARK_H - 2 * SPARK_PAD)

    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append(f"{SPARK_PAD + i * step:.1f},{y(v):.1f}")
    lines = "".join(
        f'<polyline points="{" ".join(run)}" fill="none" stroke="#9cc9ff" stroke-width="2"/>' for run in runs if run
    )
    dot = ""
    if values and values[-1] is not None:
        dot = f'<circle cx="{SPARK_PAD + (len(values) - 1) * step:.1f}" cy="{y(values[-1]):.1f}" r="3" fill="#ffffff"/>'
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SPARK_W}" height="{SPARK_H}" '
        f'viewBox="0 0 {SPARK_W} {SPARK_H}">{lines}{dot}</svg>'
    )
    return html.Img(
        src="data:image/svg+xml;base64," + b64encode(svg.encode()).decode(),
        alt=label,
        className="sparkline",
        width=SPARK_W,
        height=SPARK_H,
    )


def age(at: datetime | None, stale_after: timedelta, now: datetime | None = None) -> html.Span:
    """A figure's age: "per 09.05 WITA" while fresh; greyed with how old it is once stale; said when none."""
    now = now or utcnow()
    if at is None:
        return html.Span(t("regent.no_data"), className="regent-age stale", **attrs(data_stale="true"))
    stale = now - at > stale_after
    text = (
        t("regent.stale_since", age=i18n.age(at, now=now, short=True)) if stale else t("regent.as_of", at=i18n.when(at))
    )
    return html.Span(
        text, className="regent-age" + (" stale" if stale else ""), **attrs(data_stale="true" if stale else "false")
    )
