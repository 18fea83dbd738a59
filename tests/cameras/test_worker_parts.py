"""The camera worker's parts that need no camera: backoff, status by frame age, fault texts,
outage bookkeeping, activity, snapshot files with retention and cap, and the batched writes
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from scc.settings.cameras import Camera
from scc.storage import open_storage
from scc.storage.cameras import camera_activity, camera_outages, camera_state, kept_time, snapshot_path
from streams.cameras import snapshots
from streams.cameras.analysis import Activity, Outage, judge, state_row
from streams.cameras.camera_state import (
    REFRESH_EVERY_S,
    StateWriter,
    close_outages_of_unwatched,
    settle_open_outages,
)
from streams.cameras.reader import Snapshot, backoff_s, classify, codec_note, fourcc_text
from streams.cameras.worker import my_cameras, parse_slice

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def snap(**changes) -> Snapshot:
    base = dict(
        seq=10,
        frame=None,
        frame_at=100.0,
        connected=True,
        down_since=100.0,
        flowing_since=95.0,
        fault=None,
        error=None,
        fps=5.0,
        width=640,
        height=360,
        codec="h264",
        reconnects=0,
    )
    return Snapshot(**{**base, **changes})


def test_backoff_starts_near_the_minimum_grows_with_the_outage_and_is_capped_with_jitter():
    rnd = random.Random(7)
    first = [backoff_s(0.5, 1.0, 60.0, rnd) for _ in range(200)]
    assert min(first) >= 0.8 and max(first) <= 1.2 and len({round(x, 3) for x in first}) > 50  # jittered
    assert 8 <= backoff_s(100, 1.0, 60.0, rnd) <= 12  # a tenth of the outage so far
    assert all(48 <= backoff_s(d, 1.0, 60.0, rnd) <= 72 for d in (600, 3600, 10**6))  # never beyond max (+-20%)


def test_status_is_judged_by_the_age_of_the_newest_frame():
    assert judge(snap(), 100.5, 2, 4) == "online"
    assert judge(snap(), 103.0, 2, 4) == "stale"
    assert judge(snap(), 104.5, 2, 4) == "offline"  # read() still blocked: the frame age decides
    # Before the first frame of the run: nothing to say yet, until the offline age.
    assert judge(snap(frame_at=None), 101, 2, 4) is None
    assert judge(snap(frame_at=None), 104.5, 2, 4) == "offline"
    # A reader that knows why it is not connected says so at once.
    assert judge(snap(connected=False, fault="error", error="401", frame_at=None), 100.1, 2, 4) == "error"
    assert judge(snap(connected=False, fault="error", error="404"), 100.1, 2, 4) == "offline"  # it worked before
    assert judge(snap(connected=False, fault="offline"), 100.1, 2, 4) == "offline"
    # Back only once frames flow: a stalled link letting a new session through sends a frame or two.
    trickle = snap(flowing_since=99.8)
    assert judge(trickle, 100.1, 2, 4, "offline") == "offline" and judge(trickle, 100.1, 2, 4, None) is None
    assert judge(trickle, 100.1, 2, 4, "online") == "online"
    assert judge(snap(flowing_since=99.5), 100.1, 2, 4, "offline") == "online"


def test_fault_texts_name_the_cause_and_whether_someone_must_act():
    assert classify(None, "Server returned 401 Unauthorized (authorization failed)", 0.01, 3)[0] == "error"
    assert "401" in classify(None, "Server returned 401 Unauthorized", 0.01, 3)[1]
    assert classify(None, "Server returned 404 Not Found", 0.01, 3) == (
        "error",
        "404 Not Found: no such stream path (Server returned 404 Not Found)",
    )
    assert classify(111, "Connection refused", 0.0, 3)[0] == "offline"
    assert "timeout" in classify(None, "Invalid data found when processing input", 3.0, 3)[1]
    assert codec_note("h264") is None and "H.264 only" in (codec_note("hevc") or "")
    assert fourcc_text(cv2.VideoWriter_fourcc(*"hevc")) == "hevc" and fourcc_text(0) is None


def test_an_outage_opens_once_at_the_last_frame_and_closes_when_frames_flow_again():
    outage = Outage()
    outage.see("online", T0, T0, T0, "")
    outage.see("stale", T0, T0, T0 + timedelta(seconds=3), "")
    outage.see("offline", T0, T0, T0 + timedelta(seconds=5), "no new frame for 4 s")
    outage.see("error", T0, T0, T0 + timedelta(seconds=6), "401")
    back, later = T0 + timedelta(seconds=30), T0 + timedelta(seconds=30.6)
    outage.see("online", later, back, later, "")
    assert outage.take() == [("open", T0, "no new frame for 4 s"), ("close", back, "")]
    assert outage.take() == []


def test_activity_is_near_zero_for_a_still_picture_and_rises_with_motion():
    still = np.full((360, 640, 3), 90, np.uint8)
    activity = Activity()
    for _ in range(30):
        activity.update(still)
    activity.take_mean()
    assert activity.update(still) < 0.01
    moving = []
    for i in range(10):
        frame = still.copy()
        cv2.rectangle(frame, (40 * i, 100), (40 * i + 120, 250), (250, 250, 250), -1)
        moving.append(activity.update(frame))
    assert min(moving) > 0.02 and 0 < (activity.take_mean() or 0) <= 1
    assert activity.take_mean() is None  # nothing new since


def test_snapshot_paths_stay_inside_the_data_dir(tmp_path):
    assert snapshot_path(tmp_path, "rsud-lobi") == tmp_path / "snapshots" / "rsud-lobi" / "latest.jpg"
    kept = snapshot_path(tmp_path, "rsud-lobi", datetime(2026, 11, 23, 9, 5, 7, tzinfo=UTC) + timedelta(0))
    assert kept.name == "20261123T090507Z.jpg" and kept_time(kept) == datetime(2026, 11, 23, 9, 5, 7, tzinfo=UTC)
    for bad in ("../etc", "a/b", "", "A", "x" * 41):
        with pytest.raises(ValueError):
            snapshot_path(tmp_path, bad)


def test_newest_snapshot_is_replaced_whole_and_kept_ones_are_links(tmp_path):
    frame = np.zeros((360, 640, 3), np.uint8)
    cv2.putText(frame, "A", (50, 200), cv2.FONT_HERSHEY_SIMPLEX, 4, (255, 255, 255), 5)
    latest = snapshots.write_latest(tmp_path, "cam-1", frame)
    assert cv2.imread(str(latest)).shape == (360, 640, 3)
    kept = snapshots.keep(tmp_path, "cam-1", T0)
    assert kept is not None and kept.read_bytes() == latest.read_bytes()
    snapshots.write_latest(tmp_path, "cam-1", np.full((360, 640, 3), 200, np.uint8))
    assert kept.read_bytes() != latest.read_bytes()  # the kept one did not follow the newest
    assert sorted(p.name for p in latest.parent.iterdir()) == ["20261123T010000Z.jpg", "latest.jpg"]  # no .part
    assert snapshots.keep(tmp_path, "cam-2", T0) is None  # nothing to keep yet


def test_kept_snapshots_obey_retention_then_the_disk_cap_oldest_first(tmp_path):
    now = T0
    for camera in ("cam-a", "cam-b"):
        folder = snapshot_path(tmp_path, camera).parent
        folder.mkdir(parents=True)
        (folder / "latest.jpg").write_bytes(b"x" * 1000)
        for minutes in (5, 10, 15, 20, 60 * 80):
            snapshot_path(tmp_path, camera, now - timedelta(minutes=minutes)).write_bytes(b"x" * 1000)
    # Retention: the two 80-hour-old ones go; the cap (6 kB) then removes the two oldest of the rest.
    pruned = snapshots.prune(tmp_path, now, timedelta(hours=72), 6000)
    assert (pruned.removed, pruned.kept, pruned.kept_bytes) == (4, 6, 6000)
    left = sorted(p.name for p in (tmp_path / "snapshots").rglob("*.jpg"))
    assert left.count("latest.jpg") == 2  # the newest ones are never pruned
    assert "20261123T004000Z.jpg" not in left and "20261123T004500Z.jpg" in left
    assert snapshots.prune(tmp_path, now, timedelta(hours=72), 6000).removed == 0


def test_slices_share_the_active_cameras_out(tmp_path):
    assert parse_slice("1/3") == (1, 3)
    for bad in ("3/3", "x", "-1/2"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_slice(bad)
    common = dict(name="C", site="S", site_short="S", skpd="s", district="d", link="fibre", uplink="u")
    common["position"] = {"lat": 0, "lon": 0}
    cams = [
        Camera(id=f"c{i}", status="planned" if i == 2 else "active", main_url="rtsp://h/x", **common) for i in range(6)
    ]
    slices = [[c.id for c in my_cameras(cams, k, 2)] for k in range(2)]
    assert slices == [["c0", "c3", "c5"], ["c1", "c4"]]


def test_state_rows_are_batched_changes_at_once_the_rest_once_a_second(database_url):
    engine = open_storage(database_url)
    writer = StateWriter(engine, {"cam-1": "fibre-kota", "cam-2": "radio-a"})
    now = datetime.now(UTC)

    def put(camera_id: str, status: str, at: datetime, **kw) -> None:
        writer.put_state(state_row(camera_id, status, snap(**kw), at, 0.1, at))  # type: ignore[arg-type]

    put("cam-1", "online", now)
    put("cam-2", "online", now)
    writer.add_activity([{"camera_id": "cam-1", "at": now, "level": 0.25}])
    writer.flush()
    put("cam-1", "online", now + timedelta(seconds=0.2), fps=4.8)  # only numbers moved: waits for the second
    put("cam-2", "offline", now + timedelta(seconds=0.2), connected=False, fault="offline", error="refused")
    writer.outage("cam-2", "open", now, "connection refused")
    writer.flush()
    with engine.connect() as conn:
        rows = {r.camera_id: r for r in conn.execute(select(camera_state))}
        assert rows["cam-1"].fps == 5.0 and rows["cam-2"].status == "offline" and rows["cam-2"].last_error == "refused"
        outage = conn.execute(select(camera_outages)).one()
        assert (outage.camera_id, outage.uplink, outage.ended_at) == ("cam-2", "radio-a", None)
        assert conn.execute(select(camera_activity.c.level)).scalar_one() == 0.25
    time.sleep(REFRESH_EVERY_S)
    writer.outage("cam-2", "close", now + timedelta(seconds=42), "")
    writer.flush()
    with engine.connect() as conn:
        assert conn.execute(select(camera_state.c.fps).where(camera_state.c.camera_id == "cam-1")).scalar() == 4.8
        outage = conn.execute(select(camera_outages)).one()
        assert outage.ended_at - outage.started_at == timedelta(seconds=42)
    engine.dispose()


def test_outages_left_open_are_carried_on_after_a_quick_restart_and_closed_after_a_long_stop(database_url):
    engine = open_storage(database_url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for camera_id, last_word in (("quick", now - timedelta(seconds=10)), ("long", now - timedelta(hours=3))):
            conn.execute(
                camera_outages.insert().values(
                    camera_id=camera_id, uplink="u", started_at=last_word - timedelta(minutes=5), reason="timeout"
                )
            )
            conn.execute(camera_state.insert().values(camera_id=camera_id, status="offline", updated_at=last_word))
        conn.execute(camera_outages.insert().values(camera_id="other", uplink="u", started_at=now, reason="x"))
    assert settle_open_outages(engine, {"quick": "u", "long": "u"}, now) == {"quick"}
    with engine.connect() as conn:
        rows = {r.camera_id: r for r in conn.execute(select(camera_outages))}
    assert rows["quick"].ended_at is None
    assert rows["long"].ended_at == now - timedelta(hours=3) and "worker stopped" in rows["long"].reason
    assert rows["other"].ended_at is None  # another worker's camera: not ours to judge
    # A camera taken out of cameras.yaml: nobody will see it back, so its outage ends at the last word.
    assert close_outages_of_unwatched(engine, {"quick", "long"}) == 1
    with engine.connect() as conn:
        other = conn.execute(select(camera_outages).where(camera_outages.c.camera_id == "other")).one()
    assert other.ended_at == other.started_at and "no longer watched" in other.reason
    engine.dispose()
