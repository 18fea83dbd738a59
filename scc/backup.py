"""`scc backup` and `scc restore`: the installation in one archive, and back.

An archive (scc-backup-<WITA time>.tar.gz, mode 600: it holds the secrets) has
- manifest.json: format, version, Alembic revision, backend, when, and every other member's size and sha256;
- database/scc.sqlite3 (SQLite's online backup) or database/scc.pgdump (pg_dump's custom format);
- config/...: the configuration directory;
- data/secrets.env and data/tls/...: the installation's secrets and TLS files, mode 600.

The backup is taken while everything runs: SQLite's backup API copies one consistent snapshot in
a single step (a read transaction, which in WAL mode blocks no writer), pg_dump works in one
snapshot too. A restore is for a stopped installation (scc.dbcopy.running says how that is told),
and checks every digest before it writes anything.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from . import secrets
from .clock import as_utc, to_wita, utcnow
from .dbcopy import BackupError, Database, move_private
from .settings import Settings

__all__ = ["Backup", "BackupError", "make_backup", "read_manifest", "restore_backup", "size_text", "take_backup"]

FORMAT = 1
MANIFEST = "manifest.json"
SECRETS = f"data/{secrets.FILE}"
DATABASE_URL = "SCC_DATABASE_URL"
ARCHIVE_NAME = re.compile(r"^scc-backup-(\d{8}-\d{6})(?:-(\d+))?\.tar\.gz$")
_CHUNK = 1 << 20
# What a restore may write: the database, the configuration, and in the data directory only the secrets
# and the TLS files (an archive names no other file there, such as the database's own).
_WRITABLE = re.compile(r"^(database/scc\.(sqlite3|pgdump)|config/[^/].*|data/secrets\.env|data/tls/[^/]+)$")


@dataclass(frozen=True)
class Backup:
    """What `make_backup` wrote, for the person who asked."""

    path: Path
    manifest: dict[str, Any]
    seconds: float

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def make_backup(settings: Settings, dest_dir: Path, *, now: datetime | None = None) -> Path:
    """Write one archive of the running installation into `dest_dir` (created owner-only); its path."""
    return take_backup(settings, dest_dir, now=now).path


def take_backup(settings: Settings, dest_dir: Path, *, now: datetime | None = None) -> Backup:
    """make_backup, telling also what the archive holds and how long it took."""
    started = time.monotonic()
    at = as_utc(now) if now else utcnow()
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = Database(settings.database_url)
    # Staged beside the archive: the database copy may be large, and /tmp may be a small tmpfs.
    with tempfile.TemporaryDirectory(prefix=".scc-backup-", dir=dest_dir) as staging:
        db_file = Path(staging) / db.member.rsplit("/", 1)[1]
        revision = db.dump(db_file)
        files = [(db.member, db_file, 0o600), *_installation_files(settings)]
        members = {name: _describe(path, mode) for name, path, mode in files}
        manifest = {
            "format": FORMAT,
            "version": _version(),
            "revision": revision,
            "backend": db.backend,
            "created_at": at.isoformat(),
            "created_at_wita": to_wita(at).isoformat(),
            "database_bytes": members[db.member]["size"],
            "members": members,
        }
        target = _free_name(dest_dir, to_wita(at).strftime("%Y%m%d-%H%M%S"))
        partial = dest_dir / f".{target.name}.partial"  # never taken for a backup by prune or a person
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                # Level 1: five times faster than 6 on a database, for a tenth more bytes (measured: 212 MB of
                # samples, 1.9 s and 35 MB against 10 s and 31 MB).
                with tarfile.open(fileobj=out, mode="w:gz", compresslevel=1) as tar:
                    _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode(), 0o600)
                    for name, path, mode in files:
                        _add_file(tar, name, path, mode)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return Backup(target, manifest, time.monotonic() - started)


def _installation_files(settings: Settings) -> list[tuple[str, Path, int]]:
    files = []
    config = Path(settings.config_dir)
    for path in sorted(config.rglob("*")):
        if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
            files.append((f"config/{path.relative_to(config).as_posix()}", path, path.stat().st_mode & 0o777))
    if (settings.data_dir / secrets.FILE).is_file():
        files.append((SECRETS, settings.data_dir / secrets.FILE, 0o600))
    tls = settings.data_dir / "tls"
    if tls.is_dir():
        files += [(f"data/tls/{p.name}", p, 0o600) for p in sorted(tls.iterdir()) if p.is_file()]
    return files


def _describe(path: Path, mode: int) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest(), "mode": mode}


def _add_file(tar: tarfile.TarFile, name: str, path: Path, mode: int) -> None:
    info = _info(name, path.stat().st_size, mode)
    with open(path, "rb") as f:
        tar.addfile(info, f)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    tar.addfile(_info(name, len(data), mode), io.BytesIO(data))


def _info(name: str, size: int, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, int(time.time())
    info.uname = info.gname = ""  # whose files they were here means nothing on the machine restored to
    return info


def _free_name(directory: Path, stamp: str) -> Path:
    path, n = directory / f"scc-backup-{stamp}.tar.gz", 1
    while path.exists():  # two backups in one second (a test, or a nightly one beside a manual one)
        n += 1
        path = directory / f"scc-backup-{stamp}-{n}.tar.gz"
    return path


def _version() -> str:
    try:
        return metadata.version("soppeng-command-center")
    except metadata.PackageNotFoundError:
        return "unknown"


# -- reading an archive ---------------------------------------------------------------------------------------


def read_manifest(archive: Path) -> dict[str, Any]:
    """The archive's manifest, after checking every member against it; nothing is written."""
    manifest: dict[str, Any] = {}
    seen = set()
    for name, stream in _members(Path(archive)):
        if name == MANIFEST:
            manifest = _parse_manifest(b"".join(_chunks(stream)))
            continue
        _copy_checked(stream, manifest, name, None)
        seen.add(name)
    if not manifest:
        raise BackupError(f"{archive}: an empty archive")
    _none_missing(manifest, seen)
    return manifest


def archive_secrets(archive: Path) -> dict[str, str]:
    """The secrets the archive holds, unchecked: for loading the settings a restore needs, never for writing."""
    for name, stream in _members(Path(archive)):
        if name == SECRETS:
            values = {}
            for line in (
                b"".join(_chunks(stream)).decode(errors="replace").splitlines()
            ):  # as scc.secrets reads the file
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    key, value = line.split("=", 1)
                    values[key.strip()] = value.strip()
            return values
    return {}


def _members(archive: Path) -> Iterator[tuple[str, IO[bytes]]]:
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for index, member in enumerate(tar):
                if index == 0 and member.name != MANIFEST:
                    raise BackupError(f"{archive}: not an scc backup (no manifest.json first)")
                if not member.isfile():
                    raise BackupError(f"{archive}: unexpected member {member.name!r} (not a plain file)")
                stream = tar.extractfile(member)
                assert stream is not None  # a regular file's
                yield member.name, stream
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(f"{archive}: unreadable archive ({exc})") from None


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """A member's bytes; a damaged archive is said so, rather than failing with gzip's own words."""
    while True:
        try:
            chunk = stream.read(_CHUNK)
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise BackupError(f"unreadable archive: {exc}") from None
        if not chunk:
            return
        yield chunk


def _parse_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
        members = manifest["members"]
        assert isinstance(members, dict) and manifest["format"] == FORMAT
    except (ValueError, KeyError, AssertionError, TypeError):
        raise BackupError("the archive's manifest.json is damaged or of an unknown format") from None
    for name in members:
        if not _WRITABLE.match(name) or ".." in name.split("/"):
            raise BackupError(f"the manifest lists {name!r}, which a restore never writes")
    return manifest


def _copy_checked(stream: IO[bytes], manifest: dict[str, Any], name: str, out: IO[bytes] | None) -> None:
    expected = manifest.get("members", {}).get(name)
    if expected is None:
        raise BackupError(f"the archive holds {name!r}, which its manifest does not list: refused")
    digest, size = hashlib.sha256(), 0
    for chunk in _chunks(stream):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
        raise BackupError(f"{name} does not match the manifest's digest: the archive is damaged or altered; refused")


def _none_missing(manifest: dict[str, Any], seen: set[str]) -> None:
    missing = set(manifest["members"]) - seen
    if missing:
        raise BackupError(f"the archive lacks {', '.join(sorted(missing))}, which its manifest lists: refused")


# -- restoring ------------------------------------------------------------------------------------------------


def restore_backup(archive: Path, settings: Settings, *, force: bool = False) -> dict[str, Any]:
    """Bring this (stopped) installation back to `archive`; returns its manifest.

    Refused, before anything is written: a damaged or altered archive, a schema this version does not
    know, a running installation, and (without `force`) a database that holds data.
    """
    archive = Path(archive)
    manifest = read_manifest(archive)
    db = Database(settings.database_url)
    if manifest["backend"] != db.backend:
        raise BackupError(
            f"the archive holds a {manifest['backend']} database; this installation uses {db.backend} "
            f"({db.safe_url}): restore it into a {manifest['backend']} installation"
        )
    if db.member not in manifest["members"]:
        raise BackupError(f"the archive has no {db.member}: not a {db.backend} backup")
    db.check_revision(manifest["revision"])
    db.check_stopped()
    if not force:
        db.check_empty()
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".scc-restore-", dir=settings.data_dir) as staging:
        unpacked = _unpack(archive, manifest, Path(staging))  # checked once more as it is written
        db.load(unpacked[db.member])
        for name, path in unpacked.items():
            if name.startswith("config/"):
                _put(path, Path(settings.config_dir) / name.removeprefix("config/"), manifest, name)
            elif name.startswith("data/"):
                _put(path, settings.data_dir / name.removeprefix("data/"), manifest, name)
    _name_this_database(settings)
    return manifest


def _name_this_database(settings: Settings) -> None:
    """A restored secrets.env naming the database the backup was taken from (another server's, perhaps
    still in use) would send the next start there: it names the database restored into instead."""
    path = settings.data_dir / secrets.FILE
    if secrets.read(path).get(DATABASE_URL, settings.database_url) == settings.database_url:
        return
    lines = [
        f"{DATABASE_URL}={settings.database_url}" if line.split("=", 1)[0].strip() == DATABASE_URL else line
        for line in path.read_text().splitlines()
    ]
    partial = path.with_name(f".{path.name}.restoring")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(f"{line}\n" for line in lines))
    os.replace(partial, path)


def _unpack(archive: Path, manifest: dict[str, Any], into: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for index, (name, stream) in enumerate(_members(archive)):
        if name == MANIFEST:
            continue
        path = into / f"{index:05d}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            _copy_checked(stream, manifest, name, f)
        out[name] = path
    _none_missing(manifest, set(out))
    return out


def _put(source: Path, target: Path, manifest: dict[str, Any], name: str) -> None:
    """Into place whole or not at all: a copy beside the target, then a rename over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = manifest["members"][name].get("mode", 0o600) & 0o777
    if name.startswith("data/"):
        mode = 0o600  # secrets and keys, whatever an archive says
    partial = target.with_name(f".{target.name}.restoring")
    move_private(source, partial)
    os.chmod(partial, mode)
    os.replace(partial, target)


def size_text(size: int) -> str:
    """An archive's size for a person: 35.2 MB, 412 kB."""
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
