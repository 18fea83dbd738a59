"""A report's tables as an A4 PDF, drawn by ReportLab: its tables and bar charts, no browser, no download.

The text face is Debian's DejaVu Sans (fonts-dejavu-core), embedded as a subset, when it is installed, so
any name in config/ prints; else ReportLab's own Helvetica, which every PDF reader has.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from .. import i18n
from .tables import LANG, Cell, Section, t

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
INK = colors.HexColor("#1b2a3a")
RULE = colors.HexColor("#9aa7b4")
STRIPE = colors.HexColor("#eef2f6")
BAR = colors.HexColor("#2f6f9f")
WIDTH = A4[0] - 30 * mm
CHART_ROWS = 16  # bars in one chart; more would not be read


@functools.cache
def fonts() -> tuple[str, str]:
    """(regular, bold) face names, registered once per process."""
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
        return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def cell_text(value: Cell, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        # Whole up to a million (`1.234`), shorter past it (`10,25 M`, miliar), so a figure fits its column.
        return i18n.figure(value, LANG, 0 if isinstance(value, int) else digits)
    return value


def write(path: Path, title: str, subtitle: str, sections: list[Section], charts: dict[str, str]) -> None:
    """Write the report to `path`; `charts` names the sections drawn as bars too (section key -> the
    column charted)."""
    regular, bold = fonts()
    heading = ParagraphStyle("h", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4, textColor=INK)
    big = ParagraphStyle("t", fontName=bold, fontSize=16, leading=20, textColor=INK)
    small = ParagraphStyle("s", fontName=regular, fontSize=8.5, leading=11, textColor=INK)
    story: list[Flowable] = [Paragraph(title, big), Paragraph(subtitle, small), Spacer(1, 4 * mm)]
    for section in sections:
        parts: list[Flowable] = [Paragraph(section.title, heading)]
        if not section.rows:
            parts.append(Paragraph(t("reports.empty"), small))
            story.append(KeepTogether(parts))
            continue
        parts.append(_table(section, regular, bold))
        story.append(KeepTogether(parts) if len(section.rows) < 25 else parts[0])
        if len(section.rows) >= 25:
            story.append(parts[1])
        column = charts.get(section.key)
        if column is not None and _charted(section, column):
            story.append(_chart(section, column, regular))
    doc = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm, bottomMargin=14 * mm,
        title=title, author="Soppeng Command Center", lang="id-ID",
    )  # fmt: skip
    doc.build(story, onFirstPage=_footer(subtitle, regular), onLaterPages=_footer(subtitle, regular))


def _table(section: Section, regular: str, bold: str) -> Table:
    body = [[cell_text(v, section.digits) for v in row] for row in section.rows]
    # Headers wrap within their column (a narrow figure's long name) rather than run into the next.
    left = ParagraphStyle("hl", fontName=bold, fontSize=7.5, leading=9, textColor=INK)
    right = ParagraphStyle("hr", parent=left, alignment=TA_RIGHT)
    # A column of words (a reason, a trend) reads from the left, one of figures from the right.
    words = [
        i == 0 or any(isinstance(r[i], str) and r[i] != "-" for r in section.rows) for i in range(len(section.columns))
    ]
    head = [Paragraph(text, left if words[i] else right) for i, text in enumerate(section.columns)]
    first = max(0.22, min(0.5, 1.0 - 0.125 * (len(section.columns) - 1)))
    # The other columns share the rest, one of words (a time, a reason) half as wide again as one of figures.
    weights = [1.6 if words[i] else 1.0 for i in range(1, len(section.columns))]
    widths = [WIDTH * first] + [WIDTH * (1.0 - first) * w / sum(weights) for w in weights]
    table = Table([head, *body], colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, 0), bold, 8),
        ("FONT", (0, 1), (-1, -1), regular, 8.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, -1), (-1, -1), 0.4, RULE),
        *(("ALIGN", (i, 0), (i, -1), "LEFT" if words[i] else "RIGHT") for i in range(len(section.columns))),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("VALIGN", (0, 1), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    style += [("BACKGROUND", (0, i), (-1, i), STRIPE) for i in range(2, len(body) + 1, 2)]
    table.setStyle(TableStyle(style))
    return table


def _charted(section: Section, column: str) -> bool:
    """Whether the column has a bar to draw: a chart of nothing but zeros says less than its table."""
    at = section.columns.index(column)
    return any(isinstance(r[at], int | float) and r[at] for r in section.rows)


def _chart(section: Section, column: str, regular: str) -> Drawing:
    """Horizontal bars of one column of the section, a row a bar, in the table's order."""
    at = section.columns.index(column)
    rows = [r for r in section.rows if isinstance(r[at], int | float)][:CHART_ROWS]
    height = 14 * len(rows) + 30
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 16, WIDTH - 140, height - 26
    chart.data = [[float(r[at] or 0) for r in reversed(rows)]]
    chart.categoryAxis.categoryNames = [str(r[0])[:28] for r in reversed(rows)]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = regular
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    drawing.add(chart)
    drawing.add(String(110, height - 8, column, fontName=regular, fontSize=7.5, fillColor=INK))
    return drawing


def _footer(text: str, regular: str) -> Callable[[Any, Any], None]:
    """ReportLab's page callback: the subtitle and the page number at the foot of each page."""

    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(RULE)
        canvas.drawString(15 * mm, 8 * mm, text)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, t("reports.page", n=doc.page))
        canvas.restoreState()

    return draw
