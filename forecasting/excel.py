"""The Excel review pack: the zip's tables as typed, formatted sheets behind a cover sheet.

Each sheet holds the same values as its CSV (numbers stay full precision; the number format
only rounds what is shown), headers in words, a frozen header row and widths that fit. Text is
always written as text, so a cell such as ``=HYPERLINK(...)`` never becomes a formula.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
import xlsxwriter

from forecasting.interface import COST_METRIC
from forecasting.presentation import ColumnFormat, column_formats, format_date, format_month
from forecasting.presentation.figures import is_missing, model_label

if TYPE_CHECKING:
    from forecasting.store import Store

COVER = "Cover"
MAX_WIDTH = 60
# Widths are measured on the first rows only: a long table's tail rarely widens a column and
# measuring every cell of 10,000 rows costs more than the sheet is worth.
WIDTH_SAMPLE = 500
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Cover:
    """What the cover sheet says about the pack."""

    title: str
    """e.g. "Cost review Nov 2026"."""
    as_of: date
    """The last day with data: every figure is as of its end."""
    currency: str | None = None
    """The currency of the tables' money columns (each table may also say it in a column)."""
    freshness: pd.DataFrame | None = None
    """Per source: last day with data, rows and the last run (``Store.freshness()``)."""
    notes: tuple[str, ...] = ()
    """Lines a reader needs first, e.g. that the month is still running."""
    files: dict[str, str] = field(default_factory=dict)
    """Sheet name -> the CSV in the zip holding the same table (filled in by ``review_pack``)."""


def sheet_names(names: list[str]) -> dict[str, str]:
    """Table name -> a valid, unique sheet name (31 characters, none of ``[]:*?/\\``)."""
    out: dict[str, str] = {}
    taken = {COVER.lower()}
    for name in names:
        base = _SHEET_FORBIDDEN.sub("-", name)[:31] or "Sheet"
        candidate, n = base, 2
        while candidate.lower() in taken:
            suffix = f" ({n})"
            candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
        taken.add(candidate.lower())
        out[name] = candidate
    return out


class _Formats:
    """One xlsxwriter format object per number format string (the workbook needs few)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.cache: dict[str | None, Any] = {}
        self.header = book.add_format({"bold": True, "bottom": 1, "text_wrap": True})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.bold = book.add_format({"bold": True})

    def __call__(self, num_format: str | None) -> Any:
        if num_format not in self.cache:
            self.cache[num_format] = (
                self.book.add_format({"num_format": num_format}) if num_format else None
            )
        return self.cache[num_format]


def _write_cell(sheet: Any, row: int, col: int, value: object, fmt: ColumnFormat, f: Any) -> None:
    if is_missing(value):
        sheet.write_blank(row, col, None)
        return
    if fmt.kind == "bool":
        sheet.write_boolean(row, col, bool(value))
    elif fmt.kind in ("date", "month", "datetime"):
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
        sheet.write_datetime(row, col, ts.to_pydatetime().replace(tzinfo=None), f(fmt.excel))
    elif fmt.kind in ("quarter", "series"):
        sheet.write_string(row, col, fmt.text(value))
    elif fmt.kind == "model":
        sheet.write_string(row, col, model_label(value))
        if model_label(value) != str(value):
            sheet.write_comment(row, col, str(value))
    elif fmt.excel is not None and isinstance(value, int | float) and math.isfinite(value):
        sheet.write_number(row, col, float(value), f(fmt.excel))
    else:
        sheet.write_string(row, col, str(value))


def _width(fmt: ColumnFormat, column: pd.Series) -> float:
    shown = [len(fmt.text(v)) for v in column.iloc[:WIDTH_SAMPLE]]
    # Headers wrap, so a long header needs only its longest word's width.
    longest_word = max((len(w) for w in fmt.label.split()), default=0)
    return float(min(MAX_WIDTH, max([longest_word, min(len(fmt.label), 24), *shown]) + 2))


def write_table(
    sheet: Any, f: _Formats, frame: pd.DataFrame, currency: str | None, first_row: int = 0
) -> list[ColumnFormat]:
    """The frame from ``first_row``: a header in words, then one typed row per frame row."""
    formats = column_formats(frame, currency=currency)
    for col, fmt in enumerate(formats):
        sheet.write_string(first_row, col, fmt.label, f.header)
        sheet.set_column(col, col, _width(fmt, frame[fmt.name]))
        for row, value in enumerate(frame[fmt.name].tolist(), start=first_row + 1):
            _write_cell(sheet, row, col, value, fmt, f)
    if formats:
        sheet.autofilter(first_row, 0, first_row + len(frame), len(formats) - 1)
    return formats


def _write_cover(sheet: Any, f: _Formats, cover: Cover, names: dict[str, str]) -> None:
    sheet.write_string(0, 0, cover.title, f.title)
    rows: list[tuple[str, object]] = [
        ("As of", cover.as_of),
        ("Figures", f"to the end of {format_date(cover.as_of)}, UTC"),
    ]
    if cover.currency:
        rows.append(("Currency", cover.currency))
    rows += [("Note", note) for note in cover.notes]
    for i, (label, value) in enumerate(rows, start=2):
        sheet.write_string(i, 0, label, f.bold)
        if isinstance(value, date):
            sheet.write_datetime(i, 1, datetime.combine(value, time()), f("d mmm yyyy"))
        else:
            sheet.write_string(i, 1, str(value))
    row = len(rows) + 3
    sheet.write_string(row, 0, "Sheets", f.bold)
    for i, (table, sheet_name) in enumerate(names.items(), start=row + 1):
        sheet.write_url(i, 0, f"internal:'{sheet_name}'!A1", string=sheet_name)
        sheet.write_string(i, 1, cover.files.get(table, f"{table}.csv"))
    row += len(names) + 2
    if cover.freshness is not None and not cover.freshness.empty:
        sheet.write_string(row, 0, "Data freshness", f.bold)
        write_table(sheet, f, cover.freshness, None, first_row=row + 1)
    sheet.set_column(0, 0, max(28, len(cover.title) * 0.9))
    sheet.set_column(1, 1, 60)


def workbook_bytes(tables: dict[str, pd.DataFrame], cover: Cover) -> bytes:
    """The pack: the cover, then one sheet per table in the order given."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "nan_inf_to_errors": False})
    # A fixed creation time keeps the bytes the same for the same data.
    book.set_properties({"title": cover.title, "created": datetime.combine(cover.as_of, time())})
    f = _Formats(book)
    names = sheet_names(list(tables))
    _write_cover(book.add_worksheet(COVER), f, cover, names)
    for table, frame in tables.items():
        sheet = book.add_worksheet(names[table])
        write_table(sheet, f, frame, cover.currency)
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def review_cover(
    month: str,
    *,
    currency: str,
    complete: bool,
    as_of: date,
    freshness: pd.DataFrame | None = None,
) -> Cover:
    """The cover of one month's cost review; a running month says it is month to date."""
    label = format_month(month)
    notes = [
        "Spend is FOCUS EffectiveCost (amortized) per calendar month of ChargePeriodStart, UTC."
    ]
    if not complete:
        notes.insert(
            0,
            f"{label} is still running: its figures are to {format_date(as_of)} and are "
            "compared with the same days of the month before and the plan prorated to them.",
        )
    return Cover(f"Cost review {label}", as_of, currency, freshness, tuple(notes))


class ReviewTables(Protocol):
    """What the pack needs of a month's review (the review view has it)."""

    @property
    def month(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def complete(self) -> bool: ...
    def tables(self) -> dict[str, pd.DataFrame]: ...


def review_pack(store: Store, review: ReviewTables) -> bytes:
    """The review's Excel pack, beside its zip of CSVs: the same tables, sheet for sheet."""
    as_of = store.last_day(COST_METRIC) or date.min
    cover = review_cover(
        review.month,
        currency=review.currency,
        complete=review.complete,
        as_of=as_of,
        freshness=store.freshness(),
    )
    return workbook_bytes(review.tables(), cover)
