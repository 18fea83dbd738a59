"""The nightly backup, taken by housekeeping (config/retention.yaml, `backups`).

One archive per WITA night: the first pass at or after `at` takes it, unless that night's is done
already (its mark says so, so a restart after the time does not take it twice); a machine that was
off at the time takes it at its first pass after. Then the archives past the retention go, never the
newest `keep_count` and never a file not named as scc.backup names them.

The backup runs in a thread of its own, so a pass and its heartbeat never wait on it: SQLite's copy
is one read transaction (in WAL mode no writer waits on it), pg_dump one snapshot, and the copying,
compressing and hashing release the GIL (docs/design.md §6.1 has a measure). A backup that fails is
logged with its reason, said in the heartbeat's detail, and tried again at the next pass; it never
ends the process.

Health: the `backup` heartbeat is beaten at each pass while the newest archive is younger than
STALE_AFTER (or, with none yet, while the process is), so a backup that keeps failing, or a nightly
job that stopped, shows as a stale `backup` in /healthz and on the admin page.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .backup import ARCHIVE_NAME, BackupError, size_text, take_backup
from .clock import WITA, as_utc, to_wita, utcnow, wita_day_start
from .settings import Settings

log = logging.getLogger("scc.housekeeping")

STALE_AFTER = timedelta(hours=36)  # a night missed, and half a day more
HEARTBEAT = "backup"
DAY = timedelta(days=1)


class Overdue(Exception):
    """The newest backup is older than STALE_AFTER: no heartbeat for `backup`."""


class NightlyBackup:
    """The night's backup, for housekeeping's loop: `step(now)` at each pass.

    `done()` reads the last night whose backup was taken (its WITA midnight, UTC) and `mark(night)`
    records one; housekeeping keeps them with its other marks.
    """

    def __init__(
        self,
        settings: Settings,
        done: Callable[[], datetime | None],
        mark: Callable[[datetime], None],
        *,
        started_at: datetime | None = None,
    ) -> None:
        self.settings, self.policy, self.directory = settings, settings.backups, settings.backup_dir
        self._done, self._mark = done, mark
        self.started_at = started_at or utcnow()
        self.failed: tuple[datetime, str] | None = None  # the last attempt's, until one succeeds
        self._thread: threading.Thread | None = None
        self._running_since: datetime | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def due(self, now: datetime) -> datetime | None:
        """The night (its WITA midnight, in UTC) whose backup is owed at `now`, or None.

        The night of a WITA day starts at `at` that day. With no mark yet (a new installation) no night
        before today is owed: the first backup is tonight's.
        """
        today = wita_day_start(now)
        at = self.policy.time_of_day
        night = today if now >= today + timedelta(hours=at.hour, minutes=at.minute) else today - DAY
        done = self._done()
        return night if night > (done if done is not None else today - DAY) else None

    def step(self, now: datetime) -> bool:
        """Start the owed night's backup, unless one runs; True if one was started. Never raises."""
        if not self.policy.nightly or self.running:
            return False
        try:
            night = self.due(now)
        except Exception as exc:  # the database away: the mark cannot be read, so nothing is known to be owed
            self._failed(now, f"cannot read whether it is due: {exc}")
            return False
        if night is None:
            self.failed = None  # nothing owed: no failure of tonight's is pending
            return False
        self._running_since = now
        self._thread = threading.Thread(target=self._take, args=(night, now), name="nightly-backup", daemon=True)
        self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Until the running backup ends (or `timeout`); True if none runs any longer."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _take(self, night: datetime, now: datetime) -> None:
        try:
            made = take_backup(self.settings, self.directory, now=now)
        except Exception as exc:  # whatever it is, the thread must not die: that would end housekeeping
            self._failed(now, _reason(exc), traceback=not isinstance(exc, BackupError | OSError))
            return
        log.info("nightly backup: %s, %s in %.1f s", made.path, size_text(made.size), made.seconds)
        try:
            self._mark(night)
            gone = prune_backups(self.directory, self.policy.keep_days, self.policy.keep_count, now=now)
            gone += remove_leftovers(self.directory)
        except Exception as exc:
            self._failed(now, f"the backup {made.path.name} was written, but then: {_reason(exc)}")
            return
        self.failed = None
        for path in gone:
            log.info("nightly backup: removed %s (past the retention)", path.name)

    def _failed(self, now: datetime, reason: str, *, traceback: bool = False) -> None:
        self.failed = (now, reason)
        log.error("nightly backup failed (tried again at the next pass): %s", reason, exc_info=traceback)

    # -- what it says --------------------------------------------------------------------------------

    def summary(self, now: datetime | None = None) -> str:
        """The last backup's time and size, and what is going on: for the heartbeats' detail."""
        now = now or utcnow()
        if not self.policy.nightly:
            said = ["nightly backup off"]
        elif self.running and self._running_since is not None:
            said = [f"backup running since {_wita(self._running_since)}"]
        else:
            said = []
        if self.failed is not None:
            said.append(f"backup failed at {_wita(self.failed[0])}: {self.failed[1]}; again next pass")
        newest = list_backups(self.directory)[:1]
        if newest:
            taken, path = newest[0]
            late = f", {(now - taken) / timedelta(hours=1):.0f} h ago: overdue" if now - taken > STALE_AFTER else ""
            said.append(f"last backup {_wita(taken)}, {_size(path)}{late}, in {self.directory}")
        else:
            said.append(f"no backup yet in {self.directory}")
        return "; ".join(said)

    def probe(self, now: datetime | None = None) -> tuple[int, str]:
        """For the `backup` heartbeat: its detail, or Overdue when the newest backup is too old."""
        now = now or utcnow()
        newest = list_backups(self.directory)[:1]
        since = newest[0][0] if newest else self.started_at
        if now - since > STALE_AFTER:
            raise Overdue(self.summary(now))
        return 0, self.summary(now)


# -- the archives kept ---------------------------------------------------------------------------------


def prune_backups(directory: Path, keep_days: float, keep_count: int, *, now: datetime | None = None) -> list[Path]:
    """Delete the archives older than `keep_days`, always keeping the newest `keep_count`; returns what went.

    Only files named as scc.backup names them count, by the time in their name (a copy elsewhere
    keeps its name but not its modification time); anything else in the directory is left alone.
    """
    now = as_utc(now) if now else utcnow()
    removed = []
    for taken, path in list_backups(directory)[max(keep_count, 0) :]:
        if now - taken > timedelta(days=keep_days):
            path.unlink()
            removed.append(path)
    return removed


def list_backups(directory: Path) -> list[tuple[datetime, Path]]:
    """The archives in `directory`, newest first, each with the time in its name; none if the folder is
    not there or cannot be read (the next backup into it says why)."""
    try:
        paths = list(Path(directory).iterdir())
    except OSError:
        return []
    found = []
    for path in paths:
        match = ARCHIVE_NAME.match(path.name)
        if match and path.is_file():
            taken = datetime.strptime(match[1], "%Y%m%d-%H%M%S").replace(tzinfo=WITA)
            found.append((taken, int(match[2] or 1), path))
    found.sort(reverse=True)
    return [(as_utc(taken), path) for taken, _, path in found]


def remove_leftovers(directory: Path) -> list[Path]:
    """What a backup cut short (its process stopped or killed) left: its hidden staging folder and
    `.partial` archive (both named `.scc-backup-...`), once a day old, which no running backup is."""
    cutoff = utcnow() - DAY
    removed = []
    for path in Path(directory).glob(".scc-backup-*"):
        if datetime.fromtimestamp(path.lstat().st_mtime, UTC) >= cutoff:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.name.endswith(".tar.gz.partial"):
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed


def _wita(moment: datetime) -> str:
    return to_wita(moment).strftime("%Y-%m-%d %H:%M WITA")


def _size(path: Path) -> str:
    try:
        return size_text(path.stat().st_size)
    except OSError:  # pruned meanwhile
        return "size unknown"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or exc}: {exc.filename}"
    return str(exc) or type(exc).__name__
