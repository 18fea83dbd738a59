"""`scc`: set up, run and administer the command center.

    scc setup [--demo]         data directory, secrets, database, first admin
    scc run [--demo]           setup, then every process under one supervisor
    scc check-config           validate config/ and exit
    scc user list|add|disable|enable|reset ...
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from sqlalchemy.exc import SQLAlchemyError

from . import secrets, users
from .processes import plan
from .settings import InvalidConfig, default_data_dir, load_settings
from .storage import connect, open_storage
from .supervisor import Supervisor

GENERATED = ("SCC_SECRET_KEY",)
DEMO_GENERATED = ("SCC_CAMERA_PASSWORD",)
DEMO_USERS = (  # username, role, SKPD, full name
    ("operator", "operator", None, "Operator SCC"),
    ("bupati", "viewer", None, "Bupati Soppeng"),
    ("dpmptsp", "skpd", "dpmptsp", "Petugas DPMPTSP"),
)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = _parser().parse_args(argv)
    data_dir = default_data_dir()
    secrets.load(data_dir)
    try:
        return args.func(args, data_dir)
    except InvalidConfig as exc:
        print(f"Configuration error:\n{exc}", file=sys.stderr)
        return 2
    except users.UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"Database error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 3


def cmd_setup(args, data_dir) -> int:
    secrets.ensure(data_dir, GENERATED + (DEMO_GENERATED if args.demo else ()))
    secrets.load(data_dir)
    settings = load_settings()
    engine = open_storage(settings.database_url)
    admin_pw = settings.app.auth.admin_password
    created = users.ensure_admin(engine, admin_pw.get_secret_value() if admin_pw else None,
                                 language=settings.app.language)
    lines = []
    if created:
        lines.append(("admin", created))
    if args.demo:
        for username, role, skpd, name in DEMO_USERS:
            if users.get_by_username(engine, username) is None:
                _, password = users.create_user(engine, username=username, role=role, skpd_code=skpd,
                                                full_name=name, actor="setup", language=settings.app.language)
                lines.append((username, password))
    web = settings.app.web
    host = "127.0.0.1" if web.host in ("0.0.0.0", "::") else web.host
    print(f"\nSoppeng Command Center: http://{host}:{web.port}/")
    print(f"Data directory: {data_dir}")
    if lines:
        print("First sign-in (passwords are shown this once; change them with `scc user reset NAME`):")
        for username, password in lines:
            print(f"  {username:<10} {password}")
    else:
        print("Users already exist; `scc user reset admin` sets a new admin password.")
    print()
    engine.dispose()
    return 0


def cmd_run(args, data_dir) -> int:
    cmd_setup(args, data_dir)  # migrates
    settings = load_settings()
    engine = connect(settings.database_url)
    return Supervisor(plan(settings, demo=args.demo), engine).run()


def cmd_check_config(args, data_dir) -> int:
    settings = load_settings()
    print(f"config OK: {len(settings.skpd)} SKPD, {len(settings.districts)} districts, "
          f"{len(settings.cameras)} cameras, {len(settings.call_lines)} call lines, {len(settings.metrics)} metrics")
    return 0


def cmd_user(args, data_dir) -> int:
    settings = load_settings()
    engine = open_storage(settings.database_url)
    actor = f"cli:{getpass.getuser()}"
    if args.action == "list":
        for u in users.list_users(engine):
            state = "active" if u.active else "disabled"
            print(f"{u.username:<20} {u.role:<9} {u.skpd_code or '-':<16} {u.language} {state}")
    elif args.action == "add":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
        _, password = users.create_user(engine, username=args.username, role=args.role, skpd_code=args.skpd,
                                        full_name=args.name or "", actor=actor, password=password,
                                        language=settings.app.language, known_skpd=set(settings.skpd_by_code))
        if not args.password_stdin:
            print(f"password for {args.username} (shown once): {password}")
    elif args.action in ("disable", "enable"):
        users.set_active(engine, args.username, args.action == "enable", actor=actor)
        print(f"{args.username}: {args.action}d")
    elif args.action == "reset":
        password = users.reset_password(engine, args.username, actor=actor)
        print(f"new password for {args.username} (shown once): {password}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scc", description="Soppeng Command Center")
    sub = parser.add_subparsers(required=True)
    for name, func, text in (("setup", cmd_setup, "prepare data directory, secrets, database and first admin"),
                             ("run", cmd_run, "set up, then start every process under the supervisor")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--demo", action="store_true", help="also create demo users and demo secrets")
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
    return parser


if __name__ == "__main__":
    sys.exit(main())
