"""The Overview page: last month against the month before and the plan, the running month
day for day and its nowcast, next quarter's forecast, the year to date, groups, trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from forecasting import periods
from forecasting.demand.record import MADE_BY
from forecasting.interface import COST_METRIC, CostBasis, Excuse, Freq, GroupBy
from forecasting.models import stored_fits
from forecasting.presentation import (
    format_date,
    format_money,
    format_month,
    format_month_days,
    format_number,
    format_quarter,
    model_label,
)
from forecasting.store import Store
from forecasting.variance import PlanVariance, plan_variance
from forecasting.views.display import Card, Tone

if TYPE_CHECKING:
    from forecasting.demand.record import CostOfRecord


@dataclass(frozen=True)
class OverviewView:
    """Headline figures for the cost review's first questions. Money is in ``currency`` (the
    billing currency); months are calendar months of ChargePeriodStart (UTC) and cost is
    FOCUS EffectiveCost (amortized) unless stated."""

    currency: str
    """The billing currency, e.g. "USD"."""
    as_of: date
    """Last day the cost data covers completely (never today, which is still running)."""
    last_month: str
    """The last full month, ``YYYY-MM``."""
    last_month_cost: float
    """Spend in ``last_month``, in ``currency``."""
    previous_month_cost: float
    """Spend in the month before ``last_month``, in ``currency``."""
    plan: PlanVariance | Excuse
    """``last_month`` against the plan of record, or why there is no plan for it."""
    running_month: str
    """The month after ``last_month``, still running, ``YYYY-MM``."""
    running_days: int
    """Days of ``running_month`` the data covers (0 on its first day)."""
    running_cost: float
    """Spend in ``running_month`` to ``as_of``, in ``currency``."""
    running_before_cost: float
    """Spend in the same first ``running_days`` days of the month before, in ``currency``."""
    year_to_date: YearToDate
    """The year of ``as_of`` so far against the plan of record."""
    by_group: pd.DataFrame
    """Last full month by cost group: ``group, monthly_cost, percent`` (the document's table)."""
    monthly_by_group: pd.DataFrame
    """``ds, group, value, complete`` for every month (value in ``currency``)."""
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
        """The last full month against the month before and the plan, the year to date
        against the plan, users; then the running month so far, day for day."""
        cur, month = self.currency, format_month(self.last_month)
        before = format_month(_month_before(self.last_month))
        cards = [
            Card(
                f"Spend {month}",
                _money(self.last_month_cost, cur),
                f"{_money(self.last_month_cost - self.previous_month_cost, cur, True)} vs {before}",
                Tone.RISE_IS_BAD,
                f"{before}: {_money(self.previous_month_cost, cur)}",
            ),
            self._plan_card(month),
            self.year_to_date.card(cur),
        ]
        if self.users_week_average is not None:
            cards.append(Card("Users (7-day average)", format_number(self.users_week_average, 0)))
        return cards

    def _plan_card(self, month: str) -> Card:
        if isinstance(self.plan, Excuse):
            return Card(f"Plan of record, {month}", "no plan", self.plan.reason)
        cur = self.currency
        return Card(
            f"Plan of record, {month}",
            _money(self.plan.planned_cost, cur),
            f"{_money(self.plan.variance, cur, True)} actual vs plan",
            Tone.RISE_IS_BAD,
            f"Plan: {self.plan.plan_name} (plan {self.plan.plan_id})",
        )

    @property
    def running_card(self) -> Card:
        """The running month so far against the same days of the month before."""
        cur, month = self.currency, format_month(self.running_month)
        days = self.running_days
        if days == 0:
            return Card(
                f"{month} so far", "no day yet", f"the data runs to {format_date(self.as_of)}"
            )
        change = self.running_cost - self.running_before_cost
        before = format_month(self.last_month)
        # The days compared, as the Cost review heads them ("Nov 2026 1–26", "1 Nov 2026"):
        # short enough for a card's one-line note, which cuts a longer one off.
        same_days = format_month_days(self.last_month, days)
        return Card(
            f"{month} so far ({days} {'day' if days == 1 else 'days'})",
            _money(self.running_cost, cur),
            f"{_money(change, cur, True)} vs {same_days}",
            Tone.RISE_IS_BAD,
            f"The same days of {before} ({same_days}): {_money(self.running_before_cost, cur)}",
        )

    @property
    def traffic_columns(self) -> list[str]:
        """The req/s columns ``trends`` holds (average, peak)."""
        return [c for c in ("requests_per_second", "requests_per_second_peak") if c in self.trends]

    @property
    def notes(self) -> str:
        """How the figures are computed (Markdown)."""
        return f"""
- Cost is FOCUS **{cost_basis_note()}**, summed per calendar month of ChargePeriodStart (UTC),
  in {self.currency}. Data runs to **{format_date(self.as_of)}** (today, still running, is left
  out).
- **{format_month(self.running_month)}** has not ended: it is marked *partial* in charts and
  tables and compared with the **same days** of the month before, never with a whole month.
  Its **nowcast** is the forecast of the whole month from the days observed so far.
- **Plan of record** is the newest frozen plan covering the month; the year to date compares
  the months the plan covers, the running month's plan prorated to its days.
- **Cost groups** map provider, service, ServiceCategory or tags to budget categories by rules
  (first match wins); spend no rule matches shows as *Unallocated*.
- Users and requests/s are daily values; gaps are days with no data, never zeros.
"""


@dataclass(frozen=True)
class YearToDate:
    """The year so far against the plan of record, over the months the plan covers."""

    year: int
    actual_cost: float
    """Spend from 1 January to the last full day, in the billing currency."""
    planned_cost: float | None
    """The plan over ``planned_months`` (the running month prorated), None without a plan."""
    actual_planned_months: float
    """Spend over ``planned_months`` only (equals ``actual_cost`` when the plan covers all)."""
    planned_months: tuple[str, ...]
    """``YYYY-MM`` months the plan of record covers this year so far."""

    def card(self, currency: str) -> Card:
        label = f"Year to date {self.year}"
        if self.planned_cost is None or not self.planned_months:
            return Card(label, _money(self.actual_cost, currency), "no plan of record this year")
        first, last = (format_month(m) for m in (self.planned_months[0], self.planned_months[-1]))
        variance = self.actual_planned_months - self.planned_cost
        return Card(
            label,
            _money(self.actual_cost, currency),
            f"{_money(variance, currency, True)} vs plan",
            Tone.RISE_IS_BAD,
            f"Plan {first} to {last}: {_money(self.planned_cost, currency)}",
        )


def build_overview(store: Store) -> OverviewView | Excuse:
    """Everything the Overview page shows but forecasts, or why it cannot be shown yet."""
    as_of = store.last_full_day(COST_METRIC)
    if as_of is None:
        return Excuse("no cost data yet: run `capcost demo` or `capcost ingest focus FILE`")
    monthly, currency = store.read_series(COST_METRIC, Freq.MONTH, GroupBy.GROUP)
    running = periods.first_incomplete(as_of, Freq.MONTH)
    last_full = periods.period_start(running - timedelta(days=1), Freq.MONTH)
    previous = periods.period_start(last_full - timedelta(days=1), Freq.MONTH)
    totals = monthly.groupby("ds")["y"].sum()
    days = periods.days_covered(running, Freq.MONTH, as_of)
    window = periods.comparable_window(running, Freq.MONTH, as_of)
    monthly = monthly.assign(complete=periods.complete_column(monthly["ds"], Freq.MONTH, as_of))
    return OverviewView(
        currency=currency,
        as_of=as_of,
        last_month=f"{last_full:%Y-%m}",
        last_month_cost=float(totals.get(pd.Timestamp(last_full), 0.0)),
        previous_month_cost=float(totals.get(pd.Timestamp(previous), 0.0)),
        plan=plan_variance(store, f"{last_full:%Y-%m}"),
        running_month=f"{running:%Y-%m}",
        running_days=days,
        running_cost=_spend(store, running, running + timedelta(days=days)),
        running_before_cost=_spend(store, *window),
        year_to_date=_year_to_date(store, as_of),
        by_group=_group_table(monthly, last_full),
        monthly_by_group=monthly.rename(columns={"unique_id": "group", "y": "value"}),
        trends=_trends(store),
        freshness=store.freshness(),
    )


def _spend(store: Store, start: date, end: date) -> float:
    """Spend on the days ``[start, end)``."""
    if end <= start:
        return 0.0
    daily, _ = store.read_series(COST_METRIC, Freq.DAY, start=start, end=end)
    return float(daily["y"].sum())


def _year_to_date(store: Store, as_of: date) -> YearToDate:
    months = pd.period_range(f"{as_of.year}-01", f"{as_of:%Y-%m}", freq="M")
    planned = [v for m in months if not isinstance(v := plan_variance(store, str(m)), Excuse)]
    return YearToDate(
        year=as_of.year,
        actual_cost=_spend(store, date(as_of.year, 1, 1), as_of + timedelta(days=1)),
        planned_cost=sum(v.planned_cost for v in planned) if planned else None,
        actual_planned_months=sum(v.actual_cost for v in planned),
        planned_months=tuple(v.month for v in planned),
    )


def _month_before(month: str) -> str:
    return str(pd.Period(month, freq="M") - 1)


def _money(value: float, currency: str, signed: bool = False) -> str:
    return format_money(value, currency, cents=False, signed=signed)


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


@dataclass(frozen=True)
class Outlook:
    """One forecast period: the median and the band at ``level``, in the billing currency."""

    period: str
    """``Dec 2026`` or ``2027 Q1``."""
    forecast: float
    lower: float
    upper: float
    level: float
    """Band level, % (80: P10 to P90)."""
    model: str
    """The model's spec (shown as its readable label)."""
    method: str = ""
    """Which cost forecast it is: ``demand chain`` or ``direct cost forecast``."""
    other: float | None = None
    """What the other method forecasts for the same period (None: no other)."""
    other_method: str = ""
    why: str = ""
    """Why ``method`` is the forecast of record (its backtest against the other)."""

    def card(self, label: str, currency: str, help_text: str) -> Card:
        band = f"{_money(self.lower, currency)} to {_money(self.upper, currency)}"
        how = f"Model: {model_label(self.model)}."
        if self.method:
            how = f"The cost forecast of record: the {self.method}"
            how += f" ({self.why})." if self.why else "."
        if self.other is not None:
            how += f" The {self.other_method} says {_money(self.other, currency)}."
        return Card(
            f"{label} {self.period}",
            _money(self.forecast, currency),
            f"{self.level:g}% band {band}",
            Tone.NOTE,
            f"{help_text} {how}",
        )


@dataclass(frozen=True)
class OutlookView:
    """The heavy half of the Overview: the running month's nowcast and next quarter's forecast,
    built apart so that the page's other figures show before any forecast runs. Both are the
    cost forecast of record (``demand.record``), as on the Capacity page and in the CLI."""

    currency: str
    running: Outlook
    next_quarter: Outlook
    running_days: int
    """Days of the running month observed (0: its forecast has no day of it to go on)."""
    why: str = ""
    """Why the forecast of record is the method it is (its backtest), in words."""

    @property
    def cards(self) -> list[Card]:
        observed = self.running_days
        return [
            self.running.card(
                "Nowcast" if observed else "Forecast",
                self.currency,
                f"The whole month: the bill of its {observed} days observed so far plus a "
                "daily forecast of the rest."
                if observed
                else "No day of the month is in the data yet: a forecast, not a nowcast.",
            ),
            self.next_quarter.card(
                "Forecast",
                self.currency,
                "The quarter's total, summed from monthly sample paths (not from monthly bands).",
            ),
        ]


def _outlook_key(store: Store, level: float = 80.0) -> tuple[object, ...]:
    return (stored_fits.store_part(store), float(level))


# Stored whole by the refresh, read by the page: its cost of record is most of a first
# visit's second (the Forecast page's total is stored alike).
@stored_fits.fitted(
    "overview outlook", *MADE_BY, keyed=_outlook_key, engine=True, keeps_inputs=True
)
def build_outlook(store: Store, level: float = 80.0) -> OutlookView | Excuse:
    """The running month's nowcast and next quarter's forecast of total cost (the cost forecast
    of record), or why not."""
    from forecasting.demand.record import cost_of_record
    from forecasting.errors import CapcostError
    from forecasting.models.options import ForecastOptions

    as_of = store.last_full_day(COST_METRIC)
    if as_of is None:
        return Excuse("no cost data yet: run `capcost demo` or `capcost ingest focus FILE`")
    running = periods.first_incomplete(as_of, Freq.MONTH)
    quarter = periods.period_end(periods.period_start(running, Freq.QUARTER), Freq.QUARTER)
    try:
        record = cost_of_record(store, ForecastOptions(level=level))
    except CapcostError as exc:
        return Excuse(f"no forecast yet: {exc}")
    _, currency = store.read_series(COST_METRIC, Freq.MONTH, end=running)
    month = _outlook(record, "months", running, format_month(running), level)
    next_quarter = _outlook(record, "quarters", quarter, format_quarter(quarter), level)
    if month is None or next_quarter is None:
        return Excuse("the forecast does not reach the running month and next quarter")
    return OutlookView(
        currency=currency,
        running=month,
        next_quarter=next_quarter,
        running_days=periods.days_covered(running, Freq.MONTH, as_of),
        why=record.why,
    )


def _row(table: pd.DataFrame, start: date, level: float) -> pd.Series | None:
    """The forecast table's row for the period starting ``start`` (one series: the total)."""
    hit = table[(table["ds"] == pd.Timestamp(start)) & (table["level"] == level)]
    return None if hit.empty else hit.iloc[0]


def _outlook(
    record: CostOfRecord, table: str, start: date, period: str, level: float
) -> Outlook | None:
    row = _row(getattr(record.chosen, table), start, level)
    if row is None:
        return None
    other = None if record.other is None else _row(getattr(record.other, table), start, level)
    return Outlook(
        period,
        float(row["forecast"]),
        float(row["lower"]),
        float(row["upper"]),
        level,
        str(row["model"]),
        method=record.chosen.method,
        other=None if other is None else float(other["forecast"]),
        other_method="" if record.other is None else record.other.method,
        why=record.why,
    )
