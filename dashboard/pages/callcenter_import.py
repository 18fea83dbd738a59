"""Importing a call log (a PBX or spreadsheet export, CSV) into the call center's figures.

The file goes through callcenter.importer: good rows are stored (each call
once, whatever files it comes in again), bad rows are reported with their
line number as a spreadsheet shows it and the reason. The first rows of the
report are listed, the others counted. Admins and operators import; the
bupati reads the figures (/calls/kpi) but changes nothing.
"""

from __future__ import annotations

from typing import Annotated

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask import abort
from flask_login import current_user
from pydantic import StringConstraints

from callcenter.importer import ImportReport, import_calls

from .. import i18n
from ..access import Access
from ..components import callcenter_charts
from ..components.tables import panel, table
from ..components.uploads import decode, size_text
from ..context import AppContext
from ..i18n import t

PATH = "/calls/import"
ROLES = frozenset({"admin", "operator"})
SHOWN = 200  # bad rows listed; the rest are counted
COLUMNS = ("at", "date", "line", "caller", "district", "outcome", "duration")
DOCS = "datasets/calls/README.md"
# dcc.Upload's contents: a data URL (`data:text/csv;base64,...`), never any other text.
Contents = Annotated[str, StringConstraints(max_length=64 * 1024 * 1024, pattern=r"^data:[^,]{0,200};base64,")] | None
Filename = Annotated[str, StringConstraints(max_length=255)] | None


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    max_body = ctx.settings.app.web.max_body_kb * 1024
    max_file = max_body * 3 // 4 - 8192  # base64 takes a third more, and the request has its own envelope

    def layout(**_: object):
        return html.Div(
            [
                html.Div(
                    [html.H2(t("import.title"), className="page-title"), callcenter_charts.tabs(PATH)],
                    className="page-head",
                ),
                html.Div(
                    [
                        panel(t("import.upload_title"), upload(max_file), panel_id="import-upload-panel"),
                        panel(t("import.columns_title"), columns(), panel_id="import-columns-panel"),
                    ],
                    className="import-main",
                ),
                html.Div(id="import-result", className="import-result", role="status"),
            ],
            className="page calls-stats",
        )

    access.page(__name__, path=PATH, roles=ROLES, order=23, title_key="import.nav", layout=layout, nav=False)

    @access.callback(
        app,
        Output("import-result", "children"),
        Input("import-upload", "contents"),
        State("import-upload", "filename"),
        roles=ROLES,
        prevent_initial_call=True,
        max_text=max_body,
    )
    def received(contents: Contents, filename: Filename):
        if current_user.role not in ROLES:  # the guard said so already; a write checks twice
            abort(403)
        if contents is None:
            raise PreventUpdate
        data = decode(contents)
        if data is None:
            return dbc.Alert(t("import.not_a_file"), color="danger", id="import-report")
        if len(data) > max_file:
            return dbc.Alert(t("import.too_big", size=size_text(max_file)), color="danger", id="import-report")
        result = import_calls(ctx.engine, ctx.settings, data, by=current_user.username, filename=filename or "")
        return report(result, filename)


def upload(max_file: int) -> html.Div:
    return html.Div(
        [
            dcc.Upload(
                html.Div([html.Strong(t("import.drop")), html.Span(t("import.drop_hint", size=size_text(max_file)))]),
                id="import-upload",
                accept=".csv,text/csv,text/plain",
                max_size=max_file,
                multiple=False,
                className="upload-zone",
            ),
            html.P(t("import.how"), className="form-hint"),
        ]
    )


def columns() -> html.Div:
    rows = [[html.Code(t(f"import.col_{c}_names")), t(f"import.col_{c}")] for c in COLUMNS]
    return html.Div(
        [
            table([t("import.col_header"), t("import.col_meaning")], rows, "import-columns"),
            html.Pre(t("import.example"), className="connect-code", id="import-example"),
            html.P([t("import.docs"), " ", html.Code(DOCS)], className="form-hint", id="import-docs"),
        ]
    )


def n(value: int) -> str:
    return i18n.number(value, digits=0)


def report(result: ImportReport, filename: str | None) -> html.Div:
    bad = len(result.problems)
    tone = "success" if not bad and result.rows else ("warning" if result.stored else "danger")
    summary = t(
        "import.summary",
        file=filename or "-",
        rows=n(result.rows),
        stored=n(result.stored),
        duplicates=n(result.duplicates),
        bad=n(bad),
    )
    facts = html.Dl(
        [
            html.Div([html.Dt(t("import.rows")), html.Dd(n(result.rows), id="import-rows")]),
            html.Div([html.Dt(t("import.stored")), html.Dd(n(result.stored), id="import-stored")]),
            html.Div([html.Dt(t("import.duplicates")), html.Dd(n(result.duplicates), id="import-duplicates")]),
            html.Div([html.Dt(t("import.bad")), html.Dd(n(bad), id="import-bad")]),
        ],
        className="import-facts",
    )
    parts: list = [dbc.Alert(summary, color=tone, id="import-report"), facts]
    if bad:
        rows = [[n(p.line), p.reason] for p in result.problems[:SHOWN]]
        body: list = [table([t("import.line"), t("import.reason")], rows, "import-problems", numeric=(0,))]
        if bad > SHOWN:
            body.append(html.P(t("import.more", n=n(bad - SHOWN)), className="form-hint", id="import-more"))
        parts.append(panel(t("import.problems_title"), body, panel_id="import-problems-panel"))
    return html.Div(parts)
