"""The demand chain: users paths -> req/s -> peak req/s -> instances -> cost per cost group.

Every quantity downstream of users is computed path by path from the same users sample
paths, so the plan, its cost and the capacity it sizes describe one future each, and a
quarter's band is the spread of those futures, not a band forecast on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting.demand.paths import DemandPaths
from forecasting.demand.sizing import instances_needed
from forecasting.errors import InputError
from forecasting.models.drivers import DriverFit, cost_paths, fit_driver
from forecasting.models.stored_fits import fitted
from forecasting.scenario.assumptions import CapacityAssumptions

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
    running_offset: float = 0.0
    """Running instances beside the share: ``running = running_offset + running_share x
    sized``. The sized count carries a fixed redundancy (N+1, a zone's worth) and a floor
    that the autoscaler does not run off-peak, so the running share of a fleet grows with
    it (the demo's 0.64 at 10-21 sized instances was 0.68 a year later at 23-82): a share
    held at its mean ran a year's compute hours 3-5% low on the actual users."""

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(f.group for f in self.costs)


def sized_instances(peak: pd.Series, a: CapacityAssumptions) -> pd.Series:
    return pd.Series(instances_needed(peak.to_numpy(float), a), index=peak.index, dtype=float)


# Stored by `capcost refresh` and read by the pages (the cost backtest refits it per origin).
@fitted("demand chain", fit_driver, instances_needed)
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
    offset = 0.0
    if RUNNING in demand and demand[RUNNING].notna().sum() >= MIN_RATIO_MONTHS:
        running = demand[RUNNING].dropna()
        share, offset = running_line(running, sized)
    else:
        running, share = sized, 1.0
    wide = cost.pivot_table(index="ds", columns="unique_id", values="y", aggfunc="sum")
    wide = wide[wide.index.isin(demand.index)].fillna(0.0)
    fits = []
    for group in wide.columns:
        if group == compute_group:
            fits.append(
                fit_driver(str(group), wide[group], running * a.hours_per_month, INSTANCE_HOURS)
            )
        else:
            fits.append(fit_driver(str(group), wide[group], demand[USERS], USERS))
    return DemandChain(
        requests_per_user=fit_ratio(demand[RPS], demand[USERS], "req/s per user", months),
        peak_to_average=fit_ratio(demand[PEAK], demand[RPS], "peak / average req/s", months),
        costs=tuple(fits),
        running_share=share,
        compute_group=compute_group,
        running_offset=offset,
    )


def running_line(running: pd.Series, sized: pd.Series) -> tuple[float, float]:
    """``(share, offset)`` of ``running = offset + share x sized`` over the months of both.

    A least-squares line where the sized count moved over at least three values and the
    line rises; otherwise the mean share with no offset (a fleet that never changed size
    says nothing of how its running share moves with size).
    """
    joined = pd.concat({"r": running, "s": sized}, axis=1, join="inner").dropna()
    joined = joined[joined["s"] > 0]
    r, s = joined["r"].to_numpy(float), joined["s"].to_numpy(float)
    mean_share = float(np.mean(r / s)) if len(s) else 1.0
    if len(np.unique(s)) < MIN_RATIO_MONTHS:
        return mean_share, 0.0
    slope, offset = np.polyfit(s, r, 1)
    if not slope > 0:
        return mean_share, 0.0
    return float(slope), float(offset)


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
    # One generator per link, and month-by-month draws: a path's first k months do not
    # depend on how many months follow, so a quarter reads the same in a 1- or 4-quarter run.
    level_rng, peak_rng, cost_rng = np.random.default_rng(seed).spawn(3)
    n, h = users.shape
    rps = users * chain.requests_per_user.draw(level_rng, (n, 1))
    peak = rps * chain.peak_to_average.draw(peak_rng, (h, n)).T
    sized = instances_needed(peak, a).astype(float)
    running = np.maximum(chain.running_offset + chain.running_share * sized, 0.0)
    hours = running * a.hours_per_month
    drivers = {USERS: users, INSTANCE_HOURS: hours}
    seeds = cost_rng.integers(0, 2**32, len(chain.costs))
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

    @property
    def total_cost(self) -> pd.Series:
        """The bill per month, all groups."""
        return self.cost.groupby("ds")["y"].sum().sort_index()


def read_history(store: Any) -> DemandHistory:
    """The chain's inputs from a Store; a missing demand metric is an InputError."""
    from forecasting.interface import COST_METRIC, Freq, GroupBy

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
    cost, currency = store.read_series(COST_METRIC, Freq.MONTH, GroupBy.GROUP, complete_only=True)
    if cost.empty:
        raise InputError("no complete month of cost yet: ingest a bill first", parameter="--db")
    return DemandHistory(demand, cost, currency)


def observed_users(history: DemandHistory, months: pd.DatetimeIndex) -> FloatArray:
    """Observed users on ``months`` (a gap filled linearly between its neighbours)."""
    users = history.demand[USERS].dropna()
    filled = users.reindex(users.index.union(months)).interpolate("index").bfill().ffill()
    out: FloatArray = filled.reindex(months).to_numpy(float)
    return out


# -- chain against the direct cost forecast -------------------------------------------------
CHAIN, DIRECT = "demand chain", "direct cost forecast"
Predict = Callable[[pd.DataFrame, int], Any]
"""``(long frame, h) -> ForecastResult`` with sample paths: the engine as the caller runs it."""


# The chain-vs-direct backtest: an origin every month, the last dozen, each scored up to a
# year ahead (the forecast of record runs five quarters): a dozen origins and some 80
# errors, where three origins x three months left the choice to nine.
COST_ORIGINS = 12
COST_STEPS = 12


@dataclass(frozen=True)
class CostBacktest:
    """Both methods' forecasts of the bill from past origins, and their scores."""

    scores: pd.DataFrame
    """One row per method: windows (origins), errors ((origin, month) pairs scored),
    horizon (months ahead at most), smape (0-200), mape (%), bias_pct and ``selected``."""
    fits: pd.DataFrame
    """Each forecast made: ``method, origin`` (the last month it knew), ``ds, fit`` ($)."""


def backtest_cost(
    history: DemandHistory,
    a: CapacityAssumptions,
    predict: Predict,
    *,
    origins: int = COST_ORIGINS,
    h: int = COST_STEPS,
    seed: int = 0,
) -> CostBacktest:
    """Total monthly cost forecast both ways from past origins, scored on what was billed.

    The origins are the last ``origins`` months with at least half a fit window before them
    and a bill after them; each is scored on up to ``h`` months. At each the chain is
    refitted on the history up to it and run on that origin's users forecast (the median of
    its paths' cost, the point the forecast of record states), and the bill is forecast on
    its own (its point). Scores pool every (origin, month) error; ``selected`` marks the
    lower sMAPE (the chain on a tie: it is the one that explains its number).
    """
    from forecasting.models.metrics import mape, smape

    total = history.total_cost
    users = history.demand[USERS].dropna()
    months = total.index.intersection(users.index)
    if len(months) < FIT_MONTHS:
        raise InputError(
            f"{len(months)} months of cost and users; backtesting the cost forecast needs "
            f"{FIT_MONTHS}",
            parameter="--db",
        )
    chosen = months[max(FIT_MONTHS // 2, len(months) - origins) :]
    # Every origin's users and bill in one call: independent series the engine may fit on
    # its pool, each forecast the full h (a forecast's first k months do not depend on h).
    frames = [
        long_frame(series[series.index < origin], f"{name}@{origin:%Y-%m}")
        for origin in chosen
        for name, series in ((USERS, users), ("total", total))
    ]
    made_all = predict(pd.concat(frames, ignore_index=True), h)
    actual: list[FloatArray] = []
    forecasts: dict[str, list[FloatArray]] = {CHAIN: [], DIRECT: []}
    fits = []
    for origin in chosen:
        after = total[total.index >= origin].iloc[:h]
        ds = pd.DatetimeIndex(after.index)
        users_paths = np.asarray(made_all.paths[f"{USERS}@{origin:%Y-%m}"])[:, : len(ds)]
        bill = made_all.series[f"total@{origin:%Y-%m}"]
        chain = fit_chain(
            history.demand[history.demand.index < origin],
            history.cost[history.cost["ds"] < origin],
            a,
        )
        run = run_chain(chain, users_paths, ds, a, seed=seed)
        made = {
            CHAIN: np.median(run.total_cost, axis=0),  # the point the record uses
            DIRECT: np.asarray(bill.mean, dtype=float)[: len(ds)],
        }
        last = origin - pd.offsets.MonthBegin(1)
        for method, f in made.items():
            forecasts[method].append(f)
            fits.append(pd.DataFrame({"method": method, "origin": last, "ds": ds, "fit": f}))
        actual.append(after.to_numpy(float))
    y = np.concatenate(actual)
    rows = []
    for method, parts in forecasts.items():
        f = np.concatenate(parts)
        rows.append(
            {
                "method": method,
                "windows": len(parts),
                "errors": len(y),
                "horizon": max(len(p) for p in parts),
                "smape": smape(y, f),
                "mape": mape(y, f),
                "bias_pct": 100 * float((f - y).sum() / y.sum()),
            }
        )
    table = pd.DataFrame(rows)
    table["selected"] = table["smape"] == table["smape"].min()
    if table["selected"].all():
        table["selected"] = table["method"] == CHAIN
    return CostBacktest(table, pd.concat(fits, ignore_index=True))


def long_frame(series: pd.Series, uid: str) -> pd.DataFrame:
    """A monthly series as the engine's long frame ``unique_id, ds, y``."""
    return pd.DataFrame({"unique_id": uid, "ds": series.index, "y": series.to_numpy(float)})


# -- the plan's paths -------------------------------------------------------------------------
COST = "cost_per_month"


def chain_demand(
    history: DemandHistory,
    users: FloatArray,
    ds: pd.DatetimeIndex,
    start: pd.Timestamp,
    a: CapacityAssumptions,
    seed: int = 0,
) -> tuple[DemandPaths, DemandChain]:
    """The plan's demand and cost paths from ``start`` on: the chain on the users paths
    (``ds``, after the last observed month), observed months as they were, the bill where
    there is one."""
    before = pd.date_range(start, ds[0], freq="MS", inclusive="left")
    months = pd.DatetimeIndex(before.append(ds))
    # The chain runs on this year's observed months too, so a month the bill does not cover
    # yet is still priced; the bill replaces it wherever it exists.
    seen = np.broadcast_to(observed_users(history, before), (len(users), len(before)))
    chain = fit_chain(history.demand, history.cost, a)
    run = run_chain(chain, np.hstack([seen, users]), months, a, seed=seed)
    actuals = history.demand[[USERS, RPS, PEAK]].copy()
    actuals[COST] = history.total_cost
    paths = {
        USERS: run.users,
        RPS: run.requests_per_second,
        PEAK: run.requests_per_second_peak,
        COST: run.total_cost,
    }
    return DemandPaths(months, paths, actuals[actuals.index >= start]), chain
