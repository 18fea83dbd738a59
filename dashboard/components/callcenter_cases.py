"""An incident or complaint as a row that opens: one line to scan, and inside it the whole exchange.

A row is a native <details>: a click, Enter or Space opens it. What it opens
to (the facts, the unit's settlement note, the timeline) is drawn by the
page's callback when the row is opened (`opener` clicked), not with the list:
a page of 25 rows with every exchange drawn was 1,500 components and 100 ms
of rendering, most of it never read. The column heads are drawn once above
the rows; each row's cells carry their head too, for screen readers. A row
is drawn again only when its case changed (`kept`): making and serialising
its two dozen components was most of what a page of rows cost.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import dash
from dash import html
from dash.exceptions import PreventUpdate
from dash_bootstrap_components import Button
from flask import abort
from flask_login import current_user
from plotly.io.json import to_json_plotly

from scc.clock import to_wita, utcnow
from scc.settings import Settings

from .. import i18n
from ..i18n import t
from .callcenter_incidents import unit_name
from .status import Domain, Tone, attrs, badge_word, pill, tone_of


def heads(names: Sequence[str], grid: str) -> html.Div:
    """The column heads above a list of rows (the cells say them again to assistive technology)."""
    return html.Div(
        [html.Span(n, className="case-head") for n in names],
        className=f"case-heads {grid}",
        **attrs(aria_hidden="true"),
    )


@dataclass(frozen=True)
class Cell:
    """A cell of a row: its words, which a screen reader hears after the column's head, and what the eye
    sees instead where that is more than the words (a status with its shape); `title`: its tooltip."""

    words: str
    shown: Any = None
    title: str | None = None


def row(
    kind: str, incident_id: int, heads_: Sequence[str], cells: Sequence[Cell], *, grid: str, late: bool = False
) -> html.Li:
    """One row: `cells` under `heads_`. Its body is {"type": f"{kind}-body", "id": incident_id}, filled when
    {"type": f"{kind}-open", ...} (the line itself) is clicked. `late`: marked overdue (the word is in a cell)."""
    summary = html.Summary(
        [_cell(head, cell) for head, cell in zip(heads_, cells, strict=True)],
        id={"type": f"{kind}-open", "id": incident_id},
        className=f"case-line {grid}",
    )
    body = html.Div(t("cases.loading"), id={"type": f"{kind}-body", "id": incident_id}, className="case-body")
    return html.Li(
        html.Details([summary, body], id=f"{kind}-row-{incident_id}", className="case"),
        className="case-item" + (" case-late" if late else ""),
    )


def kept(app_engine: object, kind: str, case: dict[str, Any], draw: Callable[[], html.Li]) -> Any:
    """A row as the browser receives it, drawn again only when what it shows changed (React's memo, on
    the server): kept by every field of its case as read, the reader's language and today's date (a time
    of today is written without its date), as Dash's own JSON of it, least recently used, per worker and
    per app (its engine: the names a row shows come from that app's settings). Making and serialising a
    row's components is most of what a page of rows costs; its data is a read of a few microseconds."""
    key = (kind, i18n.current_language(), to_wita(utcnow()).date(), _frozen(case))
    with _kept_lock:
        rows = _kept.setdefault(app_engine, OrderedDict())
        found = rows.get(key)
        if found is not None:
            rows.move_to_end(key)
            return found
    found = json.loads(to_json_plotly(draw()))
    with _kept_lock:
        rows[key] = found
        while len(rows) > KEPT_ROWS:
            rows.popitem(last=False)
    return found


def _frozen(value: Any) -> Any:
    """A case's fields as a key: lists and dicts (a column read as JSON) as tuples, all the way down."""
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


KEPT_ROWS = 1024  # some fifty pages of rows
# Per engine, and gone with it (a test's app freed and another made at its address must not find it).
_kept: weakref.WeakKeyDictionary[object, OrderedDict[Hashable, Any]] = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def _cell(head: str, cell: Cell) -> html.Span:
    shown = cell.words if cell.shown is None else cell.shown
    said = [html.Span(head + ": ", className="visually-hidden"), shown]
    if cell.title:
        return html.Span(said, className="case-cell", title=cell.title)
    return html.Span(said, className="case-cell")


def state(word: str, tone: Tone, status: str) -> Cell:
    """A state in a row: its pill, and its word for the screen reader."""
    return Cell(word, pill(word, tone, status=status))


def badge(domain: Domain, status: str) -> Cell:
    """A domain's status in a row, as `status.badge` shows it."""
    return state(badge_word(domain, status), tone_of(domain, status), status)


def when(moment: Any) -> Cell:
    """A time in a row: `09.05 WITA` today, the date before; the full date and time in its tooltip."""
    return Cell(i18n.when(moment), title=i18n.datetime_wita(moment))


def opening(clicks: int | None) -> bool:
    """Whether a click on a row's line opened it (odd) rather than closed it (even): only then is it drawn."""
    return bool(clicks) and (clicks or 0) % 2 == 1


def opened_case(clicks: int | None, find: Callable[[int, str | None], dict[str, Any] | None]) -> dict[str, Any]:
    """The case whose row the reader just opened (a pattern-matching callback's trigger), found by
    `find(incident_id, own unit)`; PreventUpdate when the row closed, 403 when the reader may not see it
    (or it does not exist: one answer for both). SKPD staff only ever find their own unit's."""
    if not opening(clicks):
        raise PreventUpdate  # closed, or drawn anew: nothing to read
    trigger = dash.ctx.triggered_id
    incident_id = trigger.get("id") if isinstance(trigger, dict) else None
    own = current_user.skpd_code if current_user.role == "skpd" else None
    found = find(incident_id, own) if isinstance(incident_id, int) else None
    if found is None or (current_user.role == "skpd" and not own):
        abort(403)
    return found


def rows(items: list[Any], list_id: str) -> html.Ol:
    return html.Ol(items, className="case-list", id=list_id)


def facts(pairs: Sequence[tuple[str, Any]]) -> html.Dl:
    """Label and value; a None value (a fact the case does not have) is left out, an empty one shows "-"."""
    pairs = [(label, value) for label, value in pairs if value is not None]
    return html.Dl(
        [
            part
            for label, value in pairs
            for part in (html.Dt(label), html.Dd(value if value not in ("", None) else "-"))
        ],
        className="case-facts",
    )


def _what(settings: Settings, e: dict[str, Any]) -> str:
    """An event in words (plain text: a page of rows carries many, and each component costs)."""
    kind, note = e["kind"], e.get("note") or ""
    if kind == "status":
        word = t(f"incident.{e['status']}")
        return f"{word}: {note}" if note else word
    if kind == "unit":
        word = t("incident.unit_back") if note == "released" else t("incident.unit_sent")
        return f"{t('incident.kind_unit')} {word}: {unit_name(settings, e.get('unit_code'))}"
    label = {"call": "incident.kind_call", "snapshot": "incident.kind_snapshot"}.get(kind, "incident.kind_note")
    return f"{t(label)}: {note}" if note else t(label)


def exchange(settings: Settings, events: list[dict[str, Any]], list_id: str) -> html.Ol:
    """The timeline oldest first: when (WITA), who, and what was done or said."""
    return html.Ol(
        [
            html.Li(
                [
                    html.Span(i18n.datetime_wita(e["at"]), className="exchange-time"),
                    html.Span(e["operator"], className="exchange-who"),
                    html.Span(_what(settings, e), className="exchange-what"),
                ],
                className="exchange-item",
            )
            for e in events
        ],
        className="exchange",
        id=list_id,
    )


def settlement(event: dict[str, Any] | None, note_id: str) -> html.Div:
    """The unit's own word on what it did, set apart so the operator reads it before closing."""
    if event is None:
        return html.Div(
            [pill(t("cases.no_settlement"), "unknown")],
            className="settlement settlement-none",
            id=note_id,
        )
    return html.Div(
        [
            html.H5(t("cases.settlement"), className="settlement-title"),
            html.P(event["note"], className="settlement-note"),
            html.P(
                t("cases.settled_by", who=event["operator"], when=i18n.datetime_wita(event["at"])),
                className="settlement-meta",
            ),
        ],
        className="settlement",
        id=note_id,
    )


def pager(prefix: str, where: str, *, first: bool, last: bool) -> html.Nav:
    """Previous / next and where one is ("Halaman 2 dari 5 · 93 pengaduan"); drawn once with the page,
    its callback changes the words and which button works."""
    return html.Nav(
        [
            Button(t("cases.previous"), id=f"{prefix}-prev", color="secondary", disabled=first),
            html.Span(where, className="pager-where", id=f"{prefix}-where", role="status"),
            Button(t("cases.next"), id=f"{prefix}-next", color="secondary", disabled=last),
        ],
        className="pager",
        **attrs(aria_label=t("cases.pages")),
    )


def where(page: int, pages: int, total: str) -> str:
    return t("cases.page_of", page=i18n.number(page + 1, digits=0), pages=i18n.number(pages, digits=0)) + " · " + total
