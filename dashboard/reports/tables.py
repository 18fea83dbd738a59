"""A report as titled tables: the one set of figures both the PDF and the CSV are written from.

Texts are Bahasa Indonesia (locales/id.reports.json); a cell is text or a number, formatted only by the
writer (Indonesian `1.234,5` in the PDF, a plain `1234.5` in the CSV), so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from scc.settings import Settings

from .. import i18n
from ..queries.callcenter_stats import MISSED, Times
from ..queries.metrics_probes import Uptime
from ..queries.regent_units import Service
from .figures import AlertFigures, Regency, Unit

LANG = "id"
Cell = str | int | float | None


@dataclass(frozen=True)
class Section:
    key: str  # its name in the CSV's first column
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    digits: int = 1  # decimals of its fractional numbers


def t(key: str, **values: object) -> str:
    return i18n.t(key, LANG, **values)


def _pct(share: float | None) -> float | None:
    return None if share is None else round(100.0 * share, 1)


def _times(times: Times | None) -> list[Cell]:
    if times is None:
        return [0, None, None, None, None]
    return [times.incidents, times.dispatch_p50, times.dispatch_p90, times.scene_p50, times.scene_p90]


def _time_columns() -> list[str]:
    return [t("reports.col.incidents"), *(t(f"reports.col.{k}") for k in ("d50", "d90", "s50", "s90"))]


def title(kind: str, start: datetime, end: datetime, unit: str = "") -> str:
    first, last = i18n.date(start, LANG), i18n.date(end - timedelta(days=1), LANG)
    if kind == "daily":
        return t("reports.title.daily", day=first)
    name = t("reports.title.unit", unit=unit) if unit else t("reports.title.weekly")
    return f"{name}, {first} - {last}"


def regency(f: Regency, settings: Settings) -> list[Section]:
    lines: list[str | None] = [line.code for line in settings.call_lines]
    lines += sorted({*f.calls.by_line, *f.by_line} - set(lines), key=str)
    districts: list[str | None] = [d.code for d in settings.districts]
    districts += sorted({*f.calls.by_district, *f.by_district} - set(districts), key=str)
    line_name = {line.code: line.short for line in settings.call_lines}
    district_name = {d.code: d.name for d in settings.districts}
    short = {u.code: u.short for u in settings.skpd}
    overall = f.overall
    summary: list[list[Cell]] = [
        [t("reports.sum.calls"), f.calls.total],
        [t("reports.sum.missed"), f.calls.missed],
        [t("reports.sum.emergencies"), f.incidents.emergencies],
        [t("reports.sum.complaints"), f.incidents.complaints],
        [t("reports.col.d50"), overall.dispatch_p50],
        [t("reports.col.d90"), overall.dispatch_p90],
        [t("reports.col.s50"), overall.scene_p50],
        [t("reports.col.s90"), overall.scene_p90],
        [t("reports.sum.overdue"), sum(r[2] for r in f.league)],
        [t("reports.sum.cameras"), _mean([c.pct for c in f.cameras])],
        [t("reports.sum.alerts"), f.alerts.raised],
        [t("reports.sum.ack_p50"), f.alerts.ack_p50],
    ]
    out = [Section("ringkasan", t("reports.sec.summary"), [t("reports.col.measure"), t("reports.col.value")], summary)]
    out.append(
        Section(
            "jalur",
            t("reports.sec.lines"),
            [t("reports.col.line"), t("reports.col.calls"), t("reports.col.missed"), *_time_columns()],
            [
                [
                    line_name.get(code or "", code or t("reports.none")),
                    f.calls.by_line.get(code, 0),
                    sum(n for o, n in f.calls.outcomes_by_line.get(code, {}).items() if o in MISSED),
                    *_times(f.by_line.get(code)),
                ]
                for code in lines
            ],
        )
    )
    out.append(
        Section(
            "kecamatan",
            t("reports.sec.districts"),
            [t("reports.col.district"), t("reports.col.calls"), *_time_columns()],
            [
                [
                    district_name.get(code or "", code or t("reports.none")),
                    f.calls.by_district.get(code, 0),
                    *_times(f.by_district.get(code)),
                ]
                for code in districts
            ],
        )
    )
    out.append(
        Section(
            "kategori",
            t("reports.sec.categories"),
            [t("reports.col.category"), t("reports.col.count")],
            [[i18n.t(f"incident.cat_{c}", LANG), n] for c, n in sorted(f.incidents.by_category.items())],
        )
    )
    out.append(
        Section(
            "tenggat",
            t("reports.sec.league"),
            [t("reports.col.unit"), t("reports.col.open"), t("reports.col.overdue")],
            [[short.get(code, code), n_open, late] for code, n_open, late in f.league],
        )
    )
    received = sorted(f.incidents.complaints_by_unit.items(), key=lambda kv: (-kv[1], str(kv[0])))
    out.append(
        Section(
            "pengaduan",
            t("reports.sec.complaints"),
            [t("reports.col.unit"), t("reports.col.received")],
            [[short.get(code or "", code or t("reports.none")), n] for code, n in received],
        )
    )
    out.append(_compliance(f, short))
    out.append(_services(f.services, short))
    out.append(
        Section(
            "kamera",
            t("reports.sec.cameras"),
            [t("reports.col.camera"), t("reports.col.uptime"), t("reports.col.outages")],
            [
                [settings.camera_by_id[c.key].name if c.key in settings.camera_by_id else c.key, c.pct, c.outages]
                for c in sorted(f.cameras, key=lambda c: (c.pct, c.key))
            ],
        )
    )
    out.append(
        Section(
            "uplink",
            t("reports.sec.links"),
            [t("reports.col.link"), t("reports.col.uptime"), t("reports.col.dark")],
            [[c.key, c.pct, c.outages] for c in sorted(f.links, key=lambda c: (c.pct, c.key))],
        )
    )
    out.append(_probes(f.probes, short))
    out.extend(_alerts(f.alerts))
    return out


def _time(moment: datetime) -> str:
    """A time in a table: the subtitle says every time is WITA."""
    return i18n.datetime_wita(moment, LANG).removesuffix(" WITA")


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _compliance(f: Regency, short: dict[str, str]) -> Section:
    return Section(
        "kepatuhan",
        t("reports.sec.compliance"),
        [t("reports.col.unit"), t("reports.col.arrived"), t("reports.col.owed"), t("reports.col.share")],
        [[short.get(r.code, r.code), r.received, r.expected, _pct(r.share)] for r in f.compliance if r.expected],
    )


def _services(found: list[Service], short: dict[str, str]) -> Section:
    rows: list[list[Cell]] = []
    for s in found:
        share = s.value / s.target * 100.0 if s.value is not None and s.target else None
        trend = t(f"reports.trend.{s.trend}") if s.trend else "-"
        name = f"{short.get(s.metric.skpd, s.metric.skpd)} · {s.metric.name.id}"
        rows.append([name, s.value, s.target, None if share is None else round(share, 1), trend])
    columns = [t("reports.col.service"), t("reports.col.value"), t("reports.col.target"), t("reports.col.of_target")]
    return Section("target", t("reports.sec.services"), [*columns, t("reports.col.trend")], rows)


def _probes(probes: dict[str, Uptime], short: dict[str, str]) -> Section:
    rows: list[list[Cell]] = []
    for code, up in sorted(probes.items(), key=lambda kv: (kv[1].share or 0.0, kv[0])):
        rows.append([short.get(code, code), up.checks, up.up, _pct(up.share)])
    columns = [t("reports.col.unit"), t("reports.col.checks"), t("reports.col.up"), t("reports.col.uptime")]
    return Section("layanan", t("reports.sec.probes"), columns, rows)


def _alerts(a: AlertFigures) -> list[Section]:
    rows: list[list[Cell]] = [[i18n.t(f"alert_severity.{s}", LANG), n] for s, n in a.by_severity.items()]
    rows += [
        [t("reports.sum.acknowledged"), a.acknowledged],
        [t("reports.sum.ack_p50"), a.ack_p50],
        [t("reports.sum.ack_p90"), a.ack_p90],
    ]
    return [
        Section("peringatan", t("reports.sec.alerts"), [t("reports.col.measure"), t("reports.col.value")], rows),
        Section(
            "aturan",
            t("reports.sec.rules"),
            [t("reports.col.rule"), t("reports.col.count")],
            [[rule, n] for rule, n in a.by_rule.items()],
        ),
    ]


def _figures(f: Unit, settings: Settings) -> Section:
    """Each figure the unit reports itself, over the span from the daily roll-ups; a flag's in % of readings."""
    rows: list[list[Cell]] = []
    for m in settings.metrics:
        if m.skpd != f.code or m.from_calls is not None:
            continue  # another unit's, or one the call center counts
        found = f.figures.get(m.key)
        scale = 100.0 if m.kind == "flag" else 1.0
        name = m.name.id + (" (%)" if m.kind == "flag" else "")
        if found is None:
            rows.append([name, 0, None, None, None, None, "-"])
            continue
        values = [round(v * scale, 1) for v in (found.mean, found.low, found.high, found.last)]
        rows.append([name, found.days, *values, _time(found.last_ts)])
    columns = [t("reports.col.figure"), t("reports.col.days"), t("reports.col.mean"), t("reports.col.low")]
    columns += [t("reports.col.high"), t("reports.col.last"), t("reports.col.last_at")]
    return Section("angka", t("reports.sec.figures"), columns, rows)


def unit(f: Unit, settings: Settings) -> list[Section]:
    short = {u.code: u.short for u in settings.skpd}
    probe = f.probe
    summary: list[list[Cell]] = [
        [t("reports.col.share"), _pct(f.compliance.share)],
        [t("reports.col.arrived"), f.compliance.received],
        [t("reports.col.owed"), f.compliance.expected],
        [t("reports.sum.complaints"), f.complaints_received],
        [t("reports.col.open"), f.complaints_open],
        [t("reports.col.overdue"), f.complaints_overdue],
        [t("reports.sum.service_uptime"), None if probe is None else _pct(probe.share)],
        [t("reports.sum.rejected"), f.rejected],
        [t("reports.sum.alerts"), f.alerts.raised],
    ]
    return [
        Section("ringkasan", t("reports.sec.summary"), [t("reports.col.measure"), t("reports.col.value")], summary),
        _figures(f, settings),
        _services(f.services, short),
        Section(
            "ditolak",
            t("reports.sec.rejected"),
            [t("reports.col.when"), t("reports.col.reason")],
            [[_time(r.received_at), r.reason[:160]] for r in f.rejections],
        ),
        *_alerts(f.alerts),
    ]
