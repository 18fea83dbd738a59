"""Throwaway PostgreSQL clusters and Mosquitto brokers for the tests.

Nothing has to be running before the tests start: each helper here starts its own
server from Debian's binaries (``scripts/setup.sh test`` installs them), on a free port
of 127.0.0.1 only, with all of its files in a fresh temporary directory, and removes
both again afterwards. That also works inside a private network namespace
(``unshare -n`` with ``lo`` up), where the machine's own services are out of reach.

The context managers are what fixtures use::

    with postgres_url() as url:             # SCC_TEST_PG_URL if set, else a new cluster
        ...
    with postgres_cluster() as pg:           # always a new cluster: pg.url, pg.port
        ...
    with mosquitto_broker(extra_config=["max_inflight_messages 1"]) as broker:
        broker.port; broker.restart(); broker.kill(); broker.log_text()
    with mosquitto_broker(configure=write_for_port) as broker:   # a configuration of the caller's
        ...

Running as root: ``initdb`` and ``postgres`` refuse to run as root, so they run as
Debian's ``postgres`` user through ``runuser``; Mosquitto is told ``user root`` so that
it keeps reading files the tests (as root) wrote in their own 0700 temporary directories.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

HOST = "127.0.0.1"
MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PUB = "/usr/bin/mosquitto_pub"
MOSQUITTO_SUB = "/usr/bin/mosquitto_sub"
INSTALL_HINT = "run scripts/setup.sh test (it installs postgresql, mosquitto and mosquitto-clients)"


def free_port(host: str = HOST) -> int:
    """A TCP port on `host` that nothing listens on right now.

    Another process may take it before the caller binds it; the servers below retry
    with a new port when that happens.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_is_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _is_root() -> bool:
    return os.geteuid() == 0


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


# --------------------------------------------------------------------------- PostgreSQL


def postgres_bin_dir() -> Path:
    """The bin directory of the newest PostgreSQL server Debian installed (or initdb on PATH)."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:

        def version(initdb: str) -> tuple[int, ...]:
            name = Path(initdb).parent.parent.name  # "15", "16", "9.6"
            return tuple(int(part) for part in name.split(".") if part.isdigit())

        return Path(max(found, key=version)).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError(f"PostgreSQL's initdb was not found under /usr/lib/postgresql/*/bin: {INSTALL_HINT}")


class PostgresCluster:
    """A PostgreSQL cluster of its own: trust auth, user ``postgres``, 127.0.0.1 only, fsync off.

    ``start()`` runs initdb into a new temporary directory and starts the server on a
    free port; ``stop()`` stops it at once (``pg_ctl stop -m immediate``) and deletes the
    directory. Files: ``base_dir/data`` (the cluster), ``base_dir/run`` (its Unix
    socket), ``base_dir/log/postgres.log`` (the server log).
    """

    def __init__(self, *, bin_dir: Path | None = None, startup_timeout: float = 30.0) -> None:
        self.bin_dir = bin_dir or postgres_bin_dir()
        self.startup_timeout = startup_timeout
        self.host = HOST
        self.port: int | None = None
        self.base_dir: Path | None = None
        self.startup_seconds: float | None = None  # how long start() took

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None, "the cluster was not started"
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.base_dir is not None, "the cluster was not started"
        return self.base_dir / "run"

    @property
    def log_file(self) -> Path:
        assert self.base_dir is not None, "the cluster was not started"
        return self.base_dir / "log" / "postgres.log"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database as the superuser ``postgres``."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL of another database of this cluster."""
        assert self.port is not None, "the cluster was not started"
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def _command(self, *args: str) -> list[str]:
        """The command line; as root, run as the `postgres` user (initdb refuses root)."""
        if not _is_root():
            return list(args)
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(f"running as root needs the OS user 'postgres' to run initdb: {INSTALL_HINT}") from None
        return ["runuser", "-u", "postgres", "--", *args]

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert self.base_dir is not None
        # cwd: the postgres user may not be allowed into the caller's directory (/root).
        return subprocess.run(
            self._command(*args),
            cwd=self.base_dir,
            capture_output=True,
            text=True,
            timeout=self.startup_timeout + 30,
            check=False,
        )

    def start(self) -> Self:
        if self.base_dir is not None:
            raise RuntimeError("the cluster was already started")
        started = time.monotonic()
        self.base_dir = Path(tempfile.mkdtemp(prefix="scc-pg-"))
        try:
            self._create()
            self._start_server()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _create(self) -> None:
        assert self.base_dir is not None
        # mkdtemp makes the directory 0700; the postgres user must be able to traverse it.
        self.base_dir.chmod(0o755)
        for path in (self.data_dir, self.socket_dir, self.log_file.parent):
            path.mkdir(mode=0o700)
            if _is_root():
                shutil.chown(path, "postgres", "postgres")
        # C.UTF-8 (glibc's built-in locale) sorts like C but knows non-ASCII letters.
        locale = ["--locale=C.UTF-8"] if Path("/usr/lib/locale/C.utf8").is_dir() else ["--no-locale"]
        result = self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "--auth=trust",
            "-U",
            "postgres",
            "--encoding=UTF8",
            *locale,
            "--no-sync",
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def _pg_ctl_start(self, port: int) -> subprocess.CompletedProcess[str]:
        options = (
            f"-k {shlex.quote(str(self.socket_dir))} -h {HOST} -p {port} -F"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        return self._run(
            str(self.bin_dir / "pg_ctl"),
            "start",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(int(self.startup_timeout)),
            "-o",
            options,
        )

    def _start_server(self) -> None:
        for _attempt in range(5):
            port = free_port()
            logged_before = len(self.log_text())
            result = self._pg_ctl_start(port)
            new_log = self.log_text()[logged_before:]
            if result.returncode == 0 and self._wait_for_tcp(port):
                self.port = port
                return
            if "Address already in use" in new_log:  # someone took the port meanwhile
                self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate")
                continue
            problem = (
                f"pg_ctl start failed (exit {result.returncode}; it waits {self.startup_timeout:.0f} s)"
                if result.returncode
                else f"the port was not open within {self.startup_timeout:.0f} s"
            )
            raise RuntimeError(
                f"PostgreSQL did not start accepting connections on {HOST}:{port}: {problem}.\n"
                f"pg_ctl: {result.stdout.strip()} {result.stderr.strip()}\n"
                f"Server log:\n{_tail(self.log_file)}"
            )
        raise RuntimeError("PostgreSQL found no free port after 5 tries")

    def _wait_for_tcp(self, port: int) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if port_is_open(HOST, port):
                return True
            time.sleep(0.05)
        return False

    def pause(self) -> None:
        """Stop the server but keep its files, as a database that goes away for a while.

        `-m fast`, not `immediate`: these clusters run with synchronous_commit off, so a crash
        would lose commits the server had already confirmed, which no client could have prevented.
        """
        result = self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w")
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {result.stdout}{result.stderr}")

    def resume(self) -> None:
        """Start a paused server again on its own port, so that URLs handed out still hold."""
        assert self.port is not None, "the cluster was never started"
        result = self._pg_ctl_start(self.port)
        if result.returncode != 0 or not self._wait_for_tcp(self.port):
            raise RuntimeError(f"PostgreSQL did not come back: {result.stdout}{result.stderr}\n{_tail(self.log_file)}")

    def stop(self) -> None:
        """Stop the server immediately and delete all of its files. Safe to call twice."""
        if self.base_dir is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            result = self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w")
            if result.returncode != 0:
                raise RuntimeError(f"pg_ctl stop failed: {result.stdout}{result.stderr}\n{_tail(self.log_file)}")
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def postgres_cluster(**options: Any) -> Iterator[PostgresCluster]:
    """A new, running PostgreSQL cluster (see `PostgresCluster`), removed on exit."""
    with PostgresCluster(**options) as cluster:
        yield cluster


@contextmanager
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a PostgreSQL server the tests may create databases on.

    ``SCC_TEST_PG_URL`` when set (nothing is started then); otherwise the ``postgres``
    database of a new throwaway cluster, which is removed on exit.
    """
    configured = os.environ.get("SCC_TEST_PG_URL")
    if configured:
        yield configured
        return
    with postgres_cluster() as cluster:
        yield cluster.url


# --------------------------------------------------------------------------- Mosquitto


class MosquittoBroker:
    """A Mosquitto broker of its own on a free 127.0.0.1 port.

    The generated configuration (``config_path``) has one listener, anonymous access
    unless ``allow_anonymous=False``, persistence in ``dir/data/`` and a log in
    ``dir/mosquitto.log``; ``extra_config`` lines are appended verbatim, so a test can
    add ``password_file``, ``acl_file`` or a further ``listener`` with TLS options.

    ``stop()`` ends it with SIGTERM (Mosquitto saves its persistence file then),
    ``kill()`` with SIGKILL (a crash: nothing is saved beyond ``autosave_interval``),
    ``restart()`` starts it again on the same port with the same persistence directory.
    ``close()`` stops it and deletes its directory.

    ``configure`` replaces all of that with a configuration of the caller's (the
    command center's own, say): called with the plain listener's port before every
    start, it writes the file and returns its path. Such a configuration should log to
    stderr (``log_dest stderr``), which lands in ``output_path``, so that the start is
    seen; on a port clash, ``configure`` is called again with a new port.
    """

    def __init__(
        self,
        *,
        allow_anonymous: bool = True,
        persistence: bool = True,
        extra_config: Sequence[str] = (),
        port: int | None = None,
        startup_timeout: float = 10.0,
        binary: str = MOSQUITTO,
        configure: Callable[[int], Path] | None = None,
    ) -> None:
        if not Path(binary).is_file():
            raise RuntimeError(f"{binary} was not found: {INSTALL_HINT}")
        self.binary = binary
        self.allow_anonymous = allow_anonymous
        self.persistence = persistence
        self.extra_config = list(extra_config)
        self.configure = configure
        self.host = HOST
        self.port: int = port if port is not None else 0
        self.startup_timeout = startup_timeout
        self.dir = Path(tempfile.mkdtemp(prefix="scc-mqtt-"))
        self.config_path = self.dir / "mosquitto.conf"
        self.log_path = self.dir / "mosquitto.log"
        self.output_path = self.dir / "output.log"  # stdout/stderr: errors before the log opens
        self.process: subprocess.Popen[bytes] | None = None
        (self.dir / "data").mkdir()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def config_text(self) -> str:
        lines = ["# Written by tests/support/services.py for one test run."]
        if _is_root():
            # Started as root, Mosquitto switches to the user `mosquitto`, which could
            # then not read password/ACL/certificate files the tests wrote under their
            # root-only (0700) pytest directories, nor write here. So it stays root.
            lines.append("user root")
        lines += [
            f"listener {self.port} {HOST}",
            f"allow_anonymous {'true' if self.allow_anonymous else 'false'}",
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.dir / 'data'}/",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "log_type subscribe",
            "log_type unsubscribe",
            "connection_messages true",
            "log_timestamp_format %Y-%m-%dT%H:%M:%S",
            *self.extra_config,
        ]
        return "\n".join(lines) + "\n"

    def log_text(self) -> str:
        """Everything the broker logged so far (its log file, then anything on stdout/stderr)."""
        parts = []
        for path in (self.log_path, self.output_path):
            try:
                parts.append(path.read_text(errors="replace"))
            except OSError:
                pass
        return "".join(parts)

    def start(self) -> Self:
        if self.running:
            raise RuntimeError("the broker is already running")
        pick_port = not self.port  # a port of our choosing, not one given or kept for restart()
        for _attempt in range(5 if pick_port else 1):
            if not self.port:
                self.port = free_port()
            offsets = self._log_sizes()
            if self.configure is None:
                self.config_path.write_text(self.config_text())
            else:
                self.config_path = self.configure(self.port)
            with self.output_path.open("ab") as output:
                # Own session: a Ctrl-C meant for pytest does not kill the broker before
                # the test's cleanup stops it.
                self.process = subprocess.Popen(
                    [self.binary, "-c", str(self.config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            problem = self._wait_until_listening(offsets)
            if problem is None:
                return self
            self._terminate(signal.SIGKILL)
            if pick_port and "Address already in use" in self._logged_since(offsets):
                self.port = 0  # taken meanwhile: try another one
                continue
            break
        raise RuntimeError(
            f"Mosquitto did not start listening on {HOST}:{self.port}: {problem}.\nIts log:\n{self.log_text()[-3000:]}"
        )

    def _log_sizes(self) -> tuple[int, int]:
        def size(path: Path) -> int:
            return path.stat().st_size if path.exists() else 0

        return size(self.log_path), size(self.output_path)

    def _logged_since(self, offsets: tuple[int, int]) -> str:
        text = ""
        for path, offset in zip((self.log_path, self.output_path), offsets, strict=True):
            try:
                with path.open("rb") as f:
                    f.seek(offset)
                    text += f.read().decode(errors="replace")
            except OSError:
                pass
        return text

    def _wait_until_listening(self, offsets: tuple[int, int]) -> str | None:
        """None once the broker is up; otherwise what went wrong.

        An open port alone proves nothing: Mosquitto 2.0 keeps running when its
        listener cannot bind ("Error: Address already in use"), and then whoever owns
        the port answers. So the broker must also have logged "... running" without
        an error since it was launched.
        """
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                return f"it exited with code {code}"
            logged = self._logged_since(offsets)
            if "Error:" in logged:
                return "it logged an error"
            if re.search(r"mosquitto version \S+ running", logged) and port_is_open(HOST, self.port):
                return None
            time.sleep(0.02)
        return f"not ready within {self.startup_timeout:.0f} s"

    def _terminate(self, sig: signal.Signals, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def stop(self, timeout: float = 10.0) -> None:
        """End the broker the normal way (SIGTERM); it saves its persistence file first."""
        self._terminate(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """End the broker the hard way (SIGKILL), as a crash would."""
        self._terminate(signal.SIGKILL)

    def restart(self) -> Self:
        """Stop (if running) and start again: same port, same configuration, same persistence."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the broker and delete its directory. Safe to call twice."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@contextmanager
def mosquitto_broker(**options: Any) -> Iterator[MosquittoBroker]:
    """A running Mosquitto broker (see `MosquittoBroker` for the options), removed on exit."""
    with MosquittoBroker(**options) as broker:
        yield broker
