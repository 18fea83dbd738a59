"""Reading figures as SKPD systems export them: Indonesian numbers and dates, CSV files, JSON lines."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from streams.agent.publisher import checked_message
from streams.agent.readers import (
    WITA,
    parse_assignments,
    parse_column,
    parse_number,
    parse_time,
    read_csv,
    read_json_lines,
)


@pytest.mark.parametrize(
    ("text", "decimal", "value"),
    [
        ("12", ".", 12),
        ("-3", ".", -3),
        ("1234.5", ".", 1234.5),
        ("1,234.5", ".", 1234.5),
        ("12,5", ",", 12.5),
        ("1.234,5", ",", 1234.5),
        ("Rp 2.500.000", ",", 2500000),
        ("Rp. 2.500.000,50", ",", 2500000.5),
        ("87,5%", ",", 87.5),
        (" 1 234 ", ".", 1234),
    ],
)
def test_numbers_as_people_write_them(text, decimal, value):
    parsed = parse_number(text, decimal)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("text", "decimal"), [("12,5", "."), ("12.5", ","), ("1.2.3", ","), ("abc", "."), ("", "."), ("1,23", ".")]
)
def test_numbers_that_would_be_misread_are_refused(text, decimal):
    with pytest.raises(ValueError, match="is not a number"):
        parse_number(text, decimal)


def wita(*args: int) -> float:
    return datetime(*args, tzinfo=WITA).timestamp()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23/11/2026", wita(2026, 11, 23)),
        ("23-11-2026 08.30", wita(2026, 11, 23, 8, 30)),
        ("23/11/2026 08:30:15", wita(2026, 11, 23, 8, 30, 15)),
        ("2026-11-23 08:00", wita(2026, 11, 23, 8)),
        ("2026-11-23T08:00:00+07:00", wita(2026, 11, 23, 9)),
        ("2026-11-23T00:00:00Z", wita(2026, 11, 23, 8)),
    ],
)
def test_dates_and_times_are_wita_unless_they_say_otherwise(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["11/23/2026", "kemarin", "32/01/2026", ""])
def test_bad_dates_are_refused(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_time(text)


def test_arguments_and_column_specs():
    assert parse_assignments(["laside_permits_received=12", "service_up=1"]) == {
        "laside_permits_received": 12,
        "service_up": 1,
    }
    assert parse_assignments(["sia_attendance_percent=87,5"], ",") == {"sia_attendance_percent": 87.5}
    assert parse_column("Jumlah Berkas = laside_permits_received") == ("Jumlah Berkas", "laside_permits_received")
    assert parse_column("a=b=c_d") == ("a=b", "c_d")
    for bad in (["laside_permits_received"], ["Permits=1"], ["x=abc"]):
        with pytest.raises(ValueError):
            parse_assignments(bad)
    with pytest.raises(ValueError, match="not a metric key"):
        parse_column("Jumlah=Jumlah Berkas")


LASIDE_EXPORT = """\
Tanggal;Jumlah Berkas;Izin Terbit;Keterangan
23/11/2026 08.00;12;9;pagi
23/11/2026 12.00;1.204;-;siang

23/11/2026 16.00;12,5x;3;salah angka
24/11/2026;40;38;
kemarin;5;5;salah tanggal
25/11/2026;;;kosong
Jumlah;1.256;47;
"""


def test_csv_in_indonesian_shape_keeps_good_rows_and_names_bad_lines():
    columns = [("jumlah berkas", "laside_permits_received"), ("Izin Terbit", "laside_permits_issued")]
    messages, problems = read_csv(io.StringIO(LASIDE_EXPORT), columns, ts_column="Tanggal", decimal=",")
    assert [m["values"] for m in messages] == [
        {"laside_permits_received": 12, "laside_permits_issued": 9},
        {"laside_permits_received": 1204},  # a dash is "none", not zero
        {"laside_permits_received": 40, "laside_permits_issued": 38},
    ]
    assert [m["ts"] for m in messages] == [
        wita(2026, 11, 23, 8) * 1000,
        wita(2026, 11, 23, 12) * 1000,
        wita(2026, 11, 24) * 1000,
    ]
    assert len({m["id"] for m in messages}) == 3
    assert [p.line for p in problems] == [5, 7, 8, 9]
    assert "'Jumlah Berkas'" in problems[0].reason and "12,5x" in problems[0].reason
    assert "Tanggal" in problems[1].reason and "kemarin" in problems[1].reason
    assert problems[2].reason == "no values in this row"


def test_csv_whose_columns_do_not_fit_is_refused_whole():
    with pytest.raises(ValueError, match=r"no column 'Jumlah'.*'Tanggal'"):
        read_csv(io.StringIO(LASIDE_EXPORT), [("Jumlah", "laside_permits_received")])
    with pytest.raises(ValueError, match="empty"):
        read_csv(io.StringIO(""), [("a", "b")])


def test_json_lines_plain_or_whole_messages():
    stdin = io.StringIO(
        '{"values": {"sia_attendance_percent": 91.5}, "ts": "2026-11-23 07:45"}\n'
        "\n"
        '{"id": "sia-2026-11-23-0800", "ts": 1795392000000, "values": {"sia_attendance_percent": 93}}\n'
        "not json\n"
        '{"value": {"sia_attendance_percent": 1}}\n'
        '{"values": {"Kehadiran": 1}}\n'
        '{"values": {"sia_attendance_percent": NaN}}\n'
        "[1, 2]\n"
    )
    messages, problems = read_json_lines(stdin)
    assert messages[0]["ts"] == wita(2026, 11, 23, 7, 45) * 1000
    assert messages[1] == {"id": "sia-2026-11-23-0800", "ts": 1795392000000, "values": {"sia_attendance_percent": 93}}
    assert [p.line for p in problems] == [4, 5, 6, 7, 8]
    assert "unknown field 'value'" in problems[1].reason
    assert "not a metric key" in problems[2].reason
    assert "finite" in problems[3].reason


def test_message_checks():
    assert checked_message({"values": {"service_up": True}})["values"] == {"service_up": 1}
    for bad in (
        {},
        {"values": {}},
        {"values": {"service_up": "1"}},
        {"values": {"service_up": 1}, "id": "x" * 129},
        {"values": {"service_up": 1}, "ts": 1.5},
    ):
        with pytest.raises(ValueError):
            checked_message(bad)
