"""Cross-checks between config files: every reference must resolve.

Each check is a named function returning the problems it found, so the
loader can report all of them at once, each with its file and line.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scc.storage.callcenter import CATEGORIES, PRIORITIES

from .alerts import SUBJECTS_FIELD
from .metrics_broker import SERVICE_USERS, queue_holds_an_hour
from .retention import BackupPolicy
from .source import ConfigError, Document

if TYPE_CHECKING:
    from .loader import Settings


def unique(doc: Document, section: str, items: Iterable[Any], attr: str) -> Iterator[ConfigError]:
    seen: dict[Any, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value in seen:
            yield doc.error((section, i, attr), f"duplicate {attr} {value!r} (first at {section}[{seen[value]}])")
        else:
            seen[value] = i


def references(
    doc: Document, section: str, items: Iterable[Any], attr: str, known: set[str], what: str
) -> Iterator[ConfigError]:
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value is not None and value not in known:
            yield doc.error((section, i, attr), f"unknown {what} {value!r}")


def metric_keys_unique_per_skpd(doc: Document, common: list[Any], metrics: list[Any]) -> Iterator[ConfigError]:
    common_keys = {m.key for m in common}
    seen: set[tuple[str, str]] = set()
    for i, metric in enumerate(metrics):
        if metric.key in common_keys:
            yield doc.error(("metrics", i, "key"), f"{metric.key!r} is already a common metric of every SKPD")
        elif (metric.skpd, metric.key) in seen:
            yield doc.error(("metrics", i, "key"), f"duplicate metric {metric.key!r} for SKPD {metric.skpd!r}")
        seen.add((metric.skpd, metric.key))


def probes_stay_local(doc: Document, skpd: list[Any], allow_remote: bool) -> Iterator[ConfigError]:
    """Unless `probes.allow_remote` (scc.yaml), a service URL may only name this machine: the demo and the
    tests never probe beyond it. A host name other than localhost counts as remote: resolving it could."""
    if allow_remote:
        return
    for i, unit in enumerate(skpd):
        if unit.service is not None and not is_loopback(unit.service.url.host or ""):
            yield doc.error(
                ("skpd", i, "service", "url"),
                f"{unit.service.url.host!r} is not this machine; set probes.allow_remote: true in scc.yaml to "
                "probe sites beyond it",
            )


def is_loopback(host: str) -> bool:
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def metric_shorts_tell_apart(doc: Document, common: list[Any], metrics: list[Any]) -> Iterator[ConfigError]:
    """A unit's tile labels its metrics by their short names: no two of one SKPD's may read alike."""
    for lang in ("id", "en"):
        seen = {getattr(m.short, lang): ("common", i) for i, m in enumerate(common)}
        by_unit: dict[str, dict[str, tuple[str, int]]] = {}
        for i, metric in enumerate(metrics):
            mine = by_unit.setdefault(metric.skpd, dict(seen))
            short = getattr(metric.short, lang)
            if short in mine:
                section, at = mine[short]
                first = f"{section}[{at}]"
                yield doc.error(("metrics", i, "short", lang), f"{short!r} already names {first} for {metric.skpd!r}")
            mine[short] = ("metrics", i)


def one_short_name_per_site(doc: Document, cameras: list[Any]) -> Iterator[ConfigError]:
    """A tile names its camera's site by site_short: a site has one, and no two sites share it."""
    site_of: dict[str, str] = {}
    short_of: dict[str, str] = {}
    for i, camera in enumerate(cameras):
        if short_of.setdefault(camera.site, camera.site_short) != camera.site_short:
            yield doc.error(
                ("cameras", i, "site_short"), f"{camera.site!r} is called {short_of[camera.site]!r} elsewhere"
            )
        elif site_of.setdefault(camera.site_short, camera.site) != camera.site:
            yield doc.error(
                ("cameras", i, "site_short"), f"{camera.site_short!r} already names {site_of[camera.site_short]!r}"
            )


def broker_queue_holds_an_hour(doc: Document, app: Any, units: int) -> Iterator[ConfigError]:
    problem = queue_holds_an_hour(app.mqtt, units)
    if problem:
        yield doc.error(("mqtt", "max_queued_messages"), problem)


def skpd_codes_are_not_service_accounts(doc: Document, skpd: list[Any]) -> Iterator[ConfigError]:
    """Each SKPD's broker user is its code, so no code may be one of the command center's own accounts."""
    for i, unit in enumerate(skpd):
        if unit.code in SERVICE_USERS:
            yield doc.error(("skpd", i, "code"), f"{unit.code!r} is reserved for the broker's own account")


# -- checks that run inside a file's own model (call_lines.yaml): each yields (key path, problem) ------

Loc = tuple[str | int, ...]
NO_UNIT: frozenset[str] = frozenset({"complaint", "prank"})  # an SKPD settles one, the other is closed at once


def needs_name_known_categories_and_units(
    needs: Mapping[str, Sequence[str]], units: Iterable[Any]
) -> Iterator[tuple[Loc, str]]:
    """policy.needs: every emergency category is there, each naming kinds some unit is; complaint and prank,
    which send no unit, are not. A category left out would leave the dispatcher nothing to suggest."""
    have = {unit.kind for unit in units}
    for category, kinds in needs.items():
        where: Loc = ("policy", "needs", category)
        if category not in CATEGORIES:
            yield where, f"unknown category {category!r} (known: {', '.join(CATEGORIES)})"
        elif category in NO_UNIT:
            yield where, f"a {category} sends no unit: leave it out"
        elif not kinds:
            yield where, f"category {category!r} names no kind of unit"
        for i, kind in enumerate(kinds):
            if kinds.index(kind) < i:
                yield (*where, i), f"{kind!r} is listed twice"
            elif kind not in have:
                yield (*where, i), f"no unit of kind {kind!r} in units"
    for category in CATEGORIES:
        if category not in needs and category not in NO_UNIT:
            yield ("policy", "needs"), f"category {category!r} is missing: the dispatcher would have nothing to suggest"


def targets_cover_every_priority(targets: list[Any]) -> Iterator[tuple[Loc, str]]:
    """policy.targets: each priority once, and a unit on scene later than it is sent."""
    seen: set[int] = set()
    for i, target in enumerate(targets):
        if target.priority in seen:
            yield ("policy", "targets", i, "priority"), f"priority {target.priority} is listed twice"
        seen.add(target.priority)
        if target.on_scene_s <= target.dispatch_s:
            yield (
                ("policy", "targets", i, "on_scene_s"),
                "must be longer than dispatch_s: a unit is sent before it is there",
            )
    for priority in PRIORITIES:
        if priority not in seen:
            yield ("policy", "targets"), f"no target for priority {priority}"


def calls_figures_have_lines(doc: Document, metrics: list[Any], lines: list[Any]) -> Iterator[ConfigError]:
    """A figure the call center keeps for an SKPD (`from_calls`) counts the lines that SKPD runs: it needs one."""
    runs = {line.skpd for line in lines}
    for i, metric in enumerate(metrics):
        if metric.from_calls is not None and metric.skpd not in runs:
            yield doc.error(("metrics", i, "from_calls"), f"SKPD {metric.skpd!r} runs no call line (call_lines.yaml)")


def retention_fits_the_schema(doc: Document, tables: Mapping[str, Any]) -> Iterator[ConfigError]:
    """Every table of the schema has a policy, and every policy names a table, a time column and a
    roll-up table that exist: a table added without one stops the start, naming it."""
    from scc.storage import metadata  # the whole schema (importing the package registers every table)

    for name in sorted(set(metadata.tables) - set(tables)):
        yield doc.error(("tables",), f"table {name!r} has no retention policy")
    for name, policy in tables.items():
        table = metadata.tables.get(name)
        if table is None:
            yield doc.error(("tables", name), f"no table {name!r} in the schema")
            continue
        if policy.by is not None and policy.by not in table.c:
            yield doc.error(("tables", name, "by"), f"table {name!r} has no column {policy.by!r}")
        if policy.rollup is not None and policy.rollup not in metadata.tables:
            yield doc.error(("tables", name, "rollup"), f"no table {policy.rollup!r} in the schema")
        into = tables.get(policy.rollup or "")
        shorter = into is not None and (policy.keep != "days" or (into.days or 0) <= (policy.days or 0))
        if into is not None and into.keep == "days" and shorter:
            # A late or corrected row recomputes its bucket whole from the rows below it: those must still
            # be there, so a roll-up outlives what it is rolled up from.
            problem = (
                f"{policy.rollup!r} is kept {into.days} days, not longer than {name!r}, which is rolled up into it"
            )
            yield doc.error(("tables", policy.rollup, "days"), problem)


def backups_outside_the_configuration(
    doc: Document, backups: BackupPolicy, config_dir: Path, data_dir: Path
) -> Iterator[ConfigError]:
    """A backup holds the configuration directory: archives kept inside it would each hold all the ones before."""
    config = Path(config_dir).resolve()
    target = (Path(data_dir) / backups.dir).resolve()
    if target == config or config in target.parents:
        problem = f"{target} is inside the configuration directory {config}, which each backup holds: choose another"
        yield doc.error(("backups", "dir"), problem)


# -- config/alerts.yaml: every subject a rule names exists ------------------------------------------


@dataclass(frozen=True)
class AlertNames:
    """What a rule may name, by what it is."""

    cameras: frozenset[str]
    uplinks: frozenset[str]
    units: frozenset[str]
    districts: frozenset[str]
    lines: frozenset[str]
    processes: frozenset[str]
    metrics: Mapping[str, frozenset[str]]  # unit -> the keys it reports (a figure the call center keeps is not)


# What each kind's subjects are, and each group's codes: the word an error uses and the AlertNames field.
_SUBJECTS = {
    "camera_down": ("camera", "cameras"),
    "uplink_down": ("uplink", "uplinks"),
    "unit_silent": ("SKPD", "units"),
    "metric_threshold": ("SKPD", "units"),
    "complaint_overdue": ("SKPD", "units"),
    "incident_not_dispatched": ("call line", "lines"),
    "incident_on_scene": ("call line", "lines"),
    "process_down": ("process", "processes"),
    "service_down": ("SKPD", "units"),
    "unit_rejections": ("SKPD", "units"),
}
_GROUPS = {"uplink": ("uplink", "uplinks"), "district": ("district", "districts"), "skpd": ("SKPD", "units")}


def alert_names(settings: Settings) -> AlertNames:
    # The plan of `scc run` is imported here, not at the top: it imports the settings package itself.
    from scc.nightly_backup import HEARTBEAT
    from scc.processes import plan

    processes = {spec.name for spec in plan(settings, demo=True)} | {"supervisor", HEARTBEAT}  # they beat too
    metrics: dict[str, set[str]] = {}
    for metric in settings.metrics:
        if metric.from_calls is None:
            metrics.setdefault(metric.skpd, set()).add(metric.key)
    return AlertNames(
        cameras=frozenset(c.id for c in settings.cameras),
        uplinks=frozenset(c.uplink for c in settings.cameras),
        units=frozenset(settings.skpd_by_code),
        districts=frozenset(settings.district_by_code),
        lines=frozenset(settings.call_line_by_code),
        processes=frozenset(processes),
        metrics={unit: frozenset(keys) for unit, keys in metrics.items()},
    )


def alert_rules(doc: Document, rules: Sequence[Any], names: AlertNames) -> Iterator[ConfigError]:
    """Rule ids are unique; each subject, group and metric a rule names exists."""
    yield from unique(doc, "rules", rules, "id")
    for i, rule in enumerate(rules):
        field_name = SUBJECTS_FIELD.get(rule.kind)
        if field_name is None:  # a kind with no subjects to name (the data disk)
            continue
        selection = getattr(rule, field_name)
        what, known_field = _GROUPS[selection.group] if selection.group else _SUBJECTS[rule.kind]
        known = getattr(names, known_field)
        raw = doc.data["rules"][i].get(field_name)
        for where, name in _named(raw):
            if name not in known:
                # Process names are few and come from the plan, not from a file the reader can look up.
                listed = f" (known: {', '.join(sorted(known))})" if known_field == "processes" else ""
                yield doc.error(("rules", i, field_name, *where), f"unknown {what} {name!r}{listed}")
        if rule.kind == "metric_threshold":
            yield from _metric_reported(doc, i, rule, raw, names)


def _named(raw: Any) -> Iterator[tuple[Loc, str]]:
    """Each name of a rule's subjects as the file wrote it, with its key path below the field."""
    if isinstance(raw, dict):
        (key, members), *_ = raw.items()
        if isinstance(members, str):
            yield (key,), members
        else:
            yield from (((key, j), name) for j, name in enumerate(members))
    elif isinstance(raw, list):
        yield from (((j,), name) for j, name in enumerate(raw))


def _metric_reported(doc: Document, i: int, rule: Any, raw: Any, names: AlertNames) -> Iterator[ConfigError]:
    reporting = {unit for unit, keys in names.metrics.items() if rule.metric in keys}
    if not reporting:
        yield doc.error(("rules", i, "metric"), f"unknown metric {rule.metric!r} (no unit reports it)")
        return
    if rule.units.group is None and not rule.units.every:
        for where, unit in _named(raw):
            if unit in names.units and unit not in reporting:
                yield doc.error(("rules", i, "units", *where), f"SKPD {unit!r} does not report {rule.metric!r}")


def desk_services_are_reported(doc: Document, services: Sequence[Any], metrics: list[Any]) -> Iterator[ConfigError]:
    """Each service on the bupati's desk names a metric one unit reports, and its target metric is that
    unit's too: a figure nobody sends would sit on his desk empty for ever."""
    owner = {m.key: m.skpd for m in metrics}
    for i, service in enumerate(services):
        unit = owner.get(service.metric)
        if unit is None:
            yield doc.error(("services", i, "metric"), f"unknown metric {service.metric!r} (of one unit)")
        elif service.target_metric is not None and owner.get(service.target_metric) != unit:
            yield doc.error(("services", i, "target_metric"), f"{service.target_metric!r} is not {unit!r}'s")
