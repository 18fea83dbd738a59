"""The regency's districts as an offline map: a plain x/y Plotly figure with longitude and latitude axes.

No tiles and no geo trace (Plotly's geo and map traces fetch their outlines
and tiles from a CDN): the district shapes are polygons read once, at start,
from datasets/soppeng/districts.geojson, which we made ourselves from the
estimated district centres (its README says how), so the map says that its
positions are estimates. Incidents carry no coordinates: an open one is drawn
at its district's centre, moved a little by its id (the same place on every
redraw) so that several stay apart.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .. import i18n
from ..i18n import t
from .charts import FONT, GRID, MUTED, TEXT, base_layout

GEOJSON = Path(__file__).resolve().parents[2] / "datasets" / "soppeng" / "districts.geojson"
FILL, EDGE, BUBBLE = "rgba(108, 198, 255, 0.07)", "#3b5068", "rgba(108, 198, 255, 0.30)"
ALARM, WARNING = "#ff7b72", "#fbbf24"
GOLDEN = math.pi * (3 - math.sqrt(5))  # spreads the markers of one district evenly around its centre


@dataclass(frozen=True)
class District:
    code: str
    name: str
    center: tuple[float, float]  # lon, lat
    rings: tuple[tuple[tuple[float, float], ...], ...]
    estimate: bool
    label: str = "bottom center"  # where its name and figures go, clear of its neighbours' bubbles


@dataclass(frozen=True)
class RegencyMap:
    districts: tuple[District, ...]
    bbox: tuple[float, float, float, float]  # west, south, east, north

    @property
    def by_code(self) -> dict[str, District]:
        return {d.code: d for d in self.districts}


@cache
def load(path: Path = GEOJSON) -> RegencyMap:
    doc = json.loads(path.read_text(encoding="utf-8"))
    districts = []
    for feature in doc["features"]:
        props, geometry = feature["properties"], feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        rings = tuple(tuple((float(x), float(y)) for x, y in polygon[0]) for polygon in polygons)
        lon, lat = props["center"]
        districts.append(
            District(
                code=props["code"],
                name=props["name"],
                center=(float(lon), float(lat)),
                rings=rings,
                estimate=bool(props.get("estimate", True)),
                label=str(props.get("label", "bottom center")),
            )
        )
    west, south, east, north = doc["bbox"]
    return RegencyMap(tuple(districts), (west, south, east, north))


def jitter(incident_id: int, center: tuple[float, float]) -> tuple[float, float]:
    """A point near `center` (within about 1.5 km) that depends only on the id."""
    radius = 0.004 + 0.010 * ((incident_id * 7919) % 97) / 97
    angle = incident_id * GOLDEN
    return center[0] + radius * math.cos(angle), center[1] + radius * math.sin(angle)


def figure(
    regency: RegencyMap,
    counts: Mapping[str | None, tuple[int, int]],
    open_incidents: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Districts with a bubble each (area by incidents in the range, labelled open / total), and the open
    incidents as markers whose shape and legend word tell their status (not their colour alone)."""
    data: list[dict[str, Any]] = []
    for district in regency.districts:
        for ring in district.rings:
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": [p[0] for p in ring],
                    "y": [p[1] for p in ring],
                    "fill": "toself",
                    "fillcolor": FILL,
                    "line": {"color": EDGE, "width": 2},
                    "hoverinfo": "skip",
                    "showlegend": False,
                }
            )
    largest = max((total for _, total in counts.values()), default=0) or 1
    xs, ys, sizes, labels, hovers = [], [], [], [], []
    for district in regency.districts:
        open_, total = counts.get(district.code, (0, 0))
        xs.append(district.center[0])
        ys.append(district.center[1])
        sizes.append(18 + 62 * math.sqrt(total / largest))
        labels.append(f"<b>{district.name}</b><br>{t('map.bubble', open=open_, total=i18n.number(total, digits=0))}")
        hovers.append(t("map.hover", name=district.name, open=open_, total=i18n.number(total, digits=0)))
    data.append(
        {
            "type": "scatter",
            "mode": "markers+text",
            "x": xs,
            "y": ys,
            "text": labels,
            "textposition": [d.label for d in regency.districts],
            "textfont": {"color": TEXT, "size": 16},
            "cliponaxis": False,
            "hovertext": hovers,
            "hovertemplate": "%{hovertext}<extra></extra>",
            "marker": {"size": sizes, "color": BUBBLE, "line": {"color": "#6cc6ff", "width": 2}},
            "name": t("map.legend_total"),
            "showlegend": True,
        }
    )
    centres = regency.by_code
    groups = (
        ("received", t("map.legend_received"), "diamond", ALARM),
        ("moving", t("map.legend_moving"), "triangle-up", WARNING),
    )
    for key, label, symbol, colour in groups:
        chosen = [
            i
            for i in open_incidents
            if i.get("district") in centres and (i["status"] == "received") == (key == "received")
        ]
        points = [jitter(int(i["id"]), centres[i["district"]].center) for i in chosen]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [p[0] for p in points],
                "y": [p[1] for p in points],
                "text": [f"#{i['id']} · {t('incident.' + i['status'])}" for i in chosen],
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {"symbol": symbol, "size": 15, "color": colour, "line": {"color": "#0a0f15", "width": 1}},
                "name": label,
                "showlegend": True,
            }
        )
    west, south, east, north = regency.bbox
    pad = 0.02
    axis = {"gridcolor": GRID, "zeroline": False, "fixedrange": True, "tickfont": {"color": MUTED, "size": 13}}
    return {
        "data": data,
        "layout": base_layout(
            showlegend=True,
            legend={
                "orientation": "h",
                "x": 0,
                "y": 1.0,
                "yanchor": "bottom",
                "font": {"size": 16, "color": TEXT},
                "bgcolor": "rgba(0,0,0,0)",
            },
            margin={"l": 60, "r": 16, "t": 40, "b": 40},
            xaxis={**axis, "range": [west - pad, east + pad], "ticksuffix": "° BT" if _id() else "° E"},
            yaxis={
                **axis,
                "range": [south - pad, north + pad],
                "scaleanchor": "x",
                "scaleratio": 1,
                "ticksuffix": "°",
            },
            annotations=[
                {
                    "text": t("map.estimate"),
                    "xref": "paper",
                    "yref": "paper",
                    "x": 1,
                    "y": 0,
                    "xanchor": "right",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"family": FONT, "size": 16, "color": WARNING},
                    "bgcolor": "rgba(10, 15, 21, 0.85)",
                    "bordercolor": WARNING,
                    "borderpad": 6,
                }
            ],
        ),
    }


def _id() -> bool:
    return i18n.current_language() == "id"
