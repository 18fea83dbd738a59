"""Alert rules (config/alerts.yaml, docs/design.md §3.6): what the `alerts` process watches, and how each
alert lives.

A rule is one kind of condition over what storage says now, the subjects it watches, a severity, and the
timing of its alerts: `for` (how long the condition must hold before the alert fires), `keep_for` (how
long it must be clear before the alert ends), `renotify` (how often a firing alert nobody acknowledged
is told again) and who it is routed to. Subjects are named by what the kind watches (cameras, uplinks,
SKPD units, call lines, processes): `all`, a list, or a group (`{district: [citta]}`). Every name is
checked against the rest of config/ at load (`checks.alert_rules`): an unknown one stops the start,
naming file, line and key.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, Field, model_validator

from scc.storage.alerts import Severity
from scc.storage.callcenter import PRIORITIES, Priority
from scc.storage.platform import Role

from .base import Code, MetricKey, Strict, Text

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _duration(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a duration: write it as 30s, 5m, 2h or 1d")
    return timedelta(seconds=int(match.group(1)) * _SECONDS[match.group(2)])


# A length of time: "30s", "5m", "2h", "1d", or a number of seconds.
Duration = Annotated[timedelta, BeforeValidator(_duration), Field(ge=timedelta(0))]

GroupKey = Literal["uplink", "district", "skpd"]
GROUP_KEYS: tuple[GroupKey, ...] = get_args(GroupKey)
# How a rule treats a subject its kind has no data on (a camera no worker has written of, a unit never
# heard, a metric with no reading in its window): `keep` changes nothing of its alert, `alerting` counts it
# as the condition holding, `ok` as clear.
NoData = Literal["keep", "alerting", "ok"]


class Selection(Strict):
    """Which subjects a rule watches: every one, those named, or those of a group (an uplink's cameras)."""

    every: bool = Field(default=False, description="Every subject of the kind.")
    names: tuple[str, ...] = Field(default=(), description="The subjects named, or the groups' codes.")
    group: GroupKey | None = Field(default=None, description="What `names` are codes of, for a group.")


ALL = Selection(every=True)


def _selection(*groups: GroupKey) -> BeforeValidator:
    """`all`, a list of codes, or (where the kind allows) one group: `{uplink: radio-citta}` or a list."""
    shapes = ["all", "a list of names"] + [f"{{{key}: [...]}}" for key in groups]

    def parse(value: Any) -> Any:
        if isinstance(value, Selection):
            return value
        if value == "all":
            return ALL
        key: GroupKey | None = None
        if isinstance(value, dict) and len(value) == 1:
            (raw_key, value), *_ = value.items()
            if raw_key not in groups:
                raise ValueError(f"a group here is one of {', '.join(groups) or 'none'}, not {raw_key!r}")
            key = raw_key
            value = [value] if isinstance(value, str) else value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            bad = [v for v in value if not _CODE.match(v)]
            if bad:
                raise ValueError(f"{bad[0]!r} is not a code (lower-case letters, digits and '-')")
            return Selection(names=tuple(value), group=key)
        raise ValueError(f"write {', '.join(shapes[:-1])} or {shapes[-1]}" if len(shapes) > 1 else shapes[0])

    return BeforeValidator(parse)


DEFAULT_ROUTE: tuple[Role, ...] = ("operator", "admin")


class Rule(Strict):
    """What every rule has, whatever its kind."""

    id: Code = Field(description="Stable rule id, stored with each of its alerts; unique.")
    kind: str = Field(description="What the rule watches; each kind below says what its condition is.")
    name: Text = Field(description="What the alert is called on the wall, in both languages.")
    severity: Severity = Field(description="critical, warning or info; the wall lists the most urgent first.")
    for_: Duration = Field(
        default=timedelta(0),
        alias="for",
        description="How long the condition must hold before the alert fires; until then it is pending. "
        "Counted from when storage says the condition began (a camera's last frame), not from when the "
        "alerts process first saw it.",
    )
    keep_for: Duration = Field(
        default=timedelta(0),
        description="How long the condition must be clear before an open alert ends; if it holds again "
        "sooner, the same alert goes on (a flapping camera makes one alert, not one per flap).",
    )
    renotify: Duration | None = Field(
        default=None,
        description="While firing and unacknowledged: tell again this often (sound, MQTT). Empty: once.",
    )
    route: list[Role] = Field(
        default_factory=lambda: list(DEFAULT_ROUTE),
        description="Who is told: the roles whose screens show and sound it; `skpd` is the staff of the unit "
        "the subject belongs to (its camera, its own silence, its complaint). Viewers see every open alert.",
    )
    no_data: NoData = Field(
        default="keep",
        description="A subject the kind has no data on: keep its alert as it is, count it as alerting, or ok.",
    )
    enabled: bool = Field(default=True, description="False: not evaluated; its open alerts end.")


class CameraDown(Rule):
    kind: Literal["camera_down"] = Field(description="A camera without picture (offline, stale or error).")
    cameras: Annotated[Selection, _selection("uplink", "district", "skpd")] = Field(
        default=ALL, description="Camera ids, or the cameras of an uplink, district or SKPD."
    )


class UplinkDown(Rule):
    kind: Literal["uplink_down"] = Field(
        description="Every installed camera of one uplink dark at once (two or more, none with a picture): one "
        "alert for the link naming its cameras. While it is open, those cameras raise no alert of their own."
    )
    uplinks: Annotated[Selection, _selection("district")] = Field(
        default=ALL, description="Uplinks (cameras.yaml `uplink`), or those with a camera in a district."
    )


class UnitSilent(Rule):
    kind: Literal["unit_silent"] = Field(
        description="An SKPD unit silent: its link down (its status or will said so), or nothing heard for "
        "`intervals` times the shortest reporting interval of its metrics. One alert per unit, not per metric."
    )
    units: Annotated[Selection, _selection("district")] = Field(
        default=ALL, description="SKPD codes, or the units of a district."
    )
    intervals: float = Field(default=2, ge=1, le=100, description="Reporting intervals of silence that count.")


Aggregate = Literal["mean", "min", "max", "last"]


class MetricThreshold(Rule):
    kind: Literal["metric_threshold"] = Field(description="A metric above a threshold or outside a band.")
    metric: MetricKey = Field(description="The metric's key (metrics.yaml); each unit watched must report it.")
    units: Annotated[Selection, _selection("district")] = Field(
        default=ALL, description="SKPD codes, or the units of a district; `all`: every unit reporting the metric."
    )
    above: float | None = Field(default=None, description="Alerting when the value is above this.")
    below: float | None = Field(default=None, description="Alerting when the value is below this.")
    window: Duration | None = Field(
        default=None,
        description="Compare the `aggregate` of the readings of this last span; empty: the newest reading.",
    )
    aggregate: Aggregate = Field(default="mean", description="Over the window: mean, min, max or last.")

    @model_validator(mode="after")
    def _a_threshold(self) -> MetricThreshold:
        if self.above is None and self.below is None:
            raise ValueError("give `above`, `below` or both (a band)")
        if self.above is not None and self.below is not None and self.below >= self.above:
            raise ValueError(f"below ({self.below}) must be under above ({self.above}): the band is between them")
        if "aggregate" in self.model_fields_set and self.window is None:
            raise ValueError("`aggregate` needs a `window` to aggregate over")
        return self


class PriorityDelay(Strict):
    priority: Priority = Field(description="1, 2 or 3.")
    after: Duration = Field(description="How long an incident of that priority may wait.")


class IncidentNotDispatched(Rule):
    kind: Literal["incident_not_dispatched"] = Field(
        description="An emergency received and no unit sent after its priority's delay (complaints and pranks "
        "send no unit and are not watched)."
    )
    lines: Annotated[Selection, _selection()] = Field(default=ALL, description="Call-line codes, or all.")
    priorities: list[Priority] = Field(default_factory=lambda: list(PRIORITIES), description="Priorities watched.")
    within: list[PriorityDelay] | None = Field(
        default=None,
        description="Per priority, how long it may wait; empty: the call policy's dispatch targets "
        "(call_lines.yaml `policy.targets`).",
    )

    @model_validator(mode="after")
    def _a_delay_per_priority(self) -> IncidentNotDispatched:
        given = [delay.priority for delay in self.within or ()]
        twice = sorted({p for p in given if given.count(p) > 1})
        if twice:
            raise ValueError(f"priority {twice[0]} is given twice in `within`")
        missing = [p for p in self.priorities if self.within is not None and p not in given]
        if missing:
            raise ValueError(f"priority {missing[0]} is watched but has no delay in `within`")
        return self


class IncidentOnScene(Rule):
    kind: Literal["incident_on_scene"] = Field(description="A unit on scene for longer than `longer_than`.")
    lines: Annotated[Selection, _selection()] = Field(default=ALL, description="Call-line codes, or all.")
    priorities: list[Priority] = Field(default_factory=lambda: list(PRIORITIES), description="Priorities watched.")
    longer_than: Duration = Field(description="How long on scene before it alerts.")


class ComplaintOverdue(Rule):
    kind: Literal["complaint_overdue"] = Field(
        description="A complaint not settled by its due time (the SKPD's days, call_lines.yaml policy)."
    )
    units: Annotated[Selection, _selection("district")] = Field(
        default=ALL, description="The SKPD the complaints are routed to, or the units of a district."
    )
    grace: Duration = Field(default=timedelta(0), description="Past the due time by more than this.")


class ProcessDown(Rule):
    kind: Literal["process_down"] = Field(
        description="A process of the command center not up: stale (alive, not beating), failed, restarting, "
        "stopped or gone (scc.health)."
    )
    processes: Annotated[Selection, _selection()] = Field(
        default=ALL, description="Process names as `scc run` starts them (and `supervisor`, `backup`), or all."
    )


class ServiceDown(Rule):
    kind: Literal["service_down"] = Field(
        description="A unit's public service (skpd.yaml `service`) failing its probe: HTTP error, no answer in "
        "time, its word missing from the page, or its TLS certificate refused. With `certificate_days_below` "
        "the rule watches the certificate instead. A unit with no service is not watched."
    )
    units: Annotated[Selection, _selection("district")] = Field(
        default=ALL, description="SKPD codes, or the units of a district; `all`: every unit with a service."
    )
    failed_checks: int = Field(
        default=2,
        ge=1,
        le=20,
        description="How many checks in a row must fail (the newest ones); `for` counts from the first of them.",
    )
    certificate_days_below: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="Watch the certificate instead of the checks: alerting when the newest certificate seen has "
        "fewer days left than this (expired ones too). Empty: the rule watches failed checks.",
    )

    @model_validator(mode="after")
    def _one_watch(self) -> ServiceDown:
        if self.certificate_days_below is not None and "failed_checks" in self.model_fields_set:
            raise ValueError("a rule watches failed checks or the certificate (`certificate_days_below`): make two")
        return self


class DiskFull(Rule):
    kind: Literal["disk_full"] = Field(
        description="The disk of the data directory (database, backups, snapshots) fuller than `above_percent`, "
        "as df counts it (the space left for root not counted free). Its subject is `data`."
    )
    above_percent: float = Field(default=90, gt=0, lt=100, description="Alerting when more of the disk is used.")


class UnitRejections(Rule):
    kind: Literal["unit_rejections"] = Field(
        description="Ingest refusing one unit's messages (rejected_messages: bad topic, shape, value or time) "
        "more than `more_than` times within `within`: its system or agent is sending something wrong."
    )
    units: Annotated[Selection, _selection("district")] = Field(
        default=ALL, description="SKPD codes, or the units of a district."
    )
    more_than: int = Field(default=20, ge=0, description="Alerting when more rejections than this are in the window.")
    within: Duration = Field(
        default=timedelta(minutes=10),
        gt=timedelta(0),
        le=timedelta(days=1),
        description="The window the rejections are counted in, up to now; at most a day.",
    )


AlertRule = Annotated[
    CameraDown
    | UplinkDown
    | UnitSilent
    | MetricThreshold
    | IncidentNotDispatched
    | IncidentOnScene
    | ComplaintOverdue
    | ProcessDown
    | ServiceDown
    | DiskFull
    | UnitRejections,
    Field(discriminator="kind"),
]
# Each kind's field naming its subjects, for the cross-checks and the evaluator.
SUBJECTS_FIELD: dict[str, str] = {
    "camera_down": "cameras",
    "uplink_down": "uplinks",
    "unit_silent": "units",
    "metric_threshold": "units",
    "incident_not_dispatched": "lines",
    "incident_on_scene": "lines",
    "complaint_overdue": "units",
    "process_down": "processes",
    "service_down": "units",
    "unit_rejections": "units",
}  # disk_full watches the one data disk: no subjects to name


class AlertsFile(Strict):
    evaluate_every_s: float = Field(
        default=2,
        ge=0.5,
        le=60,
        description="Seconds between two evaluations of every rule; an alert fires at most this late.",
    )
    rules: list[AlertRule] = Field(default_factory=list, description="The rules, each evaluated every round.")

    def enabled(self) -> list[Rule]:
        return [rule for rule in self.rules if rule.enabled]
