"""The intake form's layout, in the order an operator asks: what a dispatcher needs first (line, number,
district, priority, what was said), then what the line suggests and what helps find the place and the
caller. The page (dashboard.pages.callcenter_intake) wires its keys, checks and refusals."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from callcenter import complaints
from scc.settings import Settings

from ..context import AppContext
from ..i18n import t
from . import callcenter_incidents as inc
from .callcenter_complaints import topic_name
from .forms import feedback


def _row(
    label: str,
    control_id: str,
    control: Any,
    *,
    hint: str = "",
    row_id: str | None = None,
    extra: Any = None,
    hidden: bool = False,
) -> html.Div:
    # A radio group has no one control a <label> could name; its title is a plain heading.
    title = (
        html.Div(label, className="intake-label form-label", id=f"{control_id}-label")
        if isinstance(control, dbc.RadioItems)
        else dbc.Label(label, html_for=control_id, className="intake-label")
    )
    parts: list[Any] = [title, control, feedback(control_id)]  # the reason right under the field it is about
    said = [html.Div(hint, className="intake-hint")] if hint else []
    if extra is not None:  # on the hint's line: the form keeps its height
        parts.append(html.Div([extra, *said], className="intake-row-more"))
    else:
        parts += said
    named: dict[str, Any] = {"id": row_id} if row_id else {}
    # A complaint's rows start hidden: their callback first runs when the category changes, and a line
    # that leaves it empty changes nothing.
    return html.Div(parts, className="intake-row d-none" if hidden else "intake-row", **named)


def form(ctx: AppContext) -> html.Div:
    s = ctx.settings
    sites = inc.site_options(s)
    first = [  # what a dispatcher needs to send someone
        _row(
            t("intake.line"),
            "intake-line",
            dbc.Select(id="intake-line", options=inc.blank("intake.pick_line") + inc.line_options(s)),
        ),
        _row(
            t("intake.number"),
            "intake-number",
            dbc.Input(id="intake-number", type="tel", autocomplete="off", inputmode="tel"),
            hint=t("intake.number_hint"),
            extra=dbc.Checkbox(
                id="intake-withheld", label=t("intake.withheld"), value=False, className="intake-withheld"
            ),
        ),
        _row(
            t("intake.district"),
            "intake-district",
            dbc.Select(id="intake-district", options=inc.blank("intake.pick_district") + inc.district_options(s)),
        ),
        _row(
            t("intake.priority"),
            "intake-priority",
            dbc.RadioItems(
                id="intake-priority",
                name="intake-priority",  # one group: Tab leaves it, the arrows move in it
                options=inc.priority_options(),
                value=2,
                className="priority-radio",
            ),
            hint=t("intake.priority_hint"),
        ),
        _row(
            t("intake.summary"),
            "intake-summary",
            dbc.Textarea(id="intake-summary", rows=3),
            hint=t("intake.summary_hint"),
        ),
    ]
    rest = [  # what the line already suggests, and what helps find the place and the caller
        _row(
            t("intake.category"),
            "intake-category",
            dbc.Select(id="intake-category", options=inc.blank("intake.pick_category") + inc.category_options()),
            hint=t("intake.category_hint"),
        ),
        _row(
            t("intake.topic"),
            "intake-topic",
            dbc.Select(id="intake-topic", options=inc.blank("intake.pick_topic") + topic_options(s)),
            row_id="intake-topic-row",
            hidden=True,
        ),
        _row(
            t("intake.skpd"),
            "intake-skpd",
            dbc.Select(id="intake-skpd", options=inc.blank("intake.pick_skpd") + inc.skpd_options(s)),
            hint=t("intake.skpd_hint"),
            row_id="intake-skpd-row",
            hidden=True,
        ),
        _row(t("intake.name"), "intake-name", dbc.Input(id="intake-name", autocomplete="off")),
        _row(t("intake.village"), "intake-village", dbc.Input(id="intake-village", autocomplete="off")),
        _row(
            t("intake.landmark"),
            "intake-landmark",
            dbc.Input(id="intake-landmark", autocomplete="off"),
            hint=t("intake.landmark_hint"),
        ),
        _row(
            t("intake.site"),
            "intake-site",
            dbc.Select(id="intake-site", options=inc.blank("intake.no_site") + sites),
            hint=t("intake.site_hint"),
        ),
    ]
    actions = [
        html.Div(
            [
                dbc.Button(t("intake.submit"), id="intake-submit", color="primary", size="lg"),
                html.Span(t("intake.keys_hint"), className="intake-hint"),
            ],
            className="intake-actions",
        ),
        html.Div(id="intake-result", role="alert"),
    ]
    return html.Div(
        [html.Div(first + actions, className="intake-col"), html.Div(rest, className="intake-col")],
        id="intake-form",
        className="intake-form",
    )


def line_starts(settings: Settings) -> dict[str, dict[str, str | None]]:
    """What picking each line fills in: its usual category, and a fire post's district."""
    return {line.code: {"category": line.category, "district": line.district} for line in settings.call_lines}


def topic_options(settings: Settings) -> list[dict[str, str]]:
    return [{"label": topic_name(settings, tp.code) or tp.code, "value": tp.code} for tp in complaints.topics(settings)]
