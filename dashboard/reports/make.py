"""Making one report: its figures read for the span, written as PDF and CSV into a folder.

`make_daily`, `make_weekly` and `make_unit` are what the `reports` process runs and what benchmarks time;
each returns the files it wrote. The CSV holds the PDF's tables, section by section (first column the
section's name, then its header row and its rows), numbers plain (`1234.5`), UTF-8 with a byte-order
mark so that a spreadsheet on the office PCs reads the names right.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from scc.clock import utcnow
from scc.settings import Settings
from scc.storage.reports import ReportKind

from .. import i18n
from . import figures, pdf, periods, tables
from .tables import LANG, Cell, Section, t

# The sections drawn as bars beside their table, and the column drawn.
CHARTS = {"kecamatan": "reports.col.calls", "kamera": "reports.col.uptime", "kepatuhan": "reports.col.share"}
NAMES: dict[ReportKind, str] = {"daily": "harian", "weekly": "mingguan", "unit": "unit"}


def file_stem(kind: ReportKind, first: date, skpd_code: str = "") -> str:
    unit = f"-{skpd_code}" if kind == "unit" else ""
    return f"laporan-{NAMES[kind]}{unit}-{first.isoformat()}"


def make(
    engine: Engine, settings: Settings, kind: ReportKind, first: date, skpd_code: str = "", folder: Path | None = None
) -> list[Path]:
    """Write the report of `kind` beginning on `first` (of `skpd_code`, for a unit's) into `folder` (a new
    temporary one if None): [its PDF, its CSV]."""
    start, end = periods.span(kind, first)
    folder = Path(folder or tempfile.mkdtemp(prefix="scc-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "unit":
        unit = settings.skpd_by_code[skpd_code]
        sections = tables.unit(figures.unit(engine, settings, skpd_code, start, end), settings)
        title = tables.title(kind, start, end, unit.name)
    else:
        sections = tables.regency(figures.regency(engine, settings, start, end), settings)
        title = tables.title(kind, start, end)
    subtitle = t("reports.subtitle", made=i18n.datetime_wita(utcnow(), LANG))
    stem = file_stem(kind, first, skpd_code)
    charts = {key: t(column) for key, column in CHARTS.items()}
    pdf_path, csv_path = folder / f"{stem}.pdf", folder / f"{stem}.csv"
    pdf.write(pdf_path, title, subtitle, sections, charts)
    write_csv(csv_path, title, sections)
    return [pdf_path, csv_path]


def make_daily(engine: Engine, settings: Settings, day: date, folder: Path | None = None) -> list[Path]:
    return make(engine, settings, "daily", day, folder=folder)


def make_weekly(engine: Engine, settings: Settings, monday: date, folder: Path | None = None) -> list[Path]:
    return make(engine, settings, "weekly", monday, folder=folder)


def make_unit(engine: Engine, settings: Settings, code: str, monday: date, folder: Path | None = None) -> list[Path]:
    return make(engine, settings, "unit", monday, code, folder)


def plain(value: Cell, digits: int) -> str | int:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return value


def write_csv(path: Path, title: str, sections: list[Section]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        w = csv.writer(out)
        w.writerow(["laporan", title])
        for s in sections:
            w.writerow([])
            w.writerow([s.key, s.title])
            w.writerow([s.key, *s.columns])
            for row in s.rows:
                w.writerow([s.key, *(plain(v, s.digits) for v in row)])
