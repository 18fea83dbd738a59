"""The MQTT broker the SKPD units publish to: Mosquitto, configured from config/ and the environment.

`python -m streams.metrics.broker` writes <data dir>/broker/ afresh at every
start (the folder mode 700, its files 600), then runs Mosquitto as its child:
it passes SIGTERM, SIGINT and SIGHUP on, exits with Mosquitto's exit code when
Mosquitto ends, and Mosquitto ends when it does. It reads Mosquitto's log
(streams/metrics/mosquitto_log.py), counts the refusals in it for the admin
(scc/refusals.py, written once a second) and passes the log on to its own
stderr, all but the per-packet lines. If that reading fails, it stops Mosquitto
and exits with 1, so that the supervisor restarts the broker.

    mosquitto.conf   listeners, persistence, queue limits, logging to stderr
    passwd           one account per SKPD (user = its code), scc-ingest, scc-admin,
                     scc-alerts (publishes scc/v1/alerts/#), scc-alerts-reader (reads it);
                     PBKDF2-SHA512 hashes, the passwords come from the environment
    acl              each unit writes its own telemetry and status and reads its own
                     errors; ingest reads every unit's telemetry and status and
                     writes their errors; admin reads and writes everything
                     (every client's id is its user name: no one can take over
                     another account's session, ingest's persistent one included)
    mosquitto.db     Mosquitto's own persistence (sessions, queued and retained messages)
"""

from __future__ import annotations

import base64
import ctypes
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from scc import boot, refusals
from scc.settings import Settings
from scc.settings.metrics_broker import (
    ADMIN_USER,
    ALERTS_READER_USER,
    ALERTS_TOPIC,
    ALERTS_USER,
    INGEST_USER,
    accounts,
    password,
    password_env,
)
from scc.storage.db import connect
from streams.agent.contract import ERRORS, PREFIX, STATUS, TELEMETRY

from .mosquitto_log import BrokerLog

log = logging.getLogger("scc.metrics.broker")  # not __main__ when run with -m

FOLDER = "broker"
CONF = "mosquitto.conf"
PASSWORDS = "passwd"
ACL = "acl"
MOSQUITTO = "/usr/sbin/mosquitto"  # Debian's path; /usr/sbin is not on an ordinary user's PATH

# Mosquitto's own default. The passwords are 256-bit random values (`scc setup`), which no
# amount of key stretching would make harder to guess; more rounds would only slow logins.
HASH_ROUNDS = 101
SALT_BYTES = 12
# Ingest rejects (and keeps) any payload above mqtt.max_payload_kb itself, so that the unit learns
# why; the broker's own limit only stops abuse, far above it.
ABUSE_LIMIT = 1024 * 1024
# Ingest acknowledges a message only once it is committed, one batch every mqtt.batch_ms (~100 ms):
# Mosquitto's default of 20 unacknowledged messages would drain a backlog at ~200 messages/s.
MAX_INFLIGHT = 1000
AUTOSAVE_S = 10  # a crash (SIGKILL, power cut) loses at most this much of the queues; SIGTERM loses nothing
# A client's id is its user name, whatever id it sent: a unit connecting with ingest's id would otherwise
# take over ingest's persistent session and its queue. A per-listener option in Mosquitto 2.0: it goes
# after each `listener` line (before the first one it would open a default listener on port 1883).
# One connection per account at a time: a second one with the same account replaces the first.
BIND_ID = ["use_username_as_clientid true"]
FLUSH_S = 1.0  # refusals are written to storage at most this often
PIPE_BYTES = 1 << 20  # Mosquitto's log pipe: Linux's largest without privileges
GATHER_S = 0.02
STOP_S = 10.0  # how long Mosquitto may take to save its queues and end, once asked to
_PR_SET_PDEATHSIG = 1


class MissingPassword(Exception):
    """A broker account has no password in the environment."""

    def __init__(self, variables: list[str]):
        self.variables = variables
        shown = ", ".join(variables[:3]) + (f" and {len(variables) - 3} more" if len(variables) > 3 else "")
        super().__init__(
            f"no broker password in {shown}: run `scc setup`, which generates the missing ones "
            "into <data dir>/secrets.env (or set them in the environment)"
        )


def write_config(settings: Settings, directory: Path | None = None) -> Path:
    """Write mosquitto.conf, passwd and acl into `directory` (default <data dir>/broker); the path of mosquitto.conf."""
    directory = Path(directory or settings.data_dir / FOLDER).resolve()
    users = accounts(unit.code for unit in settings.skpd)
    secrets = {user: password(user) for user in users}
    missing = [password_env(user) for user, secret in secrets.items() if secret is None]
    if missing:
        raise MissingPassword(missing)
    for path in (directory, *(settings.tls_files or ())):
        if "\n" in str(path) or "\r" in str(path):  # one line per option: a line break would smuggle in another
            raise ValueError(f"{path!r}: a path with a line break cannot go into mosquitto.conf")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    _write_private(
        directory / PASSWORDS,
        "".join(password_line(u, s.get_secret_value()) + "\n" for u, s in secrets.items() if s is not None),
    )
    _write_private(directory / ACL, acl_text())
    conf = directory / CONF
    _write_private(conf, config_text(settings, directory))
    return conf


def password_line(user: str, secret: str, salt: bytes | None = None) -> str:
    """`user:$7$rounds$salt$hash`, the PBKDF2-SHA512 line `mosquitto_passwd` writes, without the password on disk."""
    salt = salt or os.urandom(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, HASH_ROUNDS)
    return f"{user}:$7${HASH_ROUNDS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def acl_text() -> str:
    """Who may read and write which topic; Mosquitto refuses everything not granted here."""
    unit = f"{PREFIX}/%u"  # %u: the user name, which is the SKPD's code
    every = f"{PREFIX}/+"
    return "\n".join(
        [
            "# Written by streams.metrics.broker at every start; edit the code, not this file.",
            "# Ingest reads what every unit sends and answers rejections on the unit's errors topic.",
            f"user {INGEST_USER}",
            f"topic read {every}/{TELEMETRY}",
            f"topic read {every}/{STATUS}",
            f"topic write {every}/{ERRORS}",
            "",
            "# Admin: everything, for diagnosis.",
            f"user {ADMIN_USER}",
            "topic readwrite #",
            "",
            "# The alerts process alone publishes the alerts; other systems read them with the reader's account.",
            f"user {ALERTS_USER}",
            f"topic write {ALERTS_TOPIC}/#",
            f"user {ALERTS_READER_USER}",
            f"topic read {ALERTS_TOPIC}/#",
            "",
            "# Each SKPD unit: its own telemetry and status (its will), and its own errors, nothing else.",
            f"pattern write {unit}/{TELEMETRY}",
            f"pattern write {unit}/{STATUS}",
            f"pattern read {unit}/{ERRORS}",
            "",
        ]
    )


def config_text(settings: Settings, directory: Path) -> str:
    mqtt = settings.app.mqtt
    lines = ["# Written by streams.metrics.broker at every start from config/scc.yaml (mqtt); edit that instead."]
    if os.geteuid() == 0:
        # Started as root, Mosquitto switches to the user `mosquitto`, which could neither read this
        # root-only (700) data directory and the TLS key nor write its persistence file here.
        lines.append("user root")
    lines += [
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {directory / PASSWORDS}",
        f"acl_file {directory / ACL}",
        "",
        "persistence true",
        f"persistence_location {directory}",
        f"autosave_interval {AUTOSAVE_S}",
        # A session lives as long as its messages would still be accepted as a backlog.
        f"persistent_client_expiration {mqtt.max_past_days}d",
        # Ingest's persistent session holds what arrives while it is down (Mosquitto's default: 1000).
        f"max_queued_messages {mqtt.max_queued_messages}",
        "max_queued_bytes 0",
        f"max_inflight_messages {MAX_INFLIGHT}",
        # A larger packet ends the sender's connection (message_size_limit is deprecated in Mosquitto 2).
        f"max_packet_size {max(ABUSE_LIMIT, 2 * mqtt.max_payload_bytes)}",
        "set_tcp_nodelay true",
        "",
        # stderr is read by `python -m streams.metrics.broker`, which passes it on to the supervisor's output.
        # Everything, debug included: a publish the ACL refused is logged at debug level only. Debug
        # names each message's topic and size, never its payload; the reader drops those per-packet lines.
        "log_dest stderr",
        "log_type all",
        "connection_messages true",
        "log_timestamp true",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
        "",
        "# Loopback only: ingest and the demo's simulators.",
        f"listener {mqtt.port} {mqtt.host}",
        *BIND_ID,
    ]
    tls = settings.tls_files
    if tls and mqtt.tls_port:
        cert, key = tls
        lines += [
            "",
            "# SKPD units across the LAN, with the installation's certificate (web.tls).",
            f"listener {mqtt.tls_port} {mqtt.tls_host}",
            *BIND_ID,
            f"certfile {cert}",
            f"keyfile {key}",
        ]
    return "\n".join(lines) + "\n"


def tls_note(settings: Settings) -> str | None:
    """Why units on the LAN cannot reach the broker, if they cannot."""
    if settings.app.mqtt.tls_port and not settings.tls_files:
        return (
            f"no MQTT over TLS on port {settings.app.mqtt.tls_port}: web.tls has no certificate yet "
            "(`scc setup --self-signed HOST...` or the regency's own); units on the LAN cannot connect"
        )
    return None


def _write_private(path: Path, text: str) -> None:
    """Replace `path` whole, mode 600 from the start: never a moment with the old mode or half a file."""
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def main() -> int:
    settings = boot.settings_or_exit()
    try:
        conf = write_config(settings)
    except MissingPassword as exc:
        print(f"broker: {exc}", file=sys.stderr)
        return 2
    note = tls_note(settings)
    if note:
        log.warning(note)
    binary = shutil.which("mosquitto") or MOSQUITTO
    if not Path(binary).is_file():
        print(f"broker: {binary} not found: install Debian's mosquitto package", file=sys.stderr)
        return 2
    engine = connect(settings.database_url)  # opens nothing yet: Mosquitto starts whether storage is up or not
    try:
        return Broker([binary, "-c", str(conf)], engine).run()
    finally:
        engine.dispose()


class Broker:
    """Mosquitto as a child; its log read, refusals written, and its end this process's end."""

    def __init__(self, argv: list[str], engine: Engine) -> None:
        self.argv, self.engine = argv, engine
        self.tally = refusals.Tally()
        self.reader = BrokerLog(self.tally)
        self.failed = threading.Event()
        self.done = threading.Event()
        self.child: subprocess.Popen[bytes] | None = None
        self._asked: int | None = None  # a signal that came before Mosquitto had started

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._pass_on)
        child = self.child = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent
        )
        if self._asked is not None:
            child.send_signal(self._asked)
        reader = threading.Thread(target=self._guarded, args=(self._read, True), name="mosquitto-log", daemon=True)
        writer = threading.Thread(target=self._guarded, args=(self._write, False), name="refusals", daemon=True)
        reader.start()
        writer.start()
        code = self._wait(child)
        reader.join(timeout=STOP_S)  # the rest of its log, up to the end of the pipe
        self.done.set()
        writer.join(timeout=STOP_S)  # and the refusals in it
        if self.failed.is_set():
            return 1
        return code if code >= 0 else 128 - code  # killed by a signal: as a shell would say it

    def _wait(self, child: subprocess.Popen[bytes]) -> int:
        """Mosquitto's exit code; once a thread has failed, Mosquitto gets STOP_S to end before it is killed."""
        killing_at = None
        while True:
            try:
                return child.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                if self.failed.is_set():
                    killing_at = killing_at or time.monotonic() + STOP_S
                    if time.monotonic() > killing_at:
                        child.kill()

    def _pass_on(self, sig: int, _frame: object) -> None:
        if self.child is None:
            self._asked = sig
        elif self.child.poll() is None:
            self.child.send_signal(sig)

    def _guarded(self, work: Callable[[], None], reads_log: bool) -> None:
        """A thread that fails ends the broker: a log no longer read would soon block Mosquitto."""
        try:
            work()
        except BaseException:
            name = threading.current_thread().name
            log.exception("%s failed; stopping Mosquitto so that the broker is restarted", name)
            self.failed.set()
            self._pass_on(signal.SIGTERM, None)
            if reads_log:
                self._drain()

    def _read(self) -> None:
        assert self.child is not None and self.child.stderr is not None
        fd, out = self.child.stderr.fileno(), sys.stderr.buffer
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass  # a smaller pipe (/proc/sys/fs/pipe-max-size): reads only come more often
        while chunk := os.read(fd, PIPE_BYTES):
            kept = self.reader.feed(chunk)
            if kept:
                out.write(kept)
                out.flush()
            if len(chunk) < PIPE_BYTES // 2:
                # Mosquitto writes each line on its own, several per message: read them a pipe-full
                # at a time, not one wake-up each. At its busiest it fills the pipe in far more than this.
                time.sleep(GATHER_S)
        out.write(self.reader.rest())
        out.flush()

    def _drain(self) -> None:
        """After a failure, keep emptying the pipe (passing it on unread while that works), so that
        Mosquitto never blocks on its log and can save its queues and end."""
        assert self.child is not None and self.child.stderr is not None
        passing_on = True
        while chunk := os.read(self.child.stderr.fileno(), 65536):
            if passing_on:
                try:
                    sys.stderr.buffer.write(chunk)
                    sys.stderr.buffer.flush()
                except (OSError, ValueError):
                    passing_on = False

    def _write(self) -> None:
        failing = False
        while not self.done.wait(FLUSH_S):
            failing = self._flush(failing)
        self._flush(failing)

    def _flush(self, failing: bool) -> bool:
        """Write what was counted; whether storage is failing (said once per outage, not once a second)."""
        rows = self.tally.take()
        if not rows:
            return failing
        try:
            refusals.record(self.engine, rows)
        except SQLAlchemyError as exc:
            self.tally.put_back(rows)
            if not failing:
                log.error("cannot store the broker's refusals (kept, retried every %.0f s): %s", FLUSH_S, exc)
            return True
        if failing:
            log.info("the broker's refusals are stored again")
        return False


def _die_with_parent() -> None:
    # Killed outright, this process must not leave Mosquitto holding the port its restart needs.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


if __name__ == "__main__":
    sys.exit(main())
