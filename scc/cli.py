"""`scc`: set up, run and administer the command center.

scc setup [--demo] [--self-signed NAME...]
                           data directory, secrets, database, first admin;
                           optionally a self-signed TLS certificate for NAME...
scc run [--demo]           setup, then every process under one supervisor
scc check-config           validate config/ and exit
scc user list|add|disable|enable|reset ...
scc backup [--to DIR]      database, configuration and secrets in one archive, while running
scc restore ARCHIVE [--force]
                           a stopped installation back to an archive
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from . import backup, boot, secrets, tls, users
from .processes import plan
from .settings import InvalidConfig, Settings, default_data_dir, load_settings
from .settings.metrics_broker import accounts, password_env
from .storage import connect, open_storage
from .storage.db import UnknownSchema
from .supervisor import Supervisor

GENERATED = ("SCC_SECRET_KEY",)
DEMO_GENERATED = ("SCC_CAMERA_PASSWORD",)
DEMO_USERS = (  # username, role, SKPD, full name
    ("operator", "operator", None, "Operator SCC"),
    ("bupati", "viewer", None, "Bupati Soppeng"),
    ("dpmptsp", "skpd", "dpmptsp", "Petugas DPMPTSP"),
)


def main(argv: list[str] | None = None) -> int:
    boot.begin()
    args = _parser().parse_args(argv)
    data_dir = default_data_dir()
    if args.func not in (cmd_setup, cmd_run, cmd_restore) and "SCC_SECRET_KEY" not in os.environ:
        print(
            f"No {data_dir / secrets.FILE}: this data directory is not set up yet.\n"
            f"Run `scc setup` first (it uses SCC_DATA_DIR, now {data_dir}).",
            file=sys.stderr,
        )
        return 2
    try:
        return args.func(args, data_dir)
    except InvalidConfig as exc:
        print(f"Configuration error:\n{exc}", file=sys.stderr)
        return 2
    except (users.UserError, backup.BackupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except UnknownSchema as exc:
        print(f"Database error: {exc}", file=sys.stderr)
        return 3
    except SQLAlchemyError as exc:
        print(f"Database error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 3


def cmd_setup(args: argparse.Namespace, data_dir: Path) -> int:
    secrets.ensure(data_dir, GENERATED + (DEMO_GENERATED if args.demo else ()))
    if getattr(args, "self_signed", None):
        cert, key = data_dir / "tls" / "cert.pem", data_dir / "tls" / "key.pem"
        if (cert.exists() or key.exists()) and not args.force:
            print(
                f"{cert.parent} already has a certificate or key (perhaps the regency's own); "
                "add --force to replace them.",
                file=sys.stderr,
            )
            return 1
        print(f"TLS certificate for {', '.join(args.self_signed)}: {cert}")
        print(f"  SHA-256 fingerprint: {tls.generate_self_signed(cert, key, args.self_signed)}")
        print("  Check that the browser shows this fingerprint the first time it connects.")
        secrets.set_values(data_dir, {"SCC_TLS_CERT": "tls/cert.pem", "SCC_TLS_KEY": "tls/key.pem"})
    secrets.load(data_dir)
    settings = load_settings()
    secrets.ensure(data_dir, broker_secrets(settings))  # the SKPD list is in the settings
    secrets.load(data_dir)
    engine = open_storage(settings.database_url)
    _owner_only(data_dir, settings)
    admin_pw = settings.app.auth.admin_password
    created = users.ensure_admin(
        engine, admin_pw.get_secret_value() if admin_pw else None, language=settings.app.language
    )
    lines = []
    if created:
        lines.append(("admin", created))
    if args.demo:
        for username, role, skpd, name in DEMO_USERS:
            if users.get_by_username(engine, username) is None:
                _, password = users.create_user(
                    engine,
                    username=username,
                    role=role,
                    skpd_code=skpd,
                    full_name=name,
                    actor="setup",
                    language=settings.app.language,
                )
                lines.append((username, password))
    web = settings.app.web
    scheme = "https" if web.tls.enabled else "http"
    print(f"\nSoppeng Command Center: {scheme}://{web.local_host}:{web.port}/")
    print(f"Data directory: {data_dir}")
    mqtt = settings.app.mqtt
    lan = f"TLS port {mqtt.tls_port}" if settings.tls_files and mqtt.tls_port else "none until TLS is set up"
    print(f"MQTT broker: {mqtt.host}:{mqtt.port} on this machine; for the SKPD units on the LAN: {lan}")
    print(f"  Broker passwords (SCC_MQTT_PASSWORD_<CODE>): {data_dir / secrets.FILE}")
    if lines:
        print("First sign-in (passwords are shown this once; change them on the Akun page):")
        for username, password in lines:
            print(f"  {username:<10} {password}")
    else:
        print("Users already exist; `scc user reset admin` sets a new admin password.")
    print()
    engine.dispose()
    return 0


def broker_secrets(settings: Settings) -> tuple[str, ...]:
    """The variables holding the broker's passwords: one per SKPD, and the service accounts'."""
    return tuple(password_env(user) for user in accounts(unit.code for unit in settings.skpd))


def _owner_only(data_dir: Path, settings: Settings) -> None:
    """The data directory and the SQLite files in it: readable by their owner only."""
    os.chmod(data_dir, 0o700)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        for suffix in ("", "-wal", "-shm"):
            path = Path(url.database + suffix)
            if path.exists():
                os.chmod(path, 0o600)


def cmd_run(args: argparse.Namespace, data_dir: Path) -> int:
    if args.demo:
        # The demo's cameras are the local RTSP simulator's; every process inherits this.
        os.environ.setdefault("SCC_CAMERAS_SIMULATED", "true")
        # And the units' websites are the local sites' (streams.metrics.sim.sites), never the real ones.
        os.environ.setdefault("SCC_PROBES_SIMULATED", "true")
    cmd_setup(args, data_dir)  # migrates
    settings = load_settings()
    engine = connect(settings.database_url)
    return Supervisor(plan(settings, demo=args.demo), engine).run()


def cmd_check_config(args: argparse.Namespace, data_dir: Path) -> int:
    settings = load_settings()
    print(
        f"config OK: {len(settings.skpd)} SKPD, {len(settings.districts)} districts, "
        f"{len(settings.cameras)} cameras, {len(settings.call_lines)} call lines, {len(settings.metrics)} metrics"
    )
    return 0


def cmd_user(args: argparse.Namespace, data_dir: Path) -> int:
    settings = load_settings()
    engine = open_storage(settings.database_url)
    actor = f"cli:{getpass.getuser()}"
    if args.action == "list":
        for u in users.list_users(engine):
            state = "active" if u.active else "disabled"
            print(f"{u.username:<20} {u.role:<9} {u.skpd_code or '-':<16} {u.language} {state}")
    elif args.action == "add":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
        _, password = users.create_user(
            engine,
            username=args.username,
            role=args.role,
            skpd_code=args.skpd,
            full_name=args.name or "",
            actor=actor,
            password=password,
            language=settings.app.language,
            known_skpd=set(settings.skpd_by_code),
        )
        if not args.password_stdin:
            print(f"password for {args.username} (shown once): {password}")
    elif args.action in ("disable", "enable"):
        users.set_active(engine, args.username, args.action == "enable", actor=actor)
        print(f"{args.username}: {args.action}d")
    elif args.action == "reset":
        password = users.reset_password(engine, args.username, actor=actor)
        print(f"new password for {args.username} (shown once): {password}")
    return 0


def cmd_backup(args: argparse.Namespace, data_dir: Path) -> int:
    settings = load_settings()
    dest = Path(args.to) if args.to else settings.backup_dir
    try:
        done = backup.take_backup(settings, dest)
    except OSError as exc:
        print(f"error: cannot write the backup into {dest}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    made, mb = done.manifest, backup.size_text
    print(f"Backup written: {done.path}")
    print(
        f"  {mb(done.size)} ({made['backend']} database of {mb(made['database_bytes'])}, configuration, secrets) "
        f"in {done.seconds:.1f} s"
    )
    print("  It holds the installation's secrets: keep its copies where only administrators can read them.")
    return 0


def cmd_restore(args: argparse.Namespace, data_dir: Path) -> int:
    archive = Path(args.archive)
    # A fresh installation has no secrets.env yet, and the settings need the archive's secrets to load;
    # but not its database URL: the restore goes into this installation's database, never the old one's.
    for name, value in backup.archive_secrets(archive).items():
        if name != backup.DATABASE_URL:
            os.environ.setdefault(name, value)
    settings = load_settings()
    try:
        made = backup.restore_backup(archive, settings, force=args.force)
    except OSError as exc:
        print(f"error: the restore could not write {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Restored the backup of {made['created_at_wita'][:19].replace('T', ' ')} WITA (version {made['version']}):")
    print(f"  database      {make_url(settings.database_url).render_as_string(hide_password=True)}")
    print(f"  configuration {settings.config_dir}")
    print(f"  secrets       {data_dir / secrets.FILE}")
    print("Start it with `scc run`.")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scc", description="Soppeng Command Center")
    sub = parser.add_subparsers(required=True)
    for name, func, text in (
        ("setup", cmd_setup, "prepare data directory, secrets, database and first admin"),
        ("run", cmd_run, "set up, then start every process under the supervisor"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--demo", action="store_true", help="also create demo users and demo secrets")
        if name == "setup":  # once, on purpose: not on every start
            p.add_argument(
                "--self-signed",
                nargs="+",
                metavar="NAME",
                default=None,
                help="make a self-signed TLS certificate for these host names / addresses and turn HTTPS on",
            )
            p.add_argument("--force", action="store_true", help="with --self-signed: replace existing TLS files")
        p.set_defaults(func=func)
    sub.add_parser("check-config", help="validate config/ and exit").set_defaults(func=cmd_check_config)
    user = sub.add_parser("user", help="manage users")
    actions = user.add_subparsers(dest="action", required=True)
    actions.add_parser("list")
    add = actions.add_parser("add")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=users.ROLES)
    add.add_argument("--skpd", help="SKPD code (role skpd only)")
    add.add_argument("--name", help="full name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    for action in ("disable", "enable", "reset"):
        actions.add_parser(action).add_argument("username")
    user.set_defaults(func=cmd_user)
    take = sub.add_parser("backup", help="database, configuration and secrets in one archive (while running)")
    take.add_argument("--to", metavar="DIR", help="where to write it (default: retention.yaml's backups.dir)")
    take.set_defaults(func=cmd_backup)
    back = sub.add_parser("restore", help="bring a stopped installation back to a backup archive")
    back.add_argument("archive", help="an scc-backup-*.tar.gz written by `scc backup`")
    back.add_argument("--force", action="store_true", help="replace a database that already holds data")
    back.set_defaults(func=cmd_restore)
    return parser


if __name__ == "__main__":
    sys.exit(main())
