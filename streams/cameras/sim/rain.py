"""When the simulated radio links drop: a fixed, predictable "rain" schedule per radio uplink.

Every radio uplink has a shower every `every_s` seconds lasting `down_s`; the
uplinks take turns, spread evenly over the period, so the wall never loses all
its radio cameras at once and none is down in the first moments of a demo.
The schedule counts from the simulator's start, so a test can predict it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scc.settings.cameras_services import RainConfig


@dataclass(frozen=True)
class Shower:
    down: bool
    next_change_s: float  # seconds until the uplink changes state


class RainSchedule:
    def __init__(self, config: RainConfig, radio_uplinks: Iterable[str]) -> None:
        self.config = config
        uplinks = sorted(set(radio_uplinks))
        self.phase = {u: config.every_s * (i + 1) / (len(uplinks) + 1) for i, u in enumerate(uplinks)}

    def at(self, uplink: str, elapsed_s: float) -> Shower:
        """Whether `uplink` is down `elapsed_s` seconds after the start, and for how much longer."""
        if not self.config.enabled or uplink not in self.phase:
            return Shower(False, float("inf"))
        every, down = self.config.every_s, self.config.down_s
        shifted = elapsed_s - self.phase[uplink]
        if shifted < 0:
            return Shower(False, -shifted)
        into = shifted % every
        if into < down:
            return Shower(True, down - into)
        return Shower(False, every - into)
