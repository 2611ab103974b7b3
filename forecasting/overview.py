"""The Overview page's numbers: this month's spend, run-rate, cost by group, trends, freshness."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from forecasting.interface import COST_METRIC, CostBasis, Excuse, Freq, GroupBy
from forecasting.store import Store


@dataclass(frozen=True)
class Overview:
    """Headline figures for the cost review, in ``currency``; months are calendar months of
    ChargePeriodStart (UTC) and cost is FOCUS EffectiveCost (amortized) unless stated."""

    currency: str
    as_of: date
    """Last day with cost data."""
    month_to_date_usd: float
    """Spend from the 1st of ``as_of``'s month to ``as_of`` inclusive."""
    run_rate_usd: float
    """Month-to-date spend scaled to the whole month: mtd / days elapsed x days in month."""
    last_month: str
    last_month_usd: float
    previous_month_usd: float
    by_group: pd.DataFrame
    """Last full month by cost group: ``group, monthly_cost, percent`` (the document's table)."""
    monthly_by_group: pd.DataFrame
    """``ds, group, value`` for every month."""
    trends: pd.DataFrame
    """Daily ``ds, users, requests_per_second, requests_per_second_peak`` (missing days NaN)."""
    freshness: pd.DataFrame


def build_overview(store: Store) -> Overview | Excuse:
    """Everything the Overview page shows, or why it cannot be shown yet."""
    last = store.last_day(COST_METRIC)
    if last is None:
        return Excuse("no cost data yet: run `capcost demo` or `capcost ingest focus FILE`")
    monthly, currency = store.read_series(COST_METRIC, Freq.MONTH, GroupBy.GROUP)
    month_start = last.replace(day=1)
    days_in_month = calendar.monthrange(last.year, last.month)[1]
    complete = last.day == days_in_month
    this_month = monthly.loc[monthly["ds"] == pd.Timestamp(month_start), "y"].sum()
    last_full = month_start if complete else (month_start - timedelta(days=1)).replace(day=1)
    previous = (last_full - timedelta(days=1)).replace(day=1)
    totals = monthly.groupby("ds")["y"].sum()
    return Overview(
        currency=currency,
        as_of=last,
        month_to_date_usd=float(this_month),
        run_rate_usd=float(this_month) / last.day * days_in_month,
        last_month=last_full.strftime("%Y-%m"),
        last_month_usd=float(totals.get(pd.Timestamp(last_full), 0.0)),
        previous_month_usd=float(totals.get(pd.Timestamp(previous), 0.0)),
        by_group=_group_table(monthly, last_full),
        monthly_by_group=monthly.rename(columns={"unique_id": "group", "y": "value"}),
        trends=_trends(store),
        freshness=store.freshness(),
    )


def _group_table(monthly: pd.DataFrame, month: date) -> pd.DataFrame:
    rows = monthly[monthly["ds"] == pd.Timestamp(month)]
    table = pd.DataFrame({"group": rows["unique_id"], "monthly_cost": rows["y"].round(2)})
    total = table["monthly_cost"].sum()
    table["percent"] = (100 * table["monthly_cost"] / total).round(1) if total else 0.0
    return table.sort_values("monthly_cost", ascending=False).reset_index(drop=True)


def _trends(store: Store) -> pd.DataFrame:
    columns = {}
    for metric in ("users", "requests_per_second", "requests_per_second_peak"):
        if metric in store.stored_metrics():
            frame, _ = store.read_series(metric, Freq.DAY)
            columns[metric] = frame.set_index("ds")["y"]
    if not columns:
        return pd.DataFrame(columns=["ds"])
    trends = pd.DataFrame(columns)
    full = pd.date_range(trends.index.min(), trends.index.max(), freq="D")
    return trends.reindex(full).rename_axis("ds").reset_index()


def cost_basis_note(basis: CostBasis = CostBasis.EFFECTIVE) -> str:
    return {
        CostBasis.EFFECTIVE: "EffectiveCost: amortized, commitment fees spread over the usage "
        "they cover (what forecasts use)",
        CostBasis.BILLED: "BilledCost: cash, what the invoice says",
        CostBasis.LIST: "ListCost: public on-demand prices",
    }[basis]
