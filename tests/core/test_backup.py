"""`scc backup` taken while ingest writes and calls are taken, and `scc restore` into a fresh installation,
on SQLite and PostgreSQL: every row committed before the backup began is back, the restored installation
starts, an altered archive and a running installation are refused, and the archive and secrets stay 600."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select, text

from callcenter.intake import take_call
from scc import health, housekeeping, secrets, users
from scc.backup import BackupError, make_backup, read_manifest, restore_backup, take_backup
from scc.clock import WITA, to_wita, utcnow
from scc.dbcopy import Database
from scc.nightly_backup import NightlyBackup, Overdue, prune_backups
from scc.settings import Settings, load_settings
from scc.settings.retention import BackupPolicy
from scc.storage import open_storage
from scc.storage.callcenter import incidents
from scc.storage.metrics import metric_samples
from scc.storage.platform import heartbeats
from streams.metrics import store
from streams.metrics.validate import Sample
from tests.support.procs import ChildProcess
from tests.support.services import free_port
from tests.support.web import PASSWORDS, ROOT, login, seed_users

UNIT, METRIC = "dpmptsp", "laside_permits_received"
CALL = dict(line_code="psc-119", category="medical", priority=1, caller_withheld=True, district="citta")
TOKEN = "SCC_BACKUP_TEST_TOKEN"  # a secret of the source installation's own, to find again


def installation(root: Path, name: str, url: str | None = None) -> Settings:
    """An installation: its own copy of config/ and its own data directory (SQLite there unless `url`)."""
    config = root / f"{name}-config"
    shutil.copytree(ROOT / "config", config)
    env = {k: v for k, v in os.environ.items() if k != "SCC_DATABASE_URL"}
    if url:
        env["SCC_DATABASE_URL"] = url
    return load_settings(config, root / name, env)


def own_secret(settings: Settings, value: str) -> None:
    """A secret of the installation's own in its secrets.env (and not in this process's environment)."""
    secrets.ensure(settings.data_dir, ())
    secrets.set_values(settings.data_dir, {TOKEN: value})
    os.environ.pop(TOKEN, None)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.02)


class Writers:
    """Ingest and the call center at work: two threads committing until stopped; a row is recorded
    (with the moment) only once its commit has returned."""

    def __init__(self, engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings
        self.samples: list[str] = []
        self.incidents: list[int] = []
        self.commits: list[float] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._guard, args=(f,)) for f in (self._ingest, self._calls)]

    def __enter__(self) -> Writers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _guard(self, work) -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)

    def _ingest(self) -> None:
        base, n = utcnow() - timedelta(days=2), 0
        while not self._stop.is_set():
            batch = [Sample(UNIT, METRIC, base + timedelta(seconds=n + k), float(k), f"w{n + k}") for k in range(10)]
            store.write(self.engine, store.Batch(batch, [], []), utcnow())
            self.samples.extend(s.message_id for s in batch)
            self.commits.append(time.monotonic())
            n += len(batch)

    def _calls(self) -> None:
        while not self._stop.is_set():
            self.incidents.append(take_call(self.engine, self.settings, CALL, operator="op").incident_id)
            self.commits.append(time.monotonic())


def prefill(engine, samples: int) -> None:
    """History enough that copying it takes a moment, so that the writers commit during the backup."""
    base = utcnow() - timedelta(days=30)
    for start in range(0, samples, 5000):
        batch = [
            Sample(UNIT, "old_figure", base + timedelta(seconds=i), float(i), f"p{i}")
            for i in range(start, start + 5000)
        ]
        store.write(engine, store.Batch(batch, [], []), utcnow())


@pytest.fixture
def fresh_url(request, database_url, tmp_path):
    """Where to restore to: a new SQLite file, or a new PostgreSQL database of the same cluster."""
    if database_url.startswith("sqlite"):
        yield None  # the target's own data directory
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    name = f"scc_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_taken_while_writers_commit_restores_every_row_committed_before_it(tmp_path, database_url, fresh_url):
    source = installation(tmp_path, "source", None if database_url.startswith("sqlite") else database_url)
    own_secret(source, "the-source-installation-token")
    with open(source.data_dir / secrets.FILE, "a") as f:  # where a deployment may keep it
        f.write(f"SCC_DATABASE_URL={source.database_url}\n")
    (source.config_dir / "scc.yaml").write_text((source.config_dir / "scc.yaml").read_text() + "# the source's own\n")
    engine = open_storage(source.database_url)
    prefill(engine, 20_000)
    with Writers(engine, source) as writers:
        wait_for(lambda: len(writers.incidents) >= 3 and len(writers.samples) >= 30, 20, "the writers at work")
        committed_samples, committed_incidents = list(writers.samples), list(writers.incidents)
        began = time.monotonic()
        done = take_backup(source, tmp_path / "backups")
        ended = time.monotonic()
        wait_for(lambda: writers.commits[-1] > ended, 20, "the writers still at work after the backup")
    assert not writers.errors, writers.errors
    during = [t for t in writers.commits if began < t < ended]
    assert during, f"no commit while the backup ran ({ended - began:.3f} s): it must not stop the writers"
    engine.dispose()
    assert stat.S_IMODE(done.path.stat().st_mode) == 0o600
    with tarfile.open(done.path) as tar:
        assert stat.S_IMODE(tar.getmember("data/secrets.env").mode) == 0o600

    target = installation(tmp_path, "target", fresh_url)
    restore_backup(done.path, target)

    restored = open_storage(target.database_url)  # as every process opens it: migrations find nothing to do
    with restored.connect() as conn:
        ids = set(
            conn.execute(select(metric_samples.c.message_id).where(metric_samples.c.metric_key == METRIC)).scalars()
        )
        calls = set(conn.execute(select(incidents.c.id)).scalars())
        old = conn.execute(select(metric_samples.c.id).where(metric_samples.c.metric_key == "old_figure")).all()
        assert conn.execute(select(heartbeats)).all() == []
        if target.database_url.startswith("sqlite"):
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    restored.dispose()
    assert set(committed_samples) <= ids, f"{len(set(committed_samples) - ids)} samples committed before are lost"
    assert set(committed_incidents) <= calls, f"incidents lost: {sorted(set(committed_incidents) - calls)}"
    assert len(old) == 20_000
    kept = target.data_dir / secrets.FILE
    assert secrets.read(kept)[TOKEN] == "the-source-installation-token"
    assert secrets.read(kept)["SCC_DATABASE_URL"] == target.database_url, "the next start must open the restored one"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert (target.config_dir / "scc.yaml").read_text().endswith("# the source's own\n")
    if target.database_url.startswith("sqlite"):
        assert stat.S_IMODE(Path(target.data_dir / "scc.db").stat().st_mode) == 0o600


def tampered(archive: Path, member: str, out: Path) -> Path:
    """The archive with one byte of `member` changed, its manifest as it was."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for info in src:
            data = src.extractfile(info).read()
            if info.name == member:
                data = data[:-2] + bytes([data[-2] ^ 1]) + data[-1:]
            dst.addfile(info, io.BytesIO(data))
    return out


def renamed(archive: Path, member: str, name: str, out: Path) -> Path:
    """The archive with `member` under another name, in its manifest too (the digests still match)."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for info in src:
            data = src.extractfile(info).read()
            if info.name == "manifest.json":
                manifest = json.loads(data)
                manifest["members"][name] = manifest["members"].pop(member)
                data = json.dumps(manifest).encode()
            elif info.name == member:
                info.name = name
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


def test_an_altered_archive_is_refused_before_anything_is_written(tmp_path):
    source = installation(tmp_path, "source")
    open_storage(source.database_url).dispose()
    own_secret(source, "x")
    archive = make_backup(source, tmp_path / "backups")
    target = installation(tmp_path, "target")
    config_before = {p.name: p.read_bytes() for p in target.config_dir.iterdir()}
    for member in ("config/cameras.yaml", "database/scc.sqlite3"):
        with pytest.raises(BackupError, match=f"{member} does not match the manifest"):
            restore_backup(tampered(archive, member, tmp_path / "bad.tar.gz"), target)
        assert not target.data_dir.exists()
        assert {p.name: p.read_bytes() for p in target.config_dir.iterdir()} == config_before
    # Digests that match, but a member a restore must never write: outside its places, or the data directory's database.
    for sneaky in ("config/../../../evil", "data/scc.db"):
        with pytest.raises(BackupError, match="which a restore never writes"):
            restore_backup(renamed(archive, "config/cameras.yaml", sneaky, tmp_path / "bad.tar.gz"), target)
        assert not target.data_dir.exists() and not (tmp_path / "evil").exists()
    restore_backup(archive, target)  # the archive as written is fine
    assert (target.data_dir / "scc.db").is_file()


def test_a_database_holding_data_is_replaced_only_with_force(tmp_path, database_url, fresh_url):
    source = installation(tmp_path, "source", None if database_url.startswith("sqlite") else database_url)
    seed_users(engine := open_storage(source.database_url))
    engine.dispose()
    archive = make_backup(source, tmp_path / "backups")
    target = installation(tmp_path, "target", fresh_url)
    engine = open_storage(target.database_url)
    take_call(engine, target, CALL, operator="op")
    engine.dispose()
    with pytest.raises(BackupError, match=r"already holds data \(table call_log\).*--force"):
        restore_backup(archive, target)
    restore_backup(archive, target, force=True)
    engine = open_storage(target.database_url)
    with engine.connect() as conn:
        assert conn.execute(select(incidents.c.id)).all() == []
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == len(PASSWORDS)
    engine.dispose()


def scc(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "SCC_DATA_DIR": str(settings.data_dir), "SCC_CONFIG_DIR": str(settings.config_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "scc", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )


def test_the_restored_installation_starts_and_a_running_one_is_not_restored_over(tmp_path):
    source = installation(tmp_path, "source")
    engine = open_storage(source.database_url)
    users.create_user(engine, username="operator", role="operator", password=PASSWORDS["operator"], actor="test")
    engine.dispose()
    own_secret(source, "never-printed-token")
    with open(source.data_dir / secrets.FILE, "a") as f:  # as `scc setup` writes it where the environment has none
        f.write(f"SCC_SECRET_KEY={os.environ['SCC_SECRET_KEY']}\n")
        # The source's database, holding data: a restore that took the archive's word for where to restore
        # would be refused there (or, with --force, overwrite it).
        f.write(f"SCC_DATABASE_URL={source.database_url}\n")

    took = scc(source, "backup", "--to", str(tmp_path / "backups"))
    assert took.returncode == 0, took.stderr
    archive = next((tmp_path / "backups").glob("scc-backup-*.tar.gz"))
    assert str(archive) in took.stdout

    target = installation(tmp_path, "target")
    # A fresh machine: no secrets in the environment; the archive's secrets.env has the rest.
    without_key = {k: v for k, v in os.environ.items() if k != "SCC_SECRET_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "scc", "restore", str(archive)],
        cwd=ROOT,
        env={**without_key, "SCC_DATA_DIR": str(target.data_dir), "SCC_CONFIG_DIR": str(target.config_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert secrets.read(target.data_dir / secrets.FILE)["SCC_DATABASE_URL"] == target.database_url
    for said in (took.stdout + took.stderr, done.stdout + done.stderr):
        assert "never-printed-token" not in said and os.environ["SCC_SECRET_KEY"] not in said

    # `scc run`, as after a restore on a new machine: every process, on free ports.
    port = free_port()
    names = ("SCC_MQTT_PORT", "SCC_MQTT_TLS_PORT", "SCC_RTSP_PORT", "SCC_RELAY_PORT")
    ports = {name: str(free_port()) for name in names}
    run = ChildProcess(tmp_path / "run.log", own_group=True)
    run.launch(
        [sys.executable, "-m", "scc", "run"],
        {
            **os.environ,
            **ports,
            "SCC_DATA_DIR": str(target.data_dir),
            "SCC_CONFIG_DIR": str(target.config_dir),
            "SCC_WEB_PORT": str(port),
            "SCC_WEB_HOST": "127.0.0.1",
            "SCC_WEB_WORKERS": "1",
        },
    )
    base = f"http://127.0.0.1:{port}"
    try:
        run.wait_serving(base + "/healthz", 60, "scc run")  # 200: the database and every process up
        components = requests.get(base + "/healthz", timeout=5).json()["components"]
        assert {"database", "supervisor", "web", "metrics-broker", "metrics-ingest"} <= set(components), components
        login(base, "operator", PASSWORDS["operator"])  # a user of the source installation
        before = (target.data_dir / "scc.db").stat().st_mtime_ns
        refused = scc(target, "restore", str(archive), "--force")
        assert refused.returncode == 1 and "the installation is running" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
        assert (target.data_dir / "scc.db").stat().st_mtime_ns == before
        assert run.process is not None
        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(timeout=30) == 0
    finally:
        run.kill()
    # Stopped cleanly: at once, though the last heartbeats are seconds old.
    restore_backup(archive, target, force=True)


def test_a_supervisor_stopped_cleanly_lets_a_restore_go_at_once(tmp_path):
    settings = installation(tmp_path, "site")
    engine = open_storage(settings.database_url)
    health.beat(engine, "metrics-ingest", interval_s=5)
    health.record_process(engine, "supervisor", kind="supervisor", status="running", pid=os.getpid())
    with pytest.raises(BackupError, match="metrics-ingest"):
        Database(settings.database_url).check_stopped()
    health.record_process(engine, "supervisor", kind="supervisor", status="stopped")
    Database(settings.database_url).check_stopped()
    health.beat(engine, "cameras-relay", interval_s=5)  # a process started on its own, after the stop
    with pytest.raises(BackupError, match="cameras-relay"):
        Database(settings.database_url).check_stopped()
    engine.dispose()


def test_pg_tools_get_the_password_by_environment_only(monkeypatch, tmp_path):
    seen = {}

    def run(argv, env, **kwargs):
        seen.update(argv=argv, env=env)
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr("scc.dbcopy.subprocess.run", run)
    monkeypatch.setattr("scc.dbcopy._pg_tool", lambda name: f"/usr/bin/{name}")
    db = Database("postgresql+psycopg://scc:s3cret-pw@db.example:5433/scc?sslmode=require")
    db._pg("pg_restore", "--dbname=scc", "x.pgdump")
    assert not any("s3cret-pw" in arg for arg in seen["argv"])
    assert seen["env"]["PGPASSWORD"] == "s3cret-pw" and seen["env"]["PGSSLMODE"] == "require"
    assert (seen["env"]["PGHOST"], seen["env"]["PGPORT"], seen["env"]["PGUSER"]) == ("db.example", "5433", "scc")
    assert "s3cret-pw" not in db.safe_url


def test_prune_keeps_the_newest_and_what_is_young_enough(tmp_path):
    now = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)  # 12.00 WITA
    names = [f"scc-backup-{(now + timedelta(hours=8) - timedelta(days=d)):%Y%m%d-%H%M%S}.tar.gz" for d in range(20)]
    for name in [*names, "notes.txt", "scc-backup-20250101-000000.tar.gz.partial"]:
        (tmp_path / name).write_text("x")
    removed = prune_backups(tmp_path, keep_days=7, keep_count=3, now=now)
    assert sorted(p.name for p in removed) == sorted(names[8:])  # day 7 exactly is still within
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "scc-backup-20250101-000000.tar.gz.partial").exists()
    removed = prune_backups(tmp_path, keep_days=0, keep_count=3, now=now + timedelta(days=30))
    assert sorted(p.name for p in tmp_path.glob("scc-backup-*.tar.gz")) == sorted(names[:3])


# -- the nightly backup ---------------------------------------------------------------------------------------


def wita(day: int, hour: int, minute: int) -> datetime:
    """A moment of December 2026, WITA, in UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=WITA).astimezone(UTC)


def nightly_site(tmp_path: Path, url: str | None = None, **policy):
    settings = installation(tmp_path, "site", url)
    settings = dataclasses.replace(settings, backups=BackupPolicy(**policy))
    return settings, open_storage(settings.database_url)


def test_the_nightly_backup_is_taken_once_a_night_from_its_time_and_the_oldest_go(tmp_path, database_url):
    url = None if database_url.startswith("sqlite") else database_url
    settings, engine = nightly_site(tmp_path, url, dir=Path("nightly"), at="02:00", keep_days=2, keep_count=2)
    folder = settings.data_dir / "nightly"
    nightly = housekeeping.nightly_backup(engine, settings)

    def pass_at(moment: datetime) -> list[str]:
        nightly.step(moment)
        assert nightly.wait(120), "the backup did not end"
        assert nightly.failed is None, nightly.failed
        return sorted(p.name for p in folder.glob("scc-backup-*.tar.gz"))

    assert pass_at(wita(1, 1, 59)) == [], "before the time: none (and none owed for the nights before the first)"
    assert pass_at(wita(1, 2, 0)) == ["scc-backup-20261201-020000.tar.gz"]
    assert pass_at(wita(1, 2, 1)) == pass_at(wita(1, 23, 59)) == ["scc-backup-20261201-020000.tar.gz"]
    assert "last backup 2026-12-01 02:00 WITA, " in nightly.summary(wita(1, 3, 0))
    assert read_manifest(folder / "scc-backup-20261201-020000.tar.gz")["backend"] == engine.dialect.name

    nightly = housekeeping.nightly_backup(engine, settings)  # a restart after the time: the mark says it is done
    assert pass_at(wita(2, 1, 0)) == ["scc-backup-20261201-020000.tar.gz"]
    # Off at 02:00: the first pass after takes the night's.
    assert pass_at(wita(2, 9, 15)) == ["scc-backup-20261201-020000.tar.gz", "scc-backup-20261202-091500.tar.gz"]
    (folder / "notes.txt").write_text("an administrator's")
    (folder / "scc-backup-20261120-020000.tar.gz.copy").write_text("not an archive of ours by its name")
    # Past the retention (2 days) and not among the newest 2: the first night's goes.
    assert pass_at(wita(3, 2, 5)) == ["scc-backup-20261202-091500.tar.gz", "scc-backup-20261203-020500.tar.gz"]
    # Ten nights off: the newest 2 stay, however old.
    assert pass_at(wita(13, 2, 0)) == ["scc-backup-20261203-020500.tar.gz", "scc-backup-20261213-020000.tar.gz"]
    assert (folder / "notes.txt").exists() and (folder / "scc-backup-20261120-020000.tar.gz.copy").exists()
    engine.dispose()


def test_a_failed_nightly_backup_is_said_tried_again_next_pass_and_goes_stale_after_36_hours(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backups' folder should be")
    settings, engine = nightly_site(tmp_path, dir=blocker / "backups", at="02:00")
    nightly = NightlyBackup(settings, lambda: None, lambda night: None, started_at=wita(1, 0, 0))

    assert nightly.step(wita(1, 2, 0))
    assert nightly.wait(60)
    said = nightly.summary(wita(1, 2, 1))
    assert "backup failed at 2026-12-01 02:00 WITA: Not a directory" in said and str(blocker) in said, said
    assert "no backup yet" in said
    assert any("nightly backup failed" in r.getMessage() and str(blocker) in r.getMessage() for r in caplog.records)
    done = housekeeping.run_pass(engine, settings, wita(1, 2, 1))  # the pass itself goes on
    assert done.caught_up
    nightly.probe(wita(2, 12, 0))  # 36 h after the start, with none yet: still beats
    with pytest.raises(Overdue, match="backup failed"):
        nightly.probe(wita(2, 12, 1))

    blocker.unlink()
    assert nightly.step(wita(1, 2, 2)), "tried again at the next pass"
    assert nightly.wait(60)
    assert nightly.failed is None
    assert "backup failed" not in nightly.summary(wita(1, 3, 0))
    nightly.probe(wita(2, 14, 2))
    with pytest.raises(Overdue, match=r"last backup 2026-12-01 02:02 WITA, .*, 36 h ago: overdue"):
        nightly.probe(wita(2, 14, 3))
    engine.dispose()


def test_a_pass_does_not_wait_on_the_nights_backup(tmp_path, monkeypatch):
    settings, engine = nightly_site(tmp_path, at="02:00")
    release = threading.Event()

    def slow(*args, **kwargs):
        release.wait(30)
        return take_backup(*args, **kwargs)

    monkeypatch.setattr("scc.nightly_backup.take_backup", slow)
    nightly = housekeeping.nightly_backup(engine, settings)
    try:
        assert nightly.step(wita(1, 2, 0))
        assert nightly.running, "step() returned only once the backup was done"
        assert "backup running since 2026-12-01 02:00 WITA" in nightly.summary(wita(1, 2, 1))
        assert not nightly.step(wita(1, 2, 1)), "a second one while the first runs"
        housekeeping.run_pass(engine, settings, wita(1, 2, 1))
    finally:
        release.set()
    assert nightly.wait(60) and nightly.failed is None
    assert len(list(settings.backup_dir.glob("scc-backup-*.tar.gz"))) == 1
    engine.dispose()


def test_the_housekeeping_process_takes_the_nights_backup(tmp_path):
    settings = installation(tmp_path, "site")
    open_storage(settings.database_url).dispose()  # as `scc run` leaves it: migrated
    now = to_wita(utcnow())
    # The night's time a minute ago (not before midnight, which would make it yesterday's), so that it is due now.
    at = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0)).strftime("%H:%M")
    retention = settings.config_dir / "retention.yaml"
    text, n = re.subn(r'(?m)^  at: "\d\d:\d\d"$', f'  at: "{at}"', retention.read_text())
    assert n == 1
    retention.write_text(text)
    run = ChildProcess(tmp_path / "housekeeping.log")
    env = {**os.environ, "SCC_DATA_DIR": str(settings.data_dir), "SCC_CONFIG_DIR": str(settings.config_dir)}
    run.launch([sys.executable, "-m", "scc.housekeeping"], env)
    try:
        wait_for(lambda: any(settings.backup_dir.glob("scc-backup-*.tar.gz")) or not run.alive(), 60, "a backup")
        assert run.alive(), run.log_text()[-2000:]
        (archive,) = settings.backup_dir.glob("scc-backup-*.tar.gz")
        assert read_manifest(archive)["backend"] == "sqlite"
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        engine = open_storage(settings.database_url)
        beats = {c.name for c in health.read_all(engine)}
        engine.dispose()
        assert {"housekeeping", "backup"} <= beats, beats
        wait_for(lambda: "nightly backup: " in run.log_text(), 10, "the backup in the log")
        assert run.process is not None
        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(timeout=30) == 0, run.log_text()[-2000:]
    finally:
        run.kill()
