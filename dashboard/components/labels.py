"""Short names for the wall, where the official ones are too long to read across the room."""

from __future__ import annotations

import re

from scc.settings import Settings

from ..i18n import t


def call_line(settings: Settings, code: str | None) -> str:
    """'Pemadam Kebakaran Kecamatan Citta' -> 'Damkar Citta'; 'P2TP2A (Pusat ...)' -> 'P2TP2A'."""
    line = next((line for line in settings.call_lines if line.code == code), None)
    if line is None:
        return code or "-"
    district = settings.district_by_code.get(line.district or "")
    if line.service == "fire" and district:
        return t("calls.fire_post", district=district.name)
    return re.sub(r"\s*\(.*\)\s*$", "", line.name) or line.name


def district(settings: Settings, code: str | None) -> str:
    found = settings.district_by_code.get(code or "")
    return found.name if found else (code or "-")


def skpd(settings: Settings, code: str | None) -> str:
    found = settings.skpd_by_code.get(code or "")
    return found.short if found else (code or "-")


def camera(name: str, owner: str) -> tuple[str, str]:
    """(where, what) of a camera's name: 'RSUD Latemmamala - IGD' -> ('RSUD Latemmamala', 'IGD');
    a name without a place in it keeps its owner's short name as the place."""
    place, sep, spot = name.partition(" - ")
    return (place, spot) if sep and spot else (owner, name)
