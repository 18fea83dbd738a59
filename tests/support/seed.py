"""A running command center's data, for the browser tests, their screenshots and benchmarks/web.py.

Seeded from a fixed random seed, relative to now, so every run shows the same
kind of wall: most cameras online and a few stalled, offline or failing; about
500 calls over the last week, the recent ones still open; most SKPD connected,
a few not, two never heard from; about 20,000 metric samples (and each
metric's newest value, as ingest keeps it), a few SKPD late and some websites
down (the 2018 study found 19 of 38 inactive).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, update

from scc import users
from scc.clock import utcnow
from scc.settings import Settings
from scc.storage.callcenter import incidents
from scc.storage.cameras import camera_state
from scc.storage.metrics import metric_latest, metric_samples, metric_unit_status, rejected_messages

# Installed cameras in config order: 11 online, 2 stalled, 2 offline, 1 failing.
CAMERA_STATUSES = (
    ["online"] * 5 + ["stale"] + ["online"] * 3 + ["offline", "error"] + ["online"] * 2 + ["stale", "offline", "online"]
)
CAMERA_ERRORS = {
    "stale": "no frame for 45 s",
    "offline": "connection refused (10.20.1.x:554)",
    "error": "401 Unauthorized",
}
# Messages refused by ingest or the web intake: (minutes ago, unit, source, payload, reason).
REJECTIONS = [
    (
        3,
        "dpmptsp",
        "mqtt",
        '{"id":"a1","ts":1795469539000,"values":{"laside_permits_issued":7500}}',
        "'laside_permits_issued': 7500 is above the largest valid value, 5000",
    ),
    (
        41,
        "dpmptsp",
        "csv",
        "laside_permits_received;dua belas;2026-11-23 08:00",
        "line 4: value 'dua belas' is not a number",
    ),
    (
        95,
        "dpmptsp",
        "mqtt",
        '{"id":"a7","ts":"2026-11-23 08:00","values":{"laside_records_uploaded":120}}',
        "ts has no UTC offset (write e.g. 2026-11-23T08:00:00+08:00)",
    ),
    (
        12,
        "bpkd",
        "mqtt",
        '{"id":"p3","ts":1795469539000,"values":{"pbb_collected":1}}',
        "'pbb_collected' is not a metric of bpkd",
    ),
    (
        180,
        "rsud",
        "web",
        '{"id":"w9","ts":1795469539000,"values":{"rsud_bed_occupancy_percent":130}}',
        "'rsud_bed_occupancy_percent': 130 is above the largest valid value, 100",
    ),
    (260, None, "mqtt", "not json at all", "unknown SKPD 'puskesmas-x' in topic scc/v1/skpd/puskesmas-x/telemetry"),
]
SILENT_SKPD = 2  # the last units in the list have never reported
OFFLINE_SKPD = 0.12
LATE_SKPD = 0.12
SUMMARIES = {
    "medical": [
        "Warga sesak napas, minta ambulans",
        "Ibu hamil akan melahirkan, butuh jemputan",
        "Lansia jatuh di rumah, tidak sadar",
        "Tabrakan motor di jalan poros",
        "Mobil masuk parit, sopir terjepit",
    ],
    "fire": [
        "Kebakaran rumah panggung",
        "Lahan kering terbakar dekat permukiman",
        "Korsleting listrik di kios pasar",
    ],
    "crime": ["Laporan pencurian ternak", "Perkelahian di depan pasar"],
    "violence": ["Laporan kekerasan dalam rumah tangga", "Anak ditelantarkan, butuh pendampingan"],
    "disaster": ["Pohon tumbang menutup jalan", "Banjir setinggi lutut di permukiman", "Tanah longsor di tepi jalan"],
    "complaint": ["Lampu jalan mati sepekan", "Antrean KTP-el tidak dilayani", "Izin usaha belum terbit"],
}


def seed(
    engine: Engine,
    settings: Settings,
    *,
    operators: int = 0,
    password_of: Callable[[int], str] | None = None,
    admin: tuple[str, str] | None = None,
    incidents_n: int = 500,
    samples_n: int = 20_000,
    now: datetime | None = None,
    rng_seed: int = 20261123,
) -> dict[str, int]:
    """Cameras, incidents, SKPD status and metric history, and optionally an admin and `operators`
    operator accounts (bench01.., passwords from `password_of`). Returns the rows written per table."""
    rng = random.Random(rng_seed)
    now = now or utcnow()
    if admin:
        users.create_user(engine, username=admin[0], role="admin", password=admin[1], actor="seed")
    for i in range(1, operators + 1):
        assert password_of is not None, "operators need passwords"
        users.create_user(
            engine,
            username=f"bench{i:02d}",
            role="operator",
            password=password_of(i),
            full_name=f"Operator {i}",
            actor="seed",
        )

    cams = _cameras(settings, rng, now)
    rows = _incidents(settings, rng, now, incidents_n, max(operators, 1))
    skpd_rows, stopped = _skpd(settings, rng, now)
    samples = _samples(settings, rng, now, samples_n, stopped, {r["skpd_code"] for r in skpd_rows})
    newest = latest_of(samples)
    for row in skpd_rows:  # a unit's link last carried a message when its newest figure arrived
        received = [r["received_at"] for r in newest if r["skpd_code"] == row["skpd_code"]]
        row["last_message_at"] = max(received, default=row["last_message_at"])
    with engine.begin() as conn:
        conn.execute(insert(camera_state), cams)
        if rows:  # an empty list would be one row of defaults
            conn.execute(insert(incidents), rows)
        conn.execute(insert(metric_unit_status), skpd_rows)
        for start in range(0, len(samples), 5000):
            conn.execute(insert(metric_samples), samples[start : start + 5000])
        if newest:
            conn.execute(insert(metric_latest), newest)
        refused = _rejections(now)
        conn.execute(insert(rejected_messages), refused)
    return {
        "camera_state": len(cams),
        "incidents": len(rows),
        "metric_unit_status": len(skpd_rows),
        "metric_samples": len(samples),
        "metric_latest": len(newest),
        "rejected_messages": len(refused),
    }


def cameras_report(engine: Engine, now: datetime | None = None) -> None:
    """The camera workers' word of `now` on every seeded camera, as they rewrite their rows every second: a test
    that reads cameras' state minutes after the seed (the session's first browser test) still sees them
    watched, not their workers gone."""
    with engine.begin() as conn:
        conn.execute(update(camera_state).values(updated_at=now or utcnow()))


def latest_of(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """metric_latest's rows for `samples`, as ingest keeps them: each metric's newest value."""
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for s in samples:
        key = (s["skpd_code"], s["metric_key"])
        if key not in newest or s["ts"] > newest[key]["ts"]:
            newest[key] = s
    return [
        dict(
            skpd_code=s["skpd_code"],
            metric_key=s["metric_key"],
            ts=s["ts"],
            value=s["value"],
            received_at=s["received_at"],
        )
        for s in newest.values()
    ]


def _rejections(now: datetime) -> list[dict[str, Any]]:
    return [
        dict(
            received_at=now - timedelta(minutes=minutes),
            topic=f"scc/v1/skpd/{unit or 'puskesmas-x'}/telemetry",
            skpd_code=unit,
            payload=payload,
            reason=reason,
            message_id=None,
            source=source,
            digest=f"seed-{i}",
        )
        for i, (minutes, unit, source, payload, reason) in enumerate(REJECTIONS)
    ]


def _cameras(settings: Settings, rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    active = [c for c in settings.cameras if c.status == "active"]
    out = []
    for cam, status in zip(active, CAMERA_STATUSES * 4, strict=False):
        online = status == "online"
        out.append(
            dict(
                camera_id=cam.id,
                status=status,
                last_frame_at=now
                - (timedelta(seconds=rng.uniform(0.1, 2)) if online else timedelta(minutes=rng.uniform(1, 90))),
                fps=round(rng.uniform(11, 15), 1) if online else 0.0,
                width=1280,
                height=720,
                codec="h264",
                reconnects=rng.randint(0, 40),
                last_error=None if online else CAMERA_ERRORS[status],
                activity=rng.random() if online else None,
                updated_at=now,
            )
        )
    return out


def _incidents(settings: Settings, rng: random.Random, now: datetime, n: int, n_users: int) -> list[dict[str, Any]]:
    """About `n` calls over 7 days; those of the last hours still open."""
    lines = [line.code for line in settings.call_lines]
    districts = [d.code for d in settings.districts]
    categories = list(SUMMARIES)
    reached = ["received", "dispatched", "on_scene", "resolved", "closed"]
    rows = []
    for i in range(n):
        received = now - timedelta(seconds=rng.uniform(0, 7 * 86400))
        age_h = (now - received).total_seconds() / 3600
        if age_h < 3:
            status = rng.choice(["received", "dispatched", "on_scene", "on_scene", "resolved"])
        elif age_h < 24:
            status = rng.choice(["dispatched", "on_scene", "resolved", "resolved", "closed", "prank"])
        else:
            status = rng.choice(["resolved", "closed", "closed", "closed", "cancelled", "prank"])
        level = reached.index(status) if status in reached else 0
        category = rng.choice(categories)
        # A complaint goes to an SKPD (dpmptsp among them, for its staff's page) with 3 days to settle it.
        skpd = rng.choice(["dpmptsp", "dukcapil", "pupr"]) if category == "complaint" else None
        if skpd and status in ("dispatched", "on_scene"):
            status, level = "received", 0  # no unit goes out for a complaint: its SKPD settles it

        def step(minutes: float, at: datetime = received) -> datetime:
            return at + timedelta(minutes=minutes)

        rows.append(
            dict(
                line_code=rng.choice(lines),
                district=rng.choice(districts),
                caller_number=f"08{rng.randint(10**9, 10**10 - 1)}",
                category=category,
                summary=rng.choice(SUMMARIES[category]),
                status=status,
                received_at=received,
                dispatched_at=step(3) if level >= 1 else None,
                on_scene_at=step(15) if level >= 2 else None,
                resolved_at=step(60) if level >= 3 else None,
                closed_at=step(240) if level >= 4 else None,
                source="intake" if i % 5 else "csv",
                created_by=f"bench{(i % n_users) + 1:02d}",
                skpd_code=skpd,
                due_at=received + timedelta(days=3) if skpd else None,
            )
        )
    return rows


def _skpd(
    settings: Settings, rng: random.Random, now: datetime
) -> tuple[list[dict[str, Any]], dict[str, timedelta | None]]:
    """SKPD links: most online, a few offline, the last SILENT_SKPD never heard from; some others late.
    Returns the rows and, per unit that stopped, since when: offline ones when their link dropped,
    late ones (None) a few reporting intervals ago."""
    heard = list(settings.skpd)[:-SILENT_SKPD] if SILENT_SKPD else list(settings.skpd)
    rows, stopped = [], {}
    for unit in heard:
        online = rng.random() > OFFLINE_SKPD
        if online and rng.random() < LATE_SKPD:
            stopped[unit.code] = None
        changed_at = now - timedelta(hours=rng.uniform(1, 200))
        if not online:
            stopped[unit.code] = now - changed_at
        rows.append(
            dict(
                skpd_code=unit.code,
                online=online,
                changed_at=changed_at,
                last_message_at=now - timedelta(seconds=rng.uniform(5, 600)),
            )
        )
    return rows, stopped


def _samples(
    settings: Settings, rng: random.Random, now: datetime, n: int, stopped: dict[str, timedelta | None], heard: set[str]
) -> list[dict[str, Any]]:
    """Metric history, newest first; late units stopped reporting a few intervals ago, offline ones
    when their link dropped."""
    metrics = [m for m in settings.metrics if m.skpd in heard]
    per_metric = max(1, n // max(len(metrics), 1))
    samples = []
    for metric in metrics:
        low = metric.min if metric.min is not None else 0.0
        high = metric.max if metric.max is not None else low + 1000.0
        if metric.target is not None:  # a unit works towards its target, not anywhere in the valid range
            low, high = max(low, metric.target * 0.7), min(high, metric.target * 1.05)
        elif metric.unit == "percent":  # attendance, bed occupancy: mostly high
            low, high = max(low, 70.0), min(high, 98.0)
        elif high - low > 100:
            high = low + (high - low) * 0.3
        offset = timedelta(0)
        if metric.skpd in stopped:
            offset = stopped[metric.skpd] or timedelta(seconds=3 * metric.interval_s)
        up = 0.55 if metric.key == "website_up" else 0.95
        for k in range(per_metric):
            ts = now - offset - timedelta(seconds=k * metric.interval_s + rng.uniform(0, 30))
            flag = 1.0 if rng.random() < up else 0.0
            value = flag if metric.kind == "flag" else round(rng.uniform(low, high), 2)
            samples.append(
                dict(
                    skpd_code=metric.skpd,
                    metric_key=metric.key,
                    ts=ts,
                    value=value,
                    message_id=f"{metric.skpd}-{metric.key}-{k}",
                    received_at=ts + timedelta(seconds=rng.uniform(0.05, 3)),
                )
            )
    return samples
