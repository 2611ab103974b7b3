"""Figures as people read them, for the app's tables and cards and the Excel review pack.

A month is "Nov 2026", a quarter "2026 Q4", 49694.555949156944 is "49,695 USD" and
``last_finished`` is "Last run finished" everywhere a person looks. CSVs for machines do not
go through here: they keep ISO dates and plain numbers (forecasting/export.py).
"""

from forecasting.presentation.figures import (
    MISSING,
    format_date,
    format_datetime,
    format_money,
    format_month,
    format_month_days,
    format_number,
    format_percent,
    format_period,
    format_quarter,
    format_rate,
    header,
    model_label,
    readable_note,
    readable_notes,
    readable_text,
    running_label,
    series_label,
    shown_parts,
)
from forecasting.presentation.tables import (
    ColumnFormat,
    DisplayTable,
    cell_text,
    column_formats,
    display_table,
)

__all__ = [
    "MISSING",
    "ColumnFormat",
    "DisplayTable",
    "cell_text",
    "column_formats",
    "display_table",
    "format_date",
    "format_datetime",
    "format_money",
    "format_month",
    "format_month_days",
    "format_number",
    "format_percent",
    "format_period",
    "format_quarter",
    "format_rate",
    "header",
    "model_label",
    "readable_note",
    "readable_notes",
    "readable_text",
    "running_label",
    "series_label",
    "shown_parts",
]
