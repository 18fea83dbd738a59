"""A unit's oversized payload through the real broker and ingest: kept as its first bytes, its size and
its SHA-256, with the reason; a small one kept whole with its size; the unit's page says what was cut.

The broker ends the connection of a client sending a packet over its max_packet_size (1 MiB as shipped,
streams/metrics/broker.py), so such a payload never reaches ingest: the largest a unit can make ingest
keep is just under that, and that is what is sent here. A 2 MB one is shown refused at the broker.
"""

from __future__ import annotations

import hashlib
import re
import subprocess

from sqlalchemy import Engine, select

from scc.storage.metrics import rejected_messages
from streams.agent import contract
from tests.support.dashapp import callback_body, client, make_app, post_callback
from tests.support.metrics_own import text_of
from tests.support.services import MOSQUITTO_PUB

from .test_hostile import UNIT, IngestProcess, still_working
from .test_ingest import wait_for

KEPT = 4096  # bytes of a payload the issue asks to keep: "its first kilobytes"


def publish(scc_broker, payload: bytes) -> subprocess.CompletedProcess[bytes]:
    argv = [MOSQUITTO_PUB, "-h", scc_broker.host, "-p", str(scc_broker.port), "-q", "1", "-u", UNIT]
    argv += ["-P", scc_broker.password(UNIT), "-t", contract.topic(UNIT, contract.TELEMETRY), "-s"]
    return subprocess.run(argv, input=payload, capture_output=True, timeout=30)


def packet_limit(scc_broker) -> int:
    """The broker's max_packet_size, from the configuration it was started with."""
    found = re.search(r"^max_packet_size (\d+)$", (scc_broker.directory / "mosquitto.conf").read_text(), re.M)
    assert found, "the broker's configuration sets no max_packet_size"
    return int(found.group(1))


def kept_rows(engine: Engine) -> dict[str, tuple]:
    t = rejected_messages.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.payload_sha256, t.payload, t.payload_bytes, t.reason, t.skpd_code))
        return {r[0]: tuple(r)[1:] for r in rows}


def grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def test_an_oversized_payload_is_kept_as_its_first_bytes_its_size_and_digest(scc_broker, storage, tmp_path):
    url, engine = storage
    # Just under the broker's limit (less the packet's topic and headers); a two-byte character
    # straddles the KEPT-th byte, so the cut falls before it, between characters.
    size = packet_limit(scc_broker) - 1024
    big = b"x" * (KEPT - 1) + "é".encode() + b"y" * (size - KEPT - 1)
    small = '{"id":"kecil","ts":1,"values":{"suhu_°C":1}}'.encode()
    ingest = IngestProcess(scc_broker, url, tmp_path / "ingest.log").start()
    try:
        for payload in (big, small):
            done = publish(scc_broker, payload)
            assert done.returncode == 0, done.stderr.decode()
        wait_for(lambda: len(kept_rows(engine)) == 2, timeout=20, what="both rejections stored")
        # 2 MB is over the broker's limit: it ends the connection, and ingest never sees the payload.
        assert publish(scc_broker, b"z" * 2_000_000).returncode != 0
        still_working(scc_broker, engine, ingest, "after-the-oversized")
    finally:
        ingest.stop()
    rows = kept_rows(engine)
    assert set(rows) == {hashlib.sha256(big).hexdigest(), hashlib.sha256(small).hexdigest()}
    payload, size_kept, reason, unit = rows[hashlib.sha256(big).hexdigest()]
    assert payload == "x" * (KEPT - 1), "the first bytes, cut before the character they would split"
    assert (size_kept, unit) == (size, UNIT)
    assert reason.startswith(f"payload is {size} bytes, over the limit of ")
    payload, size_kept, reason, unit = rows[hashlib.sha256(small).hexdigest()]
    assert (payload, size_kept) == (small.decode(), len(small)), "a small payload whole, its size in bytes"
    assert "unknown metric 'suhu_°C'" in reason

    # The unit's own page says the payload was cut, and its whole size, in each language.
    app = make_app(tmp_path / "scc.db")
    try:
        c = client(app, UNIT)
        body = callback_body(app, "own-body.children")
        body["inputs"][0]["value"] = UNIT
        text = text_of(post_callback(c, body))
        assert f"Dipotong: {grouped(KEPT - 1, '.')} dari {grouped(size, '.')} byte disimpan" in text
        assert text.count("Dipotong") == 1, "the small payload was kept whole"
        c.post("/language", data={"lang": "en"})
        text = text_of(post_callback(c, body))
        assert f"Cut: {grouped(KEPT - 1, ',')} of its {grouped(size, ',')} bytes kept" in text
        assert f"SHA-256 {hashlib.sha256(big).hexdigest()}" in text
    finally:
        app.server.config["SCC_CONTEXT"].engine.dispose()
