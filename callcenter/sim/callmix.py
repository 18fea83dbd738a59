"""What calls to the command center look like: the demo's estimates, shared by the live simulator and the history.

Rates, shares, populations, road speed and durations are our estimates for a regency of
about 235,000 people (not measurements): PSC 119 near 18 calls a day (the
metrics catalog's own figure), a few fires a day across the eight posts, one
P2TP2A case, some police calls, and public-service complaints that an SKPD
settles. Busier by day than at night (WITA). Remote districts are reached later: the way to scene is
timed from the distance between district centres at Soppeng's road speed, the priority is the case's.
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
from scc.storage.callcenter import Category, Priority

from .. import dispatch

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
# Population (estimates, thousands) sets where calls come from.
POPULATION: dict[str, float] = {
    "lalabata": 45,
    "liliriaja": 28,
    "ganra": 12,
    "citta": 8,
    "lilirilau": 41,
    "donri-donri": 24,
    "marioriwawo": 45,
    "marioriawa": 33,
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
# What callers report, and the priority an operator gives it: the case decides, not chance. P1 when a
# life is at risk now (a birth under way, someone unconscious or not breathing, a fire with people
# inside, violence going on), P2 when help must come soon, P3 when it can wait its turn. A case is drawn
# by its weight within its category.
CASES: dict[Category, tuple[tuple[str, Priority, float], ...]] = {
    "medical": (("Ibu hamil mau melahirkan", 1, 2), ("Pingsan, tidak sadarkan diri", 1, 2),
                ("Orang tua sesak napas", 1, 2), ("Anak demam tinggi dan kejang", 1, 1),
                ("Kecelakaan motor, korban luka berat", 1, 1), ("Kecelakaan motor, korban luka ringan", 2, 2),
                ("Jatuh dari pohon, kaki patah", 2, 2), ("Luka robek kena parang", 2, 1),
                ("Lansia sakit, minta diantar ke rumah sakit", 3, 2), ("Demam sudah tiga hari", 3, 1)),
    "fire": (("Rumah terbakar, ada orang di dalam", 1, 1), ("Rumah terbakar", 1, 3), ("Kios terbakar", 1, 1),
             ("Kebakaran lahan dekat rumah", 2, 2), ("Korsleting listrik, ada asap", 2, 1),
             ("Bakar sampah, asap masuk rumah warga", 3, 1)),
    "disaster": (("Tanah longsor menimpa rumah", 1, 1), ("Banjir masuk rumah", 2, 2),
                 ("Pohon tumbang menutup jalan", 2, 2), ("Angin kencang, atap lepas", 2, 1),
                 ("Saluran air tersumbat, jalan tergenang", 3, 1)),
    "violence": (("Kekerasan dalam rumah tangga, masih berlangsung", 1, 1), ("Perempuan dianiaya", 1, 1),
                 ("Anak ditelantarkan", 2, 2), ("Kekerasan dalam rumah tangga, pelaku sudah pergi", 2, 1),
                 ("Perundungan anak", 3, 1)),
    "crime": (("Perkelahian di pasar", 1, 1), ("Rumah dibobol", 2, 2), ("Pencurian motor", 2, 2),
              ("Penipuan lewat telepon", 3, 2)),
    "prank": (("Penelepon diam lalu menutup", 3, 1), ("Anak-anak bermain telepon", 3, 1), ("Telepon iseng", 3, 1)),
}  # fmt: skip
COMPLAINT_PRIORITY: Priority = 3  # an SKPD settles it within days: nobody is sent
COMPLAINTS = (("Jalan rusak berlubang", "pupr"), ("Lampu jalan mati", "dishub"), ("Sampah menumpuk", "dlh"),
              ("Antrean KTP-el lama", "dukcapil"), ("Izin usaha belum terbit", "dpmptsp"),
              ("Bantuan sosial belum diterima", "dinsos"), ("Pungutan di sekolah", "disdik"),
              ("Pelayanan puskesmas lambat", "dinkes"), ("Pupuk subsidi langka", "distan"),
              ("Rumah tidak layak huni", "perkim"))  # fmt: skip
NAMES = ("Andi", "Besse", "Baso", "Hasnah", "Muh. Yusuf", "Sitti", "Ambo", "Rahmawati", "Syamsul", "Nurhayati", "")
OPERATORS = ("op-andi", "op-rina", "op-yusuf", "op-sri")  # the simulated operators: the sim's incidents are theirs
# How long a unit works on scene, by category (minutes): an ambulance stabilises and takes the patient
# to the RSUD or a puskesmas, a fire is put out, a road cleared.
ON_SCENE_MIN: dict[str, tuple[float, float]] = {
    "medical": (20, 50),
    "fire": (30, 150),
    "disaster": (60, 240),
    "violence": (30, 90),
    "crime": (20, 60),
}
DISPATCH_MIN: dict[int, tuple[float, float]] = {1: (1, 3), 2: (2, 8), 3: (5, 20)}  # from the call to a unit sent
# The way to scene: a crew turns out, then drives from its post's district centre to the incident's at
# Soppeng's road speed; roads wind, so the straight line (callcenter.dispatch.km_between) is lengthened.
# Inside its own district a unit still has a few kilometres to go. Unknown district: a typical trip.
TURNOUT_MIN = 2.0
ROAD_KMH = 40.0
WINDING = 1.3  # road km per straight-line km
WITHIN_KM = 3.0
UNKNOWN_KM = 12.0
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
        weights = [(code, pop) for code, pop in POPULATION.items() if code in known]
        self.district = Weighted(weights or [(d.code, 1.0) for d in settings.districts])
        self.complaints = tuple((s, k) for s, k in COMPLAINTS if k in settings.skpd_by_code)
        self.lines = settings.call_line_by_code
        self.mix = {
            service: Weighted((c, w) for c, w in mix if c != "complaint" or self.complaints)
            for service, mix in LINE_MIX.items()
        }
        self.cases = {
            category: Weighted(((summary, p), w) for summary, p, w in cases) for category, cases in CASES.items()
        }

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
        skpd = None
        priority: Priority
        if category == "complaint":
            (summary, skpd), priority = _any(rng, self.complaints), COMPLAINT_PRIORITY
        else:
            summary, priority = self.cases[category](rng)
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
    """From dispatch to on scene for a unit leaving its post (a free unit waits there) for `district`."""
    unit = settings.unit_by_code.get(unit_code)
    base = unit.district if unit is not None else None
    if base is not None and base == district:
        km = WITHIN_KM
    else:
        straight = dispatch.km_between(settings, base, district)
        km = UNKNOWN_KM if straight is None else straight * WINDING
    return (TURNOUT_MIN + 60 * km / ROAD_KMH) * rng.lognormvariate(0, 0.2)


def dispatch_minutes(priority: int, rng: random.Random) -> float:
    return rng.uniform(*DISPATCH_MIN.get(priority, (2, 10)))


def on_scene_minutes(category: str, rng: random.Random) -> float:
    return rng.uniform(*ON_SCENE_MIN.get(category, (20, 60)))


def complaint_minutes(rng: random.Random) -> float:
    """Until an SKPD settles a complaint: mostly within the 3 days, some late."""
    return 60 * min(24 * 8, rng.lognormvariate(3.2, 0.9))  # a median near a day
