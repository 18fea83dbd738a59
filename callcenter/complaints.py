"""Public-service complaints routed to SKPDs (the Qlue pattern; Jakarta's 3-day rule).

Where a complaint goes: each topic of config/complaint_topics.yaml names the
SKPD that owns it (Kupang's Sodamolek sends waste and security reports
straight to the unit concerned); the operator may route one complaint to
another unit, and that choice wins (`route`).

An SKPD's staff see and settle only the complaints routed to their own unit:
the unit comes from their session, and every write here checks it against
the complaint's, so no form or forged request reaches another unit's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from scc.settings import Settings
from scc.settings.callcenter_complaints import ComplaintTopic
from scc.storage.callcenter import incidents

from .errors import CallError


@dataclass(frozen=True)
class Routing:
    """Where one complaint goes, and why."""

    topic: str | None  # a code of config/complaint_topics.yaml; None when the operator named only a unit
    skpd_code: str
    overridden: bool  # the operator chose another unit than the topic's own


def topics(settings: Settings) -> tuple[ComplaintTopic, ...]:
    """The topics in the order the intake form offers them."""
    return settings.complaint_topics


def default_unit(settings: Settings, topic: str) -> str:
    """The SKPD that settles a complaint on `topic` unless the operator picks another."""
    found = settings.complaint_topic_by_code.get(topic)
    if found is None:
        raise CallError("invalid", f"topic: unknown complaint topic {topic!r}", field="topic")
    return found.skpd


def route(settings: Settings, topic: str | None, skpd_code: str | None = None) -> Routing:
    """The unit a complaint goes to: the one the operator picked, else its topic's owner.

    Blank values count as not given (a form's empty select sends ""). At least one of the two is
    needed; each must be known to the configuration.
    """
    topic, skpd_code = topic or None, skpd_code or None
    owner = default_unit(settings, topic) if topic is not None else None
    if skpd_code is None:
        if owner is None:
            raise CallError("invalid", "topic: a complaint needs its topic or the SKPD that owns it", field="topic")
        return Routing(topic=topic, skpd_code=owner, overridden=False)
    if skpd_code not in settings.skpd_by_code:
        raise CallError("invalid", f"skpd_code: unknown SKPD {skpd_code!r}", field="skpd_code")
    return Routing(topic=topic, skpd_code=skpd_code, overridden=owner is not None and owner != skpd_code)


def _check_owner(engine: Engine, incident_id: int, skpd_code: str) -> None:
    with engine.connect() as conn:
        row = conn.execute(
            select(incidents.c.category, incidents.c.skpd_code).where(incidents.c.id == incident_id)
        ).first()
    # One answer for "not yours" and "no such complaint": a unit learns nothing of others' complaints.
    if row is None or row.category != "complaint" or row.skpd_code != skpd_code:
        raise CallError("forbidden", f"complaint {incident_id} is not routed to {skpd_code}", incident=incident_id)


def settle(engine: Engine, incident_id: int, skpd_code: str, *, operator: str, version: int, note: str) -> int:
    """The unit says the complaint is dealt with; the command center closes it after checking."""
    from . import lifecycle  # here, not above: intake may import this module, and lifecycle imports intake

    _check_owner(engine, incident_id, skpd_code)
    if not note.strip():
        raise CallError("invalid", "note: say what was done", field="note")
    return lifecycle.advance(engine, incident_id, "resolved", operator=operator, version=version, note=note.strip())


def reply(engine: Engine, incident_id: int, skpd_code: str, *, operator: str, note: str) -> None:
    """A progress note from the unit on its own complaint's timeline."""
    from . import lifecycle  # see settle

    _check_owner(engine, incident_id, skpd_code)
    lifecycle.add_note(engine, incident_id, note, operator=operator)
