"""The bupati's desk in Chromium: where he lands after signing in, whole on the wall and on his laptop
without scrolling (no row cut off below the screen), one column on a tablet; screenshots at the three."""

from __future__ import annotations

import pytest

from tests.dashboard.test_browser import ID, browser, expect_page
from tests.support.browser import sign_in

pytestmark = pytest.mark.browser

__all__ = ["browser"]

SIZES = {
    "1920x1080": {"width": 1920, "height": 1080},
    "1366x768": {"width": 1366, "height": 768},
    "tablet-820x1180": {"width": 820, "height": 1180},
}
# Everything of the desk that is drawn, and what of it lies below the window or outside its panel (below it,
# or past its right edge).
CUT = """() => {
  const bottom = window.innerHeight;
  const below = [];
  for (const el of document.querySelectorAll('.regent tr, .regent-chip, .regent-eye, .panel')) {
    const r = el.getBoundingClientRect();
    const box = el.closest('.panel-body') || el;
    const b = box.getBoundingClientRect();
    const panel = (el.closest('.panel') || el).getBoundingClientRect();
    if (r.bottom > bottom + 1 || (box !== el && r.bottom > b.bottom + 1) || r.right > panel.right + 1)
      below.push((el.dataset.metric || el.dataset.unit || el.dataset.line || el.dataset.district || el.id ||
                  el.className) + ' to ' + Math.round(r.bottom) + ' px');
  }
  return {below, scroll: document.scrollingElement.scrollHeight, inner: bottom,
          columns: getComputedStyle(document.querySelector('.regent-grid')).gridTemplateColumns.split(' ').length};
}"""


def test_the_desk_is_whole_on_the_wall_and_the_laptop(browser, seeded_server, screenshot_dir):
    base = seeded_server["url"]
    context = browser.new_context(viewport=SIZES["1920x1080"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, base, "bupati")
        assert page.url.endswith("/bupati")
        expect_page(page, "/bupati", ID)
        seen = {}
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
            seen[size] = page.evaluate(CUT)
            page.screenshot(path=str(screenshot_dir / f"regent-{size}.png"), full_page=size.startswith("tablet"))
    finally:
        context.close()
    for size in ("1920x1080", "1366x768"):
        assert seen[size]["below"] == [], (size, seen[size]["below"])
        assert seen[size]["scroll"] <= seen[size]["inner"], size
        assert seen[size]["columns"] == 3, size
    assert seen["tablet-820x1180"]["columns"] == 1
