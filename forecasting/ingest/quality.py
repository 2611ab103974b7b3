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


def _cost_gaps(store: Store) -> QualityWarning | None:
    gaps = store.cost_gaps()
    if gaps.empty:
        return None
    return QualityWarning(
        "gaps",
        f"{int(gaps['days'].sum())} days have no cost inside the span of their provider's "
        f"data ({len(gaps)} gaps): a missing export, or a failed ingest",
        gaps.head(EXAMPLES),
    )


def _metric_gaps(store: Store) -> QualityWarning | None:
    gaps = store.metric_gaps()
    if gaps.empty:
        return None
    return QualityWarning(
        "gaps",
        f"{int(gaps['days'].sum())} days have no observations inside the span of their metric "
        f"({len(gaps)} gaps); forecasts treat them as unknown, never as zero",
        gaps.head(EXAMPLES),
    )


def _doubled_cost_days(store: Store) -> QualityWarning | None:
    doubled = store.doubled_cost_days()
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
    doubled = store.doubled_metric_days()
    if doubled.empty:
        return None
    return QualityWarning(
        "duplicate days",
        f"{len(doubled)} metric days hold observations from more than one source; their daily "
        "values mix both",
        doubled.head(EXAMPLES),
    )


def _mixed_currencies(store: Store) -> QualityWarning | None:
    totals = store.currency_totals()
    if len(totals) < 2:
        return None
    return QualityWarning(
        "mixed currencies",
        f"costs are stored in {len(totals)} currencies ({', '.join(totals['currency'])}); "
        "capcost never adds them: choose one with --currency",
        totals,
    )


def _negative_usage(store: Store) -> QualityWarning | None:
    rows = store.negative_usage()
    if rows.empty:
        return None
    return QualityWarning(
        "negative usage",
        f"{int(rows['line_items'].sum())} line items have a negative ConsumedQuantity; usage "
        "cannot be negative (credits belong in the cost columns)",
        rows.head(EXAMPLES),
    )


def _negative_metrics(store: Store) -> QualityWarning | None:
    rows = store.negative_metrics()
    if rows.empty:
        return None
    return QualityWarning(
        "negative usage",
        f"{int(rows['days'].sum())} metric days have negative values "
        f"({', '.join(rows['metric'].unique())})",
        rows.head(EXAMPLES),
    )


def _uncategorised_cost(store: Store) -> QualityWarning | None:
    rows = store.uncategorised_cost()
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
