"""What the report tests share: a day and its week of rows written here, the figures worked out by hand."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import Engine, insert

from scc.clock import WITA
from scc.storage.alerts import alerts
from scc.storage.callcenter import call_log, incidents
from scc.storage.cameras import camera_outages
from scc.storage.metrics import rejected_messages, service_probe_hours

DAY = date(2026, 11, 24)  # a Tuesday
MONDAY = date(2026, 11, 23)


def wita(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=WITA).astimezone(UTC)


START = wita(DAY, 0)
END = START + timedelta(days=1)


def write_day(engine: Engine, camera_id: str, uplink: str) -> None:
    """One Tuesday of the regency, every figure below countable by hand:
    - PSC 119 (Lalabata): 3 calls answered and 1 abandoned in the day; 2 calls just outside it (a second before
      its midnight, and at the next midnight). Damkar Citta (Citta): 2 calls answered.
    - Three medical emergencies on PSC 119: dispatched after 2, 4, 6 minutes, on scene after 10, 20 minutes
      and not yet: dispatch p50 4, p90 5,6; on scene p50 15, p90 19 (linear between ranks).
    - Complaints: DPMPTSP's received at 11.00, due at 12.00, still open (past due); BPKD's received days before,
      past due too; Dinsos's received in the day, not yet due.
    - Camera `camera_id` dark from 10.00 to 12.24: 2.4 hours of 24, uptime 90 %.
    - DPMPTSP's website: 24 hours of 12 checks, 6 of those hours with only 6 up: 252 of 288, 87.5 %.
    - Two alerts fired, acknowledged after 4 and after 10 minutes: p50 7, p90 9,4; one withdrawn (never fired).
    - DPMPTSP had 3 messages refused in the day.
    """
    calls = [("psc-119", "lalabata", wita(DAY, h), "answered") for h in (8, 9, 10)]
    calls += [("psc-119", "lalabata", wita(DAY, 11), "abandoned")]
    calls += [
        ("psc-119", "lalabata", START - timedelta(seconds=1), "answered"),
        ("psc-119", "lalabata", END, "answered"),
    ]
    calls += [("damkar-citta", "citta", wita(DAY, h), "answered") for h in (13, 14)]
    rows = [
        dict(at=at, line_code=line, district=d, outcome=o, source="csv", digest=f"{i:064d}", caller_number=None)
        for i, (line, d, at, o) in enumerate(calls)
    ]
    emergencies = []
    for hour, dispatch, scene in ((8, 2, 10), (9, 4, 20), (10, 6, None)):
        received = wita(DAY, hour)
        emergencies.append(
            dict(
                line_code="psc-119", district="lalabata", category="medical", priority=1, status="on_scene",
                received_at=received, dispatched_at=received + timedelta(minutes=dispatch),
                on_scene_at=received + timedelta(minutes=scene) if scene else None, created_by="operator",
            )
        )  # fmt: skip
    complaint = dict(
        line_code="psc-119",
        category="complaint",
        priority=3,
        status="received",
        created_by="operator",
        district="lalabata",
    )
    complaints = [
        complaint | dict(skpd_code="dpmptsp", received_at=wita(DAY, 11), due_at=wita(DAY, 12)),
        complaint | dict(skpd_code="bpkd", received_at=START - timedelta(days=5), due_at=START - timedelta(days=2)),
        complaint | dict(skpd_code="dinsos", received_at=wita(DAY, 15), due_at=END + timedelta(days=2)),
    ]
    alert = dict(kind="camera_down", subject=camera_id, severity="warning", detail={}, updated_at=END)
    fired = [
        alert | dict(rule="camera-down", state="resolved", started_at=wita(DAY, 9), fired_at=wita(DAY, 9, 2),
                     acknowledged_at=wita(DAY, 9, 6), ended_at=wita(DAY, 9, 30)),
        alert | dict(rule="camera-down", state="resolved", started_at=wita(DAY, 16), fired_at=wita(DAY, 16, 1),
                     acknowledged_at=wita(DAY, 16, 11), ended_at=wita(DAY, 17)),
        alert | dict(rule="camera-down", state="withdrawn", started_at=wita(DAY, 18), fired_at=None,
                     acknowledged_at=None, ended_at=wita(DAY, 18, 1)),
    ]  # fmt: skip
    probes = [
        dict(skpd_code="dpmptsp", hour=START + timedelta(hours=h), checks=12, up=6 if h < 6 else 12) for h in range(24)
    ]
    refused = [
        dict(received_at=wita(DAY, 7, m), topic="scc/v1/skpd/dpmptsp/telemetry", skpd_code="dpmptsp", payload="{}",
             reason="metric unknown", digest=f"{m:064d}", source="mqtt")
        for m in (1, 2, 3)
    ]  # fmt: skip
    outage = dict(camera_id=camera_id, uplink=uplink, started_at=wita(DAY, 10), ended_at=wita(DAY, 12, 24), reason="x")
    with engine.begin() as conn:
        conn.execute(insert(call_log), rows)
        conn.execute(insert(incidents), emergencies)
        conn.execute(insert(incidents), complaints)
        conn.execute(insert(alerts), fired)
        conn.execute(insert(service_probe_hours), probes)
        conn.execute(insert(rejected_messages), refused)
        conn.execute(insert(camera_outages), [outage])


def pdf_text(path: Path) -> str:
    """The PDF's text, whitespace made single spaces: a table row reads as its cells in order."""
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(path).pages))


def csv_sections(path: Path) -> dict[str, list[list[str]]]:
    """The CSV's rows by section (its first column)."""
    out: dict[str, list[list[str]]] = {}
    for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
        if not row or row[0] == "laporan":
            continue
        out.setdefault(row[0], []).append(row[1:])
    return {key: rows[2:] for key, rows in out.items()}  # its title and header rows dropped


def row_of(section: list[list[str]], label: str) -> list[str]:
    found = [r for r in section if r and r[0] == label]
    assert len(found) == 1, (label, section)
    return found[0]
