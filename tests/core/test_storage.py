"""Storage on SQLite and PostgreSQL: migrations from empty, and a round trip of every table."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from scc import audit, health, signin, users
from scc.clock import as_utc, utcnow
from scc.storage import alerts, callcenter, cameras, connect, metadata, migrate, open_storage, platform
from scc.storage.db import MIGRATIONS, alembic_config

T0 = datetime(2026, 11, 23, 1, 5, 7, tzinfo=UTC)

ROWS = {
    "users": dict(
        username="u1",
        full_name="Satu",
        role="operator",
        skpd_code=None,
        password_hash="h",
        language="id",
        active=True,
        created_at=T0,
        updated_at=T0,
    ),
    "audit_log": dict(
        at=T0, actor="admin", action="user.create", target="u1", detail={"role": "operator"}, remote_addr="127.0.0.1"
    ),
    "login_attempts": dict(at=T0, username="u1", remote_addr="127.0.0.1", success=False),
    "process_state": dict(
        name="web",
        kind="web",
        status="running",
        pid=42,
        restarts=1,
        started_at=T0,
        last_exit="exited with code 1",
        updated_at=T0,
    ),
    "heartbeats": dict(name="web", interval_s=5, beat_at=T0, last_activity=T0, backlog=3, detail="ok"),
    "refusals": dict(
        channel="broker",
        account="dpmptsp",
        kind="publish",
        source="",
        attempts=3,
        first_at=T0,
        last_at=T0 + timedelta(seconds=9),
        last_reason="acl",
        last_detail="scc/v1/skpd/bpkd/telemetry",
    ),
    "camera_state": dict(
        camera_id="rsud-lobi",
        status="online",
        last_frame_at=T0,
        fps=5.0,
        width=640,
        height=360,
        codec="h264",
        reconnects=2,
        last_error=None,
        activity=0.25,
        updated_at=T0,
    ),
    "camera_outages": dict(
        camera_id="rsud-lobi",
        uplink="fibre-kota",
        started_at=T0,
        ended_at=T0 + timedelta(seconds=42),
        reason="no frame for 4 s",
    ),
    "camera_activity": dict(camera_id="rsud-lobi", at=T0, level=0.125),
    "wall_prefs": dict(username="operator", layout="3x3", group_by="site", tour_s=20, updated_at=T0),
    "metric_samples": dict(
        skpd_code="dpmptsp",
        metric_key="laside_permits_received",
        ts=T0,
        value=1234.5,
        message_id="m-1",
        received_at=T0,
        source="csv",
    ),
    "metric_corrections": dict(
        skpd_code="dpmptsp",
        metric_key="laside_permits_received",
        ts=T0,
        old_value=1234.5,
        new_value=1243.5,
        message_id="m-2",
        source="web",
        corrected_by="staf-dpmptsp",
        corrected_at=T0,
    ),
    "metric_hourly": dict(
        skpd_code="dpmptsp",
        metric_key="laside_permits_received",
        hour=T0,
        n=2,
        total=3.0,
        low=1.0,
        high=2.0,
        last_value=2.0,
        last_ts=T0,
        rolled_at=T0,
    ),
    "metric_daily": dict(
        skpd_code="dpmptsp",
        metric_key="laside_permits_received",
        day=T0,
        n=2,
        total=3.0,
        low=1.0,
        high=2.0,
        last_value=2.0,
        last_ts=T0,
    ),
    "housekeeping_marks": dict(job="metric_hourly", upto=T0, updated_at=T0),
    "metric_latest": dict(skpd_code="dpmptsp", metric_key="laside_permits_received", ts=T0, value=1.5, received_at=T0),
    "metric_unit_status": dict(skpd_code="dpmptsp", online=True, changed_at=T0, last_message_at=T0),
    "service_probes": dict(
        skpd_code="dinsos",
        at=T0,
        ok=False,
        status_code=None,
        latency_ms=None,
        tls_days_left=-3,
        content_found=None,
        error="certificate refused: certificate has expired",
    ),
    "service_probe_hours": dict(skpd_code="dinsos", hour=T0.replace(minute=0, second=0), checks=12, up=11),
    "rejected_messages": dict(
        received_at=T0,
        topic="scc/v1/skpd/x/telemetry",
        skpd_code="x",
        payload="{bad",
        reason="not JSON",
        message_id=None,
        source="mqtt",
        digest="0" * 64,
    ),
    "incidents": dict(
        line_code="psc-119",
        district="lalabata",
        caller_number="081234567890",
        category="medical",
        summary="Pasien sesak napas",
        status="received",
        received_at=T0,
        source="intake",
        created_by="operator",
        caller_name="Andi",
        village="Botto",
        landmark="depan masjid",
        priority=1,
        version=3,
        skpd_code=None,
        due_at=None,
        site="RSUD Latemmamala",
    ),
    "alert_silences": dict(
        rule="camera-down",
        subject="rsud-lobi",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=4),
        reason="kamera diperbaiki",
        created_by="operator",
        created_at=T0,
        lifted_at=None,
        lifted_by=None,
    ),
    "alerts": dict(
        rule="uplink-down",
        kind="uplink_down",
        subject="radio-citta",
        skpd_code=None,
        severity="critical",
        state="firing",
        started_at=T0,
        fired_at=T0 + timedelta(minutes=1),
        clear_since=None,
        ended_at=None,
        detail={"cameras": ["pasar-citta", "kantor-camat-citta"]},
        silence_id=None,
        acknowledged_at=T0 + timedelta(minutes=2),
        acknowledged_by="operator",
        acknowledged_note="tim radio berangkat",
        notify_count=1,
        notified_at=T0 + timedelta(minutes=1),
        next_notify_at=None,
        updated_at=T0 + timedelta(minutes=2),
    ),
    "reports": dict(
        kind="unit",
        skpd_code="dpmptsp",
        period_start=T0,
        period_end=T0 + timedelta(days=7),
        status="ready",
        requested_at=T0 + timedelta(days=7),
        requested_by=None,
        made_at=T0 + timedelta(days=7, seconds=3),
        seconds=2.5,
        files=["laporan-unit-dpmptsp-2026-11-23.pdf", "laporan-unit-dpmptsp-2026-11-23.csv"],
        error=None,
    ),
    "call_log": dict(
        at=T0,
        line_code="damkar-citta",
        caller_number="+6281234567890",
        district="citta",
        outcome="abandoned",
        duration_s=12,
        incident_id=None,
        source="csv",
        digest="1" * 64,
    ),
    "board_links": dict(
        skpd_code="dukcapil",
        token_hash="a" * 64,
        label="Ruang tunggu",
        created_by="admin",
        created_at=T0,
        revoked_at=T0 + timedelta(days=1),
        revoked_by="dukcapil",
        last_seen_at=T0 + timedelta(hours=1),
    ),
    "board_announcements": dict(skpd_code="dukcapil", text="Tutup pukul 12.00", set_by="admin", set_at=T0),
}


def test_migrations_from_empty_create_every_table(database_url):
    engine = open_storage(database_url)
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert "alembic_version" in tables
    migrate(engine)  # a second start changes nothing and does not fail
    engine.dispose()


def test_processes_starting_together_on_a_new_database_all_migrate(database_url):
    """A supervisor starts several processes at once, and each opens storage (migrates) first."""
    script = f"from scc.storage import open_storage; open_storage({database_url!r}).dispose()"
    starts = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1].decode() for p in starts]
    assert [p.returncode for p in starts] == [0, 0, 0, 0], "\n".join(errors)
    engine = connect(database_url)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_one_alembic_head_and_migrations_named_by_domain():
    """Two capabilities adding a migration each off the same parent would fork the history."""
    script = ScriptDirectory.from_config(alembic_config(connect("sqlite://")))
    assert len(script.get_heads()) == 1, f"more than one Alembic head: {script.get_heads()}"
    domains = {"platform", "cameras", "metrics", "callcenter", "alerts"}
    # The call center's migrations up to 0012 say `calls`: their revision ids are in every database made since.
    domains.add("calls")
    domains.add("boards")  # the public boards' display links and announcements (0024)
    domains.add("reports")  # the daily, weekly and per-unit reports (0025)
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        number, domain, *what = path.stem.split("_")
        assert number.isdigit() and len(number) == 4 and domain in domains and what, path.name


def test_status_columns_refuse_values_outside_their_type(database_url):
    engine = open_storage(database_url)
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(cameras.camera_state.insert().values(camera_id="c1", status="fine", updated_at=T0))
    engine.dispose()


def test_migrations_match_the_schema(database_url):
    """A column added to schema.py without a migration fails here."""
    engine = open_storage(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_round_trip_of_every_table(database_url):
    engine = open_storage(database_url)
    linked = {"incident_events", "incident_units", "sessions", "alert_events"}  # rows that need another's id
    assert set(ROWS) | linked == set(metadata.tables), "a new table needs a round trip here"
    with engine.begin() as conn:
        for name, row in ROWS.items():
            conn.execute(metadata.tables[name].insert().values(**row))
        incident_id = conn.execute(select(callcenter.incidents.c.id)).scalar_one()
        conn.execute(
            callcenter.incident_events.insert().values(
                incident_id=incident_id, status="received", at=T0, operator="operator", note=""
            )
        )
        conn.execute(
            callcenter.incident_units.insert().values(
                incident_id=incident_id, unit_code="truk-citta", assigned_at=T0, assigned_by="operator"
            )
        )
        alert_id = conn.execute(select(alerts.alerts.c.id)).scalar_one()
        payload = {"alert_id": alert_id, "event": "raised", "detail": {"cameras": ["pasar-citta"]}}
        conn.execute(alerts.alert_events.insert().values(alert_id=alert_id, event="raised", at=T0, payload=payload))
        user_id = conn.execute(select(platform.users.c.id)).scalar_one()
        conn.execute(
            platform.sessions.insert().values(
                id="s" * 43,
                user_id=user_id,
                created_at=T0,
                expires_at=T0 + timedelta(hours=12),
                remote_addr="127.0.0.1",
            )
        )
    with engine.connect() as conn:
        for name, row in ROWS.items():
            stored = conn.execute(select(metadata.tables[name])).one()._mapping
            for key, value in row.items():
                got = stored[key]
                if isinstance(value, datetime):
                    got = as_utc(got)
                assert got == value, f"{name}.{key}"
        event = conn.execute(select(callcenter.incident_events)).one()
        assert event.incident_id == incident_id and as_utc(event.at) == T0 and event.kind == "status"
        unit = conn.execute(select(callcenter.incident_units)).one()
        assert unit.incident_id == incident_id and unit.released_at is None
        told = conn.execute(select(alerts.alert_events)).one()
        assert told.payload == payload and told.published_at is None and as_utc(told.at) == T0
        session = conn.execute(select(platform.sessions)).one()
        assert session.user_id == user_id and session.expires_at == T0 + timedelta(hours=12)
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = open_storage(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_users_lifecycle(database_url):
    engine = open_storage(database_url)
    user, password = users.create_user(engine, username="op1", role="operator", actor="admin")
    assert len(password) >= users.MIN_PASSWORD
    assert users.authenticate(engine, "op1", password) == user
    assert users.authenticate(engine, "op1", "wrong-password") is None
    assert users.authenticate(engine, "nobody", password) is None
    with pytest.raises(users.UserError, match="already exists"):
        users.create_user(engine, username="op1", role="operator", actor="admin")
    with pytest.raises(users.UserError, match="one SKPD"):
        users.create_user(engine, username="s1", role="skpd", actor="admin")
    with pytest.raises(users.UserError, match="unknown SKPD"):
        users.create_user(engine, username="s1", role="skpd", skpd_code="zzz", actor="admin", known_skpd={"bpkd"})
    with pytest.raises(users.UserError, match="role"):
        users.create_user(engine, username="x1", role="root", actor="admin")
    users.set_active(engine, "op1", False, actor="admin")
    assert users.authenticate(engine, "op1", password) is None
    users.set_active(engine, "op1", True, actor="admin")
    new = users.reset_password(engine, "op1", actor="admin")
    assert users.authenticate(engine, "op1", password) is None
    assert users.authenticate(engine, "op1", new) == user
    with pytest.raises(users.UserError, match="longer than"):
        users.create_user(engine, username="long", role="viewer", full_name="x" * 201, actor="admin")
    actions = [r["action"] for r in audit.recent(engine)]
    assert actions[:4] == ["user.reset_password", "user.enable", "user.disable", "user.create"]
    engine.dispose()


def test_times_are_stored_as_utc_on_every_backend(database_url):
    engine = open_storage(database_url)
    wita = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    with engine.begin() as conn:
        conn.execute(cameras.camera_state.insert().values(camera_id="c1", status="online", updated_at=wita))
    with engine.connect() as conn:
        stored = conn.execute(select(cameras.camera_state.c.updated_at)).scalar_one()
    assert stored == datetime(2026, 11, 23, 1, 0, tzinfo=UTC) and stored.tzinfo is not None
    with pytest.raises(StatementError, match="without a timezone"):
        with engine.begin() as conn:
            conn.execute(
                cameras.camera_state.insert().values(
                    camera_id="c2", status="online", updated_at=datetime(2026, 11, 23, 9, 0)
                )
            )
    engine.dispose()


def test_sessions_end_on_sign_out_disable_reset_and_expiry(database_url):
    engine = open_storage(database_url)
    user, _ = users.create_user(engine, username="op1", role="operator", actor="admin")
    sid = signin.open_session(engine, user, hours=12)
    assert signin.session_user(engine, sid) == user
    signin.close_session(engine, sid)
    assert signin.session_user(engine, sid) is None

    for end in (
        lambda: users.set_active(engine, "op1", False, actor="admin"),
        lambda: users.reset_password(engine, "op1", actor="admin"),
    ):
        sid = signin.open_session(engine, user, hours=12)
        end()
        users.set_active(engine, "op1", True, actor="admin")
        assert signin.session_user(engine, sid) is None

    sid = signin.open_session(engine, user, hours=12)
    with engine.begin() as conn:  # a busy wall does not stretch a shift: the end is fixed at sign-in
        conn.execute(platform.sessions.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    assert signin.session_user(engine, sid) is None
    engine.dispose()


def test_parallel_password_guesses_cannot_pass_the_limit(database_url):
    engine = open_storage(database_url)
    # Several rounds, because a race between commit order and id order shows only now and then.
    for n in range(4):
        addr = f"10.2.0.{n}"
        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(lambda _, a=addr: signin.attempt(engine, "operator", a, 5, 300), range(12)))
        assert sum(r is not None for r in results) == 5, f"round {n}"
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda _: signin.attempt(engine, "operator", "10.1.1.1", 5, 300), range(12)))
    assert sum(r is not None for r in results) == 5
    assert signin.attempt(engine, "operator", "10.1.1.1", 5, 300) is None
    assert signin.attempt(engine, "operator", "10.1.1.2", 5, 300) is not None  # other addresses unaffected
    ok = signin.attempt(engine, "admin", "10.1.1.3", 5, 300)
    signin.succeeded(engine, ok, "admin", "10.1.1.3")
    engine.dispose()


def test_first_admin_created_once(database_url):
    engine = open_storage(database_url)
    password = users.ensure_admin(engine)
    assert password and users.authenticate(engine, "admin", password).role == "admin"
    assert users.ensure_admin(engine) is None
    engine.dispose()


def test_health_has_one_writer_per_table_and_a_silent_worker_goes_stale(database_url):
    engine = open_storage(database_url)
    health.record_process(
        engine, "web", kind="web", status="running", pid=1, started_at=utcnow() - timedelta(seconds=30)
    )
    _, doc = health.summary(engine)
    assert doc["components"]["web"]["status"] == "starting"  # running, no heartbeat yet
    health.beat(engine, "web", interval_s=5, backlog=2, detail="answers in 3 ms")
    ok, doc = health.summary(engine)
    assert ok and doc["components"]["web"]["status"] == "up" and doc["components"]["database"]["status"] == "up"
    assert doc["components"]["web"]["backlog"] == 2
    # The supervisor's next record (restart count) leaves the worker's heartbeat alone, and vice versa.
    health.record_process(engine, "web", kind="web", status="running", restarts=1)
    row = next(r for r in health.read_all(engine) if r.name == "web")
    assert row.detail == "answers in 3 ms" and row.restarts == 1 and row.pid == 1
    # Alive but silent: three beats missed.
    with engine.begin() as conn:
        conn.execute(platform.heartbeats.update().values(beat_at=utcnow() - timedelta(seconds=16)))
    ok, doc = health.summary(engine)
    assert not ok and doc["components"]["web"]["status"] == "stale"
    # Never beat, running for longer than the grace: stale too.
    health.record_process(
        engine,
        "camera-1",
        kind="camera",
        status="running",
        started_at=utcnow() - health.FIRST_BEAT_GRACE - timedelta(seconds=1),
    )
    assert {r.name: r.status for r in health.read_all(engine)}["camera-1"] == "stale"
    # Restarted: the last run's heartbeat says nothing of the new process.
    health.record_process(engine, "web", kind="web", status="running", started_at=utcnow())
    assert {r.name: r.status for r in health.read_all(engine)}["web"] == "starting"
    health.beat(engine, "web", interval_s=5)
    assert {r.name: r.status for r in health.read_all(engine)}["web"] == "up"
    health.record_process(engine, "web", kind="web", status="restarting")
    assert {r.name: r.status for r in health.read_all(engine)}["web"] == "restarting"
    engine.dispose()


def test_heartbeat_thread_beats_and_stops_beating_when_its_probe_fails(database_url):
    engine = open_storage(database_url)
    working = {"ok": True}

    def probe():
        if not working["ok"]:
            raise RuntimeError("not answering")
        return 4, "busy"

    beat = health.Heartbeat(engine, "ingest", 1, probe).start()
    try:
        deadline = utcnow() + timedelta(seconds=10)
        while utcnow() < deadline and not any(r.name == "ingest" for r in health.read_all(engine)):
            time.sleep(0.05)
        first = next(r for r in health.read_all(engine) if r.name == "ingest")
        assert first.status == "up" and first.backlog == 4 and first.interval_s == 1
        working["ok"] = False
        time.sleep(2.2)
        again = next(r for r in health.read_all(engine) if r.name == "ingest")
        assert again.beat_at - first.beat_at < timedelta(seconds=1.5)  # at most the beat in flight
    finally:
        beat.stop()
    engine.dispose()


def test_database_gone_is_reported_not_raised(tmp_path):
    engine = connect("postgresql+psycopg://nobody@127.0.0.1:1/none")
    ok, doc = health.summary(engine)
    assert not ok and doc["components"]["database"]["status"] == "down"


def test_a_database_from_before_the_per_domain_migrations_is_refused_clearly(tmp_path):
    from sqlalchemy import text

    from scc.storage.db import UnknownSchema

    engine = connect(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
    with pytest.raises(UnknownSchema, match=r"revision 0001.*scc setup"):
        migrate(engine)
    engine.dispose()
