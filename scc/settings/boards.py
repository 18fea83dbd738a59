"""The public boards (config/boards.yaml): which units show a lobby screen, and which of their figures.

A board shows a unit's public figures on a TV in its office's lobby, opened by a display link
(dashboard/boards_routes.py, docs/design.md §3.9). What a figure means is the unit's metric catalog's
(metrics.yaml): the queue is a gauge read as it is now, the documents issued a counter read as its running
total of today (WITA), and any other public figure is shown as its newest value. The office hours are the
unit's own, on the calendar's office days (office_days.yaml); a unit the calendar keeps always open has none.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import time
from typing import Any, Literal

from pydantic import Field, PositiveInt, model_validator

from .base import Code, MetricKey, Strict, Text, TimeOfDay
from .metrics import Metric
from .metrics_office_days import OfficeCalendar
from .source import ConfigError, Document

Shown = Literal["now", "today"]


class Hours(Strict):
    """When the office serves the public on an office day, in WITA."""

    opens: TimeOfDay = Field(description='Opening time, "HH:MM" WITA, in quotes.')
    closes: TimeOfDay = Field(description='Closing time, "HH:MM" WITA, in quotes; after `opens`.')

    @model_validator(mode="after")
    def _in_order(self) -> Hours:
        if self.closes <= self.opens:
            raise ValueError(f"closes ({self.closes}) must come after opens ({self.opens})")
        return self

    @property
    def span(self) -> tuple[time, time]:
        return time.fromisoformat(self.opens), time.fromisoformat(self.closes)


class Figure(Strict):
    """One more public figure of the unit, beside its queue and its documents issued."""

    metric: MetricKey = Field(description="A metric of this unit in metrics.yaml.")
    show: Shown = Field(
        default="now",
        description="now: its newest value (a gauge); today: a counter's running total of today (WITA).",
    )
    label: Text | None = Field(
        default=None, description="What the TV calls it, in both languages; the catalog's name when omitted."
    )


class Board(Strict):
    skpd: Code = Field(description="The unit (a code in skpd.yaml) whose lobby screen this is.")
    title: str | None = Field(
        default=None, min_length=1, max_length=60, description="Heading on the TV; the unit's name when omitted."
    )
    queue: MetricKey | None = Field(
        default=None, description="Its gauge of people waiting now (metrics.yaml), shown as 'Antrean saat ini'."
    )
    issued: MetricKey | None = Field(
        default=None,
        description="Its counter of documents issued, a running total of the day (metrics.yaml): today's total.",
    )
    issued_label: Text | None = Field(
        default=None,
        description="What the issued figure counts ('KTP-el tercetak hari ini'); the catalog's name when omitted.",
    )
    figures: list[Figure] = Field(
        default_factory=list, max_length=2, description="Other public figures, at most two (the TV has room for four)."
    )
    hours: Hours | None = Field(
        default=None,
        description="Service hours on the calendar's office days; omit only for a unit the calendar keeps "
        "always open (office_days.yaml always_open_units), which the TV shows as open 24 hours.",
    )

    @model_validator(mode="after")
    def _shows_something(self) -> Board:
        if self.queue is None and self.issued is None and not self.figures:
            raise ValueError("a board shows at least one figure: queue, issued or figures")
        return self

    def shown(self) -> list[tuple[str, str, Shown, Text | None]]:
        """(role, metric key, how it is read, its label) in the order the TV shows them."""
        out: list[tuple[str, str, Shown, Text | None]] = []
        if self.queue:
            out.append(("queue", self.queue, "now", None))
        if self.issued:
            out.append(("issued", self.issued, "today", self.issued_label))
        out.extend(("figure", f.metric, f.show, f.label) for f in self.figures)
        return out


class Limits(Strict):
    """How often one display link, and one client address, may ask (each web worker counts its own)."""

    per_link_per_minute: PositiveInt = Field(
        default=30,
        description="Requests a minute one link may make (page and data): a TV asks 6 times a minute, so a "
        "reload or two and a second TV on the same link still fit.",
    )
    per_address_per_minute: PositiveInt = Field(
        default=900,
        description="Requests a minute from one client address, good or bad tokens alike: 50 TVs behind one "
        "address (a proxy, the benchmark) ask 300 times a minute.",
    )


class BoardsFile(Strict):
    refresh_s: int = Field(default=10, ge=5, le=300, description="Seconds between two refreshes of a TV.")
    stale_after_s: PositiveInt | None = Field(
        default=None,
        description="A figure older than this says so on the TV; when omitted, twice the metric's interval_s.",
    )
    announcement_chars: int = Field(
        default=280, ge=20, le=1000, description="Longest announcement a unit's staff may set (readable from 5 m)."
    )
    limits: Limits = Field(default_factory=Limits, description="Rate limits of the public board routes.")
    boards: list[Board] = Field(default_factory=list, description="The units with a lobby screen, one entry each.")

    def board_of(self, code: str) -> Board | None:
        return next((b for b in self.boards if b.skpd == code), None)


def problems(
    doc: Document, boards: Sequence[Board], skpd_codes: set[str], metrics: Sequence[Metric], calendar: OfficeCalendar
) -> Iterator[ConfigError]:
    """Each board names a known unit once, its own metrics of the right kind, and hours unless always open."""
    catalog: dict[tuple[str, str], Any] = {(m.skpd, m.key): m for m in metrics}
    seen: set[str] = set()
    for i, board in enumerate(boards):
        if board.skpd not in skpd_codes:
            yield doc.error(("boards", i, "skpd"), f"unknown SKPD {board.skpd!r}")
            continue
        if board.skpd in seen:
            yield doc.error(("boards", i, "skpd"), f"{board.skpd!r} has a board already")
        seen.add(board.skpd)
        always = board.skpd in calendar.always_open_units
        if board.hours is None and not always:
            yield doc.error(("boards", i, "hours"), "required: the unit closes on the calendar (office_days.yaml)")
        if board.hours is not None and always:
            yield doc.error(("boards", i, "hours"), "the calendar keeps this unit always open: omit its hours")
        for loc, key, want in _metric_refs(board):
            metric = catalog.get((board.skpd, key))
            if metric is None and any(m.key == key and m.skpd not in skpd_codes for m in metrics):
                continue  # owned by an unknown unit: metrics.yaml's own error says so
            if metric is None:
                yield doc.error(("boards", i, *loc), f"{key!r} is no metric of {board.skpd!r} in metrics.yaml")
            elif metric.from_calls is not None:
                yield doc.error(("boards", i, *loc), f"{key!r} is kept by the call center, not the unit")
            elif metric.kind not in want:
                yield doc.error(("boards", i, *loc), f"{key!r} is a {metric.kind}; this needs a {' or '.join(want)}")


def _metric_refs(board: Board) -> Iterator[tuple[tuple[Any, ...], str, tuple[str, ...]]]:
    if board.queue:
        yield ("queue",), board.queue, ("gauge",)
    if board.issued:
        yield ("issued",), board.issued, ("counter",)
    for j, figure in enumerate(board.figures):
        yield ("figures", j, "metric"), figure.metric, ("counter",) if figure.show == "today" else ("gauge", "counter")
