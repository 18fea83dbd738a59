"""Whether a unit's website is up, decided once (dashboard.queries.metrics_probes.judge_websites): a unit
with a service URL by its newest probe, whatever it reports; one without by its own `website_up` figure.
And how a check reads: up, slow, certificate expiring or down; the runs of failed checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from dashboard.queries import metrics_probes as q
from dashboard.queries.metrics import flag_count
from scc.storage.metrics import metric_latest
from streams.metrics.probes import Probe, store

from .probe_settings import demo, with_urls

NOW = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def reported(engine, values: dict[str, float]) -> None:
    """Each unit's own website_up as ingest leaves it, a minute old."""
    at = NOW - MINUTE
    with engine.begin() as conn:
        conn.execute(
            insert(metric_latest),
            [dict(skpd_code=c, metric_key="website_up", ts=at, value=v, received_at=at) for c, v in values.items()],
        )


def test_a_unit_with_a_url_is_judged_by_its_probe_and_one_without_by_its_figure(engine, settings):
    settings = with_urls(settings, "dinsos", "bpkd", "dukcapil", "kominfo")
    # The units with a URL say their site is up (a stale simulator, a hopeful SKPD): the probes decide.
    reported(engine, {"dinsos": 1.0, "bpkd": 1.0, "setda": 0.0, "dinkes": 1.0})
    store(engine, [Probe("dinsos", NOW - 2 * MINUTE, False, 503, 40, error="HTTP 503")])
    store(engine, [Probe("dukcapil", NOW - 3 * MINUTE, True, 200, 90)])
    # bpkd's newest check is a day old: the probes process has stopped, so its site is not known now.
    store(engine, [Probe("bpkd", NOW - timedelta(days=1), True, 200, 90)])
    # kominfo: up an hour ago, down in the last round: the newest check counts.
    store(engine, [Probe("kominfo", NOW - 10 * MINUTE, True, 200, 80)])
    store(engine, [Probe("kominfo", NOW - 4 * MINUTE, False, error="no answer within 10 s")])

    reports, seen = q.regency(engine, settings, NOW)
    site = {r.skpd.code: r.latest["website_up"] for r in reports}
    assert seen.probed == {"dinsos", "bpkd", "dukcapil", "kominfo"}
    assert site["dinsos"].value == 0.0 and site["dinsos"].ts == NOW - 2 * MINUTE
    assert site["dukcapil"].value == 1.0  # up by its probe, though it reported nothing
    assert site["kominfo"].value == 0.0
    assert site["bpkd"].value is None and site["bpkd"].freshness == "nodata"
    assert site["setda"].value == 0.0 and site["dinkes"].value == 1.0  # no URL: their own figures
    assert site["disdik"].value is None  # no URL and nothing reported
    up, known, total = flag_count(reports, "website_up")
    assert (up, known, total) == (2, 5, len(settings.skpd))  # dukcapil, dinkes; + dinsos, kominfo, setda
    assert seen.uptime["dinsos"]["24h"] == q.Uptime(1, 0) and "setda" not in seen.uptime

    report, service = q.unit(engine, settings, "kominfo", NOW)
    assert report.latest["website_up"].value == 0.0
    assert service is not None and service.url == "http://127.0.0.1:9/"
    assert [c.ok for c in service.checks] == [False, True] and service.latest == service.checks[0]
    assert service.uptime["24h"] == q.Uptime(2, 1)
    report, service = q.unit(engine, settings, "bpkd", NOW)
    assert report.latest["website_up"].value is None and service is not None
    assert service.latest is None and len(service.checks) == 1  # its last check shown, not taken for now
    report, service = q.unit(engine, settings, "setda", NOW)
    assert service is None and report.latest["website_up"].value == 0.0


def test_no_unit_with_a_url_reads_no_probe(engine, settings):
    reported(engine, {"dinsos": 1.0})
    reports, seen = q.regency(engine, settings, NOW)
    assert seen == q.Services(frozenset(), {}, {})
    assert next(r for r in reports if r.skpd.code == "dinsos").latest["website_up"].value == 1.0


def test_in_the_demo_every_unit_is_probed(settings):
    assert q.probed(demo(settings)) == {u.code for u in settings.skpd}


def check(ok: bool = True, latency_ms: int | None = 250, tls_days_left: int | None = None, at: datetime = NOW):
    return q.Check(at, ok, 200 if ok else None, latency_ms, tls_days_left, None, None if ok else "down")


def test_a_check_reads_up_slow_expiring_or_down():
    assert check().state == "up"
    assert check(tls_days_left=60).state == "up"
    assert check(latency_ms=3000).state == "slow"  # the demo's slow site: 3 s to answer
    assert check(tls_days_left=10).state == "expiring" and check(tls_days_left=13).state == "expiring"
    assert check(tls_days_left=14).state == "up"  # two weeks left: as the certificate alert, not yet
    assert check(latency_ms=3000, tls_days_left=10).state == "expiring"  # the graver news first
    assert check(ok=False, tls_days_left=-7).state == "down"  # an expired certificate is refused: down


def test_down_periods_are_the_runs_of_failed_checks_newest_first():
    oks = [False, False, True, True, False, False, False, True, False]  # newest first
    checks = [check(ok=ok, at=NOW - 5 * k * MINUTE) for k, ok in enumerate(oks)]
    periods = q.down_periods(checks)
    assert periods == [
        q.DownPeriod(NOW - 5 * MINUTE, None, 2),  # still down
        q.DownPeriod(NOW - 30 * MINUTE, NOW - 15 * MINUTE, 3),
        q.DownPeriod(NOW - 40 * MINUTE, NOW - 35 * MINUTE, 1),
    ]
    assert q.down_periods([check(), check()]) == [] and q.down_periods([]) == []
