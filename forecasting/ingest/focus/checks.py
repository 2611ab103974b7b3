"""Checks of an export before it is written: one summary pass, then errors located to the row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from forecasting.errors import InputError
from forecasting.ingest.currency import ISO_4217
from forecasting.ingest.focus import helpers, settings
from forecasting.ingest.focus.helpers import Dialect, FileGroup, Layout
from forecasting.ingest.read_errors import first_row, raise_csv_rejects, read_error


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
       count(*) AS line_items, CAST(sum(BilledCost) AS VARCHAR) AS billed,
       min(ChargePeriodStart) AS first_charge, max(ChargePeriodStart) AS last_charge,
       {nulls},
       count(*) FILTER (WHERE Tags IS NOT NULL AND NOT json_valid(Tags)) AS bad_tags,
       -- read every typed column, so that a CSV value that does not parse is found now
       count(EffectiveCost) + count(ListCost) + count(ContractedCost) + count(BillingPeriodEnd)
         + count(ConsumedQuantity) + count(PricingQuantity) AS typed_values
FROM _focus_in GROUP BY ALL
"""


def validate(
    con: duckdb.DuckDBPyConnection, relation: Any, groups: Sequence[FileGroup]
) -> pd.DataFrame:
    """One pass over the input: totals per billing period, and every check that can fail."""
    relation.create_view("_focus_in", replace=True)
    nulls = ",\n".join(
        f'count(*) FILTER (WHERE {c} IS NULL) AS "null {c}"' for c in settings.REQUIRED
    )
    try:
        summary = con.execute(_SUMMARY_SQL.format(nulls=nulls)).df()
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
) -> InputError:
    """An InputError at the first row (over all files) where ``predicate`` holds for ``v``."""
    mapping = settings.cur_mapping()
    for group in groups:
        raw = helpers.source_column(group.layout, column, mapping)
        if raw is None:
            continue
        for path in group.files:
            found = first_row(path, raw, predicate, params)
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
