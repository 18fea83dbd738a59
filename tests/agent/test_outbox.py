"""The outbox: a FIFO on disk that keeps every message, with its id, until the broker acknowledges it."""

from __future__ import annotations

import sqlite3
import stat

import pytest

from streams.agent import contract
from streams.agent.outbox import Outbox


def messages(n: int) -> list[dict]:
    return [contract.message({"laside_permits_received": i}) for i in range(n)]


def test_oldest_first_and_removed_only_when_told(tmp_path):
    sent = messages(5)
    with Outbox(tmp_path / "o.db") as box:
        assert box.put(sent) == 5
        rows = box.oldest(3)
        assert [m["id"] for _, m in rows] == [m["id"] for m in sent[:3]]
        assert rows[0][1] == sent[0]  # id, ts and values come back exactly as queued
        later = box.oldest(10, after=rows[-1][0])
        assert [m["id"] for _, m in later] == [m["id"] for m in sent[3:]]
        box.remove([seq for seq, _ in rows])
        assert box.count() == 2
        assert [m["id"] for _, m in box.oldest(10)] == [m["id"] for m in sent[3:]]


def test_survives_the_process_and_keeps_ids(tmp_path):
    sent = messages(3)
    box = Outbox(tmp_path / "o.db")
    box.put(sent)
    box.close()
    with Outbox(tmp_path / "o.db") as again:
        assert [m for _, m in again.oldest(10)] == sent
        assert again.put(sent[:1]) == 0  # the same message queued again is not queued twice
        assert again.count() == 3


def test_owner_only_files_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "o.db"
    with Outbox(path) as box:
        box.put(messages(1))
        for file in path.parent.iterdir():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_unit_cannot_send_another_units_queue(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path, owner="dpmptsp") as box:
        box.put(messages(1))
    with pytest.raises(ValueError, match="holds messages of unit 'dpmptsp'"):
        Outbox(path, owner="bpkd")
    with Outbox(path, owner="dpmptsp") as box:
        assert box.owner() == "dpmptsp"
        box.remove(seq for seq, _ in box.oldest(10))
    with Outbox(path, owner="bpkd") as box:  # an empty queue may change hands
        assert box.owner() == "bpkd"
