"""The Cost review page: one month's variance, plan vs actual, unit economics, the plans."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from forecasting.anomalies import ANOMALY_LEVEL
from forecasting.anomalies import anomalies as build_anomalies
from forecasting.interface import COST_METRIC, Excuse, Freq, GroupBy
from forecasting.models.service import forecast_store, freeze
from forecasting.presentation import (
    MISSING,
    format_money,
    format_month,
    format_month_days,
    format_number,
    format_rate,
    shown_parts,
)
from forecasting.presentation.figures import round_half_up
from forecasting.store import Store
from forecasting.variance import (
    PlanVariance,
    days_covered,
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
    "reviewed_month",
]


PLAN_COLUMNS = {"planned": "Planned", "actual": "Actual", "vs_plan": "Actual - plan"}
"""The plan-vs-actual columns and their headers."""


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
    days: int | None = None
    """Days of the month with cost data, which the variance compares day for day."""

    @property
    def compared_months(self) -> tuple[str, str]:
        """The month before and this month as compared: "Oct 2026 1–26", "Nov 2026 1–26"
        while this one runs (day for day; one day: "1 Oct 2026", "1 Nov 2026"), "Sep 2026",
        "Oct 2026" once it has ended."""
        start, _, before = month_bounds(self.month)
        days = None if self.complete else self.days
        return format_month_days(before, days), format_month_days(start, days)

    def variance_labels(self) -> dict[str, str]:
        """Headers of the variance tables: "Oct 2026 1–26 (USD)", "Nov 2026 1–26 (USD)"."""
        before, this = self.compared_months
        return {"previous": f"{before} ({self.currency})", "current": f"{this} ({self.currency})"}

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
                # The change between the two figures shown, as a reader subtracts them.
                format_money(
                    float(round_half_up(self.total, 0) - round_half_up(self.previous_total, 0)),
                    cur,
                    cents=False,
                    signed=True,
                ),
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
        # The two add up to the variance exactly; shown whole, they must still add up to the
        # variance shown beside them (-230 and +59 beside -172 read as an error).
        shown = shown_parts(list(split.values()), plan.variance)
        total = format_money(plan.variance, self.currency, cents=False, signed=True)
        return [
            Card(
                f"Variance from {label}",
                format_money(value, self.currency, cents=False, signed=True),
                help=f"Volume and rate add up to the cost variance, {total} actual vs plan.",
            )
            for label, value in zip(split, shown, strict=True)
        ]

    def plan_rows(self) -> pd.DataFrame:
        """Plan vs actual as a person reads it: one row per measure in its own unit
        ("13,867 USD", "150,000 users", "0.0924 USD/user")."""
        if not isinstance(self.plan, PlanVariance):
            return pd.DataFrame()
        row, cur = self.plan.as_frame(self.currency, self.complete).iloc[0], self.currency
        shows: dict[str, Callable[[object], str]] = {
            "cost": lambda v: format_money(v, cur, cents=False),
            "users": lambda v: f"{format_number(v, 0)} users",
            "cost_per_user": lambda v: format_rate(v, cur, "user"),
        }
        rows = []
        for measure, show in shows.items():
            cells = [row[f"{measure}_{c}"] for c in PLAN_COLUMNS]
            text = [MISSING if pd.isna(v) else show(v) for v in cells]
            if not pd.isna(cells[-1]) and cells[-1] > 0:
                text[-1] = "+" + text[-1]  # a change carries its sign
            named = {"Measure": measure.replace("_", " ").capitalize()}
            rows.append({**named, **dict(zip(PLAN_COLUMNS.values(), text, strict=True))})
        return pd.DataFrame(rows)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The review's tables by file name, for one zip of CSVs. The variance tables say
        which days both months hold (``days_compared``) and whether the month is
        ``complete``: while it runs, ``previous`` and ``current`` are its first days only."""
        compared = {"days_compared": self.days, "complete": self.complete}
        out = {
            f"variance_by_group_{self.month}": self.by_group.assign(**compared),
            f"variance_by_service_{self.month}": self.by_service.assign(**compared),
            f"top_movers_{self.month}": self.movers.assign(**compared),
        }
        if isinstance(self.plan, PlanVariance):
            out[f"plan_vs_actual_{self.month}"] = self.plan.as_frame(self.currency, self.complete)
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


def reviewed_month(months: list[str], last: date | None) -> str | None:
    """The month a review opens on: the newest that has ended, as the monthly meeting reviews
    the month just closed (on 2 December, November, not December's first day). The running
    month stays on the list, compared day for day; with no ended month it is the one there is.
    ``months`` are newest first, ``last`` the last day with cost data."""
    if not months:
        return None
    if last is None:
        return months[0]
    ended = [m for m in months if month_bounds(m)[1] - timedelta(days=1) <= last]
    return ended[0] if ended else months[0]


def build_review(store: Store, month: str | None = None) -> ReviewView | Excuse:
    """The review of ``month`` (default: ``reviewed_month``, the newest month that has ended)."""
    last = store.last_day(COST_METRIC)
    if last is None:
        return Excuse("no cost data yet: run `capcost demo` or `capcost ingest focus FILE`")
    months = months_with_cost(store)
    month = month or reviewed_month(months, last) or months[0]
    if month not in months:
        return Excuse(
            f"no cost data for {format_month(month)}; months with data: "
            f"{format_month(months[-1])} to {format_month(months[0])}"
        )
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
        days=days_covered(store, month),
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
