"""The demo's flaky links: each drops for the first time within minutes of a start, at a moment of its own,
so that a demo shows a unit dropping off (and the `unit-silent` alert) early; and a drop tells the broker the
unit is offline, which is what the alert reads."""

from __future__ import annotations

import time

from streams.agent import contract
from streams.metrics.sim.units import FLAKY_FIRST_S, FLAKY_UNITS, Simulator


def test_every_flaky_link_first_drops_within_minutes_at_its_own_moment(scc_broker):
    watcher = scc_broker.admin()
    watcher.subscribe(f"{contract.PREFIX}/+/{contract.STATUS}")
    firsts = []
    for seed in range(3):
        started = time.monotonic()
        simulator = Simulator(scc_broker.settings, seed=seed, reconnect_delay=(0.1, 0.5)).start()
        try:
            flaky = [simulator.units[code] for code in simulator.flaky]
            assert len(flaky) == FLAKY_UNITS
            ahead = [unit.switch_at - started for unit in flaky]
            assert all(FLAKY_FIRST_S[0] <= s <= FLAKY_FIRST_S[1] + 1 for s in ahead), ahead
            firsts += ahead
            if seed == 0:  # the first to drop, when its moment comes: its status says offline
                simulator.tick()
                first = min(flaky, key=lambda unit: unit.switch_at)
                assert first.publisher.flush(10)
                first.switch_at = time.monotonic()
                simulator.tick()
                assert not first.link_up and not first.publisher.connected
                assert _status(watcher, first.code) == contract.OFFLINE
        finally:
            simulator.close()
    watcher.close()
    assert len({round(s, 3) for s in firsts}) == len(firsts), "each link at a moment of its own, not one period"


def _status(watcher, code: str) -> str:
    """The next status the watcher reads of unit `code` that is not "online" (the others' go by)."""
    topic = contract.topic(code, contract.STATUS)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = watcher.receive(timeout=max(0.1, deadline - time.monotonic()))
        if message.topic == topic and message.payload.decode() != contract.ONLINE:
            return message.payload.decode()
    raise AssertionError(f"no status of {code} but online within 10 s")
