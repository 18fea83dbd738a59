"""The numbers in a report are the pages' numbers for the same span, and the numbers worked out by hand.

A day of rows is written here (conftest.write_day); the daily report's PDF text and CSV are read back and
compared with what the KPI page, the camera health page, the website grid and the alerts page show for that
day (their own query functions at its last second), and with the figures counted by hand.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from dashboard.queries import alerts, callcenter_kpi, cameras, metrics_probes, regent_units
from dashboard.reports import make_daily, make_unit, make_weekly, periods
from scc.storage.metrics import metric_daily
from tests.reports.conftest import DAY, END, MONDAY, START, csv_sections, pdf_text, row_of, write_day


@pytest.fixture
def day(engine, settings, tmp_path):
    cam = next(c for c in settings.cameras if c.status == "active")
    write_day(engine, cam.id, cam.uplink)
    pdf, csv_file = make_daily(engine, settings, DAY, tmp_path / "daily")
    return cam, pdf_text(pdf), csv_sections(csv_file)


def test_the_daily_report_says_the_figures_counted_by_hand(day):
    cam, text, sections = day
    assert "Laporan Harian Kabupaten Soppeng, 24 Nov 2026" in text
    # Line, calls, missed, incidents, dispatch p50 p90, on scene p50 p90 (minutes).
    assert row_of(sections["jalur"], "PSC 119") == ["PSC 119", "4", "1", "3", "4.0", "5.6", "15.0", "19.0"]
    assert row_of(sections["jalur"], "Damkar Citta") == ["Damkar Citta", "2", "0", "0", "", "", "", ""]
    assert "PSC 119 4 1 3 4 5,6 15 19" in text  # the PDF in Indonesian figures
    assert row_of(sections["kecamatan"], "Lalabata")[:2] == ["Lalabata", "4"]
    assert row_of(sections["ringkasan"], "Panggilan masuk") == ["Panggilan masuk", "6"]
    assert row_of(sections["ringkasan"], "Insiden darurat diterima") == ["Insiden darurat diterima", "3"]
    assert row_of(sections["ringkasan"], "Pengaduan diterima") == ["Pengaduan diterima", "2"]
    # The deadline table: past due at the day's end, worst first (a tie on count: by code).
    assert sections["tenggat"] == [["BPKD", "1", "1"], ["DPMPTSP", "1", "1"], ["Dinsos", "1", "0"]]
    assert "BPKD 1 1 DPMPTSP 1 1 Dinsos 1 0" in text
    assert row_of(sections["kamera"], cam.name) == [cam.name, "90.0", "1"]
    assert f"{cam.name} 90 1" in text
    assert row_of(sections["layanan"], "DPMPTSP") == ["DPMPTSP", "288", "252", "87.5"]
    assert "DPMPTSP 288 252 87,5" in text
    assert row_of(sections["peringatan"], "Ditanggapi") == ["Ditanggapi", "2"]
    assert row_of(sections["peringatan"], "Waktu tanggap p50 (mnt)")[1] == "7.0"
    assert row_of(sections["peringatan"], "Waktu tanggap p90 (mnt)")[1] == "9.4"
    assert "Waktu tanggap p90 (mnt) 9,4" in text


def test_the_daily_report_equals_the_pages_for_that_day(day, engine, settings):
    cam, _, sections = day
    last_second = END - timedelta(seconds=1)
    kpi = callcenter_kpi.kpi(engine, "today", last_second)  # the KPI page's "today", seen at 23.59.59
    for line in settings.call_lines:
        row = row_of(sections["jalur"], line.short)
        times = kpi.by_line.get(line.code)
        assert int(row[1]) == kpi.calls.by_line.get(line.code, 0)
        assert row[4:] == [
            "" if v is None else f"{v:.1f}"
            for v in (
                (times.dispatch_p50, times.dispatch_p90, times.scene_p50, times.scene_p90) if times else [None] * 4
            )
        ]
    rows = cameras.cameras(engine, settings)
    per_camera, _ = cameras.uptime(engine, rows, END)  # the health page's 24 hours, ending at midnight
    shown = {u.key: u for u in per_camera}
    assert row_of(sections["kamera"], cam.name)[1] == f"{shown[cam.id].pct_24h:.1f}"
    grid = metrics_probes.uptime_by_unit(engine, last_second)["dpmptsp"]["24h"]  # the websites grid's 24 h
    assert row_of(sections["layanan"], "DPMPTSP")[1:3] == [str(grid.checks), str(grid.up)]
    page = [a for a in alerts.history_of(engine, span="24h", now=END) if a.fired_at is not None]
    assert row_of(sections["ringkasan"], "Peringatan menyala")[1] == str(len(page))
    # The bupati's desk: each unit's reports in over owed, and his key figures, for the same span.
    shown = {u.short: u.code for u in settings.skpd}
    owed = {c.code: c for c in regent_units.compliance_rows(engine, settings, END, START)[0]}
    for unit, arrived, expected, _share in sections["kepatuhan"]:
        assert (int(arrived), int(expected)) == (
            owed[shown[unit]].received,
            owed[shown[unit]].expected,
        )
    assert len(sections["kepatuhan"]) == sum(1 for c in owed.values() if c.expected)
    services = regent_units.services(engine, settings, END)
    assert [r[0] for r in sections["target"]] == [
        f"{shown_of(settings, s.metric.skpd)} · {s.metric.name.id}" for s in services
    ]


def shown_of(settings, code: str) -> str:
    return settings.skpd_by_code[code].short


def daily(key: str, day, n: int, total: float, low: float, high: float, last: float) -> dict:
    start = periods.start_of(day)
    return dict(skpd_code="dpmptsp", metric_key=key, day=start, n=n, total=total, low=low, high=high, last_value=last,
                last_ts=start + timedelta(hours=17))  # fmt: skip


def test_the_weekly_and_a_units_report_cover_the_week(engine, settings, tmp_path):
    cam = next(c for c in settings.cameras if c.status == "active")
    write_day(engine, cam.id, cam.uplink)
    # Processing days on two days of the week (4 readings averaging 2.5, 6 averaging 3), and on the Sunday before,
    # outside it; the website up in 9 of 10 readings.
    with engine.begin() as conn:
        conn.execute(
            insert(metric_daily),
            [
                daily("laside_avg_processing_days", MONDAY, 4, 10.0, 2.0, 3.0, 3.0),
                daily("laside_avg_processing_days", DAY, 6, 18.0, 1.0, 5.0, 4.0),
                daily("laside_avg_processing_days", MONDAY - timedelta(days=1), 5, 500.0, 99.0, 101.0, 100.0),
                daily("website_up", DAY, 10, 9.0, 0.0, 1.0, 1.0),
            ],
        )
    _, csv_file = make_weekly(engine, settings, MONDAY, tmp_path / "weekly")
    sections = csv_sections(csv_file)
    # The calls a second before Tuesday (Monday's) and at its end (Wednesday's) are in the week too.
    assert row_of(sections["jalur"], "PSC 119")[1] == "6"
    pdf, csv_unit = make_unit(engine, settings, "dpmptsp", MONDAY, tmp_path / "unit")
    unit = csv_sections(csv_unit)
    assert row_of(unit["ringkasan"], "Pesan ditolak") == ["Pesan ditolak", "3"]
    assert row_of(unit["ringkasan"], "Lewat tenggat")[1] == "1"
    assert row_of(unit["ringkasan"], "Uptime layanan publik (%)")[1] == "87.5"
    assert len(unit["ditolak"]) == 3 and unit["ditolak"][0][1] == "metric unknown"
    processing = next(r for r in unit["angka"] if r[0].startswith("Rata-rata lama proses"))
    assert processing[1:6] == ["2", "2.8", "1.0", "5.0", "4.0"]  # 28 / 10 readings; the lowest, highest, newest
    assert row_of(unit["angka"], "Situs web aktif (%)")[1:3] == ["1", "90.0"]
    text = pdf_text(pdf)
    assert "Laporan Mingguan Dinas Penanaman Modal" in text and "Pesan ditolak 3" in text
