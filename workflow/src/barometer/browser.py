"""Open a rendered HTML report in headless Chromium (Playwright), as a reader would.

Uses the system Chromium (``/usr/bin/chromium``, or ``$BAROMETER_CHROMIUM``); Playwright never
downloads a browser here. Every request other than ``file:`` and ``data:`` URLs is aborted, so a
report that is not self-contained shows up in ``failed_requests`` instead of reaching the network.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_ARGS", "chromium_path", "inspect_page", "screenshot"]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
_IMAGES_JS = """imgs => imgs.map(img => ({
    src_prefix: (img.getAttribute('src') || '').slice(0, 32), alt: img.getAttribute('alt'),
    natural_width: img.naturalWidth, natural_height: img.naturalHeight, complete: img.complete}))"""
# the table of contents (nav#TOC): its links and whether each points at a heading of the page
_TOC_JS = """() => Array.from(document.querySelectorAll('nav#TOC a')).map(a => {
    const id = a.getAttribute('href').slice(1);  // as a browser resolves a fragment: as written, then decoded
    const target = document.getElementById(id) || document.getElementById(decodeURIComponent(id));
    return {text: a.textContent.trim(), target: target ? target.tagName.toLowerCase() : null}; })"""
# every <table>: its caption and its cells' text, row by row
_TABLES_JS = """() => Array.from(document.querySelectorAll('table')).map(t => ({
    caption: t.caption ? t.caption.textContent.trim() : '',
    rows: Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.innerText.trim()))}))"""


def chromium_path() -> Path:
    """The Chromium executable: ``$BAROMETER_CHROMIUM`` or ``/usr/bin/chromium``."""
    return Path(os.environ.get("BAROMETER_CHROMIUM", "/usr/bin/chromium"))


@contextmanager
def _page(html: Path, width: int = 1200) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    """Yield a loaded page and the errors / failed requests collected while loading it."""
    from playwright.sync_api import sync_playwright

    events: dict[str, list[str]] = {"console_errors": [], "page_errors": [], "failed_requests": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path()),
                                             args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.route("**/*", lambda route: route.continue_()
                       if route.request.url.startswith(("file:", "data:")) else route.abort())
            page.on("console", lambda msg: msg.type == "error"
                    and events["console_errors"].append(msg.text))
            page.on("pageerror", lambda exc: events["page_errors"].append(str(exc)))
            page.on("requestfailed", lambda request: events["failed_requests"].append(
                f"{request.url[:200]} ({request.failure})"))
            page.goto(Path(html).resolve().as_uri(), wait_until="load")
            yield page, events
        finally:
            browser.close()


def inspect_page(html: Path) -> dict[str, Any]:
    """Load ``html`` and report what a reader's browser would see.

    Returns ``{"console_errors", "page_errors", "failed_requests", "images", "title",
    "text_length", "lang", "toc", "tables", "text"}``; ``images`` lists, per ``<img>``, the first
    characters of its ``src``, its ``alt`` text, its natural size (0 when it failed to load) and
    ``complete`` flag; ``toc`` the links of the table of contents (``nav#TOC``) with the tag of the
    element each points to (``None``: a broken link); ``tables`` every table's caption and cell
    texts; ``text`` the page's visible text.
    """
    with _page(html) as (page, events):
        text = page.evaluate("document.body ? document.body.innerText : ''")
        return {**events, "images": page.eval_on_selector_all("img", _IMAGES_JS),
                "title": page.title(), "text_length": len(text), "text": text,
                "lang": page.evaluate("document.documentElement.lang"),
                "toc": page.evaluate(_TOC_JS), "tables": page.evaluate(_TABLES_JS)}


def screenshot(html: Path, png_path: Path, width: int = 1200) -> Path:
    """Save a full-page screenshot of ``html`` rendered ``width`` CSS pixels wide."""
    with _page(html, width) as (page, _):
        page.screenshot(path=str(png_path), full_page=True)
    return Path(png_path)
