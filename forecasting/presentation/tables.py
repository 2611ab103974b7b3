"""Any of the library's frames as a person reads it: headers in words, figures rounded, and
plain-data formats that app/ turns into st.column_config and the Excel pack into cell formats."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecasting.presentation.figures import (
    MISSING,
    MONTH_TEXT,
    QUARTER_TEXT,
    RATE_SIGNIFICANT,
    format_date,
    format_datetime,
    format_month,
    format_number,
    format_percent,
    format_quarter,
    header,
    is_missing,
    model_label,
    money_decimals,
    readable_text,
    rounded,
    running_label,
    series_label,
    significant_decimals,
)

Kind = Literal[
    "money",
    "rate",
    "number",
    "integer",
    "id",
    "percent",
    "fraction",
    "date",
    "month",
    "quarter",
    "datetime",
    "bool",
    "text",
    "model",
    "series",
]


# sMAPE and MAPE are errors in % (sMAPE 0-200): their headers say %, so must their cells.
_PERCENT_NAME = re.compile(r"(^|_)(pct|percent|s?mape)($|_)")
_SHARE_NAME = re.compile(r"(coverage|utili[sz]ation|share|ratio|probability|^level$)")
_RATE_NAME = re.compile(r"(price|hourly|(^|_)per_(?!month|quarter|year|day|second)|(^|_)rate$)")
# Columns that hold the series' own value: money when the frame's unit is a currency.
_VALUE_NAMES = {"y", "value", "forecast", "fit", "expected", "actual", "planned"}
# A value or its band per month of a longer period (a quarter's cost / 3): the same money.
_PER_MONTH = re.compile(
    r"^(y|value|forecast|fit|expected|actual|planned|lower|upper|lo|hi)_per_month$"
)
_BOUND_NAMES = {"lower", "upper", "lo", "hi"}
# A variance frame's two figures and their difference: the difference shares their
# precision and, on screen, is the difference of the figures shown (8,001 -> 8,884 reads
# 883, and 1,594 -> 1,781 reads 187, never the exact change rounded apart to 188).
_COMPARED = ("previous", "current", "change")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
_MONEY_NAME = re.compile(
    r"(cost|spend|saving|amount|fee|upfront|budget|commitment|variance|usd|run_rate|fixed|"
    r"_monthly$|^implied_base$|"
    r"^(previous|current|change|expected|actual|planned|base_monthly)(_|$))"
)
_COUNT_NAME = re.compile(
    r"^(months|windows|horizon|instances|order|priority|days|rows|line_items|n|paths|count|"
    r"headroom_units|quarters)(_|$)"
)
_ID_NAME = re.compile(r"(^|_)id$")
_PERIOD_NAMES = {"month": "month", "quarter": "quarter", "period": None, "ds": None}


def _freq_of(ts: pd.Series) -> str:
    """``month`` or ``quarter`` when every date starts one (two or more dates), else ``day``."""
    days = ts.dropna().drop_duplicates().sort_values()
    if len(days) < 2 or not (days.dt.day == 1).all() or (days != days.dt.normalize()).any():
        return "day"
    quarterly = days.dt.month.isin([1, 4, 7, 10]).all() and days.diff().dropna().min().days >= 89
    return "quarter" if quarterly else "month"


def _as_datetimes(column: pd.Series) -> pd.Series | None:
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.tz_localize(None) if column.dt.tz is not None else column
    present = column.dropna()
    if len(present) and present.map(lambda v: isinstance(v, date | datetime)).all():
        return pd.to_datetime(column)
    return None


def _classify(name: str, column: pd.Series, freq: str | None) -> Kind:
    lowered = name.lower()
    times = _as_datetimes(column)
    if times is not None:
        if (times.dropna() != times.dropna().dt.normalize()).any():
            return "datetime"
        wanted = freq if lowered == "ds" and freq else _PERIOD_NAMES.get(lowered)
        period = wanted or (_freq_of(times) if lowered in ("ds", "origin") else "day")
        return "month" if period == "month" else "quarter" if period == "quarter" else "date"
    if pd.api.types.is_bool_dtype(column):
        return "bool"
    if not pd.api.types.is_numeric_dtype(column):
        if lowered == "model":
            return "model"
        if lowered in ("unique_id", "metric"):
            return "series"  # "Total", "DB connection pool utilization"
        text = column.dropna().astype(str)
        if len(text) and text.str.match(QUARTER_TEXT).all():
            return "quarter"
        if len(text) and text.str.match(MONTH_TEXT).all():
            return "month"
        return "text"
    return _numeric_kind(lowered, column)


def _numeric_kind(name: str, column: pd.Series) -> Kind:
    values = pd.to_numeric(column, errors="coerce").astype(float)
    if not np.isfinite(values).any() and not pd.api.types.is_integer_dtype(column):
        return "text"
    if _PERCENT_NAME.search(name):
        return "percent"
    if _SHARE_NAME.search(name):
        finite = values[np.isfinite(values)]
        return "fraction" if len(finite) and (finite.abs() <= 1).all() else "percent"
    if _ID_NAME.search(name):
        return "id"
    if _RATE_NAME.search(name):
        return "rate"
    if _MONEY_NAME.search(name):
        return "money"
    if _COUNT_NAME.match(name) or pd.api.types.is_integer_dtype(column):
        return "integer"
    return "number"


@dataclass(frozen=True)
class ColumnFormat:
    """How one column reads: its header in words, its kind and its precision.

    ``streamlit()`` and ``excel`` are plain data that app/ and the Excel pack turn into
    ``st.column_config`` and cell formats.
    """

    name: str
    """The code name in the library's frame."""
    label: str
    kind: Kind
    decimals: int = 0
    currency: str | None = None
    help: str | None = None

    def streamlit(self) -> dict[str, Any]:
        """``{"type": "number"|"text"|"date"|"checkbox", "format": ..., "help": ...}``."""
        spec: dict[str, Any] = {"type": "text", "format": None, "help": self.help}
        if self.kind in ("money", "rate", "number", "integer"):
            spec.update(type="number", format=f"%,.{self.decimals}f")
        elif self.kind == "id":
            spec.update(type="number", format="%d")
        elif self.kind in ("percent", "fraction"):
            # A fraction is shown scaled to % (display_table) so the column keeps one
            # precision: streamlit's "percent" format drops zeros ("100%" beside "48.9%").
            spec.update(type="number", format=f"%.{self.decimals}f%%")
        elif self.kind == "date":
            spec.update(type="date", format="D MMM YYYY")
        elif self.kind == "bool":
            spec.update(type="checkbox")
        return spec

    @property
    def excel(self) -> str | None:
        """The Excel number format of the column's cells (None: a text or boolean cell)."""
        fixed = "0" if self.decimals == 0 else "0." + "0" * self.decimals
        return {
            "money": f"#,##{fixed}",
            "rate": f"#,##{fixed}",
            "number": f"#,##{fixed}",
            "integer": "#,##0",
            "id": "0",
            "percent": f'{fixed}"%"',
            "fraction": f"{fixed}%",
            "date": "d mmm yyyy",
            "month": "mmm yyyy",
            "datetime": "d mmm yyyy hh:mm",
        }.get(self.kind)

    def text(self, value: object) -> str:
        """The value as a person reads it in this column (cards, widths, tooltips)."""
        if is_missing(value):
            return MISSING
        if self.kind in ("money", "rate", "number", "integer"):
            return format_number(value, self.decimals)
        if self.kind in ("percent", "fraction"):
            return format_percent(value, self.decimals, fraction=self.kind == "fraction")
        if self.kind == "id":
            return str(int(float(value)))  # type: ignore[arg-type]
        formatters = {
            "date": format_date,
            "month": format_month,
            "quarter": format_quarter,
            "datetime": format_datetime,
            "model": model_label,
            "series": series_label,
        }
        if self.kind in formatters:
            return formatters[self.kind](value)
        return readable_text(_mapping_text(value)) if isinstance(value, str) else str(value)


def _mapping_text(value: str) -> str:
    """A JSON object as the store keeps dimensions (``{"database":"apex-prod-db"}``) reads
    ``database: apex-prod-db``; none (``{}``) is missing. Any other text is itself."""
    if not (value.startswith("{") and value.endswith("}")):
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    if not isinstance(parsed, dict):
        return value
    return ", ".join(f"{k}: {v}" for k, v in parsed.items()) if parsed else MISSING


# The kinds whose precision their values decide (``_decimals``); any other kind prints none.
_MEASURED = {"money", "rate", "number", "percent", "fraction"}


def _decimals(kind: Kind, values: pd.Series, currency: str | None) -> int:
    if kind == "money":
        return money_decimals(values, currency)
    if kind == "rate":
        return max(2, significant_decimals(values, RATE_SIGNIFICANT))
    if kind == "number":
        return significant_decimals(values)
    if kind == "percent":
        return 0 if (values.dropna() % 1 == 0).all() else 1
    if kind == "fraction":
        return 0 if ((values.dropna() * 100) % 1 == 0).all() else 1
    return 0


def _currency_of(frame: pd.DataFrame, currency: str | None) -> str | None:
    """The explicit currency, else a single-valued ``currency`` column or currency ``unit``."""
    if currency:
        return currency
    for name in ("currency", "unit"):
        if name in frame.columns:
            found = frame[name].dropna().astype(str).unique()
            if len(found) == 1 and _CURRENCY_CODE.match(found[0]):
                return str(found[0])
    return None


def _band_base(names: list[str], i: int) -> str:
    """The column a band column bounds: ``users`` for ``users_lower``, the column before for
    a bare ``lower``/``upper`` (``forecast, lower, upper``; ``monthly_savings, lower, upper``)."""
    name = names[i]
    stem, _, last = name.rpartition("_")
    if stem and last in _BOUND_NAMES:
        return stem
    if name in _BOUND_NAMES:
        j = i - 1
        while j >= 0 and names[j] in _BOUND_NAMES:
            j -= 1
        return names[j] if j >= 0 else name
    return name


def column_formats(
    frame: pd.DataFrame,
    *,
    currency: str | None = None,
    freq: str | None = None,
    labels: dict[str, str] | None = None,
    band_of: str | None = None,
) -> list[ColumnFormat]:
    """How each column of one of the library's frames reads, from its name, type and values.

    ``currency`` names the money columns' currency (default: a single-valued ``currency``
    column); ``freq`` says what ``ds`` labels (day, month or quarter) where the dates alone
    cannot (a single row); ``labels`` overrides headers by code name (taken as they are,
    currency included). ``band_of``: only that column and the band it belongs to (which
    share its kind and precision), each formatted as in the whole frame's list (their
    labels may not be told apart from the other columns'): a card's one figure reads the
    columns it needs, not every column of the table.
    """
    currency = _currency_of(frame, currency)
    names = [str(c) for c in frame.columns]
    bases = [_band_base(names, i) for i in range(len(names))]
    if all(c in names for c in _COMPARED):
        bases = [_COMPARED[1] if n in _COMPARED else b for n, b in zip(names, bases, strict=True)]
    if band_of is not None:
        wanted = bases[names.index(band_of)]
        kept = [i for i, b in enumerate(bases) if b == wanted]
        names, bases = [names[i] for i in kept], [bases[i] for i in kept]
    kinds: dict[str, Kind] = {}
    for name, base in zip(names, bases, strict=True):
        kind = _classify(name, frame[name], freq)
        if base != name and base in kinds and kinds[base] not in ("text", "bool"):
            kind = kinds[base]
        elif kind == "number" and currency and (name in _VALUE_NAMES or _PER_MONTH.match(name)):
            kind = "money"
        kinds[name] = kind
    out: list[ColumnFormat] = []
    seen: set[str] = set()
    for name, base in zip(names, bases, strict=True):
        kind = kinds[name]
        col_currency = currency or ("USD" if "usd" in name.lower() else None)
        label = (labels or {}).get(name) or header(name)
        if kind in ("money", "rate") and col_currency and name not in (labels or {}):
            label = f"{label} ({col_currency})"
        if label in seen:
            label = f"{label} [{name}]"
        seen.add(label)
        # A band shares its centre's precision: "17,203 (12,745 to 21,661)", never mixed.
        band = [n for n, b in zip(names, bases, strict=True) if b == base and kinds[n] == kind]
        decimals = 0
        if kind in _MEASURED:
            values = [pd.to_numeric(frame[n], errors="coerce").to_numpy(float) for n in band]
            decimals = _decimals(kind, pd.Series(np.concatenate(values)), col_currency)
        out.append(ColumnFormat(name, label, kind, decimals, col_currency, _tip(kind, frame[name])))
    return out


def cell_text(frame: pd.DataFrame, column: str, value: object) -> str:
    """``value`` as ``frame``'s ``column`` prints it (its kind and precision): a card that
    repeats a table's figure reads as the table does, whatever decimals the column needs."""
    (fmt,) = [f for f in column_formats(frame, band_of=column) if f.name == column]
    return fmt.text(value)


def _tip(kind: Kind, column: pd.Series) -> str | None:
    if kind != "model":
        return None
    specs = sorted({str(v) for v in column.dropna() if model_label(v) != str(v)})
    return "Model: " + "; ".join(specs) if specs else None


@dataclass(frozen=True)
class DisplayTable:
    """A frame as a person reads it: headers in words, figures rounded, periods as labels.

    ``columns`` maps each header of ``frame`` to its format; ``column_config()`` gives the
    plain data app/ turns into ``st.column_config``.
    """

    frame: pd.DataFrame
    columns: dict[str, ColumnFormat]

    def column_config(self) -> dict[str, dict[str, Any]]:
        return {label: fmt.streamlit() for label, fmt in self.columns.items()}


PERIOD_LABELS = ("period", "quarter", "month", "ds")
"""Columns that label a row's period, where a running period's mark is written."""


def _period_starts(frame: pd.DataFrame) -> pd.Series | None:
    """Each row's period start, from ``ds`` or a ``quarter``/``month`` label (2026Q4)."""
    if "ds" in frame.columns:
        return pd.to_datetime(frame["ds"])
    for name, code in (("quarter", "Q"), ("month", "M")):
        if name in frame.columns:
            index = pd.PeriodIndex(frame[name].astype(str), freq=code).start_time
            return pd.Series(index, index=frame.index)
    return None


def _mark_running(
    out: pd.DataFrame, formats: list[ColumnFormat], starts: pd.Series, data_to: date, whole: bool
) -> None:
    """Write the running period's mark into the period column (see ``running_label``)."""
    for name in PERIOD_LABELS:
        fmt = next((f for f in formats if f.name == name and f.kind in ("month", "quarter")), None)
        if fmt is not None:
            marks = [running_label(t, fmt.kind, data_to, whole=whole) for t in starts]
            out[fmt.label] = pd.Series(marks, index=out.index, dtype=object)
            return


def display_table(
    frame: pd.DataFrame,
    *,
    currency: str | None = None,
    freq: str | None = None,
    labels: dict[str, str] | None = None,
    drop: tuple[str, ...] = ("currency", "unit"),
    round_numbers: bool = True,
    data_to: date | None = None,
    whole: bool = False,
) -> DisplayTable:
    """Any of the library's frames for the app: see ``column_formats``.

    Numbers stay numbers (rounded to what is shown unless ``round_numbers`` is False, when
    the formats alone round them on screen and a copied cell keeps every digit); fractions
    become percentages (0.244 reads 24.4%, at the column's one precision); dates become
    ``date`` objects; months, quarters, timestamps and model names become their labels. The
    ``currency`` (or currency ``unit``) column is dropped once its currency is in the money
    headers, and ``ds`` where a ``period`` label says the same.

    ``data_to`` (the last full day of the data) marks a period still running in words, in
    its label (``whole``: the row's figure is for the whole period, part estimate; see
    ``running_label``); the frame's ``complete`` column, which says the same, is then not
    shown.
    """
    currency = _currency_of(frame, currency)
    dropped = [c for c in drop if c in frame.columns and currency]
    if "ds" in frame.columns and "period" in frame.columns:
        dropped.append("ds")
    starts = _period_starts(frame) if data_to is not None else None
    if starts is not None and "complete" in frame.columns:
        dropped.append("complete")
    shown = frame.drop(columns=dropped)
    formats = column_formats(shown, currency=currency, freq=freq, labels=labels)
    data: dict[str, pd.Series] = {}
    for fmt in formats:
        column = shown[fmt.name]
        data[fmt.label] = _display_values(fmt, column, round_numbers)
    by_name = {fmt.name: fmt for fmt in formats}
    if round_numbers and all(c in by_name for c in _COMPARED):
        before, now, change = (by_name[c] for c in _COMPARED)
        if change.kind == now.kind == before.kind == "money":
            difference = data[now.label] - data[before.label]
            data[change.label] = rounded(difference, change.decimals)
    out = pd.DataFrame(data, index=shown.index)
    if starts is not None and data_to is not None:
        _mark_running(out, formats, starts, data_to, whole)
    return DisplayTable(out.reset_index(drop=True), {fmt.label: fmt for fmt in formats})


def _display_values(fmt: ColumnFormat, column: pd.Series, round_numbers: bool) -> pd.Series:
    if fmt.kind in ("money", "rate", "number", "integer", "percent", "fraction"):
        if not round_numbers:
            scale = 100.0 if fmt.kind == "fraction" else 1.0
            return pd.to_numeric(column, errors="coerce").astype(float) * scale + 0.0
        if fmt.kind == "fraction":
            return rounded(column, fmt.decimals, 100)
        return rounded(column, fmt.decimals)
    if fmt.kind == "id":
        return pd.to_numeric(column, errors="coerce").astype("Int64")
    if fmt.kind == "date":
        times = _as_datetimes(column)
        assert times is not None
        return pd.Series(
            [None if pd.isna(t) else t.date() for t in times], index=column.index, dtype=object
        )
    if fmt.kind == "bool":
        return column
    return pd.Series([fmt.text(v) for v in column], index=column.index, dtype=object)
