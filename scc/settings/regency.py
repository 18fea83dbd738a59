"""The regency itself: districts (kecamatan) and work units (SKPD)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl

from .base import Code, Position, ShortName, Strict

SkpdKind = Literal["sekretariat", "inspektorat", "badan", "dinas", "rumah_sakit", "satuan", "kecamatan"]


class District(Strict):
    code: Code = Field(description="Short code, e.g. 'lalabata'.")
    name: str = Field(min_length=1, description="Official name.")
    short: ShortName = Field(description="Name on tiles and map labels; unique, so no two read alike.")
    capital: str | None = Field(default=None, description="Main town, where known.")
    center: Position = Field(description="Approximate centre, for maps.")


class PublicService(Strict):
    """A unit's public website or service, which the `probes` process checks on a schedule."""

    url: HttpUrl = Field(description="Its address, http:// or https://; a redirect is followed.")
    expect: str | None = Field(
        default=None,
        min_length=1,
        description="A word the page must contain (case ignored); a page without it counts as down.",
    )


class Skpd(Strict):
    code: Code = Field(description="Short code; also the unit's MQTT username.")
    number: int = Field(ge=1, description="Position in the regency's official list.")
    name: str = Field(min_length=1, description="Full official name.")
    short: ShortName = Field(description="Label for the wall display; unique.")
    kind: SkpdKind = Field(description="Kind of unit.")
    district: Code = Field(description="District where the office stands.")
    services: list[str] = Field(default_factory=list, description="Named systems the unit runs (LaSIDE, SIA...).")
    service: PublicService | None = Field(
        default=None, description="Its public website or service, probed by `probes`; none when it has none."
    )


class DistrictsFile(Strict):
    districts: list[District] = Field(min_length=1)


class SkpdFile(Strict):
    skpd: list[Skpd] = Field(min_length=1)
