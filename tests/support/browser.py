"""How tests and benchmarks launch Debian's Chromium: never a downloaded browser, quiet on a closed network."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def sign_in(page, base: str, username: str) -> None:
    """Through the sign-in form, as a person would; back once the page's shell is drawn (the sign-out
    control is attached, hidden on a wall account)."""
    from .web import PASSWORDS

    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    with page.expect_navigation():
        page.click("#login-submit")
    page.wait_for_selector("#logout", state="attached")
