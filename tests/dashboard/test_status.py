"""One status palette: every domain's every status has a tone, a word and a shape, in readable colours."""

from __future__ import annotations

import re
from typing import get_args

from dash import html

from dashboard.components import status
from dashboard.i18n import catalog
from dashboard.queries.metrics import UnitState
from scc.storage.callcenter import IncidentStatus
from scc.storage.cameras import CameraDisplayStatus
from scc.storage.metrics import MetricFreshness
from scc.storage.platform import HealthStatus
from tests.support.web import ROOT

CSS = (ROOT / "dashboard/assets/scc.css").read_text(encoding="utf-8")


def test_every_status_of_every_domain_has_a_tone():
    for domain, literal in (
        ("camera", CameraDisplayStatus),
        ("metric", MetricFreshness),
        ("incident", IncidentStatus),
        ("health", HealthStatus),
    ):
        assert set(status.DOMAINS[domain]) == set(get_args(literal)), domain
    assert set(status.SKPD) == set(get_args(UnitState))
    for tones in status.DOMAINS.values():
        assert set(tones.values()) <= set(status.TONES)


def test_the_tones_mean_what_the_wall_needs():
    assert status.open_incidents_tone(0) == "ok", "no open incident is good news"
    assert status.open_incidents_tone(3, waiting=0) == "warning"
    assert status.open_incidents_tone(3, waiting=1) == "alarm", "a call nobody was sent to"
    assert status.cameras_tone({"online": 16}, 16) == "ok"
    assert status.cameras_tone({"online": 15, "offline": 1}, 16) == "alarm"
    assert status.cameras_tone({"online": 15, "stale": 1}, 16) == "warning"
    assert status.cameras_tone({"nodata": 16}, 16) == "unknown"
    assert status.problems_tone(0) == "ok" and status.problems_tone(1) == "alarm"
    assert status.problems_tone(0, reporting=0) == "unknown", "no camera reporting is not good news"
    assert status.CAMERA["planned"] == "planned" and status.CAMERA["nodata"] == "unknown"
    assert status.INCIDENT["resolved"] == status.INCIDENT["closed"] == "ok"
    assert status.worst(["ok", "warning", "alarm"]) == "alarm" and status.worst([]) == "unknown"
    assert status.SKPD["online"] == "ok" and status.SKPD["stale"] == "warning"
    assert status.SKPD["offline"] == "alarm" and status.SKPD["never"] == "unknown"
    assert status.share_tone(38, 38) == "ok" and status.share_tone(37, 38) == "warning"
    assert status.share_tone(19, 38) == "alarm", "19 of 38 websites down is half of them"
    assert status.share_tone(0, 38, known=0) == "unknown", "no unit reporting is not bad news, it is no news"
    assert status.flag_tone(1.0) == "ok" and status.flag_tone(0.0) == "alarm" and status.flag_tone(None) == "unknown"


def test_a_badge_has_words_and_a_shape_never_colour_alone():
    for domain, tones in status.DOMAINS.items():
        for value, tone in tones.items():
            badge = status.badge(domain, value)
            icon, text = badge.children
            assert text == catalog("id")[f"{domain}.{value}"] != ""
            assert isinstance(icon, html.Span) and f"icon-{tone}" in icon.className
            assert f"status-{tone}" in badge.className
    for tone in status.TONES:  # each tone is drawn (an SVG mask) and coloured in the stylesheet
        assert re.search(rf"\.icon-{tone} {{ --icon: url\(\"data:image/svg\+xml,", CSS), tone
        assert re.search(rf"\.status-{tone} {{ color: var\(--scc-{tone}\)", CSS), tone


def _rgb(value: str) -> tuple[float, ...]:
    value = value.strip().lstrip("#")
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))


def _luminance(rgb: tuple[float, ...]) -> float:
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _mix(fg: tuple[float, ...], bg: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    return tuple(f * alpha + b * (1 - alpha) for f, b in zip(fg, bg, strict=True))


def test_every_tone_is_readable_on_every_panel():
    """WCAG AA (4.5:1) for each tone's text on the page, the panels, and its own tinted badge."""
    var = dict(re.findall(r"--scc-([a-z0-9-]+): (#[0-9a-f]{6});", CSS))
    tints = {
        name: float(alpha) for name, alpha in re.findall(r"--scc-([a-z]+)-bg: rgba\(\d+, \d+, \d+, ([0-9.]+)\);", CSS)
    }
    backgrounds = {name: _rgb(var[name]) for name in ("bg", "panel", "panel-2")}
    for tone in (*status.TONES, "text", "muted"):
        colour = _rgb(var[tone])
        for where, bg in backgrounds.items():
            assert _contrast(colour, bg) >= 4.5, (tone, where, round(_contrast(colour, bg), 2))
            if tone in tints:  # the badge's tinted background, over any panel
                tinted = _mix(colour, bg, tints[tone])
                assert _contrast(colour, tinted) >= 4.5, (tone, f"badge on {where}")
