"""The MQTT broker the SKPD units publish to: Mosquitto, configured from config/ and the environment.

`python -m streams.metrics.broker` writes <data dir>/broker/ afresh at every
start (the folder mode 700, its files 600), then becomes Mosquitto (exec), so
that the supervisor watches, signals and restarts the broker itself:

    mosquitto.conf   listeners, persistence, queue limits, logging to stderr
    passwd           one account per SKPD (user = its code), scc-ingest, scc-admin;
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
import hashlib
import logging
import os
import shutil
import sys
from pathlib import Path

from scc import boot
from scc.settings import Settings
from scc.settings.broker import ADMIN_USER, INGEST_USER, accounts, password, password_env
from streams.agent.contract import ERRORS, PREFIX, STATUS, TELEMETRY

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
        # stderr is the supervisor's output, as for every other process (a file here would never be rotated).
        # No debug: it would log every payload.
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
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
    sys.stdout.flush()
    sys.stderr.flush()
    # Mosquitto takes this process's place and pid: the supervisor watches, signals and restarts the broker itself.
    os.execv(binary, [binary, "-c", str(conf)])


if __name__ == "__main__":
    sys.exit(main())
