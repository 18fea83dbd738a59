"""`scc-publish`: send an SKPD's figures to the command center from a shell, a cron job or a script.

    scc-publish send laside_permits_received=12 laside_permits_issued=9 [--ts 2026-11-23T08:00]
    scc-publish csv export.csv --column "Jumlah Berkas=laside_permits_received" [--ts-column Tanggal]
    producer | scc-publish stdin          # JSON lines: {"values": {...}, "ts": ...}
    scc-publish drain                     # only what is still queued
    scc-publish status                    # how many messages wait

Everything goes through the outbox on disk: a message the broker has not
acknowledged within --wait seconds stays queued and goes with the next run, so
an outage is not an error (exit 0). Exit 1: some input rows were bad (the good
ones were sent); 2: bad usage or configuration; 3: the broker refused the
unit's login (the messages stay queued).

The password comes from SCC_MQTT_PASSWORD or --password-file, never from an
argument: arguments show in `ps` to every user of the PC.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import contract, outbox, publisher, readers

PROG = "scc-publish"
DEFAULT_OUTBOX = "~/.scc-publish/outbox.db"
DEFAULT_WAIT = 10.0
EXIT_BAD_ROWS, EXIT_USAGE, EXIT_REFUSED = 1, 2, 3

log = logging.getLogger(PROG)


class UsageError(Exception):
    """Bad options, configuration or input file: one line for the user, exit 2."""


@dataclass(frozen=True)
class Connection:
    unit: str
    password: str
    host: str
    port: int
    cafile: str | None
    outbox: Path
    client_id: str | None


def _options() -> argparse.ArgumentParser:
    # SUPPRESS: an option given before the command must not be reset by the command's own default.
    # No abbreviations: `--password x` must not pass for `--password-file x`.
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    add = common.add_argument
    add("--unit", default=argparse.SUPPRESS, help="the SKPD code, also the broker user (env SCC_UNIT)")
    add("--host", default=argparse.SUPPRESS, help="the command center's broker (env SCC_MQTT_HOST)")
    add("--port", type=int, default=argparse.SUPPRESS, help="8883 with TLS, 1883 without (env SCC_MQTT_PORT)")
    add("--cafile", default=argparse.SUPPRESS, help="certificate to verify the broker by; TLS on (SCC_MQTT_CAFILE)")
    add("--password-file", default=argparse.SUPPRESS, help="file holding the password (else env SCC_MQTT_PASSWORD)")
    add("--outbox", default=argparse.SUPPRESS, help=f"queue file (env SCC_OUTBOX; default {DEFAULT_OUTBOX})")
    add("--client-id", default=argparse.SUPPRESS, help="MQTT client id (default: unique per run)")
    add("--wait", type=float, default=argparse.SUPPRESS, help=f"seconds to try delivering (default {DEFAULT_WAIT:g})")
    add("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log the connection's progress")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _options()
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        allow_abbrev=False,
        description="Send an SKPD's figures to the Soppeng Command Center over MQTT, queued on disk while offline.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    send = commands.add_parser("send", parents=[common], help="send metric=value pairs", allow_abbrev=False)
    send.add_argument("values", nargs="+", metavar="METRIC=VALUE")
    send.add_argument("--ts", help="time of the figures (ISO-8601 or 23/11/2026 08:00; WITA unless an offset is given)")
    send.add_argument("--decimal", default=".", choices=[".", ","], help="decimal separator of the values")

    sheet = commands.add_parser("csv", parents=[common], help="send the rows of a CSV export", allow_abbrev=False)
    sheet.add_argument("file", type=Path)
    sheet.add_argument(
        "--column", action="append", required=True, metavar='"HEADER=METRIC"', help="a column and its metric key"
    )
    sheet.add_argument("--ts-column", help="the column with each row's date or time (default: now)")
    sheet.add_argument("--delimiter", help="column separator (default: guessed from the header line)")
    sheet.add_argument("--decimal", default=".", choices=[".", ","], help="decimal separator (Indonesian: ,)")
    sheet.add_argument("--encoding", default="utf-8-sig", help="text encoding (e.g. cp1252 for old Excel)")

    for name, what in (
        ("stdin", "send JSON lines read from standard input"),
        ("drain", "send only what is queued"),
        ("status", "print how many messages are queued"),
    ):
        commands.add_parser(name, parents=[common], help=what, allow_abbrev=False)
    return parser


def _option(args: argparse.Namespace, name: str, env: str | None = None) -> Any:
    value = getattr(args, name, None)
    if value is None and env:
        value = os.environ.get(env) or None
    return value


def connection(args: argparse.Namespace) -> Connection:
    unit = _option(args, "unit", "SCC_UNIT")
    host = _option(args, "host", "SCC_MQTT_HOST")
    if not unit:
        raise UsageError("no unit: give --unit CODE or set SCC_UNIT")
    if not contract.CODE_PATTERN.match(unit):
        raise UsageError(f"{unit!r} is not an SKPD code (lower-case, e.g. dpmptsp)")
    if not host:
        raise UsageError("no broker: give --host NAME or set SCC_MQTT_HOST")
    cafile = _option(args, "cafile", "SCC_MQTT_CAFILE")
    if cafile and not Path(cafile).is_file():
        raise UsageError(f"the certificate file {cafile} does not exist")
    port = _option(args, "port", "SCC_MQTT_PORT") or (8883 if cafile else 1883)
    try:
        port = int(port)
    except ValueError:
        raise UsageError(f"port {port!r} is not a number") from None
    if not 0 < port < 65536:
        raise UsageError(f"port {port} is out of range")
    return Connection(
        unit=unit,
        password=_password(args),
        host=host,
        port=port,
        cafile=cafile,
        outbox=outbox_path(args),
        client_id=_option(args, "client_id"),
    )


def _password(args: argparse.Namespace) -> str:
    path = _option(args, "password_file")
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the password file {path}: {getattr(exc, 'strerror', None) or exc}") from None
        if not lines or not lines[0].strip():
            raise UsageError(f"the password file {path} is empty")
        if os.name == "posix" and Path(path).stat().st_mode & 0o077:
            log.warning("%s can be read by other users of this PC: chmod 600 %s", path, path)
        return lines[0].strip()
    password = os.environ.get("SCC_MQTT_PASSWORD")
    if not password:
        raise UsageError("no password: set SCC_MQTT_PASSWORD or give --password-file FILE")
    return password


def outbox_path(args: argparse.Namespace) -> Path:
    return Path(_option(args, "outbox", "SCC_OUTBOX") or DEFAULT_OUTBOX).expanduser()


def _read_input(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[str]]:
    """(messages, problem lines) from the command's input; UsageError when there is no input to speak of."""
    if args.command == "send":
        try:
            values = readers.parse_assignments(args.values, args.decimal)
            ts = readers.parse_time(args.ts) if args.ts else None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        message: dict[str, Any] = {"values": values}
        if ts is not None:
            message["ts"] = round(ts * 1000)
        return [message], []
    if args.command == "csv":
        delimiter = {"\\t": "\t", "tab": "\t"}.get(args.delimiter or "", args.delimiter)
        if delimiter is not None and len(delimiter) != 1:
            raise UsageError(f"--delimiter {args.delimiter!r} must be one character (or tab)")
        try:
            columns = [readers.parse_column(spec) for spec in args.column]
            with args.file.open(encoding=args.encoding, newline="") as stream:
                messages, problems = readers.read_csv(
                    stream, columns, ts_column=args.ts_column, delimiter=delimiter, decimal=args.decimal
                )
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{args.file} is not {args.encoding} text; try --encoding cp1252") from None
        except LookupError:
            raise UsageError(f"unknown encoding {args.encoding!r}") from None
        except (ValueError, csv.Error) as exc:
            raise UsageError(f"{args.file}: {exc}") from None
        return messages, [f"{args.file} line {p.line}: {p.reason}" for p in problems]
    if args.command == "stdin":
        messages, problems = readers.read_json_lines(sys.stdin)
        return messages, [f"stdin line {p.line}: {p.reason}" for p in problems]
    return [], []  # drain


def status(args: argparse.Namespace) -> int:
    path = outbox_path(args)
    if not path.exists():
        print(f"0 queued ({path} does not exist yet)")
        return 0
    with outbox.Outbox(path) as box:
        count, since, owner = box.count(), box.oldest_queued_at(), box.owner()
    oldest = f", oldest queued {datetime.fromtimestamp(since, readers.WITA):%Y-%m-%d %H:%M} WITA" if since else ""
    print(f"{count} queued" + (f" for {owner}" if owner and count else "") + oldest)
    return 0


def deliver(conn: Connection, messages: list[dict[str, Any]], wait: float) -> int:
    """Queue `messages`, then try for `wait` seconds to empty the outbox; the exit code."""
    sender = publisher.Publisher(
        conn.unit,
        conn.password,
        conn.host,
        conn.port,
        conn.outbox,
        tls_ca=conn.cafile,
        client_id=conn.client_id,
        connect=False,
    )
    try:
        sender.send_many(messages)
        if sender.backlog() == 0:
            print("nothing queued")
            return 0
        sender.connect()
        sender.flush(wait)
        left, reason, refused = sender.backlog(), sender.last_error, sender.login_refused
    finally:
        sender.close(timeout=1.0)
    if left == 0:
        print(f"{sender.delivered} sent, none left queued")
        return 0
    print(f"{left} queued, will send when the link returns")
    if reason:
        print(f"{PROG}: {reason}", file=sys.stderr)
    return EXIT_REFUSED if refused else 0


def run(args: argparse.Namespace) -> int:
    if args.command == "status":
        return status(args)
    conn = connection(args)
    messages, problems = _read_input(args)
    for line in problems:
        print(f"{PROG}: {line}", file=sys.stderr)
    wait = _option(args, "wait")
    code = deliver(conn, messages, DEFAULT_WAIT if wait is None else max(0.0, wait))
    if problems:
        print(f"{PROG}: {len(problems)} bad row(s) skipped, {len(messages)} good one(s) queued", file=sys.stderr)
        return EXIT_BAD_ROWS
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if any(a == "--password" or a.startswith("--password=") for a in argv):
        print(
            f"{PROG}: no --password: arguments show in `ps`; set SCC_MQTT_PASSWORD or use --password-file",
            file=sys.stderr,
        )
        return EXIT_USAGE
    args = build_parser().parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format=f"{PROG}: %(message)s")
    try:
        return run(args)
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, OSError, sqlite3.Error) as exc:  # the outbox or certificate file, a message too large
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; whatever was queued stays queued", file=sys.stderr)
        return 130
