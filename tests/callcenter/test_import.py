"""The call-log CSV import (callcenter.importer), on SQLite and PostgreSQL.

Offices' exports as they really come (separators, encodings, four ways to
write a time, phone numbers, Indonesian or English headers) are stored as one
normalised call each; bad rows are reported by the line a spreadsheet shows,
good rows are kept, a second import stores nothing twice, and no input, however
broken, makes the importer raise or store something bad.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from callcenter.calllog_fields import Places, _e164
from callcenter.importer import ImportReport, RowProblem, import_calls
from callcenter.phone import PhoneError, normalise
from scc.storage.callcenter import CALL_OUTCOMES, call_log
from scc.storage.platform import audit_log

SAMPLE = Path(__file__).resolve().parents[2] / "datasets" / "calls" / "pbx-export-lalabata.csv"
NOW = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 08.00 WITA, the morning after the examples below
HEADER = "Waktu;Saluran;Penelepon;Kecamatan;Status;Durasi"
GOOD = "23/11/2026 14.05;psc-119;0812-3456-7890;Lalabata;dijawab;95"


def run(engine, settings, text: str | bytes, encoding: str = "utf-8", **kw) -> ImportReport:
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return import_calls(engine, settings, data, by="operator1", filename="calls.csv", now=kw.pop("now", NOW), **kw)


def stored(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(call_log).order_by(call_log.c.id))]


def one(engine, settings, header: str, row: str, encoding: str = "utf-8") -> dict:
    """Import a header and one row that must be good; the stored row."""
    report = run(engine, settings, f"{header}\n{row}\n", encoding)
    assert report.problems == [] and report.stored == 1, report
    (call,) = stored(engine)
    return call


def reasons(report: ImportReport) -> dict[int, str]:
    return {p.line: p.reason for p in report.problems}


# --- the sample export in datasets/ ---


def test_the_sample_export_stores_its_good_rows_and_names_each_bad_one(engine, settings):
    data = SAMPLE.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # it is Windows-1252, as the PBX's Excel saves it

    first = import_calls(engine, settings, data, by="operator1", filename=SAMPLE.name)

    assert (first.rows, first.stored, first.duplicates) == (62, 56, 0)
    assert reasons(first) == {
        9: "Waktu: '31/11/2026 10.00' is not a date",
        17: "Nomor Tujuan: '0411-852111' is not a call line (a code such as psc-119, or a line's number)",
        26: "Penelepon: '0812-34O5-6789' is not a phone number (digits, spaces, +, - only)",
        34: "Kecamatan: 'Bone' is not a district of Soppeng",
        42: "Durasi: '-12' is negative",
        51: "Status: 'Sibuk' is not an outcome (dijawab, terputus or tidak dijawab)",
    }
    calls = stored(engine)
    assert len(calls) == 56
    # line 2: `1;16/11/2026 02.42;119;085299001122;Liliriaja;Dijawab;01:49;...`
    assert {k: calls[0][k] for k in ("at", "line_code", "caller_number", "district", "outcome", "duration_s")} == {
        "at": datetime(2026, 11, 15, 18, 42, tzinfo=UTC),
        "line_code": "psc-119",
        "caller_number": "+6285299001122",
        "district": "liliriaja",
        "outcome": "answered",
        "duration_s": 109,
    }
    assert {c["source"] for c in calls} == {"csv"} and all(len(c["digest"]) == 64 for c in calls)
    assert {c["line_code"] for c in calls} >= {"psc-119", "damkar-lalabata", "damkar-liliriaja", "p2tp2a"}
    assert {c["district"] for c in calls} >= {"lalabata", "donri-donri", "marioriwawo", "citta"}
    assert sum(c["caller_number"] is None for c in calls) >= 5  # `Anonim` and blank: withheld
    assert {c["outcome"] for c in calls} == set(CALL_OUTCOMES)

    again = import_calls(engine, settings, data, by="operator2", filename=SAMPLE.name)

    assert (again.rows, again.stored, again.duplicates) == (62, 0, 56)
    assert again.problems == first.problems
    assert len(stored(engine)) == 56
    with engine.connect() as conn:
        audits = conn.execute(
            select(audit_log).where(audit_log.c.action == "calls.import").order_by(audit_log.c.id)
        ).all()
    assert [(a.actor, a.target, a.detail) for a in audits] == [
        ("operator1", SAMPLE.name, {"rows": 62, "stored": 56, "duplicates": 0, "problems": 6}),
        ("operator2", SAMPLE.name, {"rows": 62, "stored": 0, "duplicates": 56, "problems": 6}),
    ]


# --- what offices produce ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23/11/2026 14.05", datetime(2026, 11, 23, 6, 5, tzinfo=UTC)),
        ("23/11/2026 14:05", datetime(2026, 11, 23, 6, 5, tzinfo=UTC)),
        ("23-11-2026 14:05:30", datetime(2026, 11, 23, 6, 5, 30, tzinfo=UTC)),
        ("2026-11-23 14:05", datetime(2026, 11, 23, 6, 5, tzinfo=UTC)),
        ("2026-11-23T14:05:00+08:00", datetime(2026, 11, 23, 6, 5, tzinfo=UTC)),
        ("2026-11-23T14:05:00+07:00", datetime(2026, 11, 23, 7, 5, tzinfo=UTC)),  # an export made in WIB
        ("2026-11-23T06:05:00Z", datetime(2026, 11, 23, 6, 5, tzinfo=UTC)),
        ("3/1/2026 7.05", datetime(2026, 1, 2, 23, 5, tzinfo=UTC)),  # day first, no leading zeros; 07.05 WITA
    ],
)
def test_times_in_every_accepted_form_are_stored_in_utc(engine, settings, text, expected):
    assert one(engine, settings, HEADER, f"{text};psc-119;;;dijawab;95")["at"] == expected


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("Tanggal;Jam;Saluran;Status;Durasi", "23/11/2026;14.05;psc-119;dijawab;95"),
        ("tanggal ; JAM ; saluran ; status ; durasi", "23/11/2026 ; 14:05 ; psc-119 ; dijawab ; 95"),
        ("Date,Time,Line,Outcome,Duration", "23/11/2026,14:05,psc-119,answered,95"),  # `Time` beside `Date`
        ("Tanggal;Waktu;Saluran;Status;Durasi", "23/11/2026 00:00;14.05;psc-119;dijawab;95"),  # Excel's dates
    ],
)
def test_a_date_column_and_a_time_column_make_one_time(engine, settings, header, row):
    assert one(engine, settings, header, row)["at"] == datetime(2026, 11, 23, 6, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("row", "line", "reason"),
    [
        ("31/02/2026 10.00;psc-119;;;dijawab;9", 2, "Waktu: '31/02/2026 10.00' is not a date"),
        ("23/11/2026 25.00;psc-119;;;dijawab;9", 2, "Waktu: '23/11/2026 25.00' is not a time of day"),
        ("kemarin sore;psc-119;;;dijawab;9", 2, "Waktu: 'kemarin sore' is not a date and time"),
        ("23/11/2026;psc-119;;;dijawab;9", 2, "Waktu: '23/11/2026' has a date but no time of day"),
        (";psc-119;;;dijawab;9", 2, "Waktu: blank, but every call needs its date and time"),
        ("01/01/1960 10.00;psc-119;;;dijawab;9", 2, "Waktu: '01/01/1960 10.00' is too long ago"),
        (
            "2026-11-23T14:05+19:00;psc-119;;;dijawab;9",
            2,
            "Waktu: '2026-11-23T14:05+19:00' has an impossible UTC offset",
        ),
        ("24/11/2026 09.05;psc-119;;;dijawab;9", 2, "Waktu: '24/11/2026 09.05' is in the future"),
    ],
)
def test_bad_times_are_named(engine, settings, row, line, reason):
    report = run(engine, settings, f"{HEADER}\n{row}\n")
    assert report.stored == 0 and [p.line for p in report.problems] == [line]
    assert report.problems[0].reason.startswith(reason), report.problems[0].reason


def test_a_clock_a_little_ahead_is_fine_but_not_more_than_an_hour(engine, settings):
    report = run(
        engine, settings, f"{HEADER}\n24/11/2026 08.59;psc-119;;;dijawab;9\n24/11/2026 09.01;psc-119;;;dijawab;9"
    )
    assert report.stored == 1 and [p.line for p in report.problems] == [3]


def test_separate_date_and_time_cells_name_the_bad_one(engine, settings):
    header = "Tanggal;Jam;Saluran;Status;Durasi"
    report = run(
        engine, settings, f"{header}\n30/02/2026;14.05;psc-119;dijawab;9\n23/11/2026;14.75;psc-119;dijawab;9\n"
    )
    assert reasons(report) == {
        2: "Tanggal: '30/02/2026' is not a date",
        3: "Jam: '14.75' is not a time of day",
    }


NOTE = "Jl. Kemakmuran – depan pasar"  # an en dash: 0x96 in Windows-1252, three bytes in UTF-8


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (f"Waktu;Saluran;Status;Durasi;Keterangan\n23/11/2026 14.05;psc-119;dijawab;95;{NOTE}\n", "cp1252"),
        (f"Waktu;Saluran;Status;Durasi;Keterangan\n23/11/2026 14.05;psc-119;dijawab;95;{NOTE}\n", "utf-8-sig"),
        (f"Waktu;Saluran;Status;Durasi;Keterangan\r\n23/11/2026 14.05;psc-119;dijawab;95;{NOTE}\r\n", "utf-8"),
        ('Waktu,Saluran,Status,Durasi,Catatan\n23/11/2026 14.05,psc-119,dijawab,95,"pasar, Jl. Kemakmuran"\n', "utf-8"),
        ('"Waktu";"Saluran";"Status";"Durasi";"x"\n"23/11/2026 14.05";"psc-119";"dijawab";"95";"a; b"\n', "utf-8"),
        ("Waktu\tSaluran\tStatus\tDurasi\n23/11/2026 14.05\tpsc-119\tdijawab\t95\n", "utf-8"),
    ],
    ids=["cp1252", "utf8-bom", "crlf", "comma-quoted", "semicolon-quoted", "tab"],
)
def test_separators_quotes_and_encodings(engine, settings, data, encoding):
    report = run(engine, settings, data, encoding)
    assert (report.rows, report.stored, report.problems) == (1, 1, [])
    (call,) = stored(engine)
    assert (call["at"], call["line_code"], call["outcome"], call["duration_s"]) == (
        datetime(2026, 11, 23, 6, 5, tzinfo=UTC),
        "psc-119",
        "answered",
        95,
    )


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("0484-23501", "+6248423501"),
        ("(0484) 23501", "+6248423501"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("081234567890", "+6281234567890"),
        ("119", "119"),
        ("", None),
        ("Anonim", None),
        ("PRIVATE", None),
        ("-", None),
    ],
)
def test_caller_numbers_are_normalised(engine, settings, written, number):
    assert one(engine, settings, HEADER, f"23/11/2026 14.05;psc-119;{written};;dijawab;9")["caller_number"] == number


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("psc-119", "psc-119"),
        ("PSC-119", "psc-119"),
        ("119", "psc-119"),
        ("0484-119", "psc-119"),
        ("0484 23501", "damkar-lalabata"),
        ("+62 853-9776-0924", "damkar-liliriaja"),  # Lilirilau's post shares it: the first line wins
        ("Polres Soppeng", "polres-110"),
        ("", None),
    ],
)
def test_lines_by_code_number_or_name(engine, settings, written, code):
    assert one(engine, settings, HEADER, f"23/11/2026 14.05;{written};;;dijawab;9")["line_code"] == code


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Donri Donri", "donri-donri"),
        ("DONRI-DONRI", "donri-donri"),
        ("donri-donri", "donri-donri"),
        ("Kecamatan Lalabata", "lalabata"),
        (" marioriawa ", "marioriawa"),
        ("", None),
    ],
)
def test_districts_by_code_or_name(engine, settings, written, code):
    assert one(engine, settings, HEADER, f"23/11/2026 14.05;psc-119;;{written};dijawab;9")["district"] == code


@pytest.mark.parametrize(
    ("status", "duration", "outcome", "seconds"),
    [
        ("dijawab", "95", "answered", 95),
        ("Terjawab", "1:35", "answered", 95),
        ("ANSWERED", "0:01:35", "answered", 95),
        ("terputus", "00:08", "abandoned", 8),
        ("Ditutup Penelepon", "", "abandoned", None),
        ("abandoned", "8", "abandoned", 8),
        ("Tidak Dijawab", "0", "unanswered", 0),
        ("tak terjawab", "", "unanswered", None),
        ("missed", "00:00", "unanswered", 0),
        ("unanswered", "", "unanswered", None),
        ("", "95 detik", "answered", 95),  # blank, with time on the line: answered
        ("dijawab", "1:02:03", "answered", 3723),
    ],
)
def test_outcomes_and_durations(engine, settings, status, duration, outcome, seconds):
    call = one(engine, settings, HEADER, f"23/11/2026 14.05;psc-119;;;{status};{duration}")
    assert (call["outcome"], call["duration_s"]) == (outcome, seconds)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("psc-119;;;;0", "Status: blank, and no duration above 0 to show the call was answered"),
        ("psc-119;;;;", "Status: blank, and no duration above 0 to show the call was answered"),
        ("psc-119;;;sibuk;5", "Status: 'sibuk' is not an outcome (dijawab, terputus or tidak dijawab)"),
        ("psc-119;;;dijawab;-5", "Durasi: '-5' is negative"),
        ("psc-119;;;dijawab;1:75", "Durasi: '1:75' is not a duration (seconds like 95, or 1:35)"),
        ("psc-119;;;dijawab;lama", "Durasi: 'lama' is not a duration (seconds like 95, or 1:35)"),
        ("psc-119;;;dijawab;100000", "Durasi: '100000' is longer than a day"),
        ("psc-119;;;dijawab;" + "9" * 5000, "Durasi: '" + "9" * 40 + "…' is longer than a day"),
        ("psc-119;;;dijawab;-0.7", "Durasi: '-0.7' is negative"),
        ("damkar-makassar;;;dijawab;5", "Saluran: 'damkar-makassar' is not a call line"),
        ("0411-852111;;;dijawab;5", "Saluran: '0411-852111' is not a call line"),
        ("psc-119;;Makassar;dijawab;5", "Kecamatan: 'Makassar' is not a district of Soppeng"),
        ("psc-119;08x1;;dijawab;5", "Penelepon: '08x1' is not a phone number"),
        ("psc-119;0812-3456-7890-1234-5678;;dijawab;5", "Penelepon: '0812-3456-7890-1234-5678'"),
    ],
)
def test_bad_cells_are_named_with_their_value(engine, settings, cells, reason):
    report = run(engine, settings, f"{HEADER}\n{GOOD}\n23/11/2026 14.06;{cells}\n")
    assert report.stored == 1 and [p.line for p in report.problems] == [3]
    assert report.problems[0].reason.startswith(reason), report.problems[0].reason


def test_every_bad_cell_of_a_row_is_named_in_its_one_problem(engine, settings):
    report = run(engine, settings, f"{HEADER}\n31/02/2026 10.00;nope;abc;Bone;sibuk;-1\n")
    (problem,) = report.problems
    assert problem.line == 2
    assert [part.split(":")[0] for part in problem.reason.split("; ")] == [
        "Waktu",
        "Saluran",
        "Penelepon",
        "Kecamatan",
        "Durasi",
        "Status",
    ]


def test_line_numbers_are_the_spreadsheet_rows_and_empty_lines_are_skipped(engine, settings):
    data = f"\n{HEADER}\n{GOOD}\n\n;;;;;\n   \nkemarin;psc-119;;;dijawab;9\n" + '"a\nb";;;;;\n' + "x;;;;;\n"
    report = run(engine, settings, data)
    # line 1 empty, header on 2, good row on 3, three empty ones (4-6), a bad row on 7,
    # a quoted cell over two text lines is one spreadsheet row (8), then 9.
    assert report.rows == 4 and report.stored == 1
    assert [p.line for p in report.problems] == [7, 8, 9]


def test_a_cell_too_large_for_the_csv_module_is_one_bad_row(engine, settings):
    data = f"{HEADER};Catatan\n{GOOD};\n23/11/2026 14.06;psc-119;;;dijawab;9;{'x' * 200_000}\n23/11/2026 14.07;;;;;9\n"
    report = run(engine, settings, data)
    assert (report.rows, report.stored) == (3, 2)
    assert report.problems == [
        RowProblem(3, "this line cannot be read as CSV (field larger than field limit (131072))")
    ]


def test_headers_in_either_language_any_case_unknown_columns_ignored_short_rows_padded(engine, settings):
    header = "No,CALLER,Called, District ,Outcome,Duration (s),Time,Operator"
    call = one(engine, settings, header, "1,0812 3456 7890,119,Citta,answered,95,2026-11-23 14:05")
    assert (call["caller_number"], call["line_code"], call["district"], call["at"]) == (
        "+6281234567890",
        "psc-119",
        "citta",
        datetime(2026, 11, 23, 6, 5, tzinfo=UTC),
    )


def test_only_a_time_is_required(engine, settings):
    call = one(engine, settings, "waktu;durasi", "23/11/2026 14.05;60")
    assert (call["line_code"], call["caller_number"], call["district"], call["outcome"]) == (
        None,
        None,
        None,
        "answered",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"\r\n\r\n  \n", "the file is empty"),
        (b"\x00\x01\x02PK\x03\x04", "the file is not text"),
        ("Waktu;Saluran\n".encode("utf-16"), "the file is not text"),
        (b"Saluran;Penelepon\npsc-119;0812\n", "no time column"),
        (b"23/11/2026 14.05;psc-119;0812-3456-7890\n", "no header"),
        (b"\x81\x8d\x8f\x90\x9d", "the file is not text"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_problem_on_line_1(engine, settings, data, reason):
    report = run(engine, settings, data)
    assert (report.rows, report.stored, report.duplicates) == (0, 0, 0)
    assert len(report.problems) == 1 and report.problems[0].line == 1
    assert report.problems[0].reason.startswith(reason), report.problems[0].reason
    assert stored(engine) == []
    with engine.connect() as conn:
        (audit,) = conn.execute(select(audit_log)).all()
    assert audit.detail == {"rows": 0, "stored": 0, "duplicates": 0, "problems": 1}


def test_one_call_in_two_files_written_differently_is_stored_once(engine, settings):
    report = run(engine, settings, f"{HEADER}\n{GOOD}\n")
    assert (report.rows, report.stored, report.duplicates) == (1, 1, 0)
    other = (
        "tanggal,jam,nomor_tujuan,caller,district,hasil,duration\n"
        "23-11-2026,14:05,119,+62 812-3456-7890,LALABATA,Terjawab,1:35\n"
    )
    report = run(engine, settings, other)
    assert (report.rows, report.stored, report.duplicates) == (1, 0, 1)
    assert len(stored(engine)) == 1


def test_two_calls_alike_in_one_minute_are_two_and_no_export_stores_them_twice(engine, settings):
    """Two abandoned calls from a withheld number in the same minute look alike in an export (its times
    are to the minute): they are two calls. The same file again, and a later export that overlaps it,
    store nothing twice."""
    twin = "23/11/2026 14.05;psc-119;;Lalabata;terputus;"
    before, after = "23/11/2026 13.50;psc-119;0812-3456-7890;Lalabata;dijawab;95", GOOD.replace("14.05", "14.20")
    first = run(engine, settings, "\n".join([HEADER, before, twin, twin]))
    assert (first.rows, first.stored, first.duplicates) == (3, 3, 0)
    again = run(engine, settings, "\n".join([HEADER, before, twin, twin]))
    assert (again.stored, again.duplicates) == (0, 3)
    later = run(engine, settings, "\n".join([HEADER, twin, twin, after]))  # overlaps the first from 14.05
    assert (later.stored, later.duplicates) == (1, 2)
    calls = stored(engine)
    assert len(calls) == 4
    assert sum(1 for c in calls if c["caller_number"] is None and c["outcome"] == "abandoned") == 2


def test_a_large_file_goes_in_chunks_and_keeps_its_counts(engine, settings):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [
        (start + timedelta(seconds=17 * k)).strftime("%Y-%m-%dT%H:%M:%SZ") + ";psc-119;;;dijawab;9"
        for k in range(12_001)
    ]
    rows[6000] = "kemarin;psc-119;;;dijawab;9"
    report = run(engine, settings, HEADER + "\n" + "\n".join(rows))
    assert (report.rows, report.stored, report.duplicates) == (12_001, 12_000, 0)
    assert report.problems == [
        RowProblem(6002, "Waktu: 'kemarin' is not a date and time (write it like 23/11/2026 14.05)")
    ]
    report = run(engine, settings, HEADER + "\n" + "\n".join(rows))
    assert (report.stored, report.duplicates) == (0, 12_000)


def test_the_uploaded_name_is_kept_within_the_audit_column(engine, settings):
    import_calls(engine, settings, f"{HEADER}\n{GOOD}".encode(), by="op", filename="a\x00b\n" + "x" * 300, now=NOW)
    with engine.connect() as conn:
        target = conn.execute(select(audit_log.c.target)).scalar_one()
    assert target == "ab" + "x" * 198


# --- the shortcut past libphonenumber gives its answers ---

separator = st.sampled_from(["", " ", "-", ".", " - "])


@st.composite
def written_numbers(draw) -> str:
    digits = draw(st.from_regex(r"\A(0[1-9][0-9]{3,17}|\+62[0-9]{1,18}|62[0-9]{5,14})\Z"))
    cut = sorted(draw(st.lists(st.integers(2, max(2, len(digits) - 1)), max_size=3)))
    parts = [digits[i:j] for i, j in zip([0, *cut], [*cut, len(digits)], strict=True)]
    return draw(separator).join(p for p in parts if p)


@hsettings(max_examples=300, deadline=None)
@given(written_numbers())
def test_the_fast_number_path_agrees_with_phone_normalise(settings, text):
    try:
        expected: str | None = normalise(text)
    except PhoneError:
        expected = None
    key = ("+" if text.startswith("+") else "") + re.sub(r"[^0-9]", "", text)
    if _e164(key) is not None:
        assert _e164(key) == expected
    try:
        got = Places(settings).caller(text)
    except ValueError:
        got = None
    assert got == expected


# --- whatever arrives: never raise, account for every row, store nothing bad ---

BAD = object()
WHEN = [
    ("23/11/2026 14.05", datetime(2026, 11, 23, 6, 5, tzinfo=UTC)),
    ("23-11-2026 14:05:30", datetime(2026, 11, 23, 6, 5, 30, tzinfo=UTC)),
    ("2026-11-23T07:10:00+01:00", datetime(2026, 11, 23, 6, 10, tzinfo=UTC)),
    ("1/11/2026 8.00", datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),
    ("31/02/2026 10.00", BAD),
    ("24/11/2026 10.00", BAD),  # in the future
    ("", BAD),
    ("kemarin", BAD),
]
LINE = [("psc-119", "psc-119"), ("0484-23501", "damkar-lalabata"), ("", None), ("damkar-makassar", BAD)]
CALLER = [("0812-3456-7890", "+6281234567890"), ("+62 853 1111 2222", "+6285311112222"), ("", None), ("08x", BAD)]
DISTRICT = [("Donri Donri", "donri-donri"), ("citta", "citta"), ("", None), ("Bone", BAD)]
OUTCOME = [("dijawab", "answered"), ("MISSED", "unanswered"), ("terputus", "abandoned"), ("", ""), ("?", BAD)]
DURATION = [("95", 95), ("1:35", 95), ("0", 0), ("", None), ("-5", BAD)]
ROLES = {"Waktu": WHEN, "Saluran": LINE, "Penelepon": CALLER, "Kecamatan": DISTRICT, "Status": OUTCOME}
ROLES["Durasi"] = DURATION


def expected_call(cells: dict[str, tuple[str, object]]) -> tuple | object:
    values = {name: value for name, (_, value) in cells.items()}
    if any(v is BAD for v in values.values()):
        return BAD
    outcome, duration = values["Status"], values["Durasi"]
    if outcome == "":
        if not duration:
            return BAD
        outcome = "answered"
    return (values["Waktu"], values["Saluran"], values["Penelepon"], values["Kecamatan"], outcome, duration)


@st.composite
def exports(draw):
    """(bytes, the expected (line -> call or BAD)) of a generated export: known cells, a free-text column,
    empty lines, any separator and encoding."""
    separator = draw(st.sampled_from([";", ","]))
    names = [*ROLES, "Keterangan"]
    order = draw(st.permutations(names))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(order)
    expected: dict[int, object] = {}
    line = 1
    for _ in range(draw(st.integers(0, 12))):
        line += 1  # a spreadsheet row, however many text lines a quoted note spans
        if draw(st.integers(0, 9)) == 0:
            out.write("\r\n")
            continue
        cells = {name: draw(st.sampled_from(pool)) for name, pool in ROLES.items()}
        note = draw(st.text(st.characters(codec="cp1252", exclude_characters="\x00"), max_size=12))
        writer.writerow([cells[n][0] if n in cells else note for n in order])
        if any(text for text, _ in cells.values()) or note.strip():
            expected[line] = expected_call(cells)
        # else: a row of separators (and blanks) only, which is skipped like an empty line
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return out.getvalue().encode(encoding), expected


def check_accounting(engine, report: ImportReport) -> list[dict]:
    calls = stored(engine)
    whole_file = [p for p in report.problems if p.line == 1]
    if whole_file:
        assert len(report.problems) == 1 and report.rows == report.stored == 0 and calls == []
        return calls
    lines = [p.line for p in report.problems]
    assert len(lines) == len(set(lines)) and all(n >= 2 for n in lines)
    assert report.rows == report.stored + report.duplicates + len(report.problems)
    assert len(calls) == report.stored
    for call in calls:  # nothing bad stored
        assert call["at"].tzinfo is not None and call["at"] <= NOW + timedelta(hours=1)
        assert call["outcome"] in CALL_OUTCOMES and call["source"] == "csv"
        assert call["duration_s"] is None or 0 <= call["duration_s"] <= 86400
        assert call["caller_number"] is None or re.fullmatch(r"\+?[0-9]{2,17}", call["caller_number"])
    return calls


def fresh(engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(call_log))
        conn.execute(delete(audit_log))


FUZZ = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(exports())
def test_generated_exports_store_exactly_their_good_rows(engine, settings, export):
    data, expected = export
    fresh(engine)
    report = run(engine, settings, data)
    calls = check_accounting(engine, report)
    assert [p.line for p in report.problems] == [n for n, call in expected.items() if call is BAD]
    good = [call for call in expected.values() if call is not BAD]
    assert report.rows == len(expected)
    # Every good row is a call, rows alike included (a PBX lists each call): counted as a multiset.
    assert report.stored == len(good) and report.duplicates == 0
    keys = ("at", "line_code", "caller_number", "district", "outcome", "duration_s")
    assert Counter(tuple(c[k] for k in keys) for c in calls) == Counter(good)
    again = run(engine, settings, data)
    assert (again.stored, again.duplicates) == (0, len(good)), "the same export again stores nothing"


cell = st.one_of(
    st.sampled_from([v for pool in ROLES.values() for v, _ in pool]),
    st.text(max_size=20),
    st.sampled_from(['"', '""', ";", ",", "\r", "\n", "\x00", "\ufeff", "é", "–", "9" * 5000, "+62" + "8" * 40]),
)


@st.composite
def junk_files(draw) -> bytes:
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.binary(max_size=300))
    header = draw(st.lists(st.sampled_from([*ROLES, "tanggal", "jam", "time", "date", "x", ""]), max_size=8))
    rows = draw(st.lists(st.lists(cell, max_size=9), max_size=10))
    separator = draw(st.sampled_from([";", ",", "\t"]))
    text = "\n".join(separator.join(r) for r in [header, *rows])
    if kind == 1:
        return text.encode("utf-8", "surrogatepass")
    return draw(st.binary(max_size=20)) + text.encode("utf-8", "surrogatepass") + draw(st.binary(max_size=20))


@FUZZ
@given(junk_files())
def test_no_input_makes_it_raise_and_every_row_is_accounted_for(engine, settings, data):
    fresh(engine)
    report = run(engine, settings, data)
    event("rows read" if report.rows else "refused as a whole" if report.problems else "no rows")
    check_accounting(engine, report)
