"""A unit's public service as the metrics pages show it: the last check's state (icon and word), its uptime
over 24 hours, 7 and 30 days, and on the unit's page its recent checks and the times it was down.

What the states mean (slow, certificate expiring) is decided in dashboard.queries.metrics_probes.
"""

from __future__ import annotations

from typing import Any

from dash import html

from .. import i18n
from ..i18n import t
from ..queries.metrics import UnitReport
from ..queries.metrics_probes import WEBSITE, WINDOWS, Check, ProbeState, Services, UnitService, Uptime, down_periods
from . import status
from .status import Tone, attrs
from .tables import panel, table

TONES: dict[ProbeState, Tone] = {"up": "ok", "slow": "warning", "expiring": "warning", "down": "alarm"}
SHOWN_CHECKS = 12  # rows of a unit's recent checks; a fitting panel hides what its cell cannot hold
SHOWN_PERIODS = 2
ERROR_CHARS = 60


def state_of(check: Check | None) -> tuple[str, Tone]:
    """(state, tone) of the newest check; no check (none lately) is "unknown", never up."""
    if check is None:
        return "unknown", "unknown"
    return check.state, TONES[check.state]


def state_word(check: Check | None, *, short: bool = False) -> str:
    state, _ = state_of(check)
    if short and state == "expiring" and check is not None:
        return t("probe.short.expiring", days=check.tls_days_left)
    return t(("probe.short." if short else "probe.state.") + state)


def share(uptime: Uptime | None) -> str:
    value = None if uptime is None else uptime.share
    return "-" if value is None else i18n.number(100 * value, digits=0) + " %"


def uptime_words(uptime: dict[str, Uptime] | None) -> str:
    """`24 j 99 % · 7 h 97 % · 30 h 98 %`: every window, in words for a tooltip or a reader."""
    return " · ".join(f"{t('probe.window.' + w)} {share((uptime or {}).get(w))}" for w in WINDOWS)


def tile_line(report: UnitReport, seen: Services) -> html.Div:
    """A grid tile's line for the unit's site: its state (icon, short word) and uptime 24 h · 7 d · 30 d; for a
    unit with no service URL, its own word on its website and that it has no URL."""
    code = report.skpd.code
    if code not in seen.probed:
        own = report.latest.get(WEBSITE)
        value = None if own is None else own.value
        state, tone = ("nodata", "unknown") if value is None else ("up", "ok") if value >= 0.5 else ("down", "alarm")
        return html.Div(
            [
                status.icon(tone, "probe-icon"),
                html.Span(t("probe.short." + state), className="probe-state"),
                html.Span(t("probe.no_url_short"), className="probe-uptime probe-none"),
            ],
            className=f"probe-line tone-{tone}",
            title=f"{t('probe.state.' + state)} · {t('probe.no_url')}: {t('probe.no_url_hint')}",
            **attrs(data_probe="no_url"),
        )
    check = seen.latest.get(code)
    state, tone = state_of(check)
    uptime = seen.uptime.get(code)
    figures = "·".join(share((uptime or {}).get(w)).removesuffix(" %") for w in WINDOWS)  # in %, says the legend
    return html.Div(
        [
            status.icon(tone, "probe-icon"),
            html.Span(state_word(check, short=True), className="probe-state"),
            html.Span(figures, className="probe-uptime"),
        ],
        className=f"probe-line tone-{tone}",
        title=f"{state_word(check)} · {t('probe.uptime')}: {uptime_words(uptime)}",
        **attrs(data_probe=state),
    )


def _latency(check: Check) -> str:
    return "-" if check.latency_ms is None else i18n.number(check.latency_ms, digits=0) + " ms"


def _tls(check: Check) -> str:
    if check.tls_days_left is None:
        return "-"
    if check.tls_days_left < 0:
        return t("probe.tls_expired", days=-check.tls_days_left)
    return t("probe.tls_days", days=check.tls_days_left)


def _state_cell(check: Check) -> html.Span:
    state, tone = state_of(check)
    return html.Span(
        [status.icon(tone, "probe-icon"), html.Span(state_word(check))],
        className=f"probe-cell tone-{tone}",
        **attrs(data_probe=state),
    )


def _why(check: Check) -> str:
    return (check.error or "")[:ERROR_CHARS]


def service_panel(service: UnitService | None) -> html.Section:
    """The unit's page: its service's last check and uptime, when it was down, its recent checks."""
    if service is None:
        return panel(
            t("probe.title"),
            html.P(t("probe.no_url_hint"), className="chart-how", id="probe-no-url"),
            panel_id="panel-probe",
            aside=html.Span(t("probe.no_url"), className="probe-none"),
            className="chart-panel probe-panel",
        )
    newest = service.checks[0] if service.checks else None
    fresh = service.latest
    state, tone = state_of(fresh)
    facts: list[tuple[str, Any]] = [
        (t("probe.last_check"), i18n.when(newest.at) if newest else t("probe.never")),
        (t("probe.http"), str(newest.status_code) if newest and newest.status_code else "-"),
        (t("probe.latency"), _latency(newest) if newest else "-"),
        (t("probe.tls"), _tls(newest) if newest else "-"),
    ]
    facts += [(t("probe.uptime") + " " + t("probe.window." + w), share(service.uptime.get(w))) for w in WINDOWS]
    periods = down_periods(service.checks)
    down = [
        html.Li(
            t("probe.down_since", start=i18n.when(p.start), n=p.checks)
            if p.end is None
            else t("probe.down_between", start=i18n.when(p.start), end=i18n.when(p.end), n=p.checks)
        )
        for p in periods[:SHOWN_PERIODS]
    ]
    rows = [
        [i18n.when(c.at), _state_cell(c), str(c.status_code or "-"), _latency(c), _tls(c), _why(c)]
        for c in service.checks[:SHOWN_CHECKS]
    ]
    headers = [t(k) for k in ("probe.at", "probe.status", "probe.http", "probe.latency", "probe.tls", "probe.why")]
    return panel(
        t("probe.title"),
        [
            html.Div(service.url, className="probe-url", title=service.url),
            html.Dl(
                [part for key, text in facts for part in (html.Dt(key), html.Dd(text))],
                className="tile-facts probe-facts",
                id="probe-facts",
            ),
            html.Div(
                [html.Span(t("probe.down_periods"), className="flag-name"), html.Ul(down, className="probe-down")]
                if down
                else html.Span(t("probe.no_down", n=len(service.checks)), className="chart-how"),
                id="probe-periods",
            ),
            table(headers, rows, "probe-checks", numeric=(2, 3, 4))
            if rows
            else html.P(t("probe.never"), className="chart-how"),
        ],
        panel_id="panel-probe",
        aside=html.Span(
            [status.icon(tone, "probe-icon"), html.Span(state_word(fresh))],
            className=f"probe-cell tone-{tone}",
            id="probe-state",
            **attrs(data_probe=state),
        ),
        className="chart-panel probe-panel",
        fit=True,
    )
