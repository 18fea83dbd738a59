"""Charts every page draws: Plotly figures in the wall's dark palette, large type, numbers the reader's way.

The figures are plain dicts (no plotly.graph_objects on the server: cheaper, and
no template JSON in every response); plotly.js itself is the copy Dash serves
from this server, like every other script. Dragging and zooming are off: the
wall is looked at, not handled; hovering still tells a point's value. A metric over
time is drawn by metrics_charts.py on this layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from .. import i18n
from .status import attrs

TEXT, MUTED, GRID, ACCENT, SECOND, TARGET = "#e9eef4", "#a9b6c5", "#263445", "#6cc6ff", "#c4b5fd", "#fbbf24"
FONT = '"Segoe UI", "Noto Sans", "DejaVu Sans", "Liberation Sans", sans-serif'
CONFIG: Any = {"displayModeBar": False, "responsive": True, "scrollZoom": False, "doubleClick": False}


def axis(**extra: Any) -> dict[str, Any]:
    return {
        "gridcolor": GRID,
        "linecolor": GRID,
        "zeroline": False,
        "tickfont": {"color": MUTED, "size": 15},
        "fixedrange": True,
        **extra,
    }


def base_layout(**extra: Any) -> dict[str, Any]:
    """The dark layout every chart shares; numbers written the reader's way (1.234,5 or 1,234.5)."""
    return {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 16, "color": TEXT},
        "margin": {"l": 70, "r": 16, "t": 10, "b": 44},
        "separators": ",." if i18n.current_language() == "id" else ".,",
        "showlegend": False,
        "dragmode": False,
        "hoverlabel": {"bgcolor": "#172230", "bordercolor": GRID, "font": {"size": 16, "color": TEXT}},
        "xaxis": axis(),
        "yaxis": axis(),
        **extra,
    }


def graph(figure: dict[str, Any], *, graph_id: str, summary: str) -> html.Figure:
    """A chart with a text summary for screen readers (a picture of a line says nothing to them)."""
    return html.Figure(
        dcc.Graph(id=graph_id, figure=figure, config=CONFIG, className="chart"),
        className="chart-box",
        role="img",
        **attrs(aria_label=summary),
    )


def bars(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    *,
    texts: Sequence[Sequence[str]] | None = None,
    percent: bool = True,
    legend: bool = False,
    tick_angle: int = 0,
    horizontal: bool = False,
) -> dict[str, Any]:
    """Bars by category, one colour per series, each bar's number written beside it."""
    data = []
    for i, (label, values, colour) in enumerate(series):
        shown = texts[i] if texts else [("-" if v is None else i18n.number(v, digits=0)) for v in values]
        numbers = [v if v is not None else 0 for v in values]
        data.append(
            {
                "type": "bar",
                "name": label,
                "orientation": "h" if horizontal else "v",
                "x": numbers if horizontal else list(categories),
                "y": list(categories) if horizontal else numbers,
                "marker": {"color": colour},
                "text": list(shown),
                "textposition": "outside",
                "cliponaxis": False,
                "textfont": {"color": TEXT, "size": 15},
                "hovertemplate": f"%{{{'y' if horizontal else 'x'}}}<br>{label}: %{{text}}<extra></extra>",
            }
        )
    amounts = axis(range=[0, 118], ticksuffix=" %") if percent else axis(rangemode="tozero")
    names = axis(tickangle=tick_angle, tickfont={"color": TEXT, "size": 15}, automargin=True)
    if horizontal:
        names["autorange"] = "reversed"  # the first category on top, as read
    return {
        "data": data,
        "layout": base_layout(
            showlegend=legend,
            legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "font": {"size": 16}},
            barmode="group",
            bargap=0.25,
            margin={"l": 16 if horizontal else 70, "r": 24, "t": 44 if legend else 24, "b": 44},
            xaxis=amounts if horizontal else names,
            yaxis=names if horizontal else amounts,
        ),
    }
