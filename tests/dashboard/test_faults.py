"""The back-ends' English, said in the user's language: camera faults and refused messages.

The texts below are the ones the camera reader, the relay, FFmpeg and ingest
actually write (streams/cameras/reader.py, relay_feed.py; streams/metrics), and
the words expected are written here, not read from the catalog they test.
"""

from __future__ import annotations

import pytest

from dashboard import i18n
from dashboard.components import faults

CAMERA = [
    ("timeout: no answer within 5 s", "Kamera tidak menjawab dalam 5 dtk"),
    ("Server returned 5XX Server Error reply", "Kamera melaporkan gangguan internal"),
    ("401 Unauthorized: wrong user name or password (Server returned 401)", "kata sandi kamera ditolak"),
    ("404 Not Found: no such stream path (x)", "Alamat stream tidak ada"),
    ("connection refused: nothing listens on the camera's RTSP port", "Kamera menolak sambungan"),
    ("connection refused (10.20.1.x:554)", "Kamera menolak sambungan"),
    ("no frame for 45 s", "Tidak ada gambar selama 45 dtk"),
    ("host unreachable (No route to host)", "tidak terjangkau"),
    ("opened, but no frame could be decoded (codec hevc)", "Tidak ada gambar masuk"),
    ("the stream ended or stopped sending", "berhenti mengirim gambar"),
    ("no answer in time", "Kamera tidak menjawab"),
    ("something nobody foresaw", "Gangguan kamera"),
]
REFUSED = [
    ("'laside_permits_issued': 7500 is above the largest valid value, 5000", "di luar rentang"),
    ("line 4: value 'dua belas' is not a number", "Baris 4: nilai bukan angka"),
    ("ts has no UTC offset (write e.g. 2026-11-23T08:00:00+08:00)", "waktu tidak dikenali"),
    ("'pbb_collected' is not a metric of bpkd", "kunci metrik tidak dikenal"),
    ("unknown SKPD 'puskesmas-x' in topic scc/v1/skpd/puskesmas-x/telemetry", "SKPD tidak dikenal"),
    ("not JSON: Expecting value: line 1 column 1 (char 0)", "bukan JSON"),
    ("parked: storage refused this message 5 times in a row (locked)", "pesan ditolak"),
]


@pytest.mark.parametrize(("raw", "said"), CAMERA)
def test_a_camera_fault_is_said_in_indonesian(raw, said):
    assert said in faults.camera_fault(raw)  # outside a request, the installation's language: Indonesian


@pytest.mark.parametrize(("raw", "said"), REFUSED)
def test_a_refusal_is_said_in_indonesian(raw, said):
    assert said in faults.refusal(raw)


def test_english_readers_get_english_and_the_raw_text_stays_in_the_tooltip(monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: "en")
    assert faults.camera_fault("no frame for 45 s") == "No picture for 45 s"
    span = faults.fault_span("Server returned 5XX Server Error reply", "x")
    assert span is not None and span.title == "Server returned 5XX Server Error reply"
    assert faults.fault_span(None, "x") is None and faults.fault_span("", "x") is None


def test_every_meaning_has_its_words_in_both_languages():
    keys = {key for _, key in faults.PATTERNS + faults.REFUSALS} | {"fault.other", "refusal.other"}
    keys |= {"fault.no_frame_s", "fault.timeout_s"}
    for lang in i18n.LANGUAGES:
        assert sorted(k for k in keys if k not in i18n.catalog(lang)) == [], lang
