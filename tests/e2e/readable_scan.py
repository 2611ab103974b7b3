"""Read every table on a page as chromium shows it and list what a person should not read.

Streamlit's grid (glide data grid) draws on a canvas and keeps an accessible copy of the
cells it has drawn: only the rows and columns in view. ``read_grid`` scrolls each grid
through all its rows and columns, so every cell is read, not only the first screenful; the
count of cells read is checked against the grid's own row and column counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote_plus

from playwright.sync_api import Locator, Page

from forecasting.views import capacity as capacity_view
from forecasting.views import savings as savings_view
from tests.readable import code_name_header, machine_label, machine_printed, machine_prose


def _sections(page: str, key: str, titles: list[str]) -> list[str]:
    """The page (its first section) and a link to each further section, by its title."""
    return [page] + [f"{page}?{key}={quote_plus(t)}" for t in titles[1:]]


# Every page, and each further section of a page that shows one section at a time (taken
# from the views' own lists: a section added later is scanned without editing this).
PAGES = (
    "",
    "forecast",
    *_sections("capacity", "cap_section", list(capacity_view.SECTIONS.values())),
    *_sections("savings", "sv_section", list(savings_view.SECTIONS.values())),
    "review",
    "review?month=2026-11",  # the running month (the page opens on the month just ended)
    "data",
)
# Tables a widget brings up rather than a link: (page, the choices made, by the widget's
# label and the option's text, or its place in the list counting from 0).
VARIANTS: tuple[tuple[str, tuple[tuple[str, str | int], ...]], ...] = (
    ("forecast", (("Series", "Users"),)),
    ("forecast", (("Series", "Cost by service"),)),
    ("forecast", (("As of", 1),)),  # the newest month end: actuals beside the forecast
    ("review", (("Month", 0),)),  # the running month, day for day (it opens on the last ended)
)
GRID = '[data-testid="stDataFrame"]'
CELLS = f'{GRID} [role="gridcell"]'
HEADERS = f'{GRID} [role="columnheader"]'
# st.table and markdown tables are plain HTML tables: every cell is in the page.
HTML_CELLS = '[data-testid="stTable"] td, [data-testid="stMarkdownContainer"] table td'
HTML_HEADERS = '[data-testid="stTable"] th, [data-testid="stMarkdownContainer"] table th'
RUNNING = '[data-testid="stStatusWidget"]'
SKELETON = '[data-testid="stSkeleton"]'

_READ_VISIBLE = """grid => {
  const cells = {};
  grid.querySelectorAll('[role=gridcell]').forEach(c => { cells[c.id] = c.innerText; });
  const heads = {};
  grid.querySelectorAll('[role=columnheader]').forEach(h => {
    heads[h.getAttribute('aria-colindex')] = h.innerText; });
  return {cells, heads};
}"""
_SHAPE = """grid => {
  const t = grid.querySelector('table[role=grid]');
  const s = grid.querySelector('.dvn-scroller');
  return {rows: Number(t.getAttribute('aria-rowcount')) - 1,
          cols: Number(t.getAttribute('aria-colcount')),
          maxY: s.scrollHeight - s.clientHeight, maxX: s.scrollWidth - s.clientWidth,
          stepY: Math.max(1, Math.floor(s.clientHeight * 0.6)),
          stepX: Math.max(1, Math.floor(s.clientWidth * 0.6))};
}"""
# Text cut short with an ellipsis: an element that clips its own text (a card's note or
# figure, a caption) and is narrower than the text it holds.
_TRUNCATED = """() => [...document.querySelectorAll('[data-testid="stMain"] *')].filter(el => {
  const style = getComputedStyle(el);
  return style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1
    && el.innerText.trim().length > 0;
}).map(el => el.innerText.trim())"""
# A code block (a cron line to copy) that scrolls sideways: its end is out of sight.
_SCROLLED_CODE = """() => [...document.querySelectorAll('[data-testid="stMain"] pre')]
  .filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.innerText.trim())"""
# Sentences a person reads (captions, notes, alerts, explainers), code blocks left out.
_PROSE = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stMarkdownContainer"], '
    + '[data-testid="stMain"] [data-testid="stCaptionContainer"]')]
  .filter(el => !el.closest('[data-testid="stDataFrame"]') && !el.parentElement.closest(
    '[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"]'))
  .map(el => { const c = el.cloneNode(true);
               c.querySelectorAll('code, pre').forEach(x => x.remove());
               return c.textContent; })"""
_SCROLL = """(grid, at) => {
  const s = grid.querySelector('.dvn-scroller');
  s.scrollTo(at[0], at[1]);
}"""


@dataclass(frozen=True)
class Offence:
    page: str
    what: str
    """``cell`` (a machine-printed figure), ``label`` (a code name or machine period in a
    cell), ``header``, ``card``, ``clipped`` (a grid that scrolls sideways), ``truncated``
    (text cut short) or ``prose`` (a machine date or a unitless accuracy in a sentence)."""
    text: str


@dataclass
class Reading:
    """What one page's tables showed: every cell and header text, and the grids' sizes."""

    cells: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    expected_cells: int = 0
    """Rows x columns the grids say they hold (HTML tables: their cells)."""
    cards: list[str] = field(default_factory=list)
    """Each metric card's text: label, figure and note."""
    clipped: list[str] = field(default_factory=list)
    """The headers of each grid wider than its place (a scroll hides columns at the right),
    and each code block that scrolls sideways."""
    truncated: list[str] = field(default_factory=list)
    """Text cut short with an ellipsis."""
    prose: list[str] = field(default_factory=list)
    """Every caption, note, alert and explainer's text (code left out)."""


def settle(page: Page, timeout_ms: int = 180_000) -> None:
    """Wait until the script run has finished: no running indicator and no placeholder
    skeleton for a moment (a cached run may finish before the indicator ever shows)."""
    page.wait_for_selector('[data-testid="stMainBlockContainer"]', timeout=timeout_ms)
    for _ in range(2):
        page.wait_for_timeout(500)
        page.wait_for_selector(RUNNING, state="detached", timeout=timeout_ms)
        page.wait_for_function(
            f"() => document.querySelectorAll('{SKELETON}').length === 0", timeout=timeout_ms
        )


def open_expanders(page: Page) -> None:
    """Open every closed expander (tables inside them draw only once open)."""
    closed = page.locator('[data-testid="stExpander"] details:not([open]) > summary')
    for _ in range(closed.count()):
        visible = [s for s in closed.all() if s.is_visible()]
        if not visible:
            break
        visible[0].click()
        page.wait_for_timeout(200)


def _stops(most: int, step: int) -> list[int]:
    """Scroll offsets from 0 to ``most`` (inclusive) no further apart than ``step``."""
    return sorted({*range(0, max(most, 0), step), max(most, 0)})


def read_grid(page: Page, grid: Locator) -> tuple[dict[str, str], dict[str, str], int, bool]:
    """(cells by id, headers by column, rows x columns, whether it scrolls sideways) of one
    grid, scrolled through."""
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # a grid draws its accessible cells after layout
    shape = grid.evaluate(_SHAPE)
    cells: dict[str, str] = {}
    heads: dict[str, str] = {}
    size = int(shape["rows"]) * int(shape["cols"])
    # The accessible cells follow a scroll a frame or more later; on a busy machine more
    # than 300 ms (172 of 176 cells read once): passes with longer waits read what is left.
    for wait_ms in (300, 1_000, 3_000):
        for y in _stops(int(shape["maxY"]), int(shape["stepY"])):
            for x in _stops(int(shape["maxX"]), int(shape["stepX"])):
                grid.evaluate(_SCROLL, [x, y])
                page.wait_for_timeout(wait_ms)
                seen = grid.evaluate(_READ_VISIBLE)
                cells.update(seen["cells"])
                heads.update(seen["heads"])
        if len(cells) >= size:
            break
    grid.evaluate(_SCROLL, [0, 0])
    return cells, heads, size, int(shape["maxX"]) > 1


def read_page(page: Page) -> Reading:
    """Every cell and header of every table now on the page."""
    reading = Reading()
    grids = page.locator(GRID)
    for i in range(grids.count()):
        cells, heads, size, sideways = read_grid(page, grids.nth(i))
        reading.cells += cells.values()
        reading.headers += heads.values()
        reading.expected_cells += size
        if sideways:
            reading.clipped.append(" | ".join(heads[k] for k in sorted(heads, key=int)))
    html_cells = page.locator(HTML_CELLS).all_inner_texts()
    reading.cells += html_cells
    reading.expected_cells += len(html_cells)
    reading.headers += page.locator(HTML_HEADERS).all_inner_texts()
    reading.cards = page.locator('[data-testid="stMetric"]').all_inner_texts()
    reading.truncated = page.evaluate(_TRUNCATED)
    reading.clipped += page.evaluate(_SCROLLED_CODE)
    reading.prose = page.evaluate(_PROSE)
    return reading


def offences(name: str, reading: Reading) -> list[Offence]:
    found = [Offence(name, "cell", c) for c in reading.cells if machine_printed(c)]
    found += [Offence(name, "label", c) for c in reading.cells if machine_label(c)]
    found += [Offence(name, "header", h) for h in reading.headers if code_name_header(h)]
    found += [Offence(name, "card", c) for c in reading.cards if machine_printed(c)]
    found += [Offence(name, "clipped", c) for c in reading.clipped]
    found += [Offence(name, "truncated", t) for t in reading.truncated]
    found += [Offence(name, "prose", hit) for text in reading.prose for hit in machine_prose(text)]
    return found


def choose(page: Page, label: str, option: str | int) -> None:
    """Pick ``option`` in the select box labelled ``label`` and wait for the rerun."""
    page.get_by_role("combobox", name=label).first.click()
    options = page.get_by_role("option")
    chosen = options.nth(option) if isinstance(option, int) else options.filter(has_text=option)
    chosen.first.click()
    settle(page)


def scan(
    page: Page, base_url: str, path: str, choices: tuple[tuple[str, str | int], ...] = ()
) -> tuple[Reading, list[Offence]]:
    """What one page's tables and cards show, with ``choices`` made (see VARIANTS) and
    every expander open, and what offends in it."""
    page.goto(f"{base_url}/{path}")
    settle(page)
    for label, option in choices:
        choose(page, label, option)
    open_expanders(page)
    settle(page)
    reading = read_page(page)
    return reading, offences(path or "overview", reading)
