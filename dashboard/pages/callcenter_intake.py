"""Taking a call: a form for the keyboard, in the order the caller is asked.

What a dispatcher needs first, then the rest: line (focused on arrival),
number, district, how urgent (1/2/3, the keys work) and what was said; then
what it is (the category, which the line starts with: PSC 119 medical, a
fire post fire; for a complaint its topic, which picks the SKPD that owns
it, and the operator may pick another), the caller's name, village,
landmark and a camera site. A fire post's line also fills in its district.
Tab walks the fields in that order; Enter in the description or a text
field, or Ctrl+Enter anywhere, takes the call, so a typical call is taken
with the first five fields alone. The check and the record are callcenter.intake's: a refusal
names every bad field, and each one's reason shows under it in the user's
language, the control marked invalid, the form's summary naming them all and
the focus on the first. With no number to type, Tab from the empty number
reaches "number withheld" (Space ticks it); with a number it is skipped, so a
typical call takes no extra key. A repeat caller joins the incident already
open for them, and the incident page says so.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from flask import abort
from flask_login import current_user

from callcenter import complaints
from callcenter.errors import CallError
from callcenter.intake import Problem, take_call

from .. import i18n
from ..access import Access, has_role
from ..components import callcenter_incidents as inc
from ..components.callcenter_intake import form, line_starts
from ..components.tables import panel
from ..context import AppContext
from ..i18n import t

PATH = "/calls/new"
WRITERS = frozenset({"admin", "operator"})
# The service's field -> the form's control, in tab order.
FIELDS = {
    "line_code": "intake-line",
    "caller_number": "intake-number",
    "district": "intake-district",
    "priority": "intake-priority",
    "summary": "intake-summary",
    "category": "intake-category",
    "topic": "intake-topic",
    "skpd_code": "intake-skpd",
    "caller_name": "intake-name",
    "village": "intake-village",
    "landmark": "intake-landmark",
    "site": "intake-site",
}
# Fields in which Enter takes the call (the browser's keys below press the one button: one request).
ENTER_TAKES = ("intake-number", "intake-name", "intake-village", "intake-landmark", "intake-summary")
# The controls Bootstrap can mark invalid (a radio group has no such state: its words say it).
MARKABLE = tuple(c for c in FIELDS.values() if c != "intake-priority")
# Where a field the form has no control of its own for is reported.
SHOWN_WITH = {"caller_withheld": "caller_number"}
# The service's field -> its label on the form, for the summary that names them all.
LABELS = {
    "line_code": "intake.line",
    "caller_number": "intake.number",
    "caller_name": "intake.name",
    "district": "intake.district",
    "village": "intake.village",
    "landmark": "intake.landmark",
    "site": "intake.site",
    "category": "intake.category",
    "topic": "intake.topic",
    "skpd_code": "intake.skpd",
    "priority": "intake.priority",
    "summary": "intake.summary",
}
# Reasons the field's own sentence says best ("Pilih kecamatan dari daftar."); the rest have a sentence each.
SAID_BY_FIELD = frozenset({"required", "unknown", "invalid"})

# Runs in the browser once the form is on the page: focus the line, Ctrl+Enter takes the call from any
# field, 1/2/3 pick the priority while it has the focus. Preventing keydown's default also stops the
# description's own Enter handling, so one key press is one call taken.
KEYS_JS = """
function (ready) {
    var ENTER_TAKES = ENTER_TAKES_IDS;
    var form = document.getElementById("intake-form");
    if (!form) { return window.dash_clientside.no_update; }
    // "Number withheld" is a Tab stop only while the number is empty (or it is ticked, to untick it).
    var sync = function () {
        var number = document.getElementById("intake-number");
        var withheld = document.getElementById("intake-withheld");
        if (number && withheld) {
            withheld.tabIndex = number.value.trim() && !withheld.checked ? -1 : 0;
        }
    };
    sync();
    form.querySelectorAll("[id^='intake-']").forEach(function (el) {
        if (document.getElementById(el.id + "-error")) {
            el.setAttribute("aria-describedby", el.id + "-error");
        }
    });
    if (!form.dataset.keys) {
        form.dataset.keys = "1";
        form.addEventListener("input", sync);
        form.addEventListener("change", sync);
        form.addEventListener("keydown", function (e) {
            // Ctrl+Enter anywhere, or Enter (not Shift+Enter) in a text field, presses the button, and
            // nothing else takes the call: a field's own Enter beside it sent a second request.
            var takes = ENTER_TAKES.indexOf(e.target.id) >= 0 && !e.shiftKey;
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey || takes) && !e.isComposing) {
                e.preventDefault();
                if (!e.repeat) { document.getElementById("intake-submit").click(); }
                return;
            }
            var radio = e.target.closest && e.target.closest("#intake-priority");
            if (radio && ["1", "2", "3"].indexOf(e.key) >= 0) {
                var pick = radio.querySelector("input[value='" + e.key + "']");
                if (pick) { e.preventDefault(); pick.click(); pick.focus(); }
            }
        });
    }
    window.setTimeout(function () {
        var line = document.getElementById("intake-line");
        if (line && !form.contains(document.activeElement)) { line.focus(); }
    }, 0);
    return ready;
}
"""
# After a refusal: aria-invalid on the bad controls only, and the focus on the first of them.
BAD_JS = """
function (bad) {
    if (!bad) { return window.dash_clientside.no_update; }
    var ids = bad.ids || [];
    (bad.all || []).forEach(function (id) {
        var el = document.getElementById(id);
        if (!el) { return; }
        if (ids.indexOf(id) >= 0) { el.setAttribute("aria-invalid", "true"); }
        else { el.removeAttribute("aria-invalid"); }
    });
    var first = ids.length ? document.getElementById(ids[0]) : null;
    if (first && !first.matches("input, select, textarea")) {
        first = first.querySelector("input:checked") || first.querySelector("input");
    }
    if (first) { first.focus(); }
    return bad.n;
}
"""
COMPLAINT_JS = """
function (category) {
    var shown = category === "complaint" ? "intake-row" : "intake-row d-none";
    return [shown, shown];
}
"""
# Picking a line starts the category with the line's own, and a fire post's line fills in its district.
LINE_JS = """
function (line, lines) {
    var known = line && lines ? lines[line] : null;
    var none = window.dash_clientside.no_update;
    if (!known) { return [none, none]; }
    return [known.category, known.district || none];
}
"""
# Picking a topic preselects the unit that owns it; the operator may still pick another.
OWNER_JS = """
function (topic, owners) {
    return topic && owners && owners[topic] ? owners[topic] : window.dash_clientside.no_update;
}
"""


def register(app: dash.Dash, ctx: AppContext, access: Access) -> None:
    def layout(**_):
        return html.Div(
            [
                html.Div(
                    [
                        dcc.Link(["← ", t("intake.back")], href="/calls", className="back-link", id="intake-back"),
                        html.H2(t("intake.title"), className="page-title"),
                    ],
                    className="title-block",
                ),
                dcc.Location(id="intake-go", refresh="callback-nav"),
                dcc.Store(id="intake-ready", data=1),
                dcc.Store(id="intake-keys"),
                dcc.Store(id="intake-bad"),
                dcc.Store(id="intake-bad-shown"),
                dcc.Store(id="intake-topic-owners", data={tp.code: tp.skpd for tp in complaints.topics(ctx.settings)}),
                dcc.Store(id="intake-lines", data=line_starts(ctx.settings)),
                panel(t("intake.form"), form(ctx), panel_id="intake-panel", className="intake-panel"),
            ],
            className="page intake-page",
        )

    access.page(__name__, path=PATH, roles=WRITERS, order=20, title_key="nav.calls", layout=layout, nav=False)

    access.clientside_callback(
        app,
        KEYS_JS.replace("ENTER_TAKES_IDS", json.dumps(list(ENTER_TAKES))),
        Output("intake-keys", "data"),
        Input("intake-ready", "data"),
        roles=WRITERS,
    )
    access.clientside_callback(
        app, BAD_JS, Output("intake-bad-shown", "data"), Input("intake-bad", "data"), roles=WRITERS
    )
    access.clientside_callback(
        app,
        COMPLAINT_JS,
        Output("intake-topic-row", "className"),
        Output("intake-skpd-row", "className"),
        Input("intake-category", "value"),
        roles=WRITERS,
    )
    access.clientside_callback(
        app,
        LINE_JS,
        Output("intake-category", "value"),
        Output("intake-district", "value"),
        Input("intake-line", "value"),
        State("intake-lines", "data"),
        roles=WRITERS,
    )
    access.clientside_callback(
        app,
        OWNER_JS,
        Output("intake-skpd", "value"),
        Input("intake-topic", "value"),
        State("intake-topic-owners", "data"),
        roles=WRITERS,
    )

    @access.callback(
        app,
        Output("intake-go", "href"),
        Output("intake-result", "children"),
        *[Output(f"{control}-error", "children") for control in FIELDS.values()],
        *[Output(control, "invalid") for control in MARKABLE],
        Output("intake-bad", "data"),
        Input("intake-submit", "n_clicks"),
        *[State(control, "value") for control in FIELDS.values()],
        State("intake-withheld", "value"),
        roles=WRITERS,
        prevent_initial_call=True,
        # A second press while the first is on its way sends nothing: the button is off until the answer.
        running=[(Output("intake-submit", "disabled"), True, False)],
    )
    def submit(
        clicks: int | None,
        line_code: str | None,
        caller_number: str | None,
        district: str | None,
        priority: Literal[1, 2, 3, "1", "2", "3"] | None,
        summary: str | None,
        category: str | None,
        topic: str | None,
        skpd_code: str | None,
        caller_name: str | None,
        village: str | None,
        landmark: str | None,
        site: str | None,
        withheld: bool | None,
    ):
        if not has_role(WRITERS):
            abort(403)
        if not clicks:
            raise dash.exceptions.PreventUpdate
        fields: dict[str, Any] = {
            "line_code": line_code or "",
            "caller_number": caller_number,
            "caller_withheld": bool(withheld),
            "caller_name": caller_name or "",
            "district": district or None,
            "village": village or "",
            "landmark": landmark or "",
            "site": site or None,
            "category": category or "",
            "topic": (topic or None) if category == "complaint" else None,
            "skpd_code": (skpd_code or None) if category == "complaint" else None,
            "priority": inc.parse_priority(priority),
            "summary": summary or "",
        }
        try:
            taken = take_call(ctx.engine, ctx.settings, fields, operator=current_user.username)
        except CallError as exc:
            return no_update, *refused(exc)
        href = f"/calls/{taken.incident_id}" + ("?linked=1" if taken.linked else "")
        return href, None, *[None] * len(FIELDS), *[False] * len(MARKABLE), no_update


def refused(exc: CallError) -> list[Any]:
    """The summary, each field's words, its invalid mark, and the controls to mark and focus."""
    problems: tuple[Problem, ...] = exc.details.get("problems", ()) if exc.code == "invalid" else ()
    by_field: dict[str, list[Problem]] = {}
    for problem in problems:
        by_field.setdefault(SHOWN_WITH.get(problem.field, problem.field), []).append(problem)
    on_form = [name for name in FIELDS if name in by_field]
    if not on_form:  # nothing the operator can correct on the form: say so, the English stays in the log
        alert = dbc.Alert(html.Span(t("intake.failed"), title=exc.message), color="danger")
        return [alert, *[None] * len(FIELDS), *[False] * len(MARKABLE), no_update]
    names = ", ".join(t(LABELS[name]) for name in on_form)
    alert = dbc.Alert(t("intake.check_fields", count=len(on_form), fields=names), color="danger")
    words = [_said(by_field[name]) if name in by_field else None for name in FIELDS]
    marks = [any(FIELDS[name] == control for name in on_form) for control in MARKABLE]
    # A new nonce each time, so the same refusal twice still moves the focus back to its first field.
    bad = {"ids": [FIELDS[name] for name in on_form], "all": list(FIELDS.values()), "n": time.monotonic_ns()}
    return [alert, *words, *marks, bad]


def _said(problems: list[Problem]) -> list[Any]:
    """A field's reasons in words, the English detail kept for a tooltip."""
    return [html.Div(_words(p), className="feedback-line", title=p.detail) for p in problems]


def _words(problem: Problem) -> str:
    if problem.reason == "too_long":
        return t("intake.why_too_long", limit=i18n.number(problem.limit, digits=0))
    if problem.reason in SAID_BY_FIELD:
        return t(f"intake.err_{problem.field}")
    return t(f"intake.why_{problem.reason}")
