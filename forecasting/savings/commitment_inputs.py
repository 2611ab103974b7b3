"""Commitments read from a Store: eligible usage hour by hour, AWS's look-back and the forecast
method side by side, each scored both on the past and on the forecast's sample paths."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import Excuse, Freq
from forecasting.savings import eligibility
from forecasting.savings.commitments import (
    LookBack,
    Outcome,
    Terms,
    evaluate,
    look_back,
    recommend,
    score_hours,
    window,
)
from forecasting.scenario.catalogue import commitment_words

if TYPE_CHECKING:
    from forecasting.models.options import ForecastOptions, PathForecaster
    from forecasting.savings.stacking import Lever
    from forecasting.scenario.assumptions import SavingsScenario
    from forecasting.scenario.catalogue import Catalogue
    from forecasting.store import Store

COMMITMENT_COLUMNS = [
    "method",
    "scope",
    "hourly_commitment_usd",
    "covered_usd_per_hour",
    "upfront_usd",
    "lookback_days",
    "lookback_on_demand_usd_per_hour",
    "lookback_monthly_savings_usd",
    "lookback_utilisation",
    "lookback_coverage",
    "lookback_break_even_month",
    "coverage",
    "utilisation",
    "expected_monthly_savings_usd",
    "savings_lower_usd",
    "savings_upper_usd",
    "break_even_month",
    "downside_monthly_savings_usd",
    "downside_utilisation",
    "downside_break_even_month",
    "note",
]
"""``lookback_*``: the commitment on the window's own hourly usage, assumed to repeat (what AWS
reports); the rest: on the forecast's sample paths over the term."""
FORECAST_CHECK_DAYS = 30
"""The forecast method's commitment is also scored on this many past days, as AWS would."""
HISTORY_DAYS = 3 * 366
"""Usage read for the forecast: about three years of months."""
_PROFILE_METRICS = ("instances", "requests_per_second")
"""Sub-daily metrics that move with compute usage, tried in order for the within-day shape."""


@dataclass(frozen=True)
class ScopeUsage:
    """One commitment scope's eligible usage, on-demand-equivalent $ per clock hour."""

    scope: str
    total: pd.Series
    """All eligible usage, covered and not."""
    covered: pd.Series
    """What commitments already owned covered."""
    uncovered: pd.Series
    """What is left: the on-demand usage a new commitment can take."""
    existing_usd_per_hour: float
    """What commitments owned now cover each hour (their most over the last week)."""
    family: str | None


def within_day_profile(
    store: Store, rows: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[tuple[float, ...], str]:
    """How usage moves within the day, from the finest data stored, and where it came from.

    Hourly line items are usage itself; otherwise pods or req/s stored at an hour or finer.
    Never a day's busiest minute over its mean: that swing lasts minutes, not hours.
    """
    if not rows.empty:
        length = pd.Timedelta((rows["ChargePeriodEnd"] - rows["ChargePeriodStart"]).median())
        if length <= pd.Timedelta(hours=1):
            found = eligibility.hourly_profile(eligibility.to_hours(rows))
            if found:
                return found, "from the hourly line items"
    since = (end - pd.Timedelta(days=60)).date()
    for metric in _PROFILE_METRICS:
        if metric in store.stored_metrics():
            found = eligibility.hourly_profile(store.hourly_observations(metric, since, end.date()))
            if found:
                return found, f"from hourly {metric} over the last 60 days"
    return (1.0,), "flat (no hourly usage stored)"


def scope_usage(rows: pd.DataFrame, profile: tuple[float, ...]) -> list[ScopeUsage]:
    """Each scope's usage by the hour, largest uncovered usage first."""
    out = []
    for scope, part in rows.groupby("scope"):
        committed = part["PricingCategory"].fillna("") == "Committed"
        total = eligibility.to_hours(part, profile)
        covered = eligibility.to_hours(part[committed]).reindex(total.index, fill_value=0.0)
        recent = covered[covered.index >= covered.index.max() - pd.Timedelta(days=7)]
        families = part["family"].dropna().unique()
        out.append(
            ScopeUsage(
                str(scope),
                total,
                covered,
                eligibility.uncovered_hours(total, covered),
                float(recent.max()) if len(recent) else 0.0,
                str(families[0]) if len(families) == 1 else None,
            )
        )
    return sorted(out, key=lambda s: -float(window(s.uncovered, 30).sum()))


def forecast_paths(
    usage: ScopeUsage, months: int, options: ForecastOptions, forecaster: PathForecaster
) -> np.ndarray | Excuse:
    """Sample paths of total eligible usage ($/h, monthly means) over the term.

    Total, not uncovered: the uncovered series steps down when a commitment starts, and a
    forecast of it would read that step as a trend. Existing coverage comes off afterwards.
    """
    monthly = usage.total.groupby(pd.DatetimeIndex(usage.total.index).to_period("M")).agg(
        ["mean", "count"]
    )
    periods = pd.PeriodIndex(monthly.index)
    full = monthly[monthly["count"].to_numpy() == 24 * periods.days_in_month.to_numpy()]["mean"]
    if len(full) < 3:
        # AWS's look-back needs only its window; the forecast method needs a history.
        return Excuse(
            "the forecast method needs at least 3 full months of compute usage",
            {"full_months": len(full)},
        )
    frame = pd.DataFrame(
        {
            "unique_id": "eligible_compute",
            "ds": pd.PeriodIndex(full.index).to_timestamp(),
            "y": full.to_numpy(float),
        }
    )
    result = forecaster(frame, months, Freq.MONTH, options)
    paths: np.ndarray = np.clip(result.paths["eligible_compute"], 0, None)
    return paths


def _family_type(catalogue: Catalogue, family: str | None, preferred: str) -> tuple[str, float]:
    """The catalogue type whose rates price a family's commitment, and the family's smallest
    on-demand $/h (one RI unit: regional RIs flex across sizes in units of the smallest)."""
    types = [t for t in catalogue.instance_types() if family is None or t.family == family]
    if not types:
        raise InputError(f"the price catalogue has no {family} instances", parameter="offering")
    smallest = min(t.on_demand_hourly_usd for t in types)
    names = [t.name for t in types]
    return (preferred if preferred in names else min(types, key=lambda t: t.vcpu).name), smallest


def _terms(
    scenario: SavingsScenario,
    catalogue: Catalogue,
    usage: ScopeUsage,
    profile: tuple[float, ...],
) -> tuple[Terms, float | None]:
    from forecasting.scenario.catalogue import Offering, Payment

    offering = scenario.commitment_offering
    scoped = offering in eligibility.FAMILY_SCOPED
    name, unit = _family_type(catalogue, usage.family if scoped else None, scenario.instance_type)
    if not scoped:
        name = scenario.instance_type
    rate = catalogue.rate(
        name,
        Offering(offering),
        scenario.commitment_term_years,
        Payment(scenario.commitment_payment),
    )
    hours = scenario.hours_per_month
    terms = Terms(
        discount=rate.discount(hours),
        term_months=12 * scenario.commitment_term_years,
        upfront_share=rate.upfront_share(hours),
        hours_per_month=hours,
        hourly_profile=profile,
        existing_covered_usd_per_hour=usage.existing_usd_per_hour,
    )
    # An RI is bought in whole instances: the commitment moves in steps of one unit's
    # on-demand rate; a Savings Plan is any $/h.
    return terms, unit if offering == "ri_standard" else None


def _row(
    method: str,
    usage: ScopeUsage,
    note: str,
    months: int,
    past: LookBack | Excuse,
    future: Outcome | Excuse,
) -> dict[str, Any]:
    """One table row from a LookBack (the past) and an Outcome (the paths), either an Excuse."""
    row: dict[str, Any] = {"method": method, "scope": usage.scope}
    notes = list(dict.fromkeys(str(x) for x in (past, future) if isinstance(x, Excuse)))
    if isinstance(past, LookBack):
        row |= {
            "hourly_commitment_usd": past.hourly_commitment_usd,
            "covered_usd_per_hour": past.covered_usd_per_hour,
            "upfront_usd": past.upfront_usd,
            "lookback_days": past.days,
            "lookback_on_demand_usd_per_hour": past.average_hourly_on_demand_usd,
            "lookback_monthly_savings_usd": past.estimated_monthly_savings_usd,
            "lookback_utilisation": past.utilisation,
            "lookback_coverage": past.coverage,
            "lookback_break_even_month": str(past.break_even_month),
        }
    if isinstance(future, Outcome):
        row |= {
            "hourly_commitment_usd": future.hourly_commitment_usd,
            "covered_usd_per_hour": future.covered_usd_per_hour,
            "upfront_usd": future.upfront_usd,
            "coverage": future.coverage,
            "utilisation": future.utilisation,
            "expected_monthly_savings_usd": future.expected_monthly_savings_usd,
            "savings_lower_usd": future.savings_lower_usd / months,
            "savings_upper_usd": future.savings_upper_usd / months,
            "break_even_month": str(future.break_even_month),
            "downside_monthly_savings_usd": future.downside_savings_usd / months,
            "downside_utilisation": future.downside_utilisation,
            "downside_break_even_month": str(future.downside_break_even_month),
        }
    row["note"] = "; ".join([*notes, note])
    return row


@dataclass(frozen=True)
class CommitmentRows:
    """The table, and the forecast method's recommendation on the largest scope."""

    table: pd.DataFrame
    best: Outcome | Excuse
    paths: np.ndarray | Excuse
    terms: Terms
    label: str


def commitment_rows(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    end: pd.Timestamp,
    options: ForecastOptions,
    forecaster: PathForecaster,
    lookback: tuple[int, ...],
) -> CommitmentRows:
    """Per scope: the forecast method's commitment, then AWS's look-back for each window.

    ``end`` (exclusive) is the end of the last full month: usage after it is partial.
    """
    items = store.compute_usage_items((end - pd.Timedelta(days=HISTORY_DAYS)).date(), end.date())
    rows = eligibility.eligible_rows(items, scenario.commitment_offering)
    if rows.empty:
        raise InputError(
            f"no usage a {scenario.commitment_offering} commitment can cover",
            parameter="--offering",
        )
    profile, how = within_day_profile(store, rows, end - pd.Timedelta(days=60), end)
    table, first = [], None
    for usage in scope_usage(rows, profile):
        terms, step = _terms(scenario, catalogue, usage, profile)
        paths = forecast_paths(usage, terms.term_months, options, forecaster)
        best = (
            paths
            if isinstance(paths, Excuse)
            else recommend(paths, terms, step_usd_per_hour=step, band=options.quantiles)
        )
        note = _label(scenario, catalogue, how, usage, rows)
        check = window(usage.uncovered, FORECAST_CHECK_DAYS)
        past: LookBack | Excuse = (
            best
            if isinstance(best, Excuse)
            else Excuse("no usage in the last 30 days", {"days": FORECAST_CHECK_DAYS})
            if check.size == 0
            else score_hours(check, best.hourly_commitment_usd, terms, FORECAST_CHECK_DAYS)
        )
        months = terms.term_months
        table.append(_row("forecast", usage, note, months, past, best))
        for days in lookback:
            aws = look_back(usage.uncovered, days, terms, step_usd_per_hour=step)
            future = (
                aws
                if isinstance(aws, Excuse)
                else paths
                if isinstance(paths, Excuse)
                else evaluate(
                    paths,
                    aws.hourly_commitment_usd,
                    terms,
                    f"look-back {days} days",
                    options.quantiles,
                )
            )
            table.append(_row(f"look-back {days} days", usage, note, months, aws, future))
        if first is None:
            first = CommitmentRows(pd.DataFrame(), best, paths, terms, note)
    assert first is not None
    frame = pd.DataFrame(table).reindex(columns=COMMITMENT_COLUMNS)
    return dataclasses.replace(first, table=frame)


def _label(
    scenario: SavingsScenario,
    catalogue: Catalogue,
    how: str,
    usage: ScopeUsage,
    rows: pd.DataFrame,
) -> str:
    kinds = ", ".join(sorted(rows.loc[rows["scope"] == usage.scope, "kind"].unique()))
    existing = (
        f"commitments owned cover ${usage.existing_usd_per_hour:,.2f}/h on-demand-equivalent "
        "(assumed to last the term)"
        if usage.existing_usd_per_hour
        else "no commitments owned"
    )
    s = scenario
    return (
        f"{commitment_words(s.commitment_offering, s.commitment_term_years, s.commitment_payment)} "
        f"({catalogue.label()}) on {kinds}; usage within the day: "
        f"{how}; {existing}"
    )


def commitment_lever_from(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    base: float,
    end: pd.Timestamp,
    options: ForecastOptions,
    forecaster: PathForecaster,
) -> Lever:
    """The forecast method's commitment as a lever; with several scopes (an RI per family
    and region) their savings add up. No eligible usage is a lever that saves nothing."""
    from forecasting.savings.levers import commitment_lever
    from forecasting.savings.stacking import Lever

    try:
        sized = commitment_rows(store, scenario, catalogue, end, options, forecaster, ())
    except InputError as exc:
        return Lever("commitments", scenario.compute_group, 0.0, 0.0, 0.0, f"not modelled: {exc}")
    forecast = sized.table[sized.table["method"] == "forecast"].dropna(
        subset=["expected_monthly_savings_usd"]
    )
    if len(forecast) <= 1:
        return commitment_lever(sized.best, sized.terms, base, sized.label, scenario.compute_group)
    # The scopes' P10s and P90s are added: a band wider than the total's own (they move
    # together with demand, so not by much).
    total, lower, upper = (
        float(forecast[c].sum())
        for c in ("expected_monthly_savings_usd", "savings_lower_usd", "savings_upper_usd")
    )
    scopes = ", ".join(
        f"{r.scope} ${r.hourly_commitment_usd:,.2f}/h" for r in forecast.itertuples()
    )
    return Lever.from_dollars(
        "commitments",
        "Compute",
        max(0.0, total),
        base,
        lower=max(0.0, lower),
        upper=max(0.0, upper),
        assumptions=f"{sized.label}: one commitment per scope ({scopes}), savings added; "
        "applied to what the levers before it left",
    )
