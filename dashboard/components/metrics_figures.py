"""SKPD figures as the metrics pages show them: a value with its unit, a metric's tile, a progress bar."""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import html
from flask_login import current_user

from scc.settings.metrics import Metric

from .. import i18n
from ..i18n import t
from ..queries.metrics import Latest, UnitReport
from . import status
from .status import attrs

# Units whose figures are plain numbers (a count) or yes/no (a flag): nothing follows the number.
UNITLESS = frozenset({"count", "flag"})
PREFIXED = frozenset({"idr"})  # Rp 12.500, IDR 12,500
WHOLE = frozenset({"count", "people", "beds", "idr", "idr_per_kg", "idr_per_litre"})


def digits(metric: Metric) -> int:
    return 0 if metric.unit in WHOLE else 1


def unit_text(unit: str) -> str:
    """A unit's symbol in the user's language, or nothing for a plain count or a flag."""
    return "" if unit in UNITLESS else t("unit." + unit)


def amount(metric: Metric, value: float | None, *, short: bool = True) -> str:
    """A value with its unit where the reader expects it: `Rp 6,49 M`, `85 %`, `1.386`."""
    fmt = i18n.figure if short else i18n.number
    return _with_unit(metric, fmt(value, digits=digits(metric)), unit_text(metric.unit), value is None)


def amounts(metric: Metric, values: Sequence[float]) -> list[str]:
    """Many values in full (`amount(..., short=False)` each), the language and unit looked up once: a
    year's chart writes one for every point."""
    lang, places, unit = i18n.current_language(), digits(metric), unit_text(metric.unit)
    return [_with_unit(metric, i18n.number(v, lang, places), unit, False) for v in values]


def _with_unit(metric: Metric, text: str, unit: str, missing: bool) -> str:
    if not unit or missing:
        return text
    return f"{unit} {text}" if metric.unit in PREFIXED else f"{text} {unit}"


def name(metric: Metric, *, short: bool = False) -> str:
    """The metric's name in the user's language; short, its short name from config/ (a tile's label, whole:
    "Beras medium", never "Har..." for rice or chilli alike)."""
    return str(getattr(metric.short if short else metric.name, i18n.current_language()))


def flag(value: float | None, size: str = "") -> html.Span:
    """A 0/1 figure as a word with its shape: Ya / Tidak / Belum ada data."""
    if value is None:
        return status.pill(t("metric.nodata"), "unknown", size=size)
    return status.pill(
        t("metric.flag_on") if value >= 0.5 else t("metric.flag_off"), status.flag_tone(value), size=size
    )


def value_view(latest: Latest, cls: str = "metric-value") -> html.Span:
    """The newest value, large, with its unit (or a flag's word)."""
    metric, value = latest.metric, latest.value
    if metric.kind == "flag":
        return flag(value, size="lg")
    prefix = metric.unit in PREFIXED and value is not None
    unit = unit_text(metric.unit)
    return html.Span(
        [
            html.Span(unit, className="metric-unit") if prefix else None,
            html.Span(
                i18n.figure(value, digits=digits(metric)),
                className="metric-number",
                title=i18n.number(value, digits=digits(metric)),
            ),
            html.Span(unit, className="metric-unit") if value is not None and not prefix and unit else None,
        ],
        className=cls,
    )


def tile(latest: Latest) -> html.Li:
    """One metric's newest value, its freshness in words, when it was measured and its target."""
    metric = latest.metric
    facts = [(t("metrics.at"), i18n.when(latest.ts))]
    if metric.target is not None:
        facts.append((t("metrics.target"), amount(metric, metric.target)))
    label = name(metric)
    return html.Li(
        [
            html.Div(
                [html.H3(label, className="tile-name", title=label), status.badge("metric", latest.freshness)],
                className="metric-head",
            ),
            value_view(latest),
            html.Dl(
                [part for key, text in facts for part in (html.Dt(key), html.Dd(text))],
                className="tile-facts",
            ),
        ],
        className=f"metric-tile tone-{status.METRIC[latest.freshness]} fit-item",
        **attrs(data_metric=metric.key),
    )


def headline(report: UnitReport, n: int = 1) -> list[Latest]:
    """A unit's figures for the wall: its own first metric; for a unit with none, its service. Its website
    has a line of its own on the tile (components.metrics_probes.tile_line)."""
    own = [x for x in report.latest.values() if x.metric.key not in ("service_up", "website_up")]
    return (own or [x for x in report.latest.values() if x.metric.key == "service_up"])[:n]


def state_line(report: UnitReport, *, short: bool = False) -> html.Div:
    """`Aktif · 3 menit lalu`: the unit's state in words with its shape, and the age of its last report."""
    tone = status.SKPD[report.state]
    last = report.last_report
    when = None if last is None else i18n.age(last, short=True) if short else t("metrics.ago", age=i18n.age(last))
    return html.Div(
        [
            status.icon(tone, "unit-icon"),
            html.Span(t("skpd." + report.state), className="unit-state"),
            html.Span(when, className="unit-age", title=t("metrics.last_report", at=i18n.datetime_wita(last)))
            if when
            else None,
        ],
        className=f"unit-line tone-{tone}",
    )


def progress(
    label: str, value: float | None, goal: float | None, text: str, *, item_id: str, freshness: str = ""
) -> html.Div:
    """A bar towards a goal, with the numbers written out (`12.825 dari 13.161`) and how fresh they are."""
    share = None if value is None or not goal else max(0.0, min(100.0, 100.0 * value / goal))
    shown = "-" if share is None else i18n.number(share, digits=0) + " %"
    return html.Div(
        [
            html.Div(
                [html.Span(label, className="progress-label"), html.Span(shown, className="progress-share")],
                className="progress-head",
            ),
            html.Div(
                html.Div(className="progress-fill", style={"width": f"{share or 0:.1f}%"}),
                className="progress-track",
                role="progressbar",
                **attrs(
                    aria_label=label,
                    aria_valuemin="0",
                    aria_valuemax="100",
                    aria_valuenow=f"{share or 0:.0f}",
                    aria_valuetext=text,
                ),
            ),
            html.Div(
                [html.Span(text), status.badge("metric", freshness, size="sm") if freshness else None],
                className="progress-text",
            ),
        ],
        className="progress-item" + (" progress-none" if share is None else ""),
        id=item_id,
    )


def metrics_tabs(current: str) -> html.Nav:
    """The metrics pages' own tabs: every unit, the comparisons, and (for an admin) the data entry."""
    links = [("/metrics", "metrics.tab_units"), ("/metrics/compare", "metrics.tab_compare")]
    if current_user.role == "admin":
        links.append(("/metrics/own", "metrics.tab_own"))
    return html.Nav(
        [
            dbc.NavLink(t(key), href=path, active=path == current, id="tab-" + path.strip("/").replace("/", "-"))
            for path, key in links
        ],
        className="nav nav-tabs scc-tabs metrics-tabs",
        id="metrics-tabs",
        **attrs(aria_label=t("metrics.sections")),
    )
