"""Complaint topics route to the unit that owns them (config/complaint_topics.yaml), the operator may
override, and a mistake in the file stops start-up naming file, line and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from callcenter import complaints
from callcenter.errors import CallError
from scc.settings import InvalidConfig, load_settings
from tests.support.web import ROOT

ENV = {"SCC_SECRET_KEY": "k" * 40, "SCC_CAMERA_PASSWORD": "cam-secret-pw"}
TOPICS = """\
topics:
  - code: waste
    name: {id: Sampah, en: Waste}
    skpd: dlh
  - code: lamps
    name: {id: Lampu jalan, en: Street lights}
    skpd: perkim
"""


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


def errors_of(config_dir: Path) -> list[str]:
    with pytest.raises(InvalidConfig) as info:
        load_settings(config_dir, environ=ENV)
    return [str(e) for e in info.value.errors]


def test_the_shipped_topics_go_to_the_units_the_issue_names(settings):
    """Waste to DLH, security and order to Satpol PP, roads to PUPR, street lights to Dishub (issue 19)."""
    assert complaints.default_unit(settings, "waste") == "dlh"
    assert complaints.default_unit(settings, "public-order") == "satpolpp-damkar"
    assert complaints.default_unit(settings, "roads") == "pupr"
    assert complaints.default_unit(settings, "street-lights") == "dishub"
    assert {"water", "public-service"} <= {t.code for t in complaints.topics(settings)}
    assert all(t.name.id and t.name.en for t in complaints.topics(settings))


def test_a_topic_routes_by_default_and_the_operator_overrides(config_dir):
    (config_dir / "complaint_topics.yaml").write_text(TOPICS)
    s = load_settings(config_dir, environ=ENV)
    assert [t.code for t in complaints.topics(s)] == ["waste", "lamps"]  # the file's order, as the form offers it
    assert complaints.default_unit(s, "lamps") == "perkim"
    assert complaints.route(s, "lamps") == complaints.Routing(topic="lamps", skpd_code="perkim", overridden=False)
    assert complaints.route(s, "lamps", "") == complaints.Routing("lamps", "perkim", False)  # an empty select
    assert complaints.route(s, "lamps", "dishub") == complaints.Routing("lamps", "dishub", True)
    assert complaints.route(s, "waste", "dlh").overridden is False  # picking the owner again is no override
    assert complaints.route(s, None, "dukcapil") == complaints.Routing(None, "dukcapil", False)
    for topic, unit, field in (("rubbish", None, "topic"), (None, None, "topic"), ("waste", "dlh-x", "skpd_code")):
        with pytest.raises(CallError) as err:
            complaints.route(s, topic, unit)
        assert err.value.code == "invalid" and err.value.details["field"] == field


def test_an_unknown_unit_stops_start_up_with_file_line_and_key(config_dir):
    path = config_dir / "complaint_topics.yaml"
    path.write_text(TOPICS.replace("skpd: perkim", "skpd: pju-x"))
    assert errors_of(config_dir) == [f"{path}:{line_of(path, 'skpd: pju-x')}: topics[1].skpd: unknown SKPD 'pju-x'"]


def test_the_topics_file_is_strict(config_dir):
    path = config_dir / "complaint_topics.yaml"
    path.write_text(TOPICS.replace("    skpd: perkim", "    skpd: perkim\n    owner: perkim"))
    [unknown] = errors_of(config_dir)
    assert unknown.startswith(f"{path}:{line_of(path, 'owner: perkim')}: topics[1].owner: unknown key")

    path.write_text(TOPICS.replace("code: lamps", "code: waste"))
    [twice] = errors_of(config_dir)
    where = f"{path}:{line_of(path, 'code: waste', 2)}"
    assert twice == f"{where}: topics[1].code: duplicate code 'waste' (first at topics[0])"

    path.write_text(TOPICS.replace("{id: Lampu jalan, en: Street lights}", "{id: Lampu jalan}"))
    [missing] = errors_of(config_dir)
    assert "topics[1].name.en: required key is missing" in missing

    path.write_text("topics: []\n")
    assert "topics" in errors_of(config_dir)[0]
    path.unlink()
    assert errors_of(config_dir) == [f"{path}: file not found"]


def test_the_intake_may_import_the_routing_without_a_cycle():
    """callcenter.intake is imported by lifecycle; the routing must not import lifecycle back at import time,
    so that intake can call complaints.default_unit."""
    code = "import sys, callcenter.complaints; print('callcenter.lifecycle' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_intake_routes_a_complaint_by_its_topic_and_keeps_the_operators_choice(engine, settings):
    from sqlalchemy import select

    from callcenter.intake import take_call
    from scc.storage.callcenter import incidents

    call = dict(line_code="psc-119", caller_number="0812 3456 7000", category="complaint", priority=3,
                summary="Lampu jalan mati di depan SD")  # fmt: skip
    by_topic = take_call(engine, settings, {**call, "topic": "street-lights"}, operator="op1")
    chosen = take_call(engine, settings, {**call, "caller_number": "0812 3456 7001", "topic": "street-lights",
                                          "skpd_code": "pupr"}, operator="op1")  # fmt: skip
    by_unit = take_call(engine, settings, {**call, "caller_number": "0812 3456 7002", "skpd_code": "dlh"},
                        operator="op1")  # fmt: skip
    with engine.connect() as conn:
        stored = {r.id: (r.topic, r.skpd_code) for r in conn.execute(select(incidents))}
    assert stored[by_topic.incident_id] == ("street-lights", "dishub")
    assert stored[chosen.incident_id] == ("street-lights", "pupr")
    assert stored[by_unit.incident_id] == (None, "dlh")

    refused = {
        "neither": ({**call}, ("topic", "required")),
        "unknown topic": ({**call, "topic": "rubbish"}, ("topic", "unknown")),
        "a fire with a topic": ({**call, "category": "fire", "district": "citta", "topic": "waste"},
                                ("topic", "not_complaint")),
    }  # fmt: skip
    for name, (fields, (field, reason)) in refused.items():
        with pytest.raises(CallError) as err:
            take_call(engine, settings, fields, operator="op1")
        assert [(p.field, p.reason) for p in err.value.details["problems"]] == [(field, reason)], name
