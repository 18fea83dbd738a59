"""How every process of the command center begins, in one place.

Logging to stderr (the supervisor's output), files readable by their owner
only, the installation's secrets from the data directory (so a process started
alone, not by `scc run`, finds them too), then the settings, or an exit that
names every configuration problem.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from typing import Any, TypeVar

from . import secrets
from .settings import InvalidConfig, Settings, default_data_dir, load_settings

log = logging.getLogger("scc.boot")

T = TypeVar("T")

# The exit status of a process one of whose threads died (EX_SOFTWARE in sysexits.h).
THREAD_DIED = 70


def begin() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    threading.excepthook = exit_when_a_thread_dies
    os.umask(0o077)  # the database, its journal, secrets, certificates and logs: owner only
    secrets.load(default_data_dir())


def exit_when_a_thread_dies(args: threading.ExceptHookArgs) -> None:
    """A thread that dies leaves its process alive but not doing that thread's work (a network loop,
    a writer): end the whole process, so that the supervisor restarts it and health shows it."""
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    exc_info = (args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)
    log.critical("thread %r died; ending the process so that it is restarted", name, exc_info=exc_info)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(THREAD_DIED)


def end_if_it_fails(task: asyncio.Task[T]) -> asyncio.Task[T]:
    """For an asyncio task that does lasting work (reading a camera): failing, it ends the process as a
    dead thread does, rather than leaving the work undone in a process that looks alive."""
    task.add_done_callback(_task_done)
    return task


def _task_done(task: asyncio.Task[Any]) -> None:
    if task.cancelled() or task.exception() is None:
        return
    log.critical("task %r died; ending the process so that it is restarted", task.get_name(), exc_info=task.exception())
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(THREAD_DIED)


def settings_or_exit() -> Settings:
    """`begin()`, then the settings; a configuration error ends the process with its list."""
    begin()
    try:
        return load_settings()
    except InvalidConfig as exc:
        sys.exit(f"Configuration error:\n{exc}")
