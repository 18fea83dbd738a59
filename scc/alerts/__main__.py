"""The `alerts` process: a round of every rule every `evaluate_every_s` seconds (config/alerts.yaml).

It beats its heartbeat from its loop after a round that finished (its detail: the rules, the open alerts, the
last round's time and the process's CPU), so a loop that is stuck or keeps failing goes stale in health.
Its publisher thread (scc.alerts.publisher) sends the alert events on MQTT. SIGTERM or SIGINT end it after
the round under way; a round cut short by a kill commits nothing, and the next run computes it again
(scc.alerts.evaluator).
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from scc import boot
from scc.health import CpuMeter, Heartbeat
from scc.settings.metrics_broker import ALERTS_USER, password, password_env
from scc.storage import open_storage

from .evaluator import Round, evaluate
from .publisher import Publisher

log = logging.getLogger("scc.alerts")

NAME = "alerts"
HEARTBEAT_S = 10


def main() -> None:
    settings = boot.settings_or_exit()
    engine = open_storage(settings.database_url)
    every = settings.alerts.evaluate_every_s
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    last: list[Round | None] = [None]
    took = [0.0]
    cpu = CpuMeter()
    secret = password(ALERTS_USER)
    publisher = None
    if secret is None:
        log.warning("alerts: no %s (`scc setup`): alerts are kept, not published on MQTT", password_env(ALERTS_USER))
    else:
        publisher = Publisher(engine, settings.app.mqtt, secret.get_secret_value()).start()

    def probe() -> tuple[int, str]:
        done = last[0]
        if done is None:
            return 0, "no round yet"
        return done.firing, (
            f"{done.rules} rules every {every:g} s; {done.open} open, {done.firing} firing; "
            f"last round {took[0] * 1000:.0f} ms; CPU {cpu.percent():.1f} %; "
            + (publisher.status() if publisher else "not published on MQTT (no password)")
        )

    beat = Heartbeat(engine, NAME, HEARTBEAT_S, probe)
    log.info("alerts: %d rules, a round every %g s", len(settings.alerts.enabled()), every)
    while not stop.is_set():
        started = time.monotonic()
        try:
            last[0] = evaluate(engine, settings)
        except Exception:
            # The database away or busy, or a fault: logged, and the round is done again next time. No beat:
            # an evaluator that keeps failing must show as stale, not up.
            log.exception("alerts: the round did not finish")
        else:
            took[0] = time.monotonic() - started
            beat.tick()
            if publisher is not None and last[0] is not None and last[0].transitions:
                publisher.wake()
        stop.wait(max(0.0, every - (time.monotonic() - started)))
    if publisher is not None:
        publisher.stop()
    engine.dispose()


if __name__ == "__main__":
    main()
