"""Read every table on a page as chromium shows it and list what a person should not read."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page

from tests.readable import code_name_header, machine_printed

PAGES = ("", "forecast", "capacity", "savings", "review", "data")
GRID = '[data-testid="stDataFrame"]'
CELLS = f'{GRID} [role="gridcell"]'
HEADERS = f'{GRID} [role="columnheader"]'
RUNNING = '[data-testid="stStatusWidget"]'


@dataclass(frozen=True)
class Offence:
    page: str
    what: str
    """``cell`` or ``header``."""
    text: str


def settle(page: Page, timeout_ms: int = 180_000) -> None:
    """Wait until the script run has finished (the running indicator is gone for a moment)."""
    page.wait_for_selector('[data-testid="stMainBlockContainer"]', timeout=timeout_ms)
    page.wait_for_timeout(500)
    page.wait_for_selector(RUNNING, state="detached", timeout=timeout_ms)
    page.wait_for_timeout(500)
    page.wait_for_selector(RUNNING, state="detached", timeout=timeout_ms)


def open_expanders(page: Page) -> None:
    """Open every closed expander (tables inside them draw only once open)."""
    closed = page.locator('[data-testid="stExpander"] details:not([open]) > summary')
    for _ in range(closed.count()):
        visible = [s for s in closed.all() if s.is_visible()]
        if not visible:
            break
        visible[0].click()
        page.wait_for_timeout(200)


def scan(page: Page, base_url: str, path: str) -> tuple[int, list[Offence]]:
    """(cells read, offences) on one page, with every expander open."""
    page.goto(f"{base_url}/{path}")
    settle(page)
    open_expanders(page)
    settle(page)
    name = path or "overview"
    page.wait_for_timeout(1000)  # grids draw their accessible cells after layout
    cells = page.locator(CELLS).all_inner_texts()
    headers = page.locator(HEADERS).all_inner_texts()
    offences = [Offence(name, "cell", c) for c in cells if machine_printed(c)]
    offences += [Offence(name, "header", h) for h in headers if code_name_header(h)]
    return len(cells) + len(headers), offences
