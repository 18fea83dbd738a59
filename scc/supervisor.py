"""One supervisor for every process of the command center.

Starts the processes in the order given, restarts one that dies (with a
growing delay, so a crash loop does not eat the CPU), records whether each
one runs in storage for /healthz (the processes beat their own heartbeats,
see scc.health; for one that cannot, the supervisor beats while a probe of
it succeeds), and on SIGINT/SIGTERM stops them all in reverse order:
SIGTERM first, SIGKILL for what is still there after a grace period.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from . import health
from .clock import utcnow
from .storage.platform import ProcessStatus

log = logging.getLogger("scc.supervisor")

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    kind: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    # For a program that cannot beat a heartbeat of its own (Mosquitto): the supervisor beats for it
    # while this succeeds; (backlog, detail) as for health.Heartbeat, raising when it is not working.
    probe: Callable[[], tuple[int, str]] | None = field(default=None, compare=False)


@dataclass
class _Child:
    spec: ProcessSpec
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    next_start: float = 0.0
    last_exit: str = ""


def _die_with_parent() -> None:
    # If the supervisor is killed outright, its children must not linger.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(
        self,
        specs: list[ProcessSpec],
        engine: Engine,
        *,
        grace_s: float = 10.0,
        heartbeat_s: float = 5.0,
        max_backoff_s: float = 30.0,
        stable_after_s: float = 60.0,
    ):
        self.children = [_Child(spec) for spec in specs]
        self.engine = engine
        self.grace_s = grace_s
        self.heartbeat_s = heartbeat_s
        self.max_backoff_s = max_backoff_s
        self.stable_after_s = stable_after_s
        self._stopping = False

    def request_stop(self, *_args: object) -> None:
        self._stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        try:
            health.forget_all(self.engine)
        except Exception as exc:
            log.error("cannot clear the health of an earlier run: %s", exc)
        self._report_self("running")
        for child in self.children:
            self._start(child)
        last_beat = time.monotonic()
        while not self._stopping:
            now = time.monotonic()
            for child in self.children:
                self._watch(child, now)
            if now - last_beat >= self.heartbeat_s:
                self._beat()
                last_beat = now
            time.sleep(0.2)
        self._stop_all()
        self._report_self("stopped")
        return 0

    def _start(self, child: _Child) -> None:
        env = {**os.environ, **child.spec.env}
        try:
            child.proc = subprocess.Popen(child.spec.argv, env=env, preexec_fn=_die_with_parent)
        except OSError as exc:
            log.error("%s: cannot start: %s", child.spec.name, exc)
            child.proc = None
            child.started_at = time.monotonic()  # a failed start is no stable run: keep backing off
            self._schedule_restart(child, child.started_at, f"cannot start: {exc}")
            return
        child.started_at = time.monotonic()
        log.info("%s: started (pid %d)", child.spec.name, child.proc.pid)
        self._report(child, "running", started_at=utcnow(), last_exit=child.last_exit)

    def _watch(self, child: _Child, now: float) -> None:
        if child.proc is None:
            if now >= child.next_start:
                self._start(child)
            return
        code = child.proc.poll()
        if code is None:
            return
        child.proc = None
        self._schedule_restart(child, now, f"exited with code {code}")

    def _schedule_restart(self, child: _Child, now: float, reason: str) -> None:
        if now - child.started_at >= self.stable_after_s:
            child.restarts = 0  # it had been running fine: start the delays over
        delay = min(self.max_backoff_s, 2**child.restarts * 0.5)
        child.restarts += 1
        child.last_exit = reason
        child.next_start = now + delay
        log.warning("%s: %s; restarting in %.1f s", child.spec.name, reason, delay)
        self._report(child, "restarting", last_exit=reason)

    def _stop_all(self) -> None:
        running = [c for c in reversed(self.children) if c.proc and c.proc.poll() is None]
        for child in running:
            log.info("%s: stopping", child.spec.name)
            assert child.proc is not None
            child.proc.terminate()
        deadline = time.monotonic() + self.grace_s
        for child in running:
            assert child.proc is not None
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s: did not stop in %.0f s; killing", child.spec.name, self.grace_s)
                child.proc.kill()
                child.proc.wait()
        for child in self.children:
            self._report(child, "stopped")

    def _report(self, child: _Child, status: ProcessStatus, **fields: Any) -> None:
        pid = child.proc.pid if child.proc else None
        try:
            health.record_process(
                self.engine,
                child.spec.name,
                kind=child.spec.kind,
                status=status,
                pid=pid,
                restarts=child.restarts,
                **fields,
            )
        except Exception as exc:  # storage down must not take the supervisor with it
            log.error("cannot record the state of %s: %s", child.spec.name, exc)

    def _report_self(self, status: ProcessStatus) -> None:
        try:
            if status == "running":
                health.record_process(
                    self.engine, "supervisor", kind="supervisor", status=status, pid=os.getpid(), started_at=utcnow()
                )
                self._beat()
            else:  # when it started stays as it was
                health.record_process(self.engine, "supervisor", kind="supervisor", status=status)
        except Exception as exc:
            log.error("cannot record the supervisor's state: %s", exc)

    def _beat(self) -> None:
        running = sum(1 for c in self.children if c.proc and c.proc.poll() is None)
        try:
            health.beat(
                self.engine,
                "supervisor",
                interval_s=max(1, round(self.heartbeat_s)),
                detail=f"{running}/{len(self.children)} running",
                last_activity=utcnow(),
            )
        except Exception as exc:
            log.error("cannot record the supervisor's heartbeat: %s", exc)
        for child in self.children:
            if child.spec.probe is not None and child.proc is not None and child.proc.poll() is None:
                self._beat_for(child, child.spec.probe)

    def _beat_for(self, child: _Child, probe: Callable[[], tuple[int, str]]) -> None:
        try:
            backlog, detail = probe()
        except Exception as exc:  # not working: its heartbeat goes stale
            log.warning("%s: no heartbeat: %s", child.spec.name, exc)
            return
        try:
            health.beat(
                self.engine,
                child.spec.name,
                interval_s=max(1, round(self.heartbeat_s)),
                backlog=backlog,
                detail=detail,
                last_activity=utcnow(),
            )
        except Exception as exc:
            log.error("cannot record the heartbeat of %s: %s", child.spec.name, exc)
