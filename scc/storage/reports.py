"""The reports' table (docs/design.md §3.10): one row per report made or asked for, its files on disk.

A row is the report's whole life: `requested` by the schedule (requested_by empty) or by a person on the
Reports page, `making` while the `reports` process builds it, then `ready` with its files in
<data dir>/<reports.dir>/<id>/, or `failed` with why. The process is the one writer of the files and of
everything but the request; it deletes a report past its retention with its files (retention.yaml:
keep: owner).
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import JSON, Column, Float, Index, String, Table, Text, UniqueConstraint

from .base import UTC, Id, metadata, status_column_type

# daily: the regency's day (WITA); weekly: its week, Monday to Sunday; unit: one SKPD's week.
ReportKind = Literal["daily", "weekly", "unit"]
REPORT_KINDS: tuple[ReportKind, ...] = get_args(ReportKind)
ReportStatus = Literal["requested", "making", "ready", "failed"]
REPORT_STATUSES: tuple[ReportStatus, ...] = get_args(ReportStatus)

reports = Table(
    "reports",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", status_column_type(ReportKind, "report_kind"), nullable=False),
    # The unit of a `unit` report; '' for the regency's, so the one-report-per-period constraint holds (NULLs
    # are never equal in SQL).
    Column("skpd_code", String(40), nullable=False, server_default=""),
    Column("period_start", UTC, nullable=False),  # WITA midnight beginning the day or the Monday
    Column("period_end", UTC, nullable=False),  # the midnight after it: the period is [start, end)
    Column("status", status_column_type(ReportStatus, "report_status"), nullable=False),
    Column("requested_at", UTC, nullable=False),
    Column("requested_by", String(64)),  # NULL: the schedule
    Column("made_at", UTC),
    Column("seconds", Float),  # how long making it took
    Column("files", JSON, nullable=False, default=list),  # the file names in its folder
    Column("error", Text),
    UniqueConstraint("kind", "skpd_code", "period_start", name="uq_reports_period"),
    # The page lists the regency's or one unit's, newest first; the process finds what is asked for; retention
    # goes by the end.
    Index("ix_reports_unit", "skpd_code", "period_start"),
    Index("ix_reports_status", "status", "requested_at"),
    Index("ix_reports_end", "period_end"),
)
