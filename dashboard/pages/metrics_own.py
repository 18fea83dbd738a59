"""A unit's own page: its figures, typing or uploading them, what was refused, how to connect its system.

For SKPD staff (their home page) the unit is always their own: every callback
takes it from `current_user.skpd_code`, and a request naming another unit is
refused with 403 before anything is read or written. An admin may enter
figures on behalf of any unit (a unit whose office has no PC of its own, a
correction): the unit is picked on the page, and every write is audited with
the admin's name (streams.metrics.intake records actor, unit and counts).
Operators and the bupati only read (the grid, the unit pages): entering a
unit's figures is that unit's job.

Writes go through streams.metrics.intake, the same validation as MQTT: a value
out of range or a bad CSV row is refused with its reason (and kept, like a
refused MQTT message, in the rejections listed below), the good ones stored.
The form's fields carry no min or max: a browser sends nothing at all for a
number input outside them, and the person would read "no figure entered"
instead of the range their figure is outside.
"""

from __future__ import annotations

from typing import Annotated, Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask import abort, request
from flask_login import current_user
from pydantic import StringConstraints

from scc.settings.metrics import Metric
from streams.metrics import intake

from .. import i18n
from ..access import Access
from ..components import metrics_publishing
from ..components.forms import dropdown
from ..components.metrics_figures import metrics_tabs, name, state_line, tile, unit_text
from ..components.states import empty
from ..components.tables import panel
from ..components.uploads import decode, size_text
from ..context import AppContext
from ..i18n import t
from ..queries.metrics import unit
from ..queries.metrics_received import corrections, rejections
from ..security import client_addr

PATH = "/metrics/own"
ROLES = frozenset({"skpd", "admin"})
VALUE = "own-value"
# Bounds of the arguments; the request as a whole is bounded by web.max_body_kb (Flask) and max_text.
# dcc.Upload's contents: a data URL (`data:text/csv;base64,...`), never any other text.
Contents = Annotated[str, StringConstraints(max_length=64 * 1024 * 1024, pattern=r"^data:[^,]{0,200};base64,")] | None
Filename = Annotated[str, StringConstraints(max_length=255)] | None
Values = list[int | float | None] | None  # as the request wrote them: intake says which field holds no float
Ids = list[dict[str, str]] | None


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    max_body = ctx.settings.app.web.max_body_kb * 1024
    max_file = max_body * 3 // 4 - 8192  # base64 takes a third more, and the request has its own envelope

    def layout(**_):
        own = current_user.skpd_code if current_user.role == "skpd" else None
        units = [s for s in ctx.settings.skpd if own is None or s.code == own]
        picker = dropdown(
            id="own-unit",
            options=[{"label": f"{s.short} - {s.name}", "value": s.code} for s in units],
            value=own,
            clearable=False,
            disabled=own is not None,
            placeholder=t("own.pick"),
            className="picker",
        )
        label = t("own.unit") if own else t("own.on_behalf")
        return html.Div(
            [
                html.Div(
                    [
                        html.H2(t("own.title"), className="page-title"),
                        None if own else metrics_tabs(PATH),
                        html.Div(
                            [html.Label(label, htmlFor="own-unit", className="picker-label"), picker],
                            className="picker-row",
                        ),
                    ],
                    className="page-head",
                ),
                html.Div(id="own-body", className="own"),
            ],
            className="page own-page",
        )

    # In the navigation of SKPD staff (their home); an admin comes here from the metrics pages' tabs.
    access.page(__name__, path=PATH, roles=ROLES, order=5, title_key="nav.own", layout=layout, nav={"skpd"})

    def which_unit(code: str | None) -> str | None:
        """The unit a request may read or write: an SKPD's own, whatever the request says (another: 403)."""
        if current_user.role == "skpd":
            if code is not None and code != current_user.skpd_code:
                abort(403)
            return current_user.skpd_code
        if code is None:
            return None
        if code not in ctx.settings.skpd_by_code:
            abort(400)
        return code

    @access.callback(app, Output("own-body", "children"), Input("own-unit", "value"), roles=ROLES)
    def show(code: str | None):
        chosen = which_unit(code)
        if chosen is None:
            return empty("own.pick_title", "own.pick_hint")
        return body(ctx, chosen, max_file)

    @access.callback(
        app,
        Output("own-form-result", "children"),
        Output("own-latest", "children"),
        Output("own-rejected", "children"),
        Output("own-corrected", "children"),
        Input("own-submit", "n_clicks"),
        State("own-unit", "value"),
        State({"type": VALUE, "key": ALL}, "value"),
        State({"type": VALUE, "key": ALL}, "id"),
        roles=ROLES,
        prevent_initial_call=True,
    )
    def submit(_n: int | None, code: str | None, values: Values, ids: Ids):
        chosen = which_unit(code)
        if chosen is None:
            raise PreventUpdate
        entered = {
            i["key"]: v
            for i, v in zip(ids or [], values or [], strict=False)
            if v is not None and isinstance(i.get("key"), str)
        }
        if not entered:
            return dbc.Alert(t("own.no_values"), color="warning", id="own-form-report"), *[dash.no_update] * 3
        result = intake.submit_values(
            ctx.engine, ctx.settings, chosen, entered, actor=current_user.username, remote_addr=client_addr(request)
        )
        return (
            metrics_publishing.report(result, issues(ctx, chosen, result), alert_id="own-form-report"),
            latest(ctx, chosen),
            refused(ctx, chosen),
            corrected(ctx, chosen),
        )

    @access.callback(
        app,
        Output("own-csv-result", "children"),
        Output("own-latest", "children", allow_duplicate=True),
        Output("own-rejected", "children", allow_duplicate=True),
        Output("own-corrected", "children", allow_duplicate=True),
        Input("own-upload", "contents"),
        State("own-upload", "filename"),
        State("own-unit", "value"),
        roles=ROLES,
        prevent_initial_call=True,
        max_text=max_body,
    )
    def upload(contents: Contents, filename: Filename, code: str | None):
        chosen = which_unit(code)
        if chosen is None or contents is None:
            raise PreventUpdate
        data = decode(contents)
        if data is None:
            return dbc.Alert(t("own.not_a_file"), color="danger", id="own-csv-report"), *[dash.no_update] * 3
        if len(data) > max_file:
            too_big = t("own.too_big", size=size_text(max_file))
            return dbc.Alert(too_big, color="danger", id="own-csv-report"), *[dash.no_update] * 3
        result = intake.submit_csv(
            ctx.engine, ctx.settings, chosen, data, actor=current_user.username, remote_addr=client_addr(request)
        )
        return (
            metrics_publishing.report(
                result, issues(ctx, chosen, result), alert_id="own-csv-report", filename=filename
            ),
            latest(ctx, chosen),
            refused(ctx, chosen),
            corrected(ctx, chosen),
        )


def issues(ctx: AppContext, code: str, result: intake.Report) -> list[str]:
    """Each refused value, row or file in the user's language; the form's by the field's name."""
    names = {m.key: name(m) for m in ctx.settings.metrics if m.skpd == code}
    return [metrics_publishing.problem_text(p, names) for p in result.issues]


def body(ctx: AppContext, code: str, max_file: int) -> list:
    return [
        html.Div(
            [
                html.Div(
                    [
                        panel(t("own.form"), form(ctx, code), panel_id="own-form-panel"),
                        panel(t("own.csv"), csv_upload(ctx, code, max_file), panel_id="own-csv-panel"),
                    ],
                    className="own-inputs",
                ),
                panel(t("own.latest"), html.Div(latest(ctx, code), id="own-latest"), panel_id="own-latest-panel"),
                panel(
                    t("own.rejected"),
                    html.Div(refused(ctx, code), id="own-rejected"),
                    panel_id="own-rejected-panel",
                ),
                panel(
                    t("own.corrections"),
                    html.Div(corrected(ctx, code), id="own-corrected"),
                    panel_id="own-corrected-panel",
                ),
            ],
            className="own-main",
        ),
        panel(
            t("connect.title"),
            metrics_publishing.connection_help(ctx.settings, code, broker_host(ctx)),
            panel_id="own-connect",
            className="own-side",
        ),
    ]


def latest(ctx: AppContext, code: str) -> list:
    report = unit(ctx.engine, ctx.settings, code)
    return [
        html.Div(
            [
                state_line(report),
                dcc.Link(
                    t("own.charts"), href=f"/metrics/{code}", className="btn btn-outline-primary", id="own-charts"
                ),
            ],
            className="own-state",
        ),
        html.Ul([tile(x) for x in report.latest.values()], className="metric-grid own-grid", id="own-tiles"),
    ]


def refused(ctx: AppContext, code: str) -> Any:
    rows = rejections(ctx.engine, code)
    if not rows:
        return empty("own.no_rejections_title", "own.no_rejections_hint")
    return metrics_publishing.rejections_table(ctx.settings, rows, table_id="own-rejected-table", show_unit=False)


def corrected(ctx: AppContext, code: str) -> Any:
    rows = corrections(ctx.engine, code)
    if not rows:
        return empty("own.no_corrections_title", "own.no_corrections_hint")
    return metrics_publishing.corrections_table(ctx.settings, code, rows, table_id="own-corrected-table")


def sent_by(ctx: AppContext, code: str) -> list[Metric]:
    """The unit's figures it sends itself: not those the command center counts from its own records."""
    return [m for m in ctx.settings.metrics if m.skpd == code and m.from_calls is None]


def form(ctx: AppContext, code: str) -> html.Div:
    """One number per metric of the unit, within the catalog's range; what is left empty is not sent."""
    fields = []
    for m in sent_by(ctx, code):
        unit = unit_text(m.unit)
        bounds = t("own.range", low=i18n.number(m.min, digits=2), high=i18n.number(m.max, digits=2))
        fields.append(
            html.Label(
                [
                    html.Span(name(m) + (f" ({unit})" if unit else ""), className="field-name"),
                    dcc.Input(id={"type": VALUE, "key": m.key}, type="number", step="any", className="form-control"),
                    html.Span(t("own.flag_hint") if m.kind == "flag" else bounds, className="field-hint"),
                ],
                className="own-field",
            )
        )
    return html.Div(
        [
            html.Div(fields, className="own-fields"),
            html.P(t("own.form_hint"), className="form-hint"),
            dbc.Button(t("own.submit"), id="own-submit", color="primary", size="lg"),
            html.Div(id="own-form-result", className="mt-3", role="status"),
        ]
    )


def csv_upload(ctx: AppContext, code: str, max_file: int) -> html.Div:
    metrics = sent_by(ctx, code)
    key, value = next(
        iter(metrics_publishing.example_values([m for m in metrics if m.kind != "flag"][:1] or metrics[:1]).items())
    )
    return html.Div(
        [
            dcc.Upload(
                html.Div([html.Strong(t("own.drop")), html.Span(t("own.drop_hint", size=size_text(max_file)))]),
                id="own-upload",
                accept=".csv,text/csv,text/plain",
                max_size=max_file,
                multiple=False,
                className="upload-zone",
            ),
            html.P(t("own.csv_format"), className="form-hint"),
            html.Pre(
                f"kunci;nilai;waktu\n{key};{value};{metrics_publishing.example_hour():%Y-%m-%d %H:%M}",
                className="connect-code",
                id="own-csv-example",
            ),
            html.Div(id="own-csv-result", className="mt-3", role="status"),
        ]
    )


def broker_host(ctx: AppContext) -> str:
    """Where the unit's system finds the broker: its TLS address if it is one, else this server's name."""
    configured = ctx.settings.app.mqtt.tls_host
    if configured not in ("0.0.0.0", "::", ""):
        return configured
    host = request.host
    if host.startswith("["):  # [::1]:8050
        return host[: host.index("]") + 1]
    return host.rsplit(":", 1)[0]
