"""Every page in a real browser: no table prints what the machine holds, and the review's
Excel pack downloads with the same numbers as its zip of CSVs."""

from __future__ import annotations

import io
import math
import zipfile

import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from forecasting.excel import COVER, sheet_names
from tests.e2e.readable_scan import PAGES, VARIANTS, scan, settle
from tests.e2e.test_capacity_e2e import downloaded

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", PAGES)
def test_no_table_shows_a_machine_printed_figure(page: Page, app_url: str, path: str) -> None:
    """No five-decimal float, sub-cent digits on 10 and more, midnight on a date, or
    code-name header (``unique_id``, ``ds``, ``last_finished``) in any table, expanders open.

    The grid draws only the rows and columns in view: each grid is scrolled through, and
    every cell it holds must have been read, not only the first screenful."""
    page.set_viewport_size({"width": 1400, "height": 1200})
    reading, offences = scan(page, app_url, path)
    assert reading.cells, f"no table cells read on /{path}"
    assert len(reading.cells) == reading.expected_cells, f"cells left unread on /{path}"
    assert offences == [], "\n".join(f"{o.what}: {o.text!r}" for o in offences)


@pytest.mark.parametrize(("path", "choices"), VARIANTS, ids=lambda v: str(v))
def test_no_table_a_widget_brings_up_shows_one_either(
    page: Page, app_url: str, path: str, choices: tuple[tuple[str, str | int], ...]
) -> None:
    """The same on the tables a choice brings up (another series, a forecast as of a past
    month beside what happened, a month that has ended): no error, every cell read."""
    page.set_viewport_size({"width": 1400, "height": 1200})
    reading, offences = scan(page, app_url, path, choices)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert reading.cells, f"no table cells read on /{path} after {choices}"
    assert len(reading.cells) == reading.expected_cells, f"cells left unread on /{path}"
    assert offences == [], "\n".join(f"{o.what}: {o.text!r}" for o in offences)


@pytest.mark.parametrize(
    ("path", "marked"),
    [
        ("forecast", ["Nov 2026 (running, data to ", "2026 Q4 (running, data to "]),
        ("capacity", ["2026 Q4 (running, data to "]),
    ],
)
def test_the_running_period_is_marked_in_tables_and_charts(
    page: Page, app_url: str, path: str, marked: list[str]
) -> None:
    """The demo stops inside Nov 2026: its month and quarter say so in words in the tables,
    and each line chart rings the running point and names it over the point."""
    page.set_viewport_size({"width": 1600, "height": 1200})
    reading, _ = scan(page, app_url, path)
    for mark in marked:
        assert any(cell.startswith(mark) for cell in reading.cells), (mark, path)
    # SVG text has no innerText: read its text content. A note points at its point (an
    # arrow); a panel's title, also an annotation, does not.
    notes = page.locator(
        ".js-plotly-plot .annotation:has(.annotation-arrow-g) .annotation-text"
    ).all_text_contents()
    assert notes and all(n.startswith("running, data to ") for n in notes), notes
    legends = page.locator(".js-plotly-plot .legendtext").all_text_contents()
    assert any(t.endswith(("running", "nowcast")) for t in legends), legends


def test_the_excel_pack_downloads_with_the_zips_numbers(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/review")
    settle(page)
    button = page.get_by_role("button", name="Download the review pack (Excel)")
    expect(button).to_be_visible(timeout=60_000)
    book = openpyxl.load_workbook(io.BytesIO(downloaded(page, "Download the review pack (Excel)")))
    archive = zipfile.ZipFile(io.BytesIO(downloaded(page, "Download the review (zip of CSVs)")))
    assert book.sheetnames[0] == COVER
    # One sheet per CSV, named after it, in the zip's order; each as many columns and rows.
    names = sheet_names([n.removesuffix(".csv") for n in archive.namelist()])
    assert book.sheetnames[1:] == list(names.values())
    for sheet_name, csv_name in zip(book.sheetnames[1:], archive.namelist(), strict=True):
        csv = pd.read_csv(archive.open(csv_name))
        rows = list(book[sheet_name].iter_rows(values_only=True))
        assert len(rows) == len(csv) + 1, sheet_name
        assert len(rows[0]) == len(csv.columns), sheet_name
        assert not csv.select_dtypes("number").empty, csv_name  # numbers were compared
        numbers = csv.select_dtypes("number")
        for col in numbers.columns:
            # The sheet's columns follow the CSV's, headed in words.
            values = [row[list(csv.columns).index(col)] for row in rows[1:]]
            for got, want in zip(values, numbers[col], strict=True):
                if pd.isna(want):
                    assert got is None
                else:
                    assert math.isclose(float(got), float(want), rel_tol=1e-12), (sheet_name, col)


def test_the_running_month_is_compared_day_for_day_on_the_review(page: Page, app_url: str) -> None:
    """The review of Nov 2026 (data to 26 Nov) heads its variance tables with the days both
    months hold, and titles its chart the same way."""
    page.set_viewport_size({"width": 1600, "height": 1200})
    reading, _ = scan(page, app_url, "review?month=2026-11")
    assert "Oct 2026 1–26 (USD)" in reading.headers
    assert "Nov 2026 1–26 (USD)" in reading.headers
    titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()
    assert "Change by group, Nov 2026 1–26 vs Oct 2026 1–26" in titles, titles
