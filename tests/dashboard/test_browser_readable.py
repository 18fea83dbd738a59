"""Readable from across the room, nothing hidden without a way to it (issue 19, section 7).

Every page each role can reach, and the kiosk wall, at the two screens the
command center has (a 1920x1080 wall or desk, a 1366x768 laptop), on the
seeded server of tests/dashboard/conftest.py. On each: the page does not
scroll sideways; at the wall's width the navigation is one row; no text is
cut short (a box that clips the words in it); the Indonesian interface shows
no English word of the small dictionary below (the technical text may stay in
a tooltip, which is not read here); and no row is hidden without a control
that shows it (on the wall, a pager that turns by itself).

One browser, one context per role, one page reused: each page is loaded
once and looked at in both sizes.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.dashboard.test_browser import ALLOWED, ID, PAGES, WALL_PAGES, browser, expect_page, sign_in

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the module's one Chromium, shared with test_browser.py's fixture

TIMEOUT_MS = 15_000
SIZES = {"1920x1080": {"width": 1920, "height": 1080}, "1366x768": {"width": 1366, "height": 768}}
# English words an Indonesian reader should never meet in the interface (the back-ends' texts are made of
# them). Left out: words Indonesian uses too (status, data, server, online, video), and "No." (nomor).
ENGLISH = {
    *("the", "and", "with", "within", "from", "not", "found", "none", "null", "unknown", "error", "errors"),
    *("failed", "refused", "timeout", "timed", "reply", "returned", "answer", "connection"),
    *("unauthorized", "forbidden", "loading", "open", "closed", "missing", "invalid", "entered", "figure"),
    *("above", "below", "range", "stream", "frame", "ended", "stopped", "sending", "unreachable", "host"),
}
PAGER = re.compile(r"^\d[\d.]*[–-]\d[\d.]* dari \d[\d.]*$")

SETTLE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
# Plotly redraws a chart for a new window size on a timer of its own: each chart as wide as its box again.
CHARTS_FIT = """() => [...document.querySelectorAll('.js-plotly-plot')].every(plot => {
  const svg = plot.querySelector('.main-svg');
  return !svg || svg.getBoundingClientRect().width <= plot.getBoundingClientRect().width + 1;
})"""
# The page as the user sees it now: its width, every clipped text, every English word, every hidden row.
LOOK = """(english) => {
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const label = el => (el.id ? '#' + el.id : el.tagName.toLowerCase()) +
                      (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ').join('.') : '');
  const cut = [];
  for (const el of document.body.querySelectorAll('*')) {
    // a screen reader's text is clipped to nothing on purpose; a chart draws its own labels
    if (el.closest('svg, .js-plotly-plot, [hidden], input, select, textarea, .visually-hidden') || !shown(el)) continue;
    if (!(el.innerText || '').trim() || el.querySelector('video, img, canvas, .js-plotly-plot')) continue;
    const s = getComputedStyle(el);
    const clips = s.textOverflow === 'ellipsis' || s.overflowX === 'hidden' || s.overflowX === 'clip';
    if (clips && el.scrollWidth > el.clientWidth + 1)
      cut.push(`${label(el)} (${el.scrollWidth} px in ${el.clientWidth}): ${el.innerText.trim().slice(0, 60)}`);
  }
  // Commands, payloads and keys (code, pre) are technical on purpose; everything else is read.
  const words = [];
  const reader = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = reader.nextNode(); node; node = reader.nextNode()) {
    const parent = node.parentElement;
    if (parent.closest('code, pre, script, style, [hidden]') || !shown(parent)) continue;
    const text = node.textContent;
    for (const m of text.matchAll(/[A-Za-z]+/g)) {
      if (english.includes(m[0].toLowerCase())) words.push(m[0] + ' in "' + text.trim().slice(0, 80) + '"');
    }
  }
  const hidden = [];
  const pagers = [];
  for (const box of document.querySelectorAll('.fit')) {
    const n = box.querySelectorAll('.fit-item[hidden]').length;
    if (!n) continue;
    const more = box.parentElement.querySelector(':scope > .fit-more');
    const control = more && more.querySelector('button, a, summary');
    if (!more || !shown(more)) hidden.push(label(box.parentElement) + ': ' + n + ' rows hidden, nothing says so');
    else if (!control && !document.documentElement.classList.contains('kiosk'))
      hidden.push(label(box.parentElement) + ': ' + n + ' rows hidden behind "' + more.innerText + '", no control');
    else pagers.push(more.innerText.trim());
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (/\\+\\s*\\d[\\d.]*\\s+lainnya/.test(node.textContent) && shown(parent) && !parent.closest('a, button, summary'))
      hidden.push(label(parent) + ': "' + node.textContent.trim() + '" leads nowhere');
  }
  // What sticks out on the right, outermost first: where to look when the page scrolls sideways.
  const room = document.scrollingElement.clientWidth;
  const wide = [...document.body.querySelectorAll('*')]
    .filter(el => shown(el) && el.getBoundingClientRect().right > room + 1 && !el.closest('svg'))
    .filter((el, i, all) => !all.includes(el.parentElement))
    .slice(0, 3).map(el => label(el) + ' to ' + Math.round(el.getBoundingClientRect().right) + ' px');
  const links = [...document.querySelectorAll('.scc-nav .nav-link')].filter(shown);
  const rows = new Set(links.map(a => Math.round(a.getBoundingClientRect().top)));
  const nav = document.querySelector('.scc-nav');
  const navWidth = links.reduce((sum, a) => sum + a.getBoundingClientRect().width, 0);
  return {width: document.scrollingElement.scrollWidth, inner: window.innerWidth, cut, words, hidden, pagers, wide,
          navRows: rows.size, navNeeds: Math.round(navWidth), navHas: nav ? nav.clientWidth : 0};
}"""


@pytest.fixture(scope="module")
def base(seeded_server) -> str:
    return seeded_server["url"]


def look(page, where: str, kiosk: bool = False) -> list[str]:
    """What reads wrong on the page as it is now, each problem with where it was seen."""
    page.evaluate(SETTLE)  # scc.js fits the lists on the next frame
    seen = page.evaluate(LOOK, sorted(ENGLISH))
    problems = []
    if seen["width"] > seen["inner"]:
        problems.append(f"{where}: scrolls sideways ({seen['width']} px wide in {seen['inner']}: {seen['wide']})")
    problems += [f"{where}: text cut short: {c}" for c in seen["cut"]]
    problems += [f"{where}: English word {w}" for w in seen["words"]]
    problems += [f"{where}: {h}" for h in seen["hidden"]]
    if kiosk:
        problems += [f"{where}: the wall's pager says {p!r}" for p in seen["pagers"] if not PAGER.match(p)]
    if seen["inner"] >= SIZES["1920x1080"]["width"] and seen["navRows"] > 1:
        problems.append(
            f"{where}: the navigation wraps onto {seen['navRows']} rows at the wall's width "
            f"(its links {seen['navNeeds']} px in {seen['navHas']})"
        )
    return problems


def resize(page, viewport: dict[str, int]) -> None:
    """The window at another size, as if the page had been opened there (charts redrawn to fit)."""
    if page.viewport_size != viewport:
        page.set_viewport_size(viewport)
        page.wait_for_function(CHARTS_FIT)


def visit(page, base: str, path: str, query: str = "") -> None:
    """The page at `path` rendered at the wall's size. Within the app it is reached as its own links reach it
    (dcc.Link: the history changes, Dash's router answers), which spares a reload of the app per page."""
    page.set_viewport_size(SIZES["1920x1080"])
    if query or not page.url.startswith(base) or urlsplit(page.url).path == "/login":
        page.goto(base + path + query)
    else:
        page.evaluate(
            "path => { history.pushState({}, '', path); dispatchEvent(new CustomEvent('_dashprivate_pushstate')); }",
            path,
        )
    expect_page(page, path, ID)


# The operator's pages are the admin's, less the admin's own two: the admin reads for both.
@pytest.mark.parametrize("username", ["admin", "bupati", "dpmptsp"])
def test_every_page_reads_whole_at_both_sizes(browser, base, screenshot_dir, username):
    context = browser.new_context(viewport=SIZES["1920x1080"])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    try:
        sign_in(page, base, username)
        for path in ALLOWED[username]:
            visit(page, base, path)
            for size, viewport in SIZES.items():
                resize(page, viewport)
                problems += look(page, f"{username} {path} {size}")
                if username == "admin" and size == "1366x768":  # test_browser.py photographs the 1920 ones
                    page.screenshot(path=str(screenshot_dir / f"wall-{username}-{PAGES[path][3]}-{size}.png"))
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_wall_pages_through_what_does_not_fit(browser, base, screenshot_dir):
    """Kiosk mode: every wall page at both sizes, and a list longer than its panel turns its own pages
    ("1–8 dari 50") instead of hiding the rest."""
    context = browser.new_context(viewport=SIZES["1920x1080"])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    try:
        sign_in(page, base, "operator")
        for i, path in enumerate(WALL_PAGES):
            visit(page, base, path, "?kiosk=1" if i == 0 else "")
            for size, viewport in SIZES.items():
                resize(page, viewport)
                problems += look(page, f"kiosk {path} {size}", kiosk=True)
                page.screenshot(path=str(screenshot_dir / f"wall-kiosk-{PAGES[path][3]}-{size}.png"))
        visit(page, base, "/calls")
        page.set_viewport_size(SIZES["1366x768"])
        pager = page.locator("#calls-recent .fit-more")
        first = pager.inner_text().strip()
        assert PAGER.match(first), f"the recent calls on a small wall: {first!r}"
        page.wait_for_function(  # the pager turns by itself, within its period and a margin
            "(first) => document.querySelector('#calls-recent .fit-more').innerText.trim() !== first",
            arg=first,
            timeout=15_000,
        )
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_a_cut_list_opens_at_the_desk(browser, base):
    """On a large screen at a desk the overview and board fit the screen; "+N lainnya" under a cut list is a
    button that opens the list to scroll in its panel, and closes it again."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES["1920x1080"])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, base, "operator")
        visit(page, base, "/calls")
        rows = page.locator("#calls-table tbody tr")
        button = page.locator("#calls-recent .fit-more button")
        button.wait_for(state="visible")
        shown = page.locator("#calls-table tbody tr:not([hidden])").count()
        assert re.fullmatch(r"\+\d+ lainnya", button.inner_text()), button.inner_text()
        assert int(button.inner_text()[1:].split()[0]) == rows.count() - shown
        button.click()
        expect(button).to_have_text(ID["common.less"])
        expect(page.locator("#calls-table tbody tr[hidden]")).to_have_count(0)
        box = page.locator("#calls-recent .fit")
        assert box.evaluate("b => b.scrollHeight > b.clientHeight && getComputedStyle(b).overflowY === 'auto'")
        button.click()
        expect(page.locator("#calls-table tbody tr:not([hidden])")).to_have_count(shown)
    finally:
        context.close()
