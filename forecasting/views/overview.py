"""The Overview page: this month's spend, run-rate, cost by group, trends, freshness."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from forecasting.interface import COST_METRIC, CostBasis, Excuse, Freq, GroupBy
from forecasting.presentation import format_money, format_month, format_number
from forecasting.store import Store
from forecasting.views.display import Card, Tone


@dataclass(frozen=True)
class OverviewView:
    """Headline figures for the cost review. Money is in ``currency`` (the billing currency);
    months are calendar months of ChargePeriodStart (UTC) and cost is FOCUS EffectiveCost
    (amortized) unless stated."""

    currency: str
    """The billing currency, e.g. "USD"."""
    as_of: date
    """Last day with cost data."""
    month_to_date_cost: float
    """Spend from the 1st of ``as_of``'s month to ``as_of`` inclusive, in ``currency``."""
    run_rate_cost: float
    """Month-to-date spend scaled to the whole month (mtd / days elapsed x days in month),
    in ``currency``."""
    last_month: str
    """The last full month, ``YYYY-MM`` (the running month once it has ended)."""
    last_month_cost: float
    """Spend in ``last_month``, in ``currency``."""
    previous_month_cost: float
    """Spend in the month before ``last_month``, in ``currency``."""
    by_group: pd.DataFrame
    """Last full month by cost group: ``group, monthly_cost, percent`` (the document's table)."""
    monthly_by_group: pd.DataFrame
    """``ds, group, value`` for every month (value in ``currency``)."""
    trends: pd.DataFrame
    """Daily ``ds, users, requests_per_second, requests_per_second_peak`` (missing days NaN)."""
    freshness: pd.DataFrame
    """Per source: last day with data and rows stored (the store's freshness table)."""

    @property
    def users_week_average(self) -> float | None:
        """Mean daily users over the last 7 days with data (None: no users stored)."""
        if self.trends.empty or "users" not in self.trends:
            return None
        return float(self.trends.dropna(subset=["users"]).tail(7)["users"].mean())

    @property
    def cards(self) -> list[Card]:
        """Spend to date, run-rate, the last full month against the one before, users."""
        cur, change = self.currency, self.last_month_cost - self.previous_month_cost
        cards = [
            Card(
                f"Spend {self.as_of:%B} to date",
                format_money(self.month_to_date_cost, cur, cents=False),
            ),
            Card("Run-rate this month", format_money(self.run_rate_cost, cur, cents=False)),
            Card(
                f"Spend {format_month(self.last_month)}",
                format_money(self.last_month_cost, cur, cents=False),
                f"{format_money(change, cur, cents=False, signed=True)} vs previous month",
                Tone.RISE_IS_BAD,
            ),
        ]
        if self.users_week_average is not None:
            cards.append(Card("Users (7-day average)", format_number(self.users_week_average, 0)))
        return cards

    @property
    def traffic_columns(self) -> list[str]:
        """The req/s columns ``trends`` holds (average, peak)."""
        return [c for c in ("requests_per_second", "requests_per_second_peak") if c in self.trends]

    @property
    def notes(self) -> str:
        """How the figures are computed (Markdown)."""
        return f"""
- Cost is FOCUS **{cost_basis_note()}**, summed per calendar month of ChargePeriodStart (UTC),
  in {self.currency}. Data runs to **{self.as_of}**.
- **Run-rate** = spend this month to date / days elapsed ({self.as_of.day}) x days in the month.
- **Cost groups** map provider, service, ServiceCategory or tags to budget categories by rules
  (first match wins); spend no rule matches shows as *Unallocated*.
- Users and requests/s are daily values; gaps are days with no data, never zeros.
"""


def build_overview(store: Store) -> OverviewView | Excuse:
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
    return OverviewView(
        currency=currency,
        as_of=last,
        month_to_date_cost=float(this_month),
        run_rate_cost=float(this_month) / last.day * days_in_month,
        last_month=last_full.strftime("%Y-%m"),
        last_month_cost=float(totals.get(pd.Timestamp(last_full), 0.0)),
        previous_month_cost=float(totals.get(pd.Timestamp(previous), 0.0)),
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
