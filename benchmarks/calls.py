"""Call-center benchmark: the call-log CSV import, then the board's and KPIs' callbacks (calls_board.py).

    .venv/bin/python benchmarks/calls.py [--rows 100000] [--history 100000] [--calls 60]

Progress goes to stderr; the last stdout line is one JSON object:
{"bench": "calls", "import_rows_per_s": ..., "import_floor_parse_rows_per_s": ...,
 "import_floor_insert_rows_per_s": ..., "import_ratio_to_insert_floor": ...,
 "history_incidents": null, "board_callback_p95_ms": null, "kpi_callback_p95_ms": null}
Goals: import_rows_per_s >= 20,000 with every row validated; board and KPI callbacks p95 <= 150 ms
with 100,000 past incidents in storage.

The import is `callcenter.importer.import_calls` as the upload page calls it: a generated PBX-style
export (`;`, Windows-1252, dates, numbers, districts and outcomes written the many ways offices write
them, ~1% bad rows of six kinds) into a fresh SQLite file in WAL mode, migrated as in production.
Floors, measured in the same run:
  - parse: the bare `csv` module reading the same bytes (decode included), no checks;
  - insert: a bare executemany of as many already-normalised rows into `call_log` in a fresh SQLite
    file, in the same 5,000-row chunks and transactions, no validation (random sha256 digests, as
    real ones are: the unique index on them is most of SQLite's work).
`import_ratio_to_insert_floor` is ours / that floor (1.0 would be validation for free).

Each part is a `bench_*` function returning its keys; `main` merges them into RESULT's template,
so a later `bench_board(...)` fills the keys that are null here.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SCC_SECRET_KEY", "bench-secret-key-" + "x" * 32)
os.environ.setdefault("SCC_CAMERA_PASSWORD", "bench")

from sqlalchemy import insert  # noqa: E402  (after the sys.path line)

from callcenter.importer import CHUNK, ROW_COLUMNS, import_calls  # noqa: E402
from scc.clock import WITA  # noqa: E402
from scc.settings import load_settings  # noqa: E402
from scc.storage import bulk, open_storage  # noqa: E402
from scc.storage.callcenter import call_log  # noqa: E402

# Every key of the report, null until a bench_* function fills it.
RESULT: dict[str, Any] = {
    "bench": "calls",
    "import_rows_per_s": None,
    "import_floor_parse_rows_per_s": None,
    "import_floor_insert_rows_per_s": None,
    "import_ratio_to_insert_floor": None,
    "history_incidents": None,
    "board_callback_p95_ms": None,
    "kpi_callback_p95_ms": None,
}

HEADER = ["No", "Waktu", "Saluran", "Penelepon", "Kecamatan", "Status", "Durasi", "Petugas", "Keterangan"]
TIME_FORMATS = ("%d/%m/%Y %H.%M", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%Y-%m-%d %H:%M", "iso")
LINES = (
    "psc-119",
    "119",
    "0484-119",
    "0484-23501",
    "damkar-citta",
    "085397760924",
    "081287727008",
    "081287727753",
    "085242885524",
    "p2tp2a",
    "110",
    "",
)
DISTRICTS = (
    "lalabata",
    "Lalabata",
    "LILIRIAJA",
    "Ganra",
    "citta",
    "Lilirilau",
    "Donri Donri",
    "donri-donri",
    "Marioriwawo",
    "Kecamatan Marioriawa",
    "",
)
OUTCOMES = (
    "Dijawab",
    "dijawab",
    "answered",
    "Terjawab",
    "Terputus",
    "abandoned",
    "Ditutup penelepon",
    "Tidak Dijawab",
    "tak terjawab",
    "missed",
    "",
)
NOTES = ("", "", "ibu hamil, pendarahan", "Jl. Kemakmuran – depan pasar", "Rumah warga; atap terbakar", "konsultasi")
BAD = (  # (column, value): one of each kind, in turn, on ~1% of the rows
    ("Waktu", "31/02/2026 10.00"),
    ("Saluran", "0411-852111"),
    ("Penelepon", "0812-34O5-6789"),
    ("Kecamatan", "Bone"),
    ("Durasi", "-12"),
    ("Status", "sibuk"),
)


def say(*parts: object) -> None:
    print("[calls-bench]", *parts, file=sys.stderr, flush=True)


def caller(rng: random.Random, subscribers: int) -> str:
    """Repeat callers as a call center sees them: a few call often, most once or twice (one in
    five rows is a new number overall); each call writes the number in one of the usual ways."""
    k = int(subscribers * rng.random() ** 2)
    if k % 9 == 8:
        return rng.choice(("Anonim", "", "-"))
    if k % 9 == 7:
        return rng.choice((f"0484-2{k % 10_000:04d}", f"(0484) 2{k % 10_000:04d}"))  # a landline
    prefix, n = ("812", "852", "813")[k % 3], 10_000_000 + k * 7919 % 90_000_000  # one mobile number each
    return rng.choice(
        (f"0{prefix}{n}", f"0{prefix}-{n // 10_000}-{n % 10_000:04d}", f"+62 {prefix} {n // 10_000} {n % 10_000:04d}")
    )


def duration(rng: random.Random, outcome: str) -> str:
    if outcome in ("Tidak Dijawab", "tak terjawab", "missed"):
        return rng.choice(("0", "00:00", ""))
    seconds = rng.randint(1, 900) if outcome else rng.randint(5, 900)  # a blank status needs a duration
    return rng.choice(
        (str(seconds), f"{seconds // 60:02d}:{seconds % 60:02d}", f"0:{seconds // 60:02d}:{seconds % 60:02d}")
    )


def generate_csv(rows: int, seed: int = 9) -> tuple[bytes, int]:
    """A PBX-style export of `rows` calls ending a day ago; returns (bytes, how many rows are bad)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    moment = datetime.now(WITA).replace(microsecond=0) - timedelta(days=1, seconds=rows * 90)
    bad = 0
    for i in range(rows):
        moment += timedelta(seconds=rng.randint(30, 150))
        fmt = rng.choice(TIME_FORMATS)
        when = moment.isoformat() if fmt == "iso" else moment.strftime(fmt)
        outcome = rng.choice(OUTCOMES)
        row = dict(
            No=str(i + 1),
            Waktu=when,
            Saluran=rng.choice(LINES),
            Penelepon=caller(rng, max(rows // 5, 1)),
            Kecamatan=rng.choice(DISTRICTS),
            Status=outcome,
            Durasi=duration(rng, outcome),
            Petugas=rng.choice(("Andi", "Besse", "Rahma", "Syamsul")),
            Keterangan=rng.choice(NOTES),
        )
        if i % 100 == 50:
            column, value = BAD[(i // 100) % len(BAD)]
            row[column] = value
            bad += 1
        writer.writerow([row[name] for name in HEADER])
    return out.getvalue().encode("cp1252"), bad


def bench_import(rows: int = 100_000) -> dict[str, Any]:
    data, bad = generate_csv(rows)
    say(f"import: {rows:,} rows, {len(data) / 1e6:.1f} MB, {bad} bad")
    work = Path(tempfile.mkdtemp(prefix="scc-calls-bench-"))
    try:
        settings = load_settings(ROOT / "config", work)
        engine = open_storage(f"sqlite:///{work / 'import.db'}")
        start, cpu = time.perf_counter(), time.process_time()
        report = import_calls(engine, settings, data, by="bench", filename="bench.csv")
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        engine.dispose()
        if report.rows != rows or len(report.problems) != bad or report.stored + report.duplicates != rows - bad:
            raise RuntimeError(f"unexpected report: {report.rows=} {report.stored=} {len(report.problems)=}")
        rate = rows / elapsed
        say(f"  ours: {elapsed:.2f} s, {rate:,.0f} rows/s; {report.stored:,} stored, {len(report.problems)} problems")
        say(f"  (CPU {cpu:.2f} s, {rows / cpu:,.0f} rows/s of CPU: the wall-clock figure drops on a busy machine)")

        start = time.perf_counter()
        parsed = sum(1 for _ in csv.reader(io.StringIO(data.decode("cp1252"), newline=""), delimiter=";"))
        parse_rate = rows / (time.perf_counter() - start)
        assert parsed == rows + 1
        say(f"  floor, bare csv.reader: {parse_rate:,.0f} rows/s")

        insert_rate = insert_floor(work / "floor.db", rows)
        say(f"  floor, bare executemany into call_log: {insert_rate:,.0f} rows/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "import_rows_per_s": round(rate),
        "import_floor_parse_rows_per_s": round(parse_rate),
        "import_floor_insert_rows_per_s": round(insert_rate),
        "import_ratio_to_insert_floor": round(rate / insert_rate, 2),
    }


def digest(k: int) -> str:
    return hashlib.sha256(str(k).encode()).hexdigest()  # as random as the import's digests, for the index


def insert_floor(path: Path, rows: int) -> float:
    """Rows/s of the bare driver executemany of ready rows, in CHUNK-row transactions, into a fresh file."""
    engine = open_storage(f"sqlite:///{path}")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.connect() as conn:
        compiled = insert(call_log).compile(dialect=conn.dialect, column_keys=list(ROW_COLUMNS))
        to_db = bulk.to_db(conn, call_log.c.at)
    assert compiled.positiontup == list(ROW_COLUMNS)
    ready = [
        (
            to_db(at + timedelta(seconds=k * 60)),
            "psc-119",
            f"+62812{k:08d}",
            "lalabata",
            "answered",
            95,
            "csv",
            digest(k),
        )
        for k in range(rows)
    ]
    start = time.perf_counter()
    for i in range(0, rows, CHUNK):
        with engine.begin() as conn:
            conn.exec_driver_sql(str(compiled), ready[i : i + CHUNK])
    elapsed = time.perf_counter() - start
    engine.dispose()
    return rows / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the imported CSV")
    parser.add_argument("--history", type=int, default=100_000, help="past incidents behind the board and KPIs")
    parser.add_argument("--calls", type=int, default=60, help="timed callbacks of each kind")
    args = parser.parse_args(argv)
    result = dict(RESULT)
    result.update(bench_import(args.rows))
    from calls_board import bench_board  # the board's part starts a web server; see its module

    result.update(bench_board(args.history, args.calls))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
