"""The one status palette: what every domain's statuses mean, and how a status shows.

Five tones, each with its colour, its icon (a shape, drawn in scc.css) and its
word, so no status is told by colour alone:

    ok       green   check in a circle      all is well (zero open incidents too)
    warning  amber   "!" in a triangle      needs a look soon: late, stalled, in progress
    alarm    red     "!" in an octagon      needs action now: offline, failed, a new call
    unknown  grey    dash in a ring         no data yet, or nothing to judge (cancelled, stopped)
    planned  violet  clock                  not installed yet

Every domain's statuses (the Literal types in scc.storage) map to a tone here
and nowhere else; pages ask this module, never pick colours themselves.
"""

from __future__ import annotations

from typing import Any, Literal

from dash import html

from scc.storage.alerts import AlertState, Severity
from scc.storage.callcenter import IncidentStatus
from scc.storage.cameras import CameraDisplayStatus
from scc.storage.metrics import MetricFreshness
from scc.storage.platform import HealthStatus

from ..i18n import t
from ..queries.metrics import UnitState

Tone = Literal["ok", "warning", "alarm", "unknown", "planned"]
TONES: tuple[Tone, ...] = ("ok", "warning", "alarm", "unknown", "planned")
# Worst first: a summary of several statuses takes the worst of them.
SEVERITY: tuple[Tone, ...] = ("alarm", "warning", "unknown", "planned", "ok")

CAMERA: dict[CameraDisplayStatus, Tone] = {
    "online": "ok",
    "stale": "warning",
    "offline": "alarm",
    "error": "alarm",
    "nodata": "unknown",
    "planned": "planned",
}
METRIC: dict[MetricFreshness, Tone] = {"ok": "ok", "late": "warning", "nodata": "unknown"}
INCIDENT: dict[IncidentStatus, Tone] = {
    "received": "alarm",  # nobody sent yet: act now
    "dispatched": "warning",
    "on_scene": "warning",  # in hand, not over
    "resolved": "ok",
    "closed": "ok",
    "cancelled": "unknown",
    "prank": "unknown",  # nothing to judge
}
HEALTH: dict[HealthStatus, Tone] = {
    "up": "ok",
    "starting": "warning",
    "restarting": "warning",
    "stale": "alarm",
    "failed": "alarm",
    "down": "alarm",  # alive but not working is as bad as dead
    "stopped": "unknown",  # stopped on purpose
}
# An SKPD's reporting, as the metrics wall sums it up (dashboard.queries.metrics.UnitState).
SKPD: dict[UnitState, Tone] = {"online": "ok", "stale": "warning", "offline": "alarm", "never": "unknown"}

# An alert's state and its rule's severity (scc.storage.alerts); info has no tone of its own, and says so in words.
ALERT: dict[AlertState, Tone] = {"pending": "warning", "firing": "alarm", "resolved": "ok", "withdrawn": "unknown"}
ALERT_SEVERITY: dict[Severity, Tone] = {"critical": "alarm", "warning": "warning", "info": "unknown"}

# Domain -> its tone map; the domain is also the catalog prefix of its status words ("camera.online").
DOMAINS: dict[str, dict[Any, Tone]] = {
    "camera": CAMERA,
    "metric": METRIC,
    "incident": INCIDENT,
    "health": HEALTH,
    "skpd": SKPD,
    "alert": ALERT,
    "alert_severity": ALERT_SEVERITY,
}
Domain = Literal["camera", "metric", "incident", "health", "skpd", "alert", "alert_severity"]


def attrs(**values: Any) -> dict[str, Any]:
    """`aria-*` and `data-*` attributes for a Dash component: attrs(aria_label="x") -> {"aria-label": "x"}."""
    return {name.replace("_", "-"): value for name, value in values.items()}


def tone_of(domain: Domain, status: str) -> Tone:
    return DOMAINS[domain].get(status, "unknown")


def worst(tones: list[Tone]) -> Tone:
    return min(tones, key=SEVERITY.index) if tones else "unknown"


def icon(tone: Tone | str, extra: str = "") -> html.Span:
    """The tone's shape, drawn by CSS (a mask over currentColor); decorative, the word says it."""
    return html.Span(className=f"icon icon-{tone} {extra}".strip(), **attrs(aria_hidden="true"))


def pill(text: str, tone: Tone, *, status: str = "", size: str = "") -> html.Span:
    """A status as the wall shows it: icon and word, in the tone's colour."""
    cls = f"status status-{tone}" + (f" status-{size}" if size else "")
    extra = attrs(data_tone=tone, data_status=status) if status else attrs(data_tone=tone)
    return html.Span([icon(tone), text], className=cls, **extra)


def badge(domain: Domain, status: str, *, size: str = "") -> html.Span:
    """A domain's status (camera, metric, incident, health, skpd) with its word from the catalog."""
    return pill(badge_word(domain, status), tone_of(domain, status), status=status, size=size)


def badge_word(domain: Domain, status: str) -> str:
    return t(f"{domain}.{status}")


def yes_no(value: bool, *, yes_tone: Tone = "ok", no_tone: Tone = "unknown") -> html.Span:
    return pill(t("admin.yes") if value else t("admin.no"), yes_tone if value else no_tone)


# -- summaries: one tone for many statuses ------------------------------------------------


def cameras_tone(counts: dict[str, int], total: int) -> Tone:
    """All installed cameras online is ok; any offline or failing is an alarm; only stalled ones a warning."""
    if total == 0 or counts.get("nodata", 0) == total:
        return "unknown"
    if counts.get("online", 0) == total:
        return "ok"
    if counts.get("offline", 0) or counts.get("error", 0):
        return "alarm"
    return "warning"


def problems_tone(problems: int, reporting: int | None = None) -> Tone:
    """No camera in trouble is ok, any is an alarm; with no camera reporting at all, nobody knows."""
    if problems == 0 and reporting == 0:
        return "unknown"
    return "ok" if problems == 0 else "alarm"


def open_incidents_tone(open_: int, waiting: int = 0) -> Tone:
    """No open incident is good news; one nobody has been sent to yet (`waiting`) is an alarm; others are
    in hand."""
    if open_ == 0:
        return "ok"
    return "alarm" if waiting else "warning"


def skpd_tone(online: int, total: int, offline: int, silent: int) -> Tone:
    if total and online == total:
        return "ok"
    if silent == total:
        return "unknown"
    return "alarm" if offline and offline * 2 >= total else "warning"


def share_tone(up: int, total: int, known: int | None = None) -> Tone:
    """Units whose flag is up (websites, services): all is ok, half or more down an alarm, else a warning;
    nothing reported at all is unknown."""
    if total == 0 or known == 0:
        return "unknown"
    if up == total:
        return "ok"
    return "alarm" if (total - up) * 2 >= total else "warning"


def flag_tone(value: float | None) -> Tone:
    """A 0/1 metric (service up, website up): 1 is ok, 0 an alarm."""
    if value is None:
        return "unknown"
    return "ok" if value >= 0.5 else "alarm"
