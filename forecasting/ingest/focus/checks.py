"""Checks of an export before it is written: one summary pass, then errors located to the row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from forecasting.errors import InputError
from forecasting.ingest.currency import ISO_4217
from forecasting.ingest.focus import helpers, settings
from forecasting.ingest.focus.helpers import Dialect, FileGroup, Layout
from forecasting.ingest.read_errors import first_row, raise_csv_rejects, read_error
from forecasting.ingest.sql import FIRST_DAY, LAST_DAY, outside_dates_sql


def declared(groups: Sequence[FileGroup]) -> dict[str, dict[str, str]]:
    """The types each CSV file's columns are read as (to explain rows DuckDB rejects)."""
    mapping = settings.cur_mapping()
    return {
        str(path): helpers.csv_types(group.layout.dialect, group.layout.columns, mapping)
        for group in groups
        if not group.layout.parquet
        for path in group.files
    }


# -- validation: every problem is reported against the file, row and column it came from --------
_SUMMARY_SQL = """
SELECT ProviderName, BillingAccountId, BillingPeriodStart, BillingCurrency,
       count(*) AS line_items, CAST(CAST(sum(BilledCost) AS {money}) AS VARCHAR) AS billed,
       min(ChargePeriodStart) AS first_charge, max(ChargePeriodStart) AS last_charge,
       {nulls},
       {rows},
       count(*) FILTER (WHERE Tags IS NOT NULL AND NOT json_valid(Tags)) AS bad_tags,
       -- read every typed column, so that a CSV value that does not parse is found now
       count(EffectiveCost) + count(ListCost) + count(ContractedCost) + count(BillingPeriodEnd)
         + count(ConsumedQuantity) + count(PricingQuantity) AS typed_values
FROM _focus_in GROUP BY ALL
"""


@dataclass(frozen=True)
class RowCheck:
    """A value no line item may hold: over the stored column, and over the file's raw text.

    ``stored`` is SQL over the mapped columns; ``raw`` the same rule over the file's text ``v``
    of ``column`` (and ``w``, the text of ``other``), to find the first row that breaks it.
    Both are fixed SQL fragments of this module.
    """

    column: str
    stored: str
    raw: str
    message: str
    other: str | None = None


# A line item of a quadrillion is a broken file, and sums of such rows overflow DECIMAL(38, 12).
MAX_COST = "1e15"
_TS = "TRY_CAST({} AS TIMESTAMPTZ)"
_DEC = f"TRY_CAST({{}} AS {settings.READ_MONEY})"


def _row_checks() -> tuple[RowCheck, ...]:
    dates = tuple(
        RowCheck(
            column,
            outside_dates_sql(column),
            outside_dates_sql("v", text=True),
            f"a date outside {FIRST_DAY}..{LAST_DAY}, which no billing export holds",
        )
        for column in settings.TIMESTAMP_COLUMNS
    )
    order = (
        RowCheck(
            "ChargePeriodEnd",
            "ChargePeriodEnd < ChargePeriodStart",
            f"{_TS.format('v')} < {_TS.format('w')}",
            "a charge period that ends before it starts",
            "ChargePeriodStart",
        ),
        RowCheck(
            "BillingPeriodEnd",
            "BillingPeriodEnd <= BillingPeriodStart",
            f"{_TS.format('v')} <= {_TS.format('w')}",
            "a billing period that ends before it starts",
            "BillingPeriodStart",
        ),
        # A charge may be billed late (a later period), never before it happens.
        RowCheck(
            "ChargePeriodStart",
            "ChargePeriodStart >= BillingPeriodEnd",
            f"{_TS.format('v')} >= {_TS.format('w')}",
            "a charge that starts after its billing period ends",
            "BillingPeriodEnd",
        ),
    )
    quantities = tuple(
        RowCheck(
            column,
            f"isnan({column}) OR isinf({column})",
            "isnan(TRY_CAST(v AS DOUBLE)) OR isinf(TRY_CAST(v AS DOUBLE))",
            "a quantity that is not a finite number (NaN, infinity or beyond 1.8e308)",
        )
        for column in ("ConsumedQuantity", "PricingQuantity")
    )
    money = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")
    costs = tuple(
        RowCheck(
            column,
            f"{column} <> round({column}, 12)",
            f"{_DEC.format('v')} <> round({_DEC.format('v')}, 12)",
            "a cost with more than 12 decimal places, which the store would round away",
        )
        for column in money
    ) + tuple(
        RowCheck(
            column,
            f"abs({column}) >= {MAX_COST}",
            f"abs(TRY_CAST(v AS DOUBLE)) >= {MAX_COST}",
            f"a cost of {MAX_COST} or more, which no single line item holds",
        )
        for column in money
    )
    return dates + order + quantities + costs


ROW_CHECKS = _row_checks()


def validate(
    con: duckdb.DuckDBPyConnection, relation: Any, groups: Sequence[FileGroup]
) -> pd.DataFrame:
    """One pass over the input: totals per billing period, and every check that can fail."""
    relation.create_view("_focus_in", replace=True)
    nulls = ",\n".join(
        f'count(*) FILTER (WHERE {c} IS NULL) AS "null {c}"' for c in settings.REQUIRED
    )
    rows = ",\n".join(
        f'count(*) FILTER (WHERE {check.stored}) AS "check {i}"'
        for i, check in enumerate(ROW_CHECKS)
    )
    sql = _SUMMARY_SQL.format(money=settings.MONEY, nulls=nulls, rows=rows)
    try:
        summary = con.execute(sql).df()
    except duckdb.Error as exc:
        # The run's transaction is aborted now; the rollback drops the view too.
        raise diagnose(groups, exc) from None
    con.execute("DROP VIEW _focus_in")
    raise_csv_rejects(con, declared(groups))
    for column in settings.REQUIRED:
        missing = int(summary[f"null {column}"].sum())
        if missing:
            raise _located(
                groups,
                column,
                "v IS NULL",
                [],
                f"{missing} line items have no {column}, which every line item needs",
            )
    for i, check in enumerate(ROW_CHECKS):
        count = int(summary[f"check {i}"].sum())
        if count:
            raise _located(
                groups,
                check.column,
                check.raw,
                [],
                f"{count} line items have {check.message}",
                other=check.other,
            )
    _check_currencies(groups, summary)
    bad_tags = int(summary["bad_tags"].sum())
    if bad_tags:
        raise _located(
            groups,
            "Tags",
            "v IS NOT NULL AND NOT json_valid(v)",
            [],
            f"{bad_tags} line items have Tags that are not a JSON object",
        )
    return summary


def _check_currencies(groups: Sequence[FileGroup], summary: pd.DataFrame) -> None:
    for code in sorted(set(summary["BillingCurrency"].dropna())):
        if code not in ISO_4217:
            raise _located(
                groups,
                "BillingCurrency",
                "upper(trim(v)) = ?",
                [code],
                f"unknown currency {code!r}: expected an ISO 4217 code such as USD",
            )
    keys = ["ProviderName", "BillingAccountId", "BillingPeriodStart"]
    for _, part in summary.groupby(keys, dropna=False):
        if part["BillingCurrency"].nunique() > 1:
            counts = part.groupby("BillingCurrency")["line_items"].sum().sort_values()
            first = part.iloc[0]
            provider, account = first["ProviderName"], first["BillingAccountId"]
            period = pd.Timestamp(first["BillingPeriodStart"])
            raise _located(
                groups,
                "BillingCurrency",
                "upper(trim(v)) = ?",
                [counts.index[0]],
                f"billing account {account} ({provider}) bills {pd.Timestamp(period):%Y-%m} in "
                f"several currencies ({', '.join(sorted(counts.index))}); one account bills in "
                "one currency and capcost never adds different currencies",
            )


def _located(
    groups: Sequence[FileGroup],
    column: str,
    predicate: str,
    params: list[Any],
    message: str,
    *,
    other: str | None = None,
) -> InputError:
    """An InputError at the first row (over all files) where ``predicate`` holds for ``v``.

    ``w`` in the predicate is the raw text of stored column ``other``, when given.
    """
    mapping = settings.cur_mapping()
    for group in groups:
        raw = helpers.source_column(group.layout, column, mapping)
        second = None if other is None else helpers.source_column(group.layout, other, mapping)
        if raw is None or (other is not None and second is None):
            continue
        for path in group.files:
            found = first_row(path, raw, predicate, params, other=second)
            if found is not None:
                return InputError(message, file=str(path), row=found[0], column=raw)
    return InputError(message, column=column)


def diagnose(groups: Sequence[FileGroup], exc: duckdb.Error) -> InputError:
    """Find the file, row and column behind a DuckDB read or conversion error."""
    files = [f for g in groups for f in g.files]
    if isinstance(exc, duckdb.IOException):
        return read_error(exc, files)
    mapping = settings.cur_mapping()
    for group in groups:
        for raw, target in _typed_columns(group.layout, mapping):
            for path in group.files:
                cast_type = "TIMESTAMPTZ" if target.startswith("TIMESTAMP") else target
                found = first_row(
                    path,
                    raw,
                    f"v IS NOT NULL AND TRY_CAST(v AS {cast_type}) IS NULL",
                    [],
                )
                if found is not None:
                    what = "a date/time" if cast_type == "TIMESTAMPTZ" else "a number"
                    return InputError(
                        f"cannot read {found[1]!r} as {what}",
                        file=str(path),
                        row=found[0],
                        column=raw,
                    )
    # Values that read but break a sum (DECIMAL overflow) or a date function.
    for check in ROW_CHECKS:
        error = _located(
            groups,
            check.column,
            check.raw,
            [],
            f"a line item has {check.message}",
            other=check.other,
        )
        if error.row is not None:
            return error
    return read_error(exc, files)


def _typed_columns(layout: Layout, mapping: settings.CurMapping) -> list[tuple[str, str]]:
    """(file column, type it must convert to) for every non-text column the mapping reads."""
    if layout.dialect is Dialect.CUR:
        present = helpers.cur_columns(layout.columns)
        return [
            (present[c], t)
            for c, t in mapping.source_types.items()
            if c in present and t != "VARCHAR"
        ]
    out = []
    for column, target in settings.FOCUS_TYPES.items():
        raw = helpers.focus_source(layout.columns, column)
        if raw is not None and target not in ("VARCHAR", "JSON"):
            out.append((raw, target))
    return out
