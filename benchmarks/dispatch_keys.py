"""Key presses from a ringing phone to a unit on its way, in Debian's Chromium: dispatch.py's first figure.

The operator starts on the emergency board (/calls), freshly drawn, the keyboard nowhere yet (as after
looking at the wall), signed in as an operator. For each typical call of CALLS, with the keyboard
alone: the board's key N (take a call); on the intake form (its focus starts on the line) fill in the
fields the call has that do not show its value yet (picking a line fills in its usual category, and a
fire post's district), in the form's own order as the page has it, pressing Tab to move from field to
field, and Enter in the description to take the call (Ctrl+Enter when the last field filled is
another); on the incident page the keyboard is already in the unit list with the suggestion shown,
and Enter sends it. The unit sent is checked in storage: of the kind the
call needs (an ambulance for the medical call).

How key presses are counted (`Keys`):
  - `keys`: every navigation or command key (Tab, Enter, the priority's digit) plus ONE per field
    filled in, whatever its length: what the caller dictates (number, description) is not the
    operator's choice of keys, so a long description must not make the form look slower than a short
    one. A native list is filled by typing the start of its choice (the shortest start that picks it,
    as an operator who knows the list types it) and counts as one entry too.
  - `chars`: the characters typed into the fields (dictated text and the lists' starts).
A field left empty costs nothing but the Tabs that pass it. Every Tab is counted, so a form that asks
for its fields in another order, or has more stops, shows here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from callcenter import lifecycle
from scc.storage.callcenter import incidents
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, sign_in  # the tests' sign-in, through the form

TIMEOUT_MS = 20_000
MAX_TABS = 40  # a field not reached by then is not on the form's Tab path: an error, not a figure
STOP_JS = (
    "(e => e ? (e.id || e.tagName.toLowerCase() + ':' + (e.textContent || '').trim().slice(0, 20)) : '')"
    "(document.activeElement)"
)


@dataclass(frozen=True)
class Call:
    """A typical call: the fields an operator fills in, in the form's words (ids without `intake-`)."""

    name: str
    fields: dict[str, str]  # control -> what is typed (a list: the value to pick)
    priority: int
    needs: frozenset[str]  # the kinds of unit that are right for it (written here, not read from config)


CALLS = (
    Call(
        "medical",
        {
            "line": "psc-119",
            "number": "0852 4400 0119",
            "district": "ganra",
            "category": "medical",
            "summary": "Orang tua pingsan, tidak sadar",
        },
        1,
        frozenset({"ambulance"}),
    ),
    Call(
        "fire",
        {
            "line": "damkar-citta",
            "number": "0852 4400 0113",
            "district": "citta",
            "category": "fire",
            "summary": "Rumah terbakar dekat pasar",
        },
        1,
        frozenset({"fire_truck"}),
    ),
    Call(
        "police",
        {
            "line": "polres-110",
            "number": "0852 4400 0110",
            "district": "lilirilau",
            "category": "crime",
            "summary": "Motor dicuri di depan masjid",
        },
        2,
        frozenset({"police_patrol"}),
    ),
)


class Keys:
    """The page's keyboard, counting as the module's docstring says."""

    def __init__(self, page: Any) -> None:
        self.page, self.keys, self.chars = page, 0, 0
        self.said: list[str] = []  # the keys as pressed, for the log
        self.passed: list[str] = []  # where each Tab went: what the form makes an operator pass

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.keys += 1
        self.said.append(key)

    def enter(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.keys += 1
        self.chars += len(text)
        self.said.append(repr(text))

    def tab_to(self, control: str) -> None:
        """Tab until the focus is on `control` (or inside it: a radio group)."""
        for _ in range(MAX_TABS):
            if self.page.evaluate(f"!!document.activeElement && !!document.activeElement.closest('#{control}')"):
                return
            self.press("Tab")
            self.passed.append(self.page.evaluate(STOP_JS))
        raise RuntimeError(f"{control} not reached with {MAX_TABS} Tabs")


def shortest_start(page: Any, control: str, value: str) -> str:
    """The fewest first letters of `value`'s label that a native list's type-ahead picks it with."""
    options = page.eval_on_selector_all(f"#{control} option", "els => els.map(e => [e.value, e.textContent])")
    label = next(text for v, text in options if v == value)
    for n in range(1, len(label) + 1):
        start = label[:n].lower()
        if next(v for v, text in options if text.lower().startswith(start)) == value:
            return label[:n]
    raise RuntimeError(f"{value} cannot be typed in #{control}")


def take(page: Any, base: str, call: Call) -> tuple[Keys, dict[str, int], int]:
    """The call from the board to a unit sent: the counter, the keys per page, the incident's number."""
    page.goto(base + "/calls")
    page.locator("#calls-table, #calls-recent").first.wait_for()
    k = Keys(page)
    k.press("n")
    page.wait_for_url(re.compile(r"/calls/new$"))
    page.wait_for_function("document.activeElement && document.activeElement.id === 'intake-line'")
    on_board = k.keys
    wanted = {f"intake-{field}": value for field, value in call.fields.items()}
    wanted["intake-priority"] = str(call.priority)
    order = page.eval_on_selector_all(
        "#intake-form [id^='intake-']", "els => els.map(e => e.id)"
    )  # the form's own order of its controls
    for control in [c for c in order if c in wanted]:
        value = wanted[control]
        if control == "intake-priority":
            if page.locator("#intake-priority input:checked").input_value() != value:
                k.tab_to(control)
                k.press(value)
            continue
        if page.locator(f"#{control}").input_value() == value:
            continue  # filled in already (from the line)
        k.tab_to(control)
        is_list = page.eval_on_selector(f"#{control}", "e => e.tagName") == "SELECT"
        k.enter(shortest_start(page, control, value) if is_list else value)
        if page.locator(f"#{control}").input_value() != value:
            raise RuntimeError(f"#{control} shows {page.locator(f'#{control}').input_value()!r}, not {value!r}")
    in_summary = page.evaluate("document.activeElement && document.activeElement.id === 'intake-summary'")
    k.press("Enter" if in_summary else "Control+Enter")  # takes the call
    page.wait_for_url(re.compile(r"/calls/\d+$"))
    number = int(page.url.rsplit("/", 1)[1])
    on_intake = k.keys - on_board
    # The page puts the keyboard on the unit list, the suggestion shown: no key needed to get there.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'incident-unit'")
    k.press("Enter")
    page.locator("#incident-head [data-status='dispatched']").wait_for()
    return k, {"board": on_board, "intake": on_intake, "incident": k.keys - on_board - on_intake}, number


def measure(url: str, engine: Any, settings: Any, say: Any) -> dict[str, Any]:
    """Every call of CALLS taken once, the incident ended afterwards through the services."""
    from playwright.sync_api import sync_playwright

    kind_of = {u.code: u.kind for u in settings.response_units}
    by_call: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            sign_in(page, url, "operator")
            for call in CALLS:
                k, parts, number = take(page, url, call)
                sent = sorted(u for u, i in lifecycle.busy_units(engine).items() if i == number)
                right = len(sent) == 1 and kind_of[sent[0]] in call.needs
                by_call[call.name] = {"keys": k.keys, "chars": k.chars, "by_page": parts, "sent": sent,
                                      "right_kind": right}  # fmt: skip
                say(f"{call.name}: {k.keys} keys ({parts}), {k.chars} chars, sent {sent}: {' '.join(k.said)}")
                say(f"  the Tabs went to: {', '.join(k.passed)}")
                with engine.connect() as conn:
                    version = conn.execute(select(incidents.c.version).where(incidents.c.id == number)).scalar_one()
                lifecycle.advance(engine, number, "cancelled", operator="bench", version=version, reason="bench")
            context.close()
        finally:
            browser.close()
    medical = by_call["medical"]
    return {
        "intake_to_dispatch_keys": medical["keys"],
        "intake_to_dispatch_chars": medical["chars"],
        "intake_to_dispatch_keys_by_page": medical["by_page"],  # board, intake form, incident page
        "intake_to_dispatch_keys_max": max(c["keys"] for c in by_call.values()),
        "intake_to_dispatch_right_kind": all(c["right_kind"] for c in by_call.values()),
        "intake_to_dispatch_by_call": by_call,
    }
