"""The Cost review page: one month's variance, plan vs actual, unit economics, the plans."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from forecasting.anomalies import ANOMALY_LEVEL
from forecasting.anomalies import anomalies as build_anomalies
from forecasting.interface import COST_METRIC, Excuse, Freq, GroupBy
from forecasting.models.service import forecast_store, freeze
from forecasting.presentation import format_money, format_month
from forecasting.store import Store
from forecasting.variance import (
    PlanVariance,
    month_bounds,
    month_over_month,
    months_with_cost,
    plan_variance,
    top_movers,
    unit_economics,
)
from forecasting.views.display import Card, Tone

__all__ = [
    "ReviewView",
    "build_anomalies",
    "build_review",
    "freeze_plan_of_record",
    "months_with_cost",
]


@dataclass(frozen=True)
class ReviewView:
    """Every table of one month's cost review (EffectiveCost, calendar months, UTC); money in
    ``currency``."""

    month: str
    """The reviewed month, ``YYYY-MM``."""
    currency: str
    """The billing currency."""
    complete: bool
    """False while the month is still running: ``current`` figures are month to date."""
    by_group: pd.DataFrame
    """Per cost group: ``group, previous, current, change, change_percent``."""
    by_service: pd.DataFrame
    """The same per service."""
    movers: pd.DataFrame
    """The five services with the largest absolute change."""
    plan: PlanVariance | Excuse
    """Actual vs the plan of record covering the month, or why there is none."""
    unit_economics: pd.DataFrame | Excuse
    """Per complete month: cost per user and per million requests."""

    @property
    def total(self) -> float:
        """Spend this month (to date while it runs)."""
        return float(self.by_group["current"].sum())

    @property
    def previous_total(self) -> float:
        """Spend the month before (the same days while this one runs)."""
        return float(self.by_group["previous"].sum())

    @property
    def cards(self) -> list[Card]:
        """Spend this month, the month before (the same days while this one runs), the plan."""
        cur, running = self.currency, not self.complete
        cards = [
            Card(
                f"Spend {format_month(self.month)}{' (month to date)' if running else ''}",
                format_money(self.total, cur, cents=False),
            ),
            Card(
                "Previous month" + (", same days" if running else ""),
                format_money(self.previous_total, cur, cents=False),
                format_money(self.total - self.previous_total, cur, cents=False, signed=True),
                Tone.RISE_IS_BAD,
            ),
        ]
        if isinstance(self.plan, PlanVariance):
            cards.append(
                Card(
                    "Plan of record",
                    format_money(self.plan.planned_cost, cur, cents=False),
                    f"{format_money(self.plan.variance, cur, cents=False, signed=True)} actual "
                    "vs plan",
                    Tone.RISE_IS_BAD,
                )
            )
        return cards

    @property
    def split_cards(self) -> list[Card]:
        """The plan variance split into volume and rate ([] without users in both)."""
        plan = self.plan
        if not isinstance(plan, PlanVariance):
            return []
        if plan.volume_variance is None or plan.rate_variance is None:
            return []
        split = {"volume (users)": plan.volume_variance, "rate (cost per user)": plan.rate_variance}
        return [
            Card(
                f"Variance from {label}",
                format_money(value, self.currency, cents=False, signed=True),
            )
            for label, value in split.items()
        ]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The review's tables by file name, for one zip of CSVs."""
        out = {
            f"variance_by_group_{self.month}": self.by_group,
            f"variance_by_service_{self.month}": self.by_service,
            f"top_movers_{self.month}": self.movers,
        }
        if isinstance(self.plan, PlanVariance):
            out[f"plan_vs_actual_{self.month}"] = self.plan.as_frame()
        if isinstance(self.unit_economics, pd.DataFrame):
            out["unit_economics"] = self.unit_economics
        return out

    @property
    def notes(self) -> str:
        """How the figures are computed (Markdown)."""
        running = "This month is still running: compare with care." if not self.complete else ""
        return f"""
- Spend is FOCUS EffectiveCost (amortized) per calendar month of ChargePeriodStart, in
  {self.currency}. {running}
- **Variance** = this month - previous month, per cost group and per service; top movers are
  the five services with the largest absolute change. A running month is compared with the
  same days of the previous month, and with the plan prorated to those days.
- **Plan vs actual** uses the newest plan of record that covers the month. Its variance splits
  into **volume** = (actual users - planned users) x planned cost per user and **rate** =
  (actual cost per user - planned cost per user) x actual users; the two add up exactly.
- **Anomalous days**: each day's cost against a {ANOMALY_LEVEL}% band forecast from the 26
  weeks before the month (automatic model, calibrated on backtests), so about one day in
  twenty is flagged by chance; the service named moved most against its median of the 28
  days before the month.
- **Unit economics**: cost / average daily users, and cost / (average req/s x seconds in the
  month / 1,000,000), for complete months.
"""


def build_review(store: Store, month: str | None = None) -> ReviewView | Excuse:
    """The review of ``month`` (default: the newest month with cost data)."""
    last = store.last_day(COST_METRIC)
    if last is None:
        return Excuse("no cost data yet: run `capcost demo` or `capcost ingest focus FILE`")
    months = months_with_cost(store)
    month = month or months[0]
    if month not in months:
        return Excuse(f"no cost data for {month}; months with data: {months[-1]} to {months[0]}")
    start, end, _ = month_bounds(month)
    by_service = month_over_month(store, month, GroupBy.SERVICE)
    _, currency = store.read_series(COST_METRIC, Freq.MONTH, start=start, end=end)
    return ReviewView(
        month=month,
        currency=currency,
        complete=last >= end - timedelta(days=1),
        by_group=month_over_month(store, month, GroupBy.GROUP),
        by_service=by_service,
        movers=top_movers(by_service),
        plan=plan_variance(store, month),
        unit_economics=unit_economics(store),
    )


PLAN_HORIZON_MONTHS = 12
PLAN_LEVEL = 80


def freeze_plan_of_record(
    store: Store, *, model: str = "auto", horizon: int = PLAN_HORIZON_MONTHS
) -> list[int]:
    """Forecast cost (the cost forecast of record) and users for the next ``horizon`` months
    and store both as the plan of record, so later reviews compare actuals with what was planned.

    Needs a read-write store. Returns the new plan ids (cost first).
    """
    from forecasting.demand.record import cost_of_record
    from forecasting.models.options import ForecastOptions

    plan_ids = []
    metrics = [COST_METRIC] + [m for m in ("users",) if m in store.stored_metrics()]
    for metric in metrics:
        if metric == COST_METRIC:
            # The cost forecast of record, as the Overview and the Capacity plan show it.
            options = ForecastOptions(level=PLAN_LEVEL, model=model)
            method = None if model == "auto" else "direct cost forecast"
            record = cost_of_record(store, options, quarters=-(-horizon // 3), method=method)
            fc = record.store_forecast()
            keep = sorted(fc.table["ds"].unique())[:horizon]
            fc = dataclasses.replace(fc, table=fc.table[fc.table["ds"].isin(keep)])
        else:
            fc = forecast_store(store, metric, h=horizon, level=(PLAN_LEVEL,), model=model)
        first = pd.Timestamp(fc.table["ds"].min())
        extra = {"horizon_months": horizon, "cost_basis": "EffectiveCost"}
        plan_ids.append(freeze(store, f"Plan of record {first:%Y-%m}", fc, PLAN_LEVEL, extra))
    return plan_ids
