"""Commitments (Savings Plans, Reserved Instances): AWS's look-back, and sized on forecast paths.

Usage is on-demand-equivalent spend per hour ($/h at on-demand prices) of the usage the
commitment can cover, net of what existing commitments already cover. A commitment of ``c``
$/hour at discount ``d`` covers up to ``c / (1 - d)`` $/h of that usage every hour, used or not:

    covered   = min(u, c / (1 - d))
    cost      = c + (u - covered)                 (the fee, plus on-demand for the rest)
    savings   = u - cost = covered - c            (negative when usage falls short)
    coverage  = covered / u
    utilisation = covered * (1 - d) / c
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import Excuse


@dataclass(frozen=True)
class Terms:
    """What a commitment costs: its discount, term and how much is paid up front."""

    discount: float
    """Fraction off on-demand of the commitment's effective rate (0.28 = 28% off)."""
    term_months: int
    upfront_share: float = 0.0
    """Share of the term's total paid at purchase: 0 no upfront, ~0.5 partial, 1 all upfront."""
    hours_per_month: float = 730.0
    hourly_profile: tuple[float, ...] = (1.0,)
    """How usage moves within a day: multipliers of the period's mean $/h (mean 1).

    Autoscaled fleets run fewer pods at night; a commitment sized on daily or monthly means
    would sit partly unused in those hours. (1.0,) means flat.
    """
    existing_covered_usd_per_hour: float = 0.0
    """On-demand-equivalent $/h that commitments already owned cover every hour (assumed to
    last the term). Usage is forecast in total and this is taken off hour by hour, so a new
    commitment sizes on what is left, never on a history that stepped down when the old one
    started."""

    def __post_init__(self) -> None:
        if not self.hourly_profile or min(self.hourly_profile) < 0:
            raise ValueError("hourly_profile needs non-negative multipliers")
        if abs(float(np.mean(self.hourly_profile)) - 1) > 1e-6:
            raise ValueError("hourly_profile must average 1")
        if not 0 < self.discount < 1:
            raise ValueError("discount must be in (0, 1)")
        if self.term_months < 1:
            raise ValueError("term_months must be at least 1")
        if not 0 <= self.upfront_share <= 1:
            raise ValueError("upfront_share must be in [0, 1]")
        if self.hours_per_month <= 0:
            raise ValueError("hours_per_month must be positive")
        if not self.existing_covered_usd_per_hour >= 0:
            raise ValueError("existing_covered_usd_per_hour must not be negative")

    @property
    def term_hours(self) -> float:
        return self.term_months * self.hours_per_month


@dataclass(frozen=True)
class Outcome:
    """A commitment evaluated over the term on every sample path."""

    method: str
    """How the commitment was chosen ("forecast", "look-back 30 days", ...)."""
    hourly_commitment_usd: float
    """What is committed: $ per hour, paid every hour of the term (amortised upfront included)."""
    covered_usd_per_hour: float
    """On-demand-equivalent usage the commitment covers each hour, $/h."""
    upfront_usd: float
    """Paid at purchase."""
    coverage: float
    """Expected share of eligible on-demand-equivalent usage covered (0-1)."""
    utilisation: float
    """Expected share of the commitment used (0-1)."""
    expected_savings_usd: float
    """Mean over paths of savings across the whole term, $."""
    savings_lower_usd: float
    savings_upper_usd: float
    expected_monthly_savings_usd: float
    break_even_month: int | Excuse
    """First month whose cumulative cash saving (upfront paid at the start) is >= 0."""
    downside_savings_usd: float
    """Savings over the term if usage follows the pointwise P10 of the paths."""
    downside_utilisation: float
    downside_break_even_month: int | Excuse


def diurnal_profile(peak_to_average: float, hours: int = 24) -> tuple[float, ...]:
    """A daily sine whose peak is ``peak_to_average`` x its mean (capped at 2: no hour below 0)."""
    if peak_to_average < 1:
        raise InputError("peak_to_average must be at least 1", parameter="peak_to_average")
    amplitude = min(peak_to_average - 1, 1.0)
    shape = 1 + amplitude * np.sin(2 * np.pi * np.arange(hours) / hours)
    return tuple(float(x) for x in shape)


def _check_usage(usage: np.ndarray, terms: Terms) -> np.ndarray:
    u = np.atleast_2d(np.asarray(usage, dtype=float))
    if u.ndim != 2 or u.shape[1] != terms.term_months or u.shape[0] == 0:
        raise InputError(
            f"usage must be n_paths x {terms.term_months} months, got {np.shape(usage)}",
            parameter="usage",
        )
    if not np.isfinite(u).all() or (u < 0).any():
        raise InputError("usage must be non-negative finite $/hour", parameter="usage")
    return u


def _open_hours(usage: np.ndarray, terms: Terms) -> np.ndarray:
    """Eligible usage in each hour of the day that existing commitments leave uncovered."""
    hourly = np.asarray(usage, float)[..., None] * np.asarray(terms.hourly_profile)
    out: np.ndarray = np.maximum(hourly - terms.existing_covered_usd_per_hour, 0.0)
    return out


def uncovered(usage: np.ndarray, terms: Terms) -> np.ndarray:
    """On-demand usage per hour, averaged over the day, that existing commitments leave."""
    out: np.ndarray = _open_hours(usage, terms).mean(axis=-1)
    return out


def covered(usage: np.ndarray, commitment: float, terms: Terms) -> np.ndarray:
    """On-demand-equivalent usage the commitment covers, per hour, averaged over the day."""
    hours = _open_hours(usage, terms)
    out: np.ndarray = np.minimum(hours, commitment / (1 - terms.discount)).mean(axis=-1)
    return out


def monthly_savings(usage: np.ndarray, commitment: float, terms: Terms) -> np.ndarray:
    """Savings per path and month, $ (covered minus the commitment, times the month's hours)."""
    return (covered(usage, commitment, terms) - commitment) * terms.hours_per_month


def cumulative_cash_savings(usage: np.ndarray, commitment: float, terms: Terms) -> np.ndarray:
    """Cash saved by the end of each month, per path (upfront paid at purchase, rest monthly)."""
    avoided = covered(usage, commitment, terms) * terms.hours_per_month
    recurring = commitment * (1 - terms.upfront_share) * terms.hours_per_month
    upfront = commitment * terms.upfront_share * terms.term_hours
    out: np.ndarray = np.cumsum(avoided - recurring, axis=-1) - upfront
    return out


def break_even_month(cumulative: np.ndarray, terms: Terms) -> int | Excuse:
    """First month (1-based) from which the cumulative cash saving stays >= 0 to the term's end.

    Not merely the first month at or above 0: without an upfront payment the first month of
    a commitment that falling usage later turns into a loss would read "month 1".
    """
    below = np.flatnonzero(np.asarray(cumulative) < -1e-9)
    if below.size == 0:
        return 1
    if below[-1] == len(cumulative) - 1:
        return Excuse("does not break even within the term", {"term_months": terms.term_months})
    return int(below[-1]) + 2


def evaluate(
    usage: np.ndarray,
    commitment: float,
    terms: Terms,
    method: str,
    band: tuple[float, float] = (0.1, 0.9),
) -> Outcome:
    """Coverage, utilisation, savings and break-even of ``commitment`` $/h on every path;
    the savings bounds are the ``band`` quantiles of the paths' savings (the interval level's,
    P10 and P90 at 80%)."""
    u = _check_usage(usage, terms)
    if commitment < 0:
        raise InputError("commitment must not be negative", parameter="commitment")
    cov, open_ = covered(u, commitment, terms), uncovered(u, terms).sum()
    per_path = monthly_savings(u, commitment, terms).sum(axis=1)
    p10 = np.quantile(u, 0.1, axis=0)
    lo, hi = np.quantile(per_path, band)
    used = commitment * u.size
    return Outcome(  # ratios clipped at 1: dividing c / (1 - d) back by c is not exact in floats
        method=method,
        hourly_commitment_usd=commitment,
        covered_usd_per_hour=commitment / (1 - terms.discount),
        upfront_usd=commitment * terms.upfront_share * terms.term_hours,
        coverage=min(1.0, float(cov.sum() / open_)) if open_ else 0.0,
        utilisation=min(1.0, float(cov.sum() * (1 - terms.discount) / used)) if used else 0.0,
        expected_savings_usd=float(per_path.mean()),
        savings_lower_usd=float(lo),
        savings_upper_usd=float(hi),
        expected_monthly_savings_usd=float(per_path.mean() / terms.term_months),
        break_even_month=break_even_month(
            cumulative_cash_savings(u, commitment, terms).mean(axis=0), terms
        ),
        downside_savings_usd=float(monthly_savings(p10, commitment, terms).sum()),
        downside_utilisation=(
            min(
                1.0,
                float(covered(p10, commitment, terms).sum() * (1 - terms.discount))
                / (commitment * len(p10)),
            )
            if commitment
            else 0.0
        ),
        downside_break_even_month=break_even_month(
            cumulative_cash_savings(p10, commitment, terms), terms
        ),
    )


def best_covered_level(
    usage: np.ndarray,
    discount: float,
    step: float | None = None,
    profile: tuple[float, ...] = (1.0,),
    existing: float = 0.0,
) -> float:
    """The covered $/h that maximises expected savings over all path-hours.

    Expected savings per hour are E[min(u, K)] - (1 - d) K; their slope in K is
    P(u > K) - (1 - d), so the optimum is the d-quantile of usage (a newsvendor). Evaluated
    exactly on every observed level (and, with ``step``, on whole units of ``step``). This is
    also AWS's look-back: every hour's usage is a candidate, the one that would have saved
    most over the window wins. ``existing`` $/h is covered already and taken off every hour.
    """
    hours = np.asarray(usage, dtype=float)[..., None] * np.asarray(profile)
    u = np.sort(np.maximum(hours - existing, 0.0).ravel())
    candidates = np.unique(np.r_[0.0, u])
    if step:
        candidates = (
            np.unique(np.r_[np.floor(candidates / step), np.ceil(candidates / step)]) * step
        )
    # sum(min(u, K)) = sum of u below K + K * count of u at or above K
    below = np.searchsorted(u, candidates, side="left")
    prefix = np.r_[0.0, np.cumsum(u)]
    expected = (prefix[below] + candidates * (len(u) - below)) / len(u) - (
        1 - discount
    ) * candidates
    # Ties (a flat stretch where P(u > K) = 1 - d exactly) go to the smallest commitment: the
    # same expected saving for less money at risk.
    best = expected.max()
    return float(candidates[np.flatnonzero(expected >= best - 1e-9 * max(1.0, abs(best)))[0]])


def recommend(
    usage: np.ndarray,
    terms: Terms,
    *,
    step_usd_per_hour: float | None = None,
    band: tuple[float, float] = (0.1, 0.9),
) -> Outcome | Excuse:
    """The commitment with the highest expected savings over the forecast paths.

    ``step_usd_per_hour`` restricts it to whole units (one instance's on-demand $/h for RIs);
    ``band``: the quantiles of its savings reported as bounds.
    """
    u = _check_usage(usage, terms)
    level = best_covered_level(
        u,
        terms.discount,
        step_usd_per_hour,
        terms.hourly_profile,
        terms.existing_covered_usd_per_hour,
    )
    if level <= 0:
        return Excuse(
            "no commitment is worth buying: usage is too uncertain or too small for the discount",
            {"discount": terms.discount, "p50_usd_per_hour": float(np.median(u))},
        )
    return evaluate(u, level * (1 - terms.discount), terms, "forecast", band)


def under_demand(
    usage: np.ndarray,
    commitment: float,
    terms: Terms,
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The commitment if usage follows each pointwise quantile of the paths (P10, P50, P90).

    Returns one row per quantile (``demand, usage_usd_per_hour, coverage, utilisation,
    monthly_savings_usd, break_even_month``) and the cumulative cash savings by month, one
    column per quantile, so the break-even can be read off where a curve crosses zero.
    """
    u = _check_usage(usage, terms)
    rows, curves = [], {}
    for q in quantiles:
        path = np.quantile(u, q, axis=0)[None, :]
        label = f"P{100 * q:g}"
        out = evaluate(path, commitment, terms, label)
        rows.append(
            {
                "demand": label,
                "usage_usd_per_hour": float(uncovered(path, terms).mean()),
                "coverage": out.coverage,
                "utilisation": out.utilisation,
                "monthly_savings_usd": out.expected_monthly_savings_usd,
                "break_even_month": str(out.break_even_month),
            }
        )
        curves[label] = cumulative_cash_savings(path, commitment, terms)[0]
    cumulative = pd.DataFrame({"month": np.arange(1, terms.term_months + 1), **curves})
    return pd.DataFrame(rows), cumulative


@dataclass(frozen=True)
class LookBack:
    """A commitment scored on past hourly on-demand usage, in AWS's recommendation's terms
    (Cost Explorer's SavingsPlansPurchaseRecommendationDetail)."""

    days: int
    """Length of the look-back window."""
    hours: int
    """Hours of usage in the window (fewer than 24 x days when the data starts later)."""
    hourly_commitment_usd: float
    """HourlyCommitmentToPurchase: $ per hour of the term (amortised upfront included)."""
    covered_usd_per_hour: float
    """On-demand-equivalent $/h the commitment can cover each hour."""
    upfront_usd: float
    average_hourly_on_demand_usd: float
    """CurrentAverageHourlyOnDemandSpend: the window's uncovered eligible usage, $/h."""
    minimum_hourly_on_demand_usd: float
    maximum_hourly_on_demand_usd: float
    estimated_monthly_savings_usd: float
    """EstimatedMonthlySavingsAmount: the window's saving per hour x hours per month."""
    estimated_savings_percentage: float
    """EstimatedSavingsPercentage: saving over the window's on-demand spend (0-1)."""
    utilisation: float
    """EstimatedAverageUtilization: share of the commitment the window's usage would use."""
    coverage: float
    """Share of the window's on-demand usage the commitment would cover."""
    break_even_month: int | Excuse
    """First month from which the cumulative cash saving stays >= 0 if the window repeats."""


def score_hours(hourly: np.ndarray, commitment: float, terms: Terms, days: int) -> LookBack:
    """What ``commitment`` $/h would have done over hourly on-demand usage ``hourly`` ($/h).

    The window is assumed to repeat for the term (AWS's premise): the saving per hour is
    mean(min(u, K)) - c with K = c / (1 - d), utilisation mean(min(u, K)) / K.
    """
    u = np.asarray(hourly, dtype=float)
    if u.ndim != 1 or u.size == 0 or not np.isfinite(u).all() or (u < 0).any():
        raise InputError("hourly usage must be non-negative finite $/hour", parameter="usage")
    if commitment < 0:
        raise InputError("commitment must not be negative", parameter="commitment")
    level = commitment / (1 - terms.discount)
    used = float(np.minimum(u, level).mean())
    saving = used - commitment
    flat = Terms(terms.discount, terms.term_months, terms.upfront_share, terms.hours_per_month)
    # The repeated window as a flat monthly path of the usage the commitment sees every hour.
    cumulative = cumulative_cash_savings(np.full(terms.term_months, used), commitment, flat)
    return LookBack(
        days=days,
        hours=int(u.size),
        hourly_commitment_usd=commitment,
        covered_usd_per_hour=level,
        upfront_usd=commitment * terms.upfront_share * terms.term_hours,
        average_hourly_on_demand_usd=float(u.mean()),
        minimum_hourly_on_demand_usd=float(u.min()),
        maximum_hourly_on_demand_usd=float(u.max()),
        estimated_monthly_savings_usd=saving * terms.hours_per_month,
        estimated_savings_percentage=saving / float(u.mean()) if u.mean() else 0.0,
        utilisation=min(1.0, used / level) if level else 0.0,
        coverage=min(1.0, used / float(u.mean())) if u.mean() else 0.0,
        break_even_month=break_even_month(cumulative, terms),
    )


def window(hourly: pd.Series, days: int) -> np.ndarray:
    """The last ``days`` x 24 hours of an hourly series (indexed by the hour's start)."""
    if days < 1:
        raise InputError("look-back days must be at least 1", parameter="days")
    if hourly.empty:
        return np.array([], dtype=float)
    end = pd.Timestamp(hourly.index.max()) + pd.Timedelta(hours=1)
    picked = hourly[hourly.index >= end - pd.Timedelta(days=days)].dropna()
    out: np.ndarray = picked.to_numpy(float)
    return out


def look_back(
    hourly: pd.Series, days: int, terms: Terms, *, step_usd_per_hour: float | None = None
) -> LookBack | Excuse:
    """AWS's look-back recommendation: of every level the window's hours reached, the
    commitment that would have saved most over the last ``days`` days of hourly on-demand
    usage, scored on that same usage.

    ``hourly`` is uncovered eligible usage, on-demand-equivalent $/h, one value per hour.
    """
    u = window(hourly, days)
    if u.size == 0:
        return Excuse("no hourly usage to look back on", {"days": days})
    level = best_covered_level(u, terms.discount, step_usd_per_hour)
    if level <= 0:
        return Excuse(f"look-back {days} days: no commitment would have paid", {"days": days})
    return score_hours(u, level * (1 - terms.discount), terms, days)


def effective_savings_rate(list_cost: float, effective_cost: float) -> float | Excuse:
    """ESR = 1 - EffectiveCost / ListCost: what commitments and discounts actually save."""
    if list_cost <= 0:
        return Excuse("no on-demand-equivalent spend to compare with", {"list_cost": list_cost})
    return 1 - effective_cost / list_cost


def effective_savings_rates(costs: pd.DataFrame, by: str) -> pd.DataFrame:
    """ESR per group of FOCUS usage rows (``by``, ``ListCost``, ``EffectiveCost`` columns).

    Commitment purchase fees bill with EffectiveCost 0 (the fee is amortised onto the usage it
    covers), so only usage rows are compared.
    """
    missing = [c for c in (by, "ListCost", "EffectiveCost") if c not in costs.columns]
    if missing:
        raise InputError(f"costs lack columns {missing}", parameter="costs")
    sums = costs.groupby(by, as_index=False)[["ListCost", "EffectiveCost"]].sum()
    sums["savings_usd"] = sums["ListCost"] - sums["EffectiveCost"]
    rates = [
        effective_savings_rate(lc, ec)
        for lc, ec in zip(sums["ListCost"], sums["EffectiveCost"], strict=True)
    ]
    sums["effective_savings_rate"] = [np.nan if isinstance(r, Excuse) else r for r in rates]
    return sums
