"""Who is told of an alert: a rule's `route` names the roles whose screens show (and sound) it.

Staff of a unit see, of the rules routed to `skpd`, only the alerts about their own unit (the alert's
`skpd_code`: their camera, their unit silent, their service down, their complaints overdue). The bupati
(viewer) sees every alert and acts on none; operators and admins see the rules routed to their role.
"""

from __future__ import annotations

from dataclasses import dataclass

from scc.settings import Settings
from scc.storage.platform import Role


@dataclass(frozen=True)
class Audience:
    """What one user is shown: only `skpd`'s alerts (None: every unit's) of the `rules` (None: every rule)."""

    skpd: str | None = None
    rules: frozenset[str] | None = None

    def sees(self, rule: str, skpd_code: str | None) -> bool:
        return (self.rules is None or rule in self.rules) and (self.skpd is None or skpd_code == self.skpd)


EVERY_ALERT = Audience()


def audience(settings: Settings, role: Role, skpd_code: str | None = None) -> Audience:
    """The alerts a user of `role` (of unit `skpd_code`, for SKPD staff) is shown."""
    if role == "viewer":
        return EVERY_ALERT
    rules = frozenset(r.id for r in settings.alerts.rules if role in r.route)
    if role == "skpd":
        if not skpd_code:
            raise ValueError("SKPD staff without a unit are shown no alerts")
        return Audience(skpd=skpd_code, rules=rules)
    return Audience(rules=rules)
