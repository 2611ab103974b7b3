"""Data-quality checks on what the store holds: gaps, doubled days, currencies, odd values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from forecasting.store import Store

EXAMPLES = 20


@dataclass(frozen=True)
class QualityWarning:
    """One data-quality problem: which check, a sentence with the numbers, where it is."""

    check: str
    message: str
    examples: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class DataStatus:
    """What the Data page shows: per-source freshness, the run log and the warnings."""

    freshness: pd.DataFrame
    runs: pd.DataFrame
    warnings: tuple[QualityWarning, ...]


def data_status(store: Store, run_limit: int = 50) -> DataStatus:
    runs = pd.DataFrame(store.runs(limit=run_limit))
    return DataStatus(store.freshness(), runs, tuple(quality_warnings(store)))


def quality_warnings(store: Store) -> list[QualityWarning]:
    """Every check that finds something, in the order a reader should look at them."""
    checks = (
        _cost_gaps,
        _metric_gaps,
        _doubled_cost_days,
        _doubled_metric_days,
        _mixed_currencies,
        _negative_usage,
        _negative_metrics,
        _uncategorised_cost,
    )
    return [w for check in checks if (w := check(store)) is not None]


# Days missing inside each series' own span, as ranges (gaps and islands: consecutive days
# share day - row_number).
_GAPS_SQL = """
WITH present AS (SELECT DISTINCT {keys}, day FROM {table}),
spans AS (SELECT {keys}, min(day) AS lo, max(day) AS hi FROM present GROUP BY ALL),
expected AS (
    SELECT {keys}, CAST(unnest(generate_series(lo, hi, INTERVAL 1 DAY)) AS DATE) AS day
    FROM spans
),
missing AS (
    SELECT e.* FROM expected e ANTI JOIN present p ON {join} AND p.day = e.day
),
islands AS (
    SELECT *, day - CAST(row_number() OVER (PARTITION BY {keys} ORDER BY day) AS INTEGER) AS g
    FROM missing
)
SELECT {keys}, min(day) AS first_missing, max(day) AS last_missing, count(*) AS days
FROM islands GROUP BY {keys}, g ORDER BY days DESC, first_missing
"""


def _gaps(store: Store, table: str, keys: tuple[str, ...]) -> pd.DataFrame:
    join = " AND ".join(f"p.{k} IS NOT DISTINCT FROM e.{k}" for k in keys)
    # table and keys are this module's constants.
    sql = _GAPS_SQL.format(table=table, keys=", ".join(keys), join=join)
    return store.con.execute(sql).df()


def _cost_gaps(store: Store) -> QualityWarning | None:
    gaps = _gaps(store, "cost_daily", ("ProviderName", "x_source"))
    if gaps.empty:
        return None
    return QualityWarning(
        "gaps",
        f"{int(gaps['days'].sum())} days have no cost inside the span of their provider's "
        f"data ({len(gaps)} gaps): a missing export, or a failed ingest",
        gaps.head(EXAMPLES).rename(columns={"x_source": "source"}),
    )


def _metric_gaps(store: Store) -> QualityWarning | None:
    gaps = _gaps(store, "metric_daily", ("metric", "dimensions"))
    if gaps.empty:
        return None
    return QualityWarning(
        "gaps",
        f"{int(gaps['days'].sum())} days have no observations inside the span of their metric "
        f"({len(gaps)} gaps); forecasts treat them as unknown, never as zero",
        gaps.head(EXAMPLES),
    )


def _doubled_cost_days(store: Store) -> QualityWarning | None:
    doubled = store.con.execute(
        "SELECT day, ProviderName, SubAccountId, string_agg(DISTINCT x_source, ', ') AS sources, "
        "CAST(sum(BilledCost) AS DOUBLE) AS billed FROM cost_daily GROUP BY ALL "
        "HAVING count(DISTINCT x_source) > 1 ORDER BY day"
    ).df()
    if doubled.empty:
        return None
    return QualityWarning(
        "duplicate days",
        f"{doubled['day'].nunique()} days hold cost of the same account from more than one "
        f"source ({', '.join(sorted(set(', '.join(doubled['sources']).split(', '))))}): "
        "the same spend may be counted twice",
        doubled.head(EXAMPLES),
    )


def _doubled_metric_days(store: Store) -> QualityWarning | None:
    doubled = store.con.execute(
        "SELECT day, metric, dimensions, source AS sources FROM metric_daily "
        "WHERE source LIKE '%,%' ORDER BY day"
    ).df()
    if doubled.empty:
        return None
    return QualityWarning(
        "duplicate days",
        f"{len(doubled)} metric days hold observations from more than one source; their daily "
        "values mix both",
        doubled.head(EXAMPLES),
    )


def _mixed_currencies(store: Store) -> QualityWarning | None:
    totals = store.con.execute(
        "SELECT BillingCurrency AS currency, CAST(sum(BilledCost) AS DOUBLE) AS billed, "
        "min(day) AS first_day, max(day) AS last_day FROM cost_daily GROUP BY 1 ORDER BY 2 DESC"
    ).df()
    if len(totals) < 2:
        return None
    return QualityWarning(
        "mixed currencies",
        f"costs are stored in {len(totals)} currencies ({', '.join(totals['currency'])}); "
        "capcost never adds them: choose one with --currency",
        totals,
    )


def _negative_usage(store: Store) -> QualityWarning | None:
    rows = store.con.execute(
        "SELECT CAST(ChargePeriodStart AS DATE) AS day, ProviderName, ServiceName, "
        "ConsumedUnit, count(*) AS line_items, sum(ConsumedQuantity) AS quantity "
        "FROM cost_line_items WHERE ConsumedQuantity < 0 GROUP BY ALL ORDER BY day"
    ).df()
    if rows.empty:
        return None
    return QualityWarning(
        "negative usage",
        f"{int(rows['line_items'].sum())} line items have a negative ConsumedQuantity; usage "
        "cannot be negative (credits belong in the cost columns)",
        rows.head(EXAMPLES),
    )


def _negative_metrics(store: Store) -> QualityWarning | None:
    rows = store.con.execute(
        "SELECT metric, dimensions, count(*) AS days, min(min) AS lowest FROM metric_daily "
        "WHERE min < 0 GROUP BY ALL ORDER BY days DESC"
    ).df()
    if rows.empty:
        return None
    return QualityWarning(
        "negative usage",
        f"{int(rows['days'].sum())} metric days have negative values "
        f"({', '.join(rows['metric'].unique())})",
        rows.head(EXAMPLES),
    )


def _uncategorised_cost(store: Store) -> QualityWarning | None:
    rows = store.con.execute(
        "SELECT BillingCurrency AS currency, ProviderName, ServiceName, "
        "count(DISTINCT day) AS days, CAST(sum(BilledCost) AS DOUBLE) AS billed FROM cost_daily "
        "WHERE ServiceCategory IS NULL GROUP BY ALL ORDER BY abs(billed) DESC"
    ).df()
    if rows.empty:
        return None
    amounts = rows.groupby("currency")["billed"].sum()
    money = ", ".join(f"{v:,.2f} {k}" for k, v in amounts.items())
    return QualityWarning(
        "no category",
        f"{money} of cost has no ServiceCategory ({len(rows)} services), so it is missing "
        "from every by-category view",
        rows.head(EXAMPLES),
    )
