"""The intake form refusing, in Debian's Chromium against the production server, with the keyboard only.

An operator presses Ctrl+Enter on the empty form: the line, the number, the
district and the category are each named in Indonesian right under their
field, marked invalid (words and a mark, not colour alone), the summary names
all four and the focus is on the first. Then a call with the number "12" and no
district: exactly those two are named. The operator clears the number, Tabs to
"number withheld", ticks it with Space, picks the district by typing, and the
call is taken. Each refusal is photographed at 1920x1080 for a person to read.
"""

from __future__ import annotations

import re

import pytest

from tests.support.browser import sign_in

pytestmark = pytest.mark.browser

# What an operator must read under each field, written here in Indonesian rather than read from the catalog.
EMPTY_SAYS = {
    "intake-line": "Pilih saluran",
    "intake-number": "Ketik nomor penelepon, atau centang",
    "intake-district": "Wajib untuk kejadian darurat",
    "intake-category": "Pilih jenis kejadian",
}
QUIET = ("intake-name", "intake-village", "intake-landmark", "intake-site", "intake-summary")


def focused(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def wait_focus(page, control: str) -> None:
    page.wait_for_function(f"document.activeElement && document.activeElement.id === '{control}'")


def said_under(page, control: str) -> str:
    """The words under a field, checked to be shown right below it and tied to it for a screen reader."""
    error = page.locator(f"#{control}-error")
    error.wait_for(state="visible")
    field, under = page.locator(f"#{control}").bounding_box(), error.bounding_box()
    assert field and under
    assert 0 <= under["y"] - (field["y"] + field["height"]) < 24, (control, field, under)
    assert under["x"] < field["x"] + field["width"] and field["x"] < under["x"] + under["width"], control
    assert page.locator(f"#{control}").get_attribute("aria-invalid") == "true", control
    assert page.locator(f"#{control}").get_attribute("aria-describedby") == f"{control}-error", control
    return error.inner_text()


def test_refusals_name_every_field_in_indonesian_and_the_keyboard_fixes_them(live_server, page, screenshot_dir):
    base = live_server["url"]
    sign_in(page, base, "operator")
    page.goto(base + "/calls/new")
    wait_focus(page, "intake-line")
    kb = page.keyboard

    # 1. Nothing typed: every missing field is named, under itself, and the focus goes to the first.
    kb.press("Control+Enter")
    page.locator("#intake-line-error .feedback-line").wait_for()
    for control, says in EMPTY_SAYS.items():
        assert says in said_under(page, control), control
    for control in QUIET:
        assert page.locator(f"#{control}-error").inner_text() == "", control
    summary = page.locator("#intake-result").inner_text()
    for label in ("Saluran", "Nomor penelepon", "Kecamatan", "Jenis kejadian"):
        assert label in summary, summary
    assert "4 kolom" in summary
    assert "is-invalid" in (page.locator("#intake-district").get_attribute("class") or "")
    wait_focus(page, "intake-line")
    page.locator("#wita-clock .clock-time").wait_for(state="visible")
    page.screenshot(path=str(screenshot_dir / "calls-intake-refused-empty.png"))

    # 2. A line (which gives the category), the tester's "12", but no district: exactly those two are named.
    kb.type("PSC")  # a native select picks by typing its option's name
    assert page.locator("#intake-line").input_value() == "psc-119"
    # "P" picked another line on the way; the form follows each pick and the last one wins.
    page.wait_for_function("document.getElementById('intake-category').value === 'medical'")  # the line's own
    kb.press("Tab")
    assert focused(page) == "intake-number"
    kb.type("12")
    kb.press("Tab")  # with a number typed, "number withheld" is no Tab stop: on to the district
    assert focused(page) == "intake-district"
    kb.press("Control+Enter")
    page.wait_for_function("document.getElementById('intake-line-error').innerText === ''")
    assert "nomor layanan" in said_under(page, "intake-number")
    assert "Wajib untuk kejadian darurat" in said_under(page, "intake-district")
    for control in ("intake-line", "intake-category", *QUIET):
        assert page.locator(f"#{control}-error").inner_text() == "", control
        assert page.locator(f"#{control}").get_attribute("aria-invalid") is None, control
    assert "2 kolom" in page.locator("#intake-result").inner_text()
    wait_focus(page, "intake-number")
    page.screenshot(path=str(screenshot_dir / "calls-intake-refused-number.png"))

    # 3. Fixed with the keyboard: the caller withheld the number; the place is Lalabata.
    kb.press("Control+a")
    kb.press("Backspace")
    kb.press("Tab")
    assert focused(page) == "intake-withheld", "with no number, the mark is the next Tab stop"
    kb.press("Space")
    assert page.locator("#intake-withheld").is_checked()
    kb.press("Tab")
    assert focused(page) == "intake-district"
    kb.type("Lalabata")
    assert page.locator("#intake-district").input_value() == "lalabata"
    kb.press("Control+Enter")
    page.wait_for_url(re.compile(r"/calls/\d+$"))
    page.locator("#incident-head").wait_for()


def test_a_complaints_topic_and_unit_show_only_for_a_complaint_and_the_topic_picks_the_unit(live_server, page):
    base = live_server["url"]
    sign_in(page, base, "operator")
    page.goto(base + "/calls/new")
    wait_focus(page, "intake-line")
    # Hidden from the start, before any field changes (they showed on an untouched form once).
    assert page.locator("#intake-topic-row").is_hidden() and page.locator("#intake-skpd-row").is_hidden()
    page.keyboard.type("PSC")
    page.locator("#intake-category").wait_for()
    page.wait_for_function("document.getElementById('intake-category').value === 'medical'")
    assert page.locator("#intake-topic-row").is_hidden()
    page.select_option("#intake-category", "complaint")
    page.locator("#intake-topic-row").wait_for(state="visible")
    page.select_option("#intake-topic", "street-lights")
    # Street lights are the transport office's (Dishub), as the regency's topics say.
    page.wait_for_function("document.getElementById('intake-skpd').value === 'dishub'")
