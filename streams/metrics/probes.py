"""The `probes` process: each unit's public website or service (`service` in config/skpd.yaml), checked on a
schedule, every result a row of service_probes.

A check is an HTTP GET: its status, how long the headers took, the TLS certificate's validity and days
left, and whether the page holds the configured word. Every check of a round runs at once, at most
`probes.concurrency` together, each bounded by `probes.timeout_s` from its first byte to its last, so ten
hanging sites cost a round one timeout, not ten.

    python -m streams.metrics.probes
"""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from cryptography import x509
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from scc import boot
from scc.clock import utcnow
from scc.health import Heartbeat
from scc.settings.metrics_probes import ProbesConfig
from scc.settings.regency import PublicService
from scc.storage.db import connect
from scc.storage.metrics import service_probe_hours, service_probes

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # the content check reads at most this much of a page
DAY_S = 86400


@dataclass(frozen=True)
class Probe:
    skpd_code: str
    at: datetime
    ok: bool
    status_code: int | None = None
    latency_ms: int | None = None
    tls_days_left: int | None = None
    content_found: bool | None = None
    error: str | None = None

    def row(self) -> dict[str, Any]:
        return self.__dict__.copy()


def tls_context(config: ProbesConfig) -> ssl.SSLContext:
    """The system's trusted CAs, plus the regency's own when `ca_file` names it."""
    context = ssl.create_default_context()
    if config.ca_file is not None:
        context.load_verify_locations(cafile=str(config.ca_file))
    return context


async def check(
    code: str, service: PublicService, config: ProbesConfig, session: aiohttp.ClientSession, context: ssl.SSLContext
) -> Probe:
    """One check, never longer than `timeout_s` and never raising: a fault is a probe that is down."""
    at = utcnow()
    deadline = time.monotonic() + config.timeout_s
    start = time.monotonic()
    url = str(service.url)
    try:
        async with asyncio.timeout(config.timeout_s):
            async with session.get(url, ssl=context) as resp:
                latency_ms = round((time.monotonic() - start) * 1000)
                body = await resp.content.read(MAX_BODY)
        days = None
        if resp.url.scheme == "https" and resp.url.host is not None:
            # The certificate of where the page came from (after any redirect). aiohttp lets go of the
            # connection once a small body is in, so a second handshake reads it.
            days = await _unverified_days_left(resp.url.host, resp.url.port or 443, deadline)
        found = None
        if service.expect is not None:
            found = service.expect.lower() in body.decode(resp.charset or "utf-8", "replace").lower()
        ok = resp.status < 400 and found is not False
        error = None if ok else (f"HTTP {resp.status}" if resp.status >= 400 else f"no {service.expect!r} on the page")
        return Probe(code, at, ok, resp.status, latency_ms, days, found, error)
    except aiohttp.ClientConnectorCertificateError as exc:
        # The certificate refused: how many days it has (negative once expired) from a second handshake
        # that does not check it, within what is left of this check's time.
        days = await _unverified_days_left(exc.host, exc.port or 443, deadline)
        reason = getattr(exc.certificate_error, "verify_message", None) or str(exc.certificate_error)
        return Probe(code, at, False, tls_days_left=days, error=f"certificate refused: {reason}")
    except TimeoutError:
        return Probe(code, at, False, error=f"no answer within {config.timeout_s:g} s")
    except aiohttp.ClientConnectorError as exc:
        return Probe(code, at, False, error=f"cannot connect: {exc.os_error.strerror or exc.os_error}")
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return Probe(code, at, False, error=f"{type(exc).__name__}: {exc}"[:500])


def _days_left(der: bytes | None) -> int | None:
    if der is None:
        return None
    not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    return int((not_after - datetime.now(UTC)).total_seconds() // DAY_S)


async def _unverified_days_left(host: str, port: int, deadline: float) -> int | None:
    """The days left on the certificate at `host`:`port`, read whether it is trusted or not; None if no
    handshake within the check's time."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            _, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=host)
    except (TimeoutError, OSError):
        return None
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        return _days_left(ssl_object.getpeercert(binary_form=True) if ssl_object else None)
    finally:
        writer.close()


async def round_of_checks(services: dict[str, PublicService], config: ProbesConfig) -> list[Probe]:
    """Every service once, at most `concurrency` at a time; a check waiting for its turn has not begun
    its timeout."""
    gate = asyncio.Semaphore(config.concurrency)
    context = tls_context(config)

    async def one(code: str, service: PublicService) -> Probe:
        async with gate:
            return await check(code, service, config, session, context)

    # A fresh connection per check: a kept-alive one would hide a site that stopped accepting them.
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, headers={"User-Agent": "scc-probes"}) as session:
        return list(await asyncio.gather(*(one(code, s) for code, s in services.items())))


def store(engine: Engine, probes: list[Probe]) -> None:
    """The checks, and each one counted in its unit's hour, in one transaction: a crash between the two
    would have an hour count a check that is not there, or miss one that is."""
    if not probes:
        return
    hours: dict[tuple[str, datetime], list[int]] = {}
    for p in probes:
        counts = hours.setdefault((p.skpd_code, p.at.replace(minute=0, second=0, microsecond=0)), [0, 0])
        counts[0] += 1
        counts[1] += p.ok
    with engine.begin() as conn:
        conn.execute(insert(service_probes), [p.row() for p in probes])
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(service_probe_hours)
        h = service_probe_hours.c
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["skpd_code", "hour"],
                set_=dict(checks=h.checks + stmt.excluded.checks, up=h.up + stmt.excluded.up),
            ),
            [dict(skpd_code=code, hour=hour, checks=n, up=up) for (code, hour), (n, up) in hours.items()],
        )


@dataclass
class Round:
    up: int = 0
    down: int = 0
    took_s: float = 0.0

    def detail(self) -> str:
        return f"{self.up} up, {self.down} down; last round {self.took_s:.1f} s"


def run_round(engine: Engine, services: dict[str, PublicService], config: ProbesConfig) -> Round:
    started = time.monotonic()
    probes = asyncio.run(round_of_checks(services, config))
    store(engine, probes)
    up = sum(p.ok for p in probes)
    return Round(up, len(probes) - up, time.monotonic() - started)


def main() -> None:
    settings = boot.settings_or_exit()
    engine = connect(settings.database_url)
    config = settings.app.probes
    services = settings.probed_services
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    last = [Round()]
    beat = Heartbeat(engine, "probes", config.interval_s, lambda: (0, last[0].detail()))
    log.info("probes: %d services, every %d s", len(services), config.interval_s)
    while not stop.is_set():
        began = time.monotonic()
        try:
            last[0] = run_round(engine, services, config)
        except Exception:
            # Storage away or busy: logged, tried again next round. No beat, so health shows it stale.
            log.exception("probes: the round did not finish")
        else:
            log.info("probes: %s", last[0].detail())
            beat.tick()
        stop.wait(max(0.0, config.interval_s - (time.monotonic() - began)))


if __name__ == "__main__":
    main()
