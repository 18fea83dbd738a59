"""What each role may call, written here, not read from the access table it checks.

README, "Who sees what": the bupati (viewer) reads and writes nothing but his
own language, password and alert sound; SKPD staff write their unit's figures and the
complaints routed to it, and acknowledge their unit's alerts; operators take
calls, work incidents, import call logs, close settled complaints, acknowledge
and silence alerts; the admin does what operators do, enters
figures on any unit's behalf, and runs the Administrasi page. Every callback
the app registers is named below with the roles that may call it; one added
without being named here, or declared for a role not named here, fails.

Each callback is posted as each role (403 for every role not named), and
`/_dash-dependencies` tells each role's browser of exactly its callbacks.
"""

from __future__ import annotations

import pytest

from dashboard.access import ROUTER
from tests.support.dashapp import callback_body, client, post_callback, server_side
from tests.support.web import ROLE_OF

ROLES = ("admin", "operator", "viewer", "skpd")
PAGE_TITLE = "_pages_dummy.children"  # Dash's own clientside callback: the browser's title on every page
USER_OF = {role: user for user, role in ROLE_OF.items()}

# Reads every signed-in user makes: the page router and the title, their own password, the wall and
# camera health (SKPD staff: their unit's cameras only), a unit's page (SKPD staff: their own only).
EVERYONE = {
    "router",
    "title",
    "clock",
    "account.change",
    "account.sound",
    "cameras.turn",
    "cameras.remember",
    "cameras.refresh",
    "cameras.enlarge",
    "cameras_health.refresh",
    "metrics_unit.refresh",
    # complaints (SKPD staff: their unit's only) and the history (SKPD staff: their unit's complaints only)
    "callcenter_complaints.show",
    "callcenter_complaints.opened",
    "callcenter_history.find",
    "callcenter_history.opened",
    # the alert bar of every page, the alerts page's lists (SKPD staff: their unit's alerts only)
    "alerts.bar",
    "alerts.refresh",
    "alerts.history",
    # the Reports page's list (SKPD staff: their unit's weekly reports only)
    "reports.refresh",
}
# Reads of the whole regency: the overview, calls, complaints, every unit's figures.
REGENCY = {
    "overview.refresh",
    "regent.refresh",
    "callcenter.refresh",
    "callcenter_kpi.show",
    "callcenter_map.show",
    "callcenter_incident.refresh",
    "callcenter_complaints.refresh",
    "metrics.refresh",
    "metrics_compare.refresh",
}
# A unit's own figures: its entry page, the form and the CSV upload.
UNIT_FIGURES = {"metrics_own.show", "metrics_own.submit", "metrics_own.upload"}
# Taking calls and working them: the intake form (and, in the browser, its keys, a complaint's rows,
# what the line and the topic fill in), the call-log import, an incident's steps and notes, closing
# settled complaints.
CALL_WORK = {
    "callcenter_intake.submit",
    "intake-keys.data",
    "..intake-topic-row.className...intake-skpd-row.className..",
    "..intake-category.value...intake-district.value..",
    "intake-skpd.value",
    "intake-bad-shown.data",
    "callcenter_import.received",
    "callcenter_incident.act",
    "callcenter_incident.save",
    "callcenter_complaints.close",
}
# The Administrasi page: users, kiosk mode, every unit's rejections. Any callback of that page is the
# admin's alone, these and any added later.
# Alerts: acknowledging one with a note (SKPD staff: about their own unit), the list to pick from; silencing a
# rule for a while and lifting a silence, with the silences in force.
ALERT_ACK = {"alerts.acknowledge", "alerts.choices", "alerts.pick_row"}
ALERT_SILENCE = {"alerts.silence", "alerts.lift", "alerts.silenced"}
ADMIN_PAGE = {"admin.create", "admin.change", "admin.show_kiosk", "admin.rejected_for"}
# Asking the reports process for the report of a past day or week (the bupati downloads, never asks).
REPORTS_ASK = {"reports.ask"}
# The public boards: a unit's display links and announcement (SKPD staff: their own unit's only).
BOARDS = {"boards.show", "boards.save_notice", "boards.create", "boards.revoke"}

MAY_CALL = {
    "viewer": EVERYONE | REGENCY,
    "skpd": (
        EVERYONE | UNIT_FIGURES | ALERT_ACK | BOARDS | {"callcenter_complaints.pick", "callcenter_complaints.write"}
    ),
    "operator": EVERYONE | REGENCY | CALL_WORK | ALERT_ACK | ALERT_SILENCE | REPORTS_ASK,
    "admin": (
        EVERYONE | REGENCY | CALL_WORK | UNIT_FIGURES | ALERT_ACK | ALERT_SILENCE | ADMIN_PAGE | BOARDS | REPORTS_ASK
    ),
}
# Of those, the ones that change something. The viewer's language is a route (/language), not a callback.
WRITES = {
    "account.change",
    "account.sound",
    "metrics_own.submit",
    "metrics_own.upload",
    "callcenter_complaints.write",
    "callcenter_intake.submit",
    "callcenter_import.received",
    "callcenter_incident.act",
    "callcenter_incident.save",
    "callcenter_complaints.close",
    "admin.create",
    "admin.change",
    "alerts.acknowledge",
    "alerts.silence",
    "alerts.lift",
    "reports.ask",
    "boards.save_notice",
    "boards.create",
    "boards.revoke",
}


def named(app, access) -> dict[str, str]:
    """Every callback of the app by a name written above: page.function for the server's, the output for
    the browser's own (clientside) ones."""
    names = {ROUTER: "router", PAGE_TITLE: "title", "wita-clock.children": "clock"}
    for key in app.callback_map:
        fn = access.functions.get(key)
        if fn is not None:
            names[key] = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"
        names.setdefault(key, key)
    return names


def allowed(name: str, role: str) -> bool:
    if name.startswith("admin."):
        return role == "admin"
    return name in MAY_CALL[role]


def test_the_list_names_every_callback_and_nothing_else(app, access):
    names = set(named(app, access).values())
    listed = set().union(*MAY_CALL.values())
    assert sorted(names - listed - {n for n in names if n.startswith("admin.")}) == [], "callbacks not listed here"
    assert sorted(listed - names) == [], "listed here, but the app has no such callback"


def test_what_each_role_writes():
    calls = {
        "callcenter_intake.submit",
        "callcenter_import.received",
        "callcenter_incident.act",
        "callcenter_incident.save",
    }
    own = {"account.change", "account.sound"}
    assert MAY_CALL["viewer"] & WRITES == own, "the bupati: nothing but his own password and alert sound"
    unit = {"metrics_own.submit", "metrics_own.upload", "callcenter_complaints.write", "alerts.acknowledge"}
    unit |= {"boards.save_notice", "boards.create", "boards.revoke"}
    assert MAY_CALL["skpd"] & WRITES == own | unit, "their unit's figures, complaints and alerts"
    alerts = {"alerts.acknowledge", "alerts.silence", "alerts.lift"}
    assert MAY_CALL["operator"] & WRITES == own | {"callcenter_complaints.close"} | calls | alerts | REPORTS_ASK
    assert MAY_CALL["admin"] & WRITES == WRITES - {"callcenter_complaints.write"}, "notes on a complaint are its unit's"


def test_every_callback_answers_exactly_the_roles_listed(app, access):
    sessions = {role: client(app, USER_OF[role]) for role in ROLES}
    names = named(app, access)
    checked = 0
    for key in server_side(app):
        body = callback_body(app, key)
        assert post_callback(client(app), body).status_code == 401, key
        for role, c in sessions.items():
            status = post_callback(c, body).status_code
            if allowed(names[key], role):
                assert status not in (401, 403) and status < 500, f"{names[key]} as {role}: {status}"
            else:
                assert status == 403, f"{names[key]} as {role}: {status}, but the list says no"
            checked += 1
    assert checked >= 4 * 30


@pytest.mark.parametrize("role", ROLES)
def test_each_browser_is_told_only_its_own_callbacks(app, access, role):
    """/_dash-dependencies: the callbacks a role may call and nothing else, no other role's names."""
    names = named(app, access)
    r = client(app, USER_OF[role]).get("/_dash-dependencies")
    assert r.status_code == 200
    told = {names[c["output"]] for c in r.get_json()}
    expected = {n for n in names.values() if allowed(n, role)}
    assert told == expected, (sorted(told - expected), sorted(expected - told))
    if role != "admin":
        assert "admin-" not in r.get_data(as_text=True), "the administrator's controls are named to a non-admin"
