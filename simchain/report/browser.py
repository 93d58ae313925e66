"""Rendering a report page in headless Chromium: what a reader's browser shows, and what it
complains about. Used by the tests and by `make screenshots`; needs the `playwright` package
(a development dependency) and a Chromium binary (Debian's `chromium` package)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path


def chromium() -> str | None:
    """The Chromium binary: $SIMCHAIN_CHROMIUM, else `chromium` or `chromium-browser` on PATH."""
    given = os.environ.get("SIMCHAIN_CHROMIUM")
    if given:
        return given
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Rendering:
    """What the browser saw: console errors and page errors, images drawn / on the page."""

    errors: list[str] = field(default_factory=list)
    images_drawn: int = 0
    images: int = 0
    height: int = 0


def render(
    page: Path,
    screenshot: Path,
    width: int = 1200,
    height: int = 900,
    scroll_to: str | None = None,
) -> Rendering:
    """Open `page` (a local file, no network), wait for it to load, and save a screenshot of
    one screen: the top, or from the element `scroll_to` (a CSS selector) down."""
    from playwright.sync_api import sync_playwright

    binary = chromium()
    if binary is None:
        raise FileNotFoundError("no Chromium found: install Debian's chromium package")
    seen = Rendering()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=binary, args=["--no-sandbox"])
        try:
            tab = browser.new_page(viewport={"width": width, "height": height})
            tab.on(
                "console",
                lambda m: seen.errors.append(m.text) if m.type in ("error", "warning") else None,
            )
            tab.on("pageerror", lambda e: seen.errors.append(str(e)))
            tab.on("requestfailed", lambda r: seen.errors.append(f"failed to load {r.url}"))
            tab.goto(page.resolve().as_uri(), wait_until="load")
            seen.images = int(tab.evaluate("document.images.length"))
            seen.images_drawn = int(
                tab.evaluate(
                    "Array.from(document.images)"
                    ".filter(i => i.complete && i.naturalWidth > 0).length"
                )
            )
            seen.height = int(tab.evaluate("document.body.scrollHeight"))
            if scroll_to is not None:
                tab.locator(scroll_to).first.scroll_into_view_if_needed()
                tab.evaluate(
                    "s => window.scrollTo(0, document.querySelector(s).offsetTop - 10)", scroll_to
                )
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(screenshot))
        finally:
            browser.close()
    return seen
