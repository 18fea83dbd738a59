"""How an SKPD's figures arrive: what became of a submission, the messages refused, how to connect a system.

Shared by the unit's own page (metrics_own.py) and the admin page (every unit's
rejections). Nothing here shows a password: the unit's broker password is
given by the command center's admin and never leaves the server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from scc.clock import WITA, utcnow
from scc.settings import Settings
from scc.settings.metrics import Metric
from streams.metrics.intake import Problem, Report

from .. import i18n
from ..i18n import t
from ..queries.metrics_received import Corrected, Rejected
from . import faults
from .metrics_figures import name as figure_name
from .tables import table

SHOWN_PROBLEMS = 20  # lines of a report listed; the rest counted
SOURCES = {"mqtt": "MQTT", "web": "Web", "csv": "CSV"}
TOPIC = "scc/v1/skpd/{code}/telemetry"


def report(result: Report, problems: Sequence[str], *, alert_id: str, filename: str | None = None) -> dbc.Alert:
    """`3 nilai baru, 1 dikoreksi, 4 tidak berubah` and each problem on its own line (a CSV's bad rows by
    their line number)."""
    kept = result.stored + result.corrected + result.unchanged
    colour = "success" if not problems else ("warning" if kept else "danger")
    said = [t("own.stored", n=result.stored)]
    if result.corrected:
        said.append(t("own.corrected", n=result.corrected))
    if result.unchanged:
        said.append(t("own.unchanged", n=result.unchanged))
    head = ", ".join(said) + (f" ({filename})" if filename else "")
    shown = list(problems[:SHOWN_PROBLEMS])
    more = len(problems) - len(shown)
    return dbc.Alert(
        [
            html.P(head, className="report-stored mb-1"),
            html.P(t("own.problems", n=len(problems)), className="mb-1") if problems else None,
            html.Ul([html.Li(p) for p in shown], className="report-problems mb-0") if shown else None,
            html.P(t("common.more", n=more), className="mb-0 mt-1") if more > 0 else None,
        ],
        color=colour,
        id=alert_id,
        className="report",
    )


def problem_text(problem: Problem, names: Mapping[str, str]) -> str:
    """`Baris 3 (kunci): NaN bukan angka`, `Izin diterbitkan: 999.999 di luar rentang 0 – 5.000`: where, and
    what was wrong in the user's language (the English reason where intake has no code for it)."""
    where = ""
    if problem.line is not None:
        where = t("own.at_line", n=problem.line) + (f" ({problem.key})" if problem.key else "")
    elif problem.key is not None:
        where = names.get(problem.key, problem.key)
    what = faults.refusal(problem.reason)  # the English reason stays in the log and the rejections' tooltip
    if problem.code == "out_of_range":
        numbers = {k: i18n.number(v, digits=2) for k, v in problem.details.items() if isinstance(v, int | float)}
        what = t("own.err_out_of_range", **numbers)
    elif problem.code is not None:
        what = t(f"own.err_{problem.code}", **problem.details)
    return f"{where}: {what}" if where else what


def payload_text(row: Rejected) -> str:
    cut = row.payload_chars > len(row.payload)
    return row.payload + ("…" if cut else "")


def payload_cell(row: Rejected) -> Any:
    """The payload's beginning; when storage kept only that much of it, how much of how much, and the whole
    payload's SHA-256 to compare with what was sent."""
    shown = html.Code(payload_text(row), className="reject-payload", title=t("rejected.chars", n=row.payload_chars))
    if not row.cut:
        return shown
    kept, size = i18n.number(row.kept_bytes, digits=0), i18n.number(row.payload_bytes, digits=0)
    sha = f"SHA-256 {row.payload_sha256}" if row.payload_sha256 else None
    return html.Div([shown, html.Div(t("rejected.cut", kept=kept, size=size), className="reject-cut", title=sha)])


def rejections_table(settings: Settings, rows: Sequence[Rejected], *, table_id: str, show_unit: bool) -> object:
    headers = [t("rejected.when")] + ([t("rejected.unit")] if show_unit else [])
    headers += [t("rejected.source"), t("rejected.reason"), t("rejected.payload")]
    body = []
    for r in rows:
        unit = settings.skpd_by_code[r.skpd_code].short if r.skpd_code in settings.skpd_by_code else r.skpd_code or "-"
        cells: list[Any] = [i18n.datetime_wita(r.received_at), *([unit] if show_unit else [])]
        cells += [
            SOURCES.get(r.source, r.source),
            faults.refusal_span(r.reason, "reject-reason"),
            payload_cell(r),
        ]
        body.append(cells)
    return table(headers, body, table_id=table_id)


def corrections_table(settings: Settings, code: str, rows: Sequence[Corrected], *, table_id: str) -> object:
    """Each correction of a unit's figures: when, which figure for which time, old and new, and who."""
    names = {m.key: figure_name(m) for m in settings.metrics if m.skpd == code}
    headers = [t("corrected.when"), t("corrected.metric"), t("corrected.for"), t("corrected.change")]
    headers += [t("corrected.by"), t("rejected.source")]
    body = [
        [
            i18n.datetime_wita(r.corrected_at),
            names.get(r.metric_key, r.metric_key),
            i18n.datetime_wita(r.ts),
            f"{i18n.number(r.old_value, digits=2)} → {i18n.number(r.new_value, digits=2)}",
            r.corrected_by,
            SOURCES.get(r.source, r.source),
        ]
        for r in rows
    ]
    return table(headers, body, table_id=table_id)


def example_values(metrics: Sequence[Metric]) -> dict[str, float | int]:
    """A plausible value for each metric: 1 for a flag, a tenth into its range otherwise."""
    out: dict[str, float | int] = {}
    for m in metrics:
        if m.kind == "flag":
            out[m.key] = 1
        else:
            value = m.min + (m.max - m.min) / 10
            out[m.key] = int(value) if value >= 10 else round(value, 1)
    return out


def example_hour() -> datetime:
    """The time an example message or row carries: this hour in WITA, so that one copied as it stands
    falls inside the window of times the command center accepts (mqtt.max_past_days)."""
    return utcnow().astimezone(WITA).replace(minute=0, second=0, microsecond=0)


def connection_help(settings: Settings, code: str, host: str) -> html.Div:
    """The unit's broker account (its code), its topic, where the broker listens, a command and a payload."""
    mqtt = settings.app.mqtt
    metrics = [m for m in settings.metrics if m.skpd == code]
    values = example_values([m for m in metrics if m.kind != "flag"][:2] or metrics[:1])
    now = example_hour()
    payload = {"id": f"{code}-{now:%Y%m%d-%H%M}", "ts": now.isoformat(), "values": values}
    port = str(mqtt.tls_port) if mqtt.tls_port else None
    options = [f"--unit {code}", f"--host {host}", f"--port {port or 8883}", "--cafile scc-ca.pem"]
    options += ["--password-file sandi-mqtt.txt", *(f"{k}={v}" for k, v in values.items())]
    command = "scc-publish send " + " \\\n  ".join(options)
    facts: list[tuple[str, Any]] = [
        (t("connect.user"), html.Code(code, id="connect-user")),
        (t("connect.password"), t("connect.password_hint")),
        (t("connect.host"), html.Code(host, id="connect-host")),
        (t("connect.port"), html.Code(port, id="connect-port") if port else t("connect.tls_off")),
        (t("connect.topic"), html.Code(TOPIC.format(code=code), id="connect-topic")),
    ]
    return html.Div(
        [
            html.Dl([part for k, v in facts for part in (html.Dt(k), html.Dd(v))], className="connect-facts"),
            html.P(t("connect.command"), className="connect-label"),
            html.Pre(command, className="connect-code", id="connect-command"),
            html.P(t("connect.payload"), className="connect-label"),
            html.Pre(json.dumps(payload, indent=1), className="connect-code", id="connect-payload"),
            html.P(t("connect.keys", keys=", ".join(m.key for m in metrics)), className="connect-keys"),
        ],
        className="connect",
    )
