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

from forecasting.excel import COVER
from tests.e2e.readable_scan import PAGES, scan, settle
from tests.e2e.test_capacity_e2e import downloaded

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", PAGES)
def test_no_table_shows_a_machine_printed_figure(page: Page, app_url: str, path: str) -> None:
    """No five-decimal float, sub-cent digits on 10 and more, midnight on a date, or
    code-name header (``unique_id``, ``ds``, ``last_finished``) in any grid, expanders open."""
    page.set_viewport_size({"width": 1600, "height": 1200})
    read, offences = scan(page, app_url, path)
    assert read > 0, f"no table cells read on /{path}"
    assert offences == [], "\n".join(f"{o.what}: {o.text!r}" for o in offences)


def test_the_excel_pack_downloads_with_the_zips_numbers(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/review")
    settle(page)
    button = page.get_by_role("button", name="Download the review pack (Excel)")
    expect(button).to_be_visible(timeout=60_000)
    book = openpyxl.load_workbook(io.BytesIO(downloaded(page, "Download the review pack (Excel)")))
    archive = zipfile.ZipFile(io.BytesIO(downloaded(page, "Download the review (zip of CSVs)")))
    assert book.sheetnames[0] == COVER
    assert len(book.sheetnames) == len(archive.namelist()) + 1
    for sheet_name, csv_name in zip(book.sheetnames[1:], archive.namelist(), strict=True):
        csv = pd.read_csv(archive.open(csv_name))
        rows = list(book[sheet_name].iter_rows(values_only=True))
        assert len(rows) == len(csv) + 1, sheet_name
        numbers = csv.select_dtypes("number")
        for col in numbers.columns:
            # The sheet's columns follow the CSV's, headed in words.
            values = [row[list(csv.columns).index(col)] for row in rows[1:]]
            for got, want in zip(values, numbers[col], strict=True):
                if pd.isna(want):
                    assert got is None
                else:
                    assert math.isclose(float(got), float(want), rel_tol=1e-12), (sheet_name, col)
