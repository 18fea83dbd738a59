"""The demo's units send no `website_up` where the probes check their site: one source for "website up"
(the probe where a unit has a URL, the unit's own figure where it has none)."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from pydantic import SecretStr

from streams.metrics.sim import units

from .probe_settings import demo, with_urls


class Sent:
    """A publisher that keeps what it is given: the simulator's choice of figures, without a broker."""

    def __init__(self, code: str, *_: Any, **__: Any) -> None:
        self.code, self.values = code, dict[str, float]()

    def send(self, values: dict[str, float], ts: float | None = None) -> str:
        self.values.update(values)
        return "id"

    def close(self, timeout: float = 0) -> None:
        pass


def sent_by_unit(settings, monkeypatch) -> dict[str, set[str]]:
    monkeypatch.setattr(units, "Publisher", Sent)
    monkeypatch.setattr(units, "password", lambda code: SecretStr("pw-" + code))
    simulator = units.Simulator(settings, seed=3, flaky=0).start()
    simulator.tick()
    return {code: set(cast(Sent, unit.publisher).values) for code, unit in simulator.units.items()}


def test_units_with_a_url_send_no_website_up(settings, monkeypatch, tmp_path):
    settings = dataclasses.replace(with_urls(settings, "dinsos", "dukcapil"), data_dir=tmp_path)
    sent = sent_by_unit(settings, monkeypatch)
    assert "website_up" not in sent["dinsos"] and "website_up" not in sent["dukcapil"]
    assert "service_up" in sent["dinsos"]  # the rest of its figures as before
    assert "website_up" in sent["setda"] and "website_up" in sent["kec-citta"]


def test_in_the_demo_no_unit_sends_website_up(settings, monkeypatch, tmp_path):
    sent = sent_by_unit(dataclasses.replace(demo(settings), data_dir=tmp_path), monkeypatch)
    assert len(sent) == len(settings.skpd) and all("service_up" in figures for figures in sent.values())
    assert not [code for code, figures in sent.items() if "website_up" in figures]
