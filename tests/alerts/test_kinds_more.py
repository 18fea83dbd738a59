"""The kinds that watch what the command center checks of itself and of the units' systems: a unit's public
service failing its probe (or its certificate running out), the data disk filling, ingest refusing one unit's
messages."""

from __future__ import annotations

import dataclasses
import shutil
from collections import namedtuple
from datetime import datetime

import pytest
from sqlalchemy import insert

from scc.settings.regency import PublicService
from scc.storage.metrics import rejected_messages, service_probes
from tests.alerts.conftest import at, rule, run, stored, with_rules

WITH_SITE = ("dukcapil", "rsud")  # bpkd, dinsos and the others have no service in these tests


def with_sites(settings, *rules):
    """The shipped units, two of them with a public service (the shipped skpd.yaml lists none yet)."""
    site = PublicService.model_validate({"url": "http://127.0.0.1:9/", "expect": "Soppeng"})
    units = tuple(u.model_copy(update={"service": site}) if u.code in WITH_SITE else u for u in settings.skpd)
    return with_rules(dataclasses.replace(settings, skpd=units), *rules)


def check(engine, code: str, when: datetime, ok: bool, tls_days_left: int | None = None, error: str | None = None):
    """One check as the probes process stores it."""
    row = dict(skpd_code=code, at=when, ok=ok, status_code=200 if ok else 503, tls_days_left=tls_days_left)
    with engine.begin() as conn:
        conn.execute(insert(service_probes).values(**row, error=None if ok else (error or "HTTP 503")))


def states(engine):
    return {(a["rule"], a["subject"]): a["state"] for a in stored(engine)}


def test_a_service_down_after_its_checks_fail_in_a_row_until_one_passes(engine, settings):
    s = with_sites(settings, rule("site", "service_down", failed_checks=2))
    every = s.app.probes.interval_s
    check(engine, "dukcapil", at(0), ok=False, error="no answer within 10 s")
    check(engine, "bpkd", at(0), ok=False)  # a unit with no service: checks left from before are not watched
    check(engine, "bpkd", at(every), ok=False)
    run(engine, s, 1)
    assert stored(engine) == [], "one failed check is not two in a row; rsud has no check yet: no data"
    check(engine, "dukcapil", at(every), ok=False, error="no answer within 10 s")
    run(engine, s, every + 1)
    (alert,) = stored(engine)
    assert (alert["subject"], alert["skpd_code"], alert["state"]) == ("dukcapil", "dukcapil", "firing")
    assert alert["started_at"] == at(0), "down since its first failed check"
    assert alert["detail"]["error"] == "no answer within 10 s" and alert["detail"]["failed_checks"] == 2
    check(engine, "dukcapil", at(2 * every), ok=True)
    run(engine, s, 2 * every + 1)
    assert states(engine) == {("site", "dukcapil"): "resolved"}


def test_a_service_with_no_checks_lately_is_no_data(engine, settings):
    s = with_sites(settings, rule("site", "service_down", failed_checks=1, keep_for="0s"))
    check(engine, "rsud", at(0), ok=False)
    run(engine, s, 1)
    assert states(engine) == {("site", "rsud"): "firing"}
    run(engine, s, 86400)  # the probes process stopped: its checks of a day ago say nothing of now
    assert states(engine) == {("site", "rsud"): "firing"}, "kept as it was (no_data: keep)"
    run(engine, with_sites(settings, rule("site", "service_down", failed_checks=1, no_data="ok")), 86402)
    assert states(engine) == {("site", "rsud"): "resolved"}


def test_a_certificate_running_out_then_renewed(engine, settings):
    s = with_sites(settings, rule("cert", "service_down", certificate_days_below=14), rule("site", "service_down"))
    every = s.app.probes.interval_s
    check(engine, "dukcapil", at(0), ok=True, tls_days_left=30)
    check(engine, "rsud", at(0), ok=True)  # plain HTTP: no certificate to tell by
    run(engine, s, 1)
    assert stored(engine) == []
    check(engine, "dukcapil", at(every), ok=True, tls_days_left=13)
    run(engine, s, every + 1)
    (alert,) = stored(engine)
    assert (alert["rule"], alert["subject"], alert["state"]) == ("cert", "dukcapil", "firing")
    assert alert["detail"]["tls_days_left"] == 13 and alert["detail"]["expired"] is False
    check(engine, "dukcapil", at(2 * every), ok=True, tls_days_left=380)
    run(engine, s, 2 * every + 1)
    assert states(engine) == {("cert", "dukcapil"): "resolved"}


def test_an_expired_certificate_is_a_service_down_and_a_certificate_alert(engine, settings):
    s = with_sites(settings, rule("cert", "service_down", certificate_days_below=14), rule("site", "service_down"))
    every = s.app.probes.interval_s
    for k in range(2):
        check(engine, "rsud", at(k * every), ok=False, tls_days_left=-3, error="certificate refused: expired")
    run(engine, s, every + 1)
    assert states(engine) == {("cert", "rsud"): "firing", ("site", "rsud"): "firing"}
    assert {a["rule"]: a["detail"] for a in stored(engine)}["cert"]["expired"] is True


Usage = namedtuple("Usage", "total used free")


def test_the_data_disk_above_its_share(engine, settings, monkeypatch):
    s = with_rules(settings, rule("disk", "disk_full", above_percent=90, keep_for="0s"))
    asked = []

    def usage(path):
        asked.append(path)
        return disk[0]

    monkeypatch.setattr(shutil, "disk_usage", usage)
    disk = [Usage(100 * 10**9, 85 * 10**9, 15 * 10**9)]
    run(engine, s, 1)
    assert stored(engine) == [] and asked == [settings.data_dir]
    disk[0] = Usage(100 * 10**9, 91 * 10**9, 4 * 10**9)  # 5 GB reserved for root count as neither
    run(engine, s, 3)
    (alert,) = stored(engine)
    assert (alert["subject"], alert["skpd_code"], alert["state"]) == ("data", None, "firing")
    assert alert["detail"]["used_percent"] == pytest.approx(95.8, abs=0.05) and alert["detail"]["free_gb"] == 4.0

    def unreadable(path):
        raise PermissionError(path)

    monkeypatch.setattr(shutil, "disk_usage", unreadable)
    run(engine, s, 5)
    assert states(engine) == {("disk", "data"): "firing"}, "cannot read it: no data, kept"
    monkeypatch.setattr(shutil, "disk_usage", usage)
    disk[0] = Usage(100 * 10**9, 60 * 10**9, 40 * 10**9)
    run(engine, s, 7)
    assert states(engine) == {("disk", "data"): "resolved"}


def rejected(engine, code: str | None, when: list[datetime], reason: str = "value out of range") -> None:
    rows = [
        dict(received_at=t, topic=f"scc/v1/skpd/{code}/metrics", skpd_code=code, payload="{}", reason=reason)
        for t in when
    ]
    with engine.begin() as conn:
        conn.execute(insert(rejected_messages), rows)


def test_a_unit_whose_messages_ingest_keeps_rejecting(engine, settings):
    s = with_rules(settings, rule("rejects", "unit_rejections", more_than=20, within="10m"))
    now = 3600
    rejected(engine, "dukcapil", [at(now - 590 + k) for k in range(20)])
    rejected(engine, "dukcapil", [at(now - 5)], reason="unknown metric 'antrian'")
    rejected(engine, "rsud", [at(now - 700 - k) for k in range(40)])  # many, but before the window
    rejected(engine, "rsud", [at(now - k) for k in range(20)])  # twenty in it: not more than twenty
    rejected(engine, None, [at(now - k) for k in range(40)])  # from no unit (a topic nobody owns)
    run(engine, s, now)
    (alert,) = stored(engine)
    assert (alert["subject"], alert["skpd_code"], alert["state"]) == ("dukcapil", "dukcapil", "firing")
    assert alert["detail"]["count"] == 21 and alert["detail"]["reason"] == "unknown metric 'antrian'"
    run(engine, s, now + 11)  # the oldest of them leave the window: twenty left
    assert states(engine) == {("rejects", "dukcapil"): "resolved"}


def test_rejections_of_units_not_watched_raise_nothing(engine, settings):
    s = with_rules(settings, rule("rejects", "unit_rejections", units={"district": ["citta"]}, more_than=0))
    rejected(engine, "rsud", [at(0)])  # in Watansoppeng (lalabata)
    rejected(engine, "kec-citta", [at(0)])
    rejected(engine, "dinas-lama", [at(0)])  # a code no longer in skpd.yaml
    run(engine, s, 1)
    assert states(engine) == {("rejects", "kec-citta"): "firing"}
