"""The Excel review pack reads back with the CSVs' numbers, typed and formatted."""

from __future__ import annotations

import io
import math
import zipfile
from datetime import date, datetime

import openpyxl
import pandas as pd

from forecasting.excel import COVER, Cover, review_pack, sheet_names, workbook_bytes
from forecasting.export import zip_csvs
from forecasting.presentation import column_formats
from forecasting.store import Store
from forecasting.views.review import ReviewView as Review
from forecasting.views.review import build_review


def _review(store: Store, month: str | None = None) -> Review:
    review = build_review(store, month)
    assert isinstance(review, Review)
    return review


def _pack(store: Store, month: str | None = None) -> tuple[Review, bytes]:
    review = _review(store, month)
    return review, review_pack(store, review)


def _csvs(review: Review) -> dict[str, pd.DataFrame]:
    with zipfile.ZipFile(io.BytesIO(zip_csvs(review.tables()))) as archive:
        return {
            name.removesuffix(".csv"): pd.read_csv(archive.open(name))
            for name in archive.namelist()
        }


def test_every_csv_is_a_sheet_with_the_same_numbers(demo_store: Store) -> None:
    review, pack = _pack(demo_store)
    book = openpyxl.load_workbook(io.BytesIO(pack))
    csvs = _csvs(review)
    names = sheet_names(list(review.tables()))
    assert book.sheetnames == [COVER, *names.values()]
    for table, csv in csvs.items():
        sheet = book[names[table]]
        rows = list(sheet.iter_rows(values_only=True))
        formats = column_formats(review.tables()[table], currency=review.currency)
        assert list(rows[0]) == [fmt.label for fmt in formats]
        assert len(rows) == len(csv) + 1
        for col, fmt in enumerate(formats):
            got = [row[col] for row in rows[1:]]
            want = csv[fmt.name].tolist()
            if fmt.kind in ("money", "rate", "number", "integer", "percent", "fraction"):
                # Excel keeps 15-16 significant digits; the CSV's repr keeps 17.
                assert [g is None for g in got] == [pd.isna(w) for w in want], fmt.name
                pairs = [(g, w) for g, w in zip(got, want, strict=True) if g is not None]
                assert all(math.isclose(g, w, rel_tol=1e-14) for g, w in pairs), fmt.name
            elif fmt.kind in ("date", "month"):
                assert [g.date() for g in got] == [date.fromisoformat(w) for w in want]
            else:
                assert [str(g) for g in got] == [fmt.text(w) for w in want], (table, fmt.name)


def test_cells_are_typed_and_formatted_with_a_frozen_header(demo_store: Store) -> None:
    review, pack = _pack(demo_store)
    book = openpyxl.load_workbook(io.BytesIO(pack))
    names = sheet_names(list(review.tables()))
    sheet = book[names[f"variance_by_group_{review.month}"]]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == [
        "Cost group",
        "Previous (USD)",
        "Current (USD)",
        "Change (USD)",
        "Change %",
        "Days compared",
        "Complete period",
    ]
    money, percent = sheet.cell(2, 2), sheet.cell(2, 5)
    assert isinstance(money.value, float) and money.number_format == "#,##0"
    assert percent.number_format == '0.0"%"'
    assert sheet.column_dimensions["A"].width >= len("Compute")
    unit = book[names["unit_economics"]]
    assert isinstance(unit.cell(2, 1).value, datetime)
    assert unit.cell(2, 1).number_format == "mmm yyyy"
    assert unit.cell(2, 5).number_format.startswith("#,##0.")  # cost per user keeps its digits


def test_the_cover_says_as_of_and_how_fresh_the_data_is(demo_store: Store) -> None:
    review, pack = _pack(demo_store, "2026-11")
    cover = openpyxl.load_workbook(io.BytesIO(pack))[COVER]
    cells = {row[0]: row[1] for row in cover.iter_rows(values_only=True) if row[0]}
    assert cells["As of"] == datetime(2026, 11, 26)
    assert cells["Currency"] == "USD"
    # The demo runs to 26 November: the running month says it is month to date.
    assert not review.complete
    notes = [row[1] for row in cover.iter_rows(values_only=True) if row[0] == "Note"]
    assert "Nov 2026 is still running" in notes[0]
    assert "Data freshness" in cells
    assert "Last day with data" in [c for row in cover.iter_rows(values_only=True) for c in row]
    assert cover["A1"].value == "Cost review Nov 2026"


def test_text_never_becomes_a_formula_and_sheet_names_are_valid() -> None:
    frame = pd.DataFrame(
        {"service": ['=HYPERLINK("http://x")', "+1+1"], "monthly_cost": [1.5, float("nan")]}
    )
    long = "variance_by_service_with_a_very_long_name_2026-11"
    pack = workbook_bytes(
        {long: frame, long + "x": frame, "a/b:c": frame}, Cover("t", date(2026, 11, 30))
    )
    book = openpyxl.load_workbook(io.BytesIO(pack))
    assert all(len(n) <= 31 for n in book.sheetnames)
    assert len(set(book.sheetnames)) == 4
    sheet = book[book.sheetnames[1]]
    assert sheet["A2"].value == '=HYPERLINK("http://x")'
    assert sheet["A2"].data_type == "s"
    assert sheet["B3"].value is None
    assert "a-b-c" in book.sheetnames


def test_the_pack_is_the_same_bytes_for_the_same_data(demo_store: Store) -> None:
    _, first = _pack(demo_store)
    _, second = _pack(demo_store)
    assert first == second


def test_a_complete_month_has_no_running_note(demo_store: Store) -> None:
    review = build_review(demo_store, "2026-10")
    assert isinstance(review, Review) and review.complete
    book = openpyxl.load_workbook(io.BytesIO(review_pack(demo_store, review)))
    notes = [r[1] for r in book[COVER].iter_rows(values_only=True) if r[0] == "Note"]
    assert notes and not any("still running" in n for n in notes)
    assert book[COVER]["A1"].value == "Cost review Oct 2026"
