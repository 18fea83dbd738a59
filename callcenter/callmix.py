"""What calls to the command center look like: the demo's estimates, shared by the live simulator and the history.

Rates, shares, populations and travel times are our estimates for a regency of
about 235,000 people (not measurements): PSC 119 near 18 calls a day (the
metrics catalog's own figure), a few fires a day across the eight posts, one
P2TP2A case, some police calls, and public-service complaints that an SKPD
settles. Busier by day than at night (WITA). Remote districts are reached later.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any

from scc.clock import to_wita
from scc.settings import Settings
from scc.storage.calls import Category, Priority

from . import dispatch

# Calls a day on each line at an average hour; a fire line's share is per district post.
LINE_DAILY = {"psc-119": 18.0, "p2tp2a": 1.0, "polres-110": 8.0}
FIRE_LINE_DAILY = 0.45
PRANK_SHARE = 0.05

# What a line hears (before pranks): category -> share.
LINE_MIX: dict[str, tuple[tuple[Category, float], ...]] = {  # by the line's service
    "ambulance": (("medical", 0.8), ("complaint", 0.2)),
    "fire": (("fire", 0.75), ("disaster", 0.25)),
    "protection": (("violence", 1.0),),
    "police": (("crime", 0.85), ("violence", 0.1), ("complaint", 0.05)),
}
PRIORITY_MIX: dict[Category, tuple[float, float, float]] = {  # shares of priority 1, 2, 3
    "medical": (0.4, 0.45, 0.15),
    "fire": (0.7, 0.3, 0.0),
    "disaster": (0.3, 0.5, 0.2),
    "violence": (0.3, 0.6, 0.1),
    "crime": (0.2, 0.5, 0.3),
    "complaint": (0.0, 0.3, 0.7),
    "prank": (0.0, 0.0, 1.0),
}

# Population (estimates, thousands) sets where calls come from; minutes from Watansoppeng
# by road sets how long a regency-wide unit takes to get there.
DISTRICTS: dict[str, tuple[float, float]] = {  # code -> (population, travel minutes from the centre)
    "lalabata": (45, 8),
    "liliriaja": (28, 20),
    "ganra": (12, 26),
    "citta": (8, 38),
    "lilirilau": (41, 25),
    "donri-donri": (24, 22),
    "marioriwawo": (45, 30),
    "marioriawa": (33, 40),
}
VILLAGES = {  # a few desa / kelurahan per district, for the demo
    "lalabata": ("Botto", "Lapajung", "Lemba", "Bila", "Salokaraja", "Ompo"),
    "liliriaja": ("Jennae", "Appanang", "Galung", "Barang"),
    "ganra": ("Ganra", "Lompulle", "Enrekeng", "Belo"),
    "citta": ("Citta", "Kampiri", "Labae", "Tinco"),
    "lilirilau": ("Cabbenge", "Macanre", "Parenring", "Ujung"),
    "donri-donri": ("Pesse", "Labokong", "Kessing", "Tottong"),
    "marioriwawo": ("Takalala", "Tellang Kere", "Marioritengnga", "Goarie"),
    "marioriawa": ("Batu-Batu", "Kaca", "Attang Salo", "Panincong"),
}
LANDMARKS = ("depan masjid", "dekat pasar", "samping SD negeri", "belakang kantor desa", "dekat jembatan",
             "depan puskesmas", "pinggir sawah", "jalan poros", "dekat lapangan", "lorong sebelah kios")  # fmt: skip
SUMMARIES: dict[Category, tuple[str, ...]] = {
    "medical": ("Ibu hamil mau melahirkan", "Kecelakaan motor, korban luka", "Orang tua sesak napas",
                "Anak demam tinggi dan kejang", "Pingsan di jalan", "Jatuh dari pohon"),
    "fire": ("Rumah terbakar", "Kebakaran lahan dekat rumah", "Kios terbakar", "Korsleting listrik, ada asap"),
    "disaster": ("Pohon tumbang menutup jalan", "Banjir masuk rumah", "Tanah longsor", "Angin kencang, atap lepas"),
    "violence": ("Kekerasan dalam rumah tangga", "Anak ditelantarkan", "Perempuan dianiaya", "Perundungan anak"),
    "crime": ("Pencurian motor", "Perkelahian di pasar", "Rumah dibobol", "Penipuan lewat telepon"),
    "prank": ("Penelepon diam lalu menutup", "Anak-anak bermain telepon", "Telepon iseng"),
}  # fmt: skip
COMPLAINTS = (("Jalan rusak berlubang", "pupr"), ("Lampu jalan mati", "dishub"), ("Sampah menumpuk", "dlh"),
              ("Antrean KTP-el lama", "dukcapil"), ("Izin usaha belum terbit", "dpmptsp"),
              ("Bantuan sosial belum diterima", "dinsos"), ("Pungutan di sekolah", "disdik"),
              ("Pelayanan puskesmas lambat", "dinkes"), ("Pupuk subsidi langka", "distan"),
              ("Rumah tidak layak huni", "perkim"))  # fmt: skip
NAMES = ("Andi", "Besse", "Baso", "Hasnah", "Muh. Yusuf", "Sitti", "Ambo", "Rahmawati", "Syamsul", "Nurhayati", "")
OPERATORS = ("op-andi", "op-rina", "op-yusuf", "op-sri")  # the simulated operators: the sim's incidents are theirs
ON_SCENE_MIN: dict[str, tuple[float, float]] = {
    "medical": (15, 45),
    "fire": (30, 150),
    "disaster": (60, 240),
    "violence": (30, 90),
    "crime": (20, 60),
}
DISPATCH_MIN: dict[int, tuple[float, float]] = {1: (1, 4), 2: (2, 10), 3: (5, 25)}
# Hour of day (WITA) -> how busy, before normalising to a mean of 1: quiet nights, busy days.
_HOURLY = (0.3, 0.25, 0.25, 0.25, 0.3, 0.45, 0.8, 1.0, 1.2, 1.3, 1.3, 1.3,
           1.25, 1.2, 1.2, 1.2, 1.2, 1.15, 1.1, 1.1, 1.0, 0.9, 0.7, 0.45)  # fmt: skip
HOURLY = tuple(h * 24 / sum(_HOURLY) for h in _HOURLY)
PEAK = max(HOURLY)


def busyness(when: datetime) -> float:
    """How busy the lines are at `when` relative to an average hour (the mean over a day is 1)."""
    return HOURLY[to_wita(when).hour]


def line_rates(settings: Settings) -> dict[str, float]:
    """Calls a day at an average hour, per line of the configuration."""
    rates = {}
    for line in settings.call_lines:
        rate = FIRE_LINE_DAILY if line.service == "fire" else LINE_DAILY.get(line.code, 1.0)
        rates[line.code] = rate
    return rates


class Weighted:
    """Draws one of `values` by weight: a bisect on cumulative weights (the history draws millions)."""

    def __init__(self, weighted: Iterable[tuple[Any, float]]) -> None:
        pairs = [(value, weight) for value, weight in weighted if weight > 0]
        self.values = [value for value, _ in pairs]
        self.cum = list(accumulate(weight for _, weight in pairs))

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect(self.cum, rng.random() * self.cum[-1])]


def _any(rng: random.Random, seq: Sequence[Any]) -> Any:
    return seq[int(rng.random() * len(seq))]


@dataclass(frozen=True)
class Call:
    """One call's fields as the intake form takes them."""

    fields: dict[str, Any]
    category: Category
    priority: Priority


class CallMaker:
    """Draws plausible calls for the configured lines, districts and SKPDs."""

    def __init__(self, settings: Settings, rng: random.Random) -> None:
        self.settings, self.rng = settings, rng
        known = settings.district_by_code
        weights = [(code, pop) for code, (pop, _) in DISTRICTS.items() if code in known]
        self.district = Weighted(weights or [(d.code, 1.0) for d in settings.districts])
        self.complaints = tuple((s, k) for s, k in COMPLAINTS if k in settings.skpd_by_code)
        self.lines = settings.call_line_by_code
        self.mix = {
            service: Weighted((c, w) for c, w in mix if c != "complaint" or self.complaints)
            for service, mix in LINE_MIX.items()
        }
        self.priority = {category: Weighted(zip((1, 2, 3), mix, strict=True)) for category, mix in PRIORITY_MIX.items()}

    def number(self) -> str | None:
        """A caller's mobile number as an operator types it; now and then withheld."""
        rng = self.rng
        if rng.random() < 0.04:
            return None
        return f"08{_any(rng, '1258')}{int(rng.random() * 9e8) + 100_000_000}"

    def call(self, line_code: str, number: str | None = None) -> Call:
        rng, line = self.rng, self.lines[line_code]
        district = line.district or self.district(rng)
        category: Category = "prank" if rng.random() < PRANK_SHARE else self.mix[line.service](rng)
        priority: Priority = self.priority[category](rng)
        skpd = None
        if category == "complaint":
            summary, skpd = _any(rng, self.complaints)
        else:
            summary = _any(rng, SUMMARIES[category])
        caller = number if number is not None else self.number()
        fields = {
            "line_code": line_code,
            "caller_number": caller,
            "caller_withheld": caller is None,  # the operator ticks it: the intake wants a number or that word
            "caller_name": _any(rng, NAMES),
            "district": district,
            "village": _any(rng, VILLAGES.get(district, ("",))),
            "landmark": _any(rng, LANDMARKS),
            "category": category,
            "priority": priority,
            "summary": summary,
            "skpd_code": skpd,
        }
        return Call(fields, category, priority)


def fitting_units(settings: Settings, category: str, district: str | None) -> list[str]:
    """The units of the kinds the category needs (policy.needs), best first as an operator is offered
    them when all are free: the usual kind, then the nearest (the district's own post first)."""
    return [option.unit.code for option in dispatch.rank(settings, category, district, {}).free]


def travel_minutes(settings: Settings, unit_code: str, district: str | None, rng: random.Random) -> float:
    """Dispatch to on scene: a district's own post is near; a regency-wide unit drives from the centre."""
    unit = settings.unit_by_code.get(unit_code)
    far = DISTRICTS.get(district or "", (0, 20))[1]
    own = unit is not None and unit.reach == "district" and unit.district == district
    base = 5 + 0.25 * far if own else far
    return base * rng.lognormvariate(0, 0.3)


def dispatch_minutes(priority: int, rng: random.Random) -> float:
    return rng.uniform(*DISPATCH_MIN.get(priority, (2, 10)))


def on_scene_minutes(category: str, rng: random.Random) -> float:
    return rng.uniform(*ON_SCENE_MIN.get(category, (20, 60)))


def complaint_minutes(rng: random.Random) -> float:
    """Until an SKPD settles a complaint: mostly within the 3 days, some late."""
    return 60 * min(24 * 8, rng.lognormvariate(3.2, 0.9))  # a median near a day
