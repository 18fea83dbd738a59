"""The project's settings with a service URL for some units (skpd.yaml lists none yet): on loopback, never
reached by these tests, since only the probes process fetches them."""

from __future__ import annotations

import dataclasses

from scc.settings import Settings
from scc.settings.regency import PublicService


def with_urls(settings: Settings, *codes: str) -> Settings:
    assert set(codes) <= {u.code for u in settings.skpd}, codes
    service = PublicService.model_validate({"url": "http://127.0.0.1:9/", "expect": None})
    units = tuple(u.model_copy(update={"service": service}) if u.code in codes else u for u in settings.skpd)
    return dataclasses.replace(settings, skpd=units)


def demo(settings: Settings) -> Settings:
    """As `scc run --demo` has them (SCC_PROBES_SIMULATED): every unit probed at the demo's own sites."""
    probes = settings.app.probes.model_copy(update={"simulate": True})
    return dataclasses.replace(settings, app=settings.app.model_copy(update={"probes": probes}))
