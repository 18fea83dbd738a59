"""Load config/ once, validate it whole, and hand out one Settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import checks
from .alerts import AlertsFile
from .app import AppConfig
from .boards import BoardsFile
from .boards import problems as board_problems
from .callcenter import CallLine, CallLinesFile, CallPolicy, ResponseUnit
from .callcenter_complaints import ComplaintTopic, ComplaintTopicsFile
from .cameras import Camera, CamerasFile
from .metrics import Metric, MetricsFile
from .metrics_office_days import OfficeCalendar
from .regency import District, DistrictsFile, PublicService, Skpd, SkpdFile
from .regent import RegentFile
from .retention import BackupPolicy, RetentionFile, TablePolicy
from .source import ConfigError, Document, read_document

PROJECT_ROOT = Path(__file__).resolve().parents[2]

FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "app": ("scc.yaml", AppConfig),
    "districts": ("districts.yaml", DistrictsFile),
    "skpd": ("skpd.yaml", SkpdFile),
    "call_lines": ("call_lines.yaml", CallLinesFile),
    "cameras": ("cameras.yaml", CamerasFile),
    "metrics": ("metrics.yaml", MetricsFile),
    "complaint_topics": ("complaint_topics.yaml", ComplaintTopicsFile),
    "office_days": ("office_days.yaml", OfficeCalendar),
    "retention": ("retention.yaml", RetentionFile),
    "alerts": ("alerts.yaml", AlertsFile),
    "boards": ("boards.yaml", BoardsFile),
    "regent": ("regent.yaml", RegentFile),
}


class InvalidConfig(Exception):
    """All problems found in config/, one line each."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Settings:
    config_dir: Path
    data_dir: Path
    app: AppConfig
    districts: tuple[District, ...]
    skpd: tuple[Skpd, ...]
    call_lines: tuple[CallLine, ...]
    response_units: tuple[ResponseUnit, ...]
    call_policy: CallPolicy
    cameras: tuple[Camera, ...]
    metrics: tuple[Metric, ...] = field(repr=False)
    office_days: OfficeCalendar = field(repr=False)
    regent: RegentFile = field(repr=False)  # the bupati's desk (config/regent.yaml)
    complaint_topics: tuple[ComplaintTopic, ...] = ()
    retention: Mapping[str, TablePolicy] = field(default_factory=dict, repr=False)  # table -> its policy
    backups: BackupPolicy = field(default_factory=BackupPolicy, repr=False)
    alerts: AlertsFile = field(default_factory=AlertsFile, repr=False)
    boards: BoardsFile = field(default_factory=BoardsFile, repr=False)  # the lobby screens (config/boards.yaml)

    @property
    def database_url(self) -> str:
        return self.app.database.url or f"sqlite:///{self.data_dir / 'scc.db'}"

    @property
    def backup_dir(self) -> Path:
        """Where the nightly backups and `scc backup` go; a relative `dir` is in the data directory."""
        return self.data_dir / self.backups.dir

    @property
    def tls_files(self) -> tuple[Path, Path] | None:
        """(certificate, key) when HTTPS is on; relative paths are in the data directory."""
        tls = self.app.web.tls
        if not tls.enabled:
            return None
        return self.data_dir / tls.cert, self.data_dir / tls.key

    @cached_property
    def skpd_by_code(self) -> dict[str, Skpd]:
        return {s.code: s for s in self.skpd}

    @cached_property
    def district_by_code(self) -> dict[str, District]:
        return {d.code: d for d in self.districts}

    @cached_property
    def camera_by_id(self) -> dict[str, Camera]:
        return {c.id: c for c in self.cameras}

    @cached_property
    def call_line_by_code(self) -> dict[str, CallLine]:
        return {line.code: line for line in self.call_lines}

    @cached_property
    def unit_by_code(self) -> dict[str, ResponseUnit]:
        return {u.code: u for u in self.response_units}

    @cached_property
    def complaint_topic_by_code(self) -> dict[str, ComplaintTopic]:
        return {topic.code: topic for topic in self.complaint_topics}

    @cached_property
    def probed_services(self) -> dict[str, PublicService]:
        """The units' public services the `probes` process checks, by unit: skpd.yaml's; in the demo, every
        unit's site at the local simulator, which answers for each unit in its own way (its short name on
        the page). The alerts, the pages and the simulator take this list, so they agree on who is probed."""
        config = self.app.probes
        if config.simulate:
            base = f"http://127.0.0.1:{config.simulator_port}"
            return {
                u.code: PublicService.model_validate({"url": f"{base}/{u.code}/", "expect": u.short}) for u in self.skpd
            }
        return {u.code: u.service for u in self.skpd if u.service is not None}


def default_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("SCC_CONFIG_DIR") or PROJECT_ROOT / "config")


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("SCC_DATA_DIR") or PROJECT_ROOT / "var").resolve()


def load_settings(
    config_dir: Path | None = None, data_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read and check every file; raise InvalidConfig listing every problem."""
    config_dir = Path(config_dir or default_config_dir(environ))
    errors: list[ConfigError] = []
    docs: dict[str, Document] = {}
    models: dict[str, Any] = {}  # each name's own model, as FILES says
    for name, (filename, model) in FILES.items():
        try:
            doc = read_document(config_dir / filename, environ)
        except ConfigError as exc:
            errors.append(exc)
            continue
        docs[name] = doc
        try:
            models[name] = model.model_validate(doc.data)
        except ValidationError as exc:
            errors.extend(_explain(doc, exc))
    if errors:
        raise InvalidConfig(errors)

    data_dir = Path(data_dir or default_data_dir(environ))
    errors.extend(_cross_check(docs, models))
    backups = models["retention"].backups
    errors.extend(checks.backups_outside_the_configuration(docs["retention"], backups, config_dir, data_dir))
    if errors:
        raise InvalidConfig(errors)

    skpd = models["skpd"].skpd
    metric_file = models["metrics"]
    expanded = [Metric(skpd=unit.code, **spec.model_dump()) for unit in skpd for spec in metric_file.common]
    settings = Settings(
        config_dir=config_dir,
        data_dir=data_dir,
        app=models["app"],
        districts=tuple(models["districts"].districts),
        skpd=tuple(skpd),
        call_lines=tuple(models["call_lines"].call_lines),
        response_units=tuple(models["call_lines"].units),
        call_policy=models["call_lines"].policy,
        cameras=_cameras(models["app"], models["cameras"].cameras),
        metrics=tuple(expanded + list(metric_file.metrics)),
        complaint_topics=tuple(models["complaint_topics"].topics),
        office_days=models["office_days"],
        retention=models["retention"].tables,
        backups=backups,
        alerts=models["alerts"],
        boards=models["boards"],
        regent=models["regent"],
    )
    # Last, as the process names come from the plan `scc run` makes of these settings.
    errors.extend(checks.alert_rules(docs["alerts"], settings.alerts.rules, checks.alert_names(settings)))
    if errors:
        raise InvalidConfig(errors)
    return settings


def _cameras(app: AppConfig, cameras: list[Camera]) -> tuple[Camera, ...]:
    if not app.cameras.simulate:
        return tuple(cameras)
    sim = app.cameras.simulator
    return tuple(camera.simulated(sim.host, sim.port) for camera in cameras)


def _explain(doc: Document, exc: ValidationError) -> list[ConfigError]:
    out = []
    for err in exc.errors():
        loc = _without_tags(doc.data, tuple(err["loc"]))
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):  # a rule's kind, wrong or missing
            key = err["ctx"]["discriminator"].strip("'")
            loc = (*loc, key)
            known = str(err["ctx"].get("expected_tags", "")).replace("'", "")
            tag = err["ctx"].get("tag")
            message = f"unknown {key} {tag!r} (known: {known})" if tag is not None else "required key is missing"
        elif err["type"] == "extra_forbidden":
            message = "unknown key (not allowed here; check the spelling)"
        elif err["type"] == "missing":
            message = "required key is missing"
        else:
            message = err["msg"].removeprefix("Value error, ")
        out.append(doc.error(loc, message))
    return out


def _without_tags(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The path as the file has it: pydantic puts a tagged union's tag (a rule's `kind`) in the path of an
    error inside one of its members, where the file has no such key."""
    out: list[Any] = []
    for part in loc:
        if isinstance(data, dict) and part not in data and data.get("kind") == part:
            continue
        out.append(part)
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            data = None
    return tuple(out)


def _cross_check(docs: dict[str, Document], models: dict[str, Any]) -> list[ConfigError]:
    districts = models["districts"].districts
    skpd = models["skpd"].skpd
    lines = models["call_lines"].call_lines
    units = models["call_lines"].units
    cameras = models["cameras"].cameras
    metrics = models["metrics"]
    topics = models["complaint_topics"].topics
    district_codes = {d.code for d in districts}
    skpd_codes = {s.code for s in skpd}
    found = [
        *checks.unique(docs["districts"], "districts", districts, "code"),
        *checks.unique(docs["districts"], "districts", districts, "short"),
        *checks.unique(docs["skpd"], "skpd", skpd, "code"),
        *checks.unique(docs["skpd"], "skpd", skpd, "number"),
        *checks.unique(docs["skpd"], "skpd", skpd, "short"),
        *checks.references(docs["skpd"], "skpd", skpd, "district", district_codes, "district"),
        *checks.unique(docs["call_lines"], "call_lines", lines, "code"),
        *checks.unique(docs["call_lines"], "call_lines", lines, "short"),
        *checks.references(docs["call_lines"], "call_lines", lines, "skpd", skpd_codes, "SKPD"),
        *checks.references(docs["call_lines"], "call_lines", lines, "district", district_codes, "district"),
        *checks.unique(docs["call_lines"], "units", units, "code"),
        *checks.unique(docs["call_lines"], "units", units, "short"),
        *checks.references(docs["call_lines"], "units", units, "line", {line.code for line in lines}, "call line"),
        *checks.references(docs["call_lines"], "units", units, "district", district_codes, "district"),
        *checks.unique(docs["cameras"], "cameras", cameras, "id"),
        *checks.one_short_name_per_site(docs["cameras"], cameras),
        *checks.references(docs["cameras"], "cameras", cameras, "skpd", skpd_codes, "SKPD"),
        *checks.references(docs["cameras"], "cameras", cameras, "district", district_codes, "district"),
        *checks.unique(docs["metrics"], "common", metrics.common, "key"),
        *checks.references(docs["metrics"], "metrics", metrics.metrics, "skpd", skpd_codes, "SKPD"),
        *checks.calls_figures_have_lines(docs["metrics"], metrics.metrics, lines),
        *checks.metric_keys_unique_per_skpd(docs["metrics"], metrics.common, metrics.metrics),
        *checks.metric_shorts_tell_apart(docs["metrics"], metrics.common, metrics.metrics),
        *checks.broker_queue_holds_an_hour(docs["app"], models["app"], len(skpd)),
        *checks.skpd_codes_are_not_service_accounts(docs["skpd"], skpd),
        *checks.probes_stay_local(docs["skpd"], skpd, models["app"].probes.allow_remote),
        *checks.unique(docs["complaint_topics"], "topics", topics, "code"),
        *checks.references(docs["complaint_topics"], "topics", topics, "skpd", skpd_codes, "SKPD"),
        *checks.retention_fits_the_schema(docs["retention"], models["retention"].tables),
        *checks.desk_services_are_reported(docs["regent"], models["regent"].services, metrics.metrics),
    ]
    boards = models["boards"].boards
    found.extend(board_problems(docs["boards"], boards, skpd_codes, metrics.metrics, models["office_days"]))
    return found + _office_day_references(docs, models)


def _office_day_references(docs: dict[str, Document], models: dict[str, Any]) -> list[ConfigError]:
    calendar = models["office_days"]
    skpd_codes = {s.code for s in models["skpd"].skpd}
    return [
        docs["office_days"].error(("always_open_units", i), f"unknown SKPD {code!r}")
        for i, code in enumerate(calendar.always_open_units)
        if code not in skpd_codes
    ]
