"""Reports (docs/design.md §3.10): the daily and weekly reports of the regency and each unit's weekly one,
as PDF and CSV, made by the `reports` process (`python -m dashboard.reports`) from the same queries the
pages read, listed and downloaded on the Reports page."""

from .make import make, make_daily, make_unit, make_weekly

__all__ = ["make", "make_daily", "make_unit", "make_weekly"]
