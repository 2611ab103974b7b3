"""The demand chain: users paths -> req/s -> peak req/s -> instances -> cost per cost group.

Every quantity downstream of users is computed path by path from the same users sample
paths, so the plan, its cost and the capacity it sizes describe one future each, and a
quarter's band is the spread of those futures, not a band forecast on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting.capacity.assumptions import CapacityAssumptions
from forecasting.capacity.plan import instances_needed
from forecasting.errors import InputError
from forecasting.models.drivers import DriverFit, cost_paths, fit_driver

FloatArray = np.ndarray
# The history the ratios and unit costs are fitted on: recent enough to be today's mix.
FIT_MONTHS = 12
MIN_RATIO_MONTHS = 3
USERS, RPS, PEAK, RUNNING = "users", "requests_per_second", "requests_per_second_peak", "instances"
INSTANCE_HOURS = "instance_hours"


@dataclass(frozen=True)
class RatioFit:
    """A ratio of two monthly series as a log-normal: ``exp(N(log_mean, log_sd))``."""

    name: str
    log_mean: float
    log_sd: float
    """Standard deviation of the monthly log ratios (month-to-month variation)."""
    months: int
    """Months of history behind the fit."""

    @property
    def median(self) -> float:
        return float(np.exp(self.log_mean))

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
        out: FloatArray = np.exp(self.log_mean + self.log_sd * rng.standard_normal(shape))
        return out


def fit_ratio(
    numerator: pd.Series, denominator: pd.Series, name: str, months: int = FIT_MONTHS
) -> RatioFit:
    """Mean and spread of ``log(numerator / denominator)`` over the last ``months`` months."""
    joined = pd.concat({"n": numerator, "d": denominator}, axis=1, join="inner").dropna()
    joined = joined[(joined["n"] > 0) & (joined["d"] > 0)].sort_index().tail(months)
    if len(joined) < MIN_RATIO_MONTHS:
        raise InputError(
            f"{name}: {len(joined)} month(s) with both series positive; at least "
            f"{MIN_RATIO_MONTHS} are needed",
            parameter="--db",
        )
    logs = np.log(joined["n"].to_numpy(float) / joined["d"].to_numpy(float))
    return RatioFit(name, float(logs.mean()), float(logs.std(ddof=1)), len(logs))


@dataclass(frozen=True)
class DemandChain:
    """The chain's fitted links; each cost group is ``fixed + per_unit x driver``."""

    requests_per_user: RatioFit
    """Average req/s per user. Drawn once per path: a level the future keeps, not noise."""
    peak_to_average: RatioFit
    """A month's peak req/s over its average. Drawn per month: peaks are weather."""
    costs: tuple[DriverFit, ...]
    """Per cost group; ``driver`` is ``users`` or ``instance_hours``."""
    running_share: float
    """Instance-hours that run per sized instance-hour: the autoscaler runs the peak's count
    only at the peak (1 when no running-instance count is stored: the fleet runs sized)."""
    compute_group: str

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(f.group for f in self.costs)


def sized_instances(peak: pd.Series, a: CapacityAssumptions) -> pd.Series:
    return pd.Series(instances_needed(peak.to_numpy(float), a), index=peak.index, dtype=float)


def fit_chain(
    demand: pd.DataFrame,
    cost: pd.DataFrame,
    a: CapacityAssumptions,
    *,
    compute_group: str = "Compute",
    months: int = FIT_MONTHS,
) -> DemandChain:
    """Fit the links on monthly history.

    ``demand`` is indexed by month with columns users, requests_per_second,
    requests_per_second_peak and optionally instances (running, monthly mean); ``cost`` is
    long (``unique_id`` = cost group, ``ds``, ``y``). The compute group is priced per
    instance-hour (running instances x hours), every other group per user.
    """
    missing = [c for c in (USERS, RPS, PEAK) if c not in demand]
    if missing:
        raise InputError(
            f"no {', '.join(missing)} history to fit the demand chain", parameter="--db"
        )
    demand = demand.sort_index().tail(months)
    sized = sized_instances(demand[PEAK].dropna(), a)
    if RUNNING in demand and demand[RUNNING].notna().sum() >= MIN_RATIO_MONTHS:
        running = demand[RUNNING].dropna()
        share = float((running / sized).dropna().mean())
    else:
        running, share = sized, 1.0
    wide = cost.pivot_table(index="ds", columns="unique_id", values="y", aggfunc="sum")
    wide = wide[wide.index.isin(demand.index)].fillna(0.0)
    fits = []
    for group in wide.columns:
        if group == compute_group:
            fits.append(fit_driver(str(group), wide[group], running * a.hours_per_month,
                                   INSTANCE_HOURS))  # fmt: skip
        else:
            fits.append(fit_driver(str(group), wide[group], demand[USERS], USERS))
    return DemandChain(
        requests_per_user=fit_ratio(demand[RPS], demand[USERS], "req/s per user", months),
        peak_to_average=fit_ratio(demand[PEAK], demand[RPS], "peak / average req/s", months),
        costs=tuple(fits),
        running_share=share,
        compute_group=compute_group,
    )


@dataclass(frozen=True)
class ChainPaths:
    """Monthly paths (n_paths x months) of every link, all from the same users paths."""

    ds: pd.DatetimeIndex
    users: FloatArray
    requests_per_second: FloatArray
    requests_per_second_peak: FloatArray
    instances: FloatArray
    """Instances sized for each month's peak (after redundancy and the floor)."""
    instance_hours: FloatArray
    cost: Mapping[str, FloatArray]
    """Per cost group, $/month."""

    @property
    def total_cost(self) -> FloatArray:
        out: FloatArray = np.sum(np.stack(list(self.cost.values())), axis=0)
        return out


def run_chain(
    chain: DemandChain,
    users: FloatArray,
    ds: pd.DatetimeIndex,
    a: CapacityAssumptions,
    *,
    seed: int = 0,
) -> ChainPaths:
    """Every link on the users paths; deterministic for ``seed``.

    The draws do not depend on the users values, so with one seed more users on a path
    never give fewer instances or a lower cost on it.
    """
    users = np.maximum(np.asarray(users, dtype=float), 0.0)
    if users.ndim != 2 or users.shape[1] != len(ds):
        raise InputError(f"users paths must be n_paths x {len(ds)}", parameter="paths")
    rng = np.random.default_rng(seed)
    n, h = users.shape
    rps = users * chain.requests_per_user.draw(rng, (n, 1))
    peak = rps * chain.peak_to_average.draw(rng, (n, h))
    sized = instances_needed(peak, a).astype(float)
    hours = sized * chain.running_share * a.hours_per_month
    drivers = {USERS: users, INSTANCE_HOURS: hours}
    seeds = rng.integers(0, 2**32, len(chain.costs))
    cost = {
        f.group: cost_paths(f, drivers[f.driver], int(s))
        for f, s in zip(chain.costs, seeds, strict=True)
    }
    return ChainPaths(ds, users, rps, peak, sized, hours, cost)


# -- from a store -----------------------------------------------------------------------------
@dataclass(frozen=True)
class DemandHistory:
    """Complete months of demand (columns users, req/s, peak, instances when stored) and of
    cost per group (long), as the chain is fitted on and the plan's observed quarters show."""

    demand: pd.DataFrame
    cost: pd.DataFrame
    currency: str


def read_history(store: Any) -> DemandHistory:
    """The chain's inputs from a Store; a missing demand metric is an InputError."""
    from forecasting.interface import Freq, GroupBy

    stored = set(store.stored_metrics())
    missing = [m for m in (USERS, RPS, PEAK) if m not in stored]
    if missing:
        raise InputError(
            f"no {', '.join(missing)} stored yet: ingest them (`capcost ingest metrics` or "
            "the Data page) to plan capacity",
            parameter="--db",
        )
    columns = {}
    for metric in (USERS, RPS, PEAK, *([RUNNING] if RUNNING in stored else [])):
        frame, _ = store.read_series(metric, Freq.MONTH, complete_only=True)
        columns[metric] = frame.set_index("ds")["y"]
    demand = pd.DataFrame(columns).sort_index()
    if demand[USERS].dropna().empty:
        raise InputError("no complete month of users yet", parameter="--db")
    cost, currency = store.read_series("cost", Freq.MONTH, GroupBy.GROUP, complete_only=True)
    if cost.empty:
        raise InputError("no complete month of cost yet: ingest a bill first", parameter="--db")
    return DemandHistory(demand, cost, currency)


def observed_users(history: DemandHistory, months: pd.DatetimeIndex) -> FloatArray:
    """Observed users on ``months`` (a gap filled linearly between its neighbours)."""
    users = history.demand[USERS].dropna()
    filled = users.reindex(users.index.union(months)).interpolate("index").bfill().ffill()
    out: FloatArray = filled.reindex(months).to_numpy(float)
    return out
