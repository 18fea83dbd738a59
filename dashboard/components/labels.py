"""Short names for the wall, where the official ones are too long to read across the room.

Each comes from config/ (the `short` fields, unique where things stand side by
side), so a page shows it whole and never cuts a name with an ellipsis:
"Damkar Mari..." could be Marioriawa or Marioriwawo.
"""

from __future__ import annotations

from scc.settings import Settings


def call_line(settings: Settings, code: str | None) -> str:
    """'Pemadam Kebakaran Kecamatan Citta' -> 'Damkar Citta'."""
    line = settings.call_line_by_code.get(code or "")
    return line.short if line else (code or "-")


def unit(settings: Settings, code: str | None) -> str:
    """'Truk Damkar Marioriwawo' -> 'Truk Marioriwawo'."""
    found = settings.unit_by_code.get(code or "")
    return found.short if found else (code or "-")


def district(settings: Settings, code: str | None) -> str:
    found = settings.district_by_code.get(code or "")
    return found.short if found else (code or "-")


def skpd(settings: Settings, code: str | None) -> str:
    found = settings.skpd_by_code.get(code or "")
    return found.short if found else (code or "-")


def camera(settings: Settings, camera_id: str, name: str) -> tuple[str, str]:
    """(where, what) of a camera for its tile: 'Dinas Sosial - Ruang Tunggu' -> ('Dinsos', 'Ruang Tunggu'), so
    three "Ruang Tunggu" tiles say whose; a name that already says its site ('SMA 1 Watansoppeng') has no place."""
    found = settings.camera_by_id.get(camera_id)
    _, sep, spot = name.partition(" - ")
    if not (sep and spot):
        spot = name
        if found is None or found.site in name:
            return "", spot
    return (found.site_short if found else ""), spot


def camera_title(settings: Settings, camera_id: str, name: str) -> str:
    """'Dinsos · Ruang Tunggu': where, then what, on one line of a list or a chart's axis."""
    return " · ".join(part for part in camera(settings, camera_id, name) if part)
