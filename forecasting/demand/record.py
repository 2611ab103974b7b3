"""The cost forecast of record: one total cost per month and quarter, with its bands.

Two forecasts of the bill compete: the demand chain (users paths -> req/s -> peak ->
instances -> cost per group) and the direct forecast of the bill on its own history. The one
with the lower backtest sMAPE (``chain.backtest_cost``) is the forecast of record; the other
is kept beside it with both scores, so every page and the CLI show the same figure and can
say what the other one says. A users scenario other than the base moves cost only through
the chain (the bill's own history knows nothing of users), so under one the chain is shown.

The running month (the data stops inside it) is nowcast for both from its own days: the
month-to-date bill plus a daily forecast of the remaining days, and marked partial.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.demand import sizing
from forecasting.demand.chain import (
    CHAIN,
    COST,
    DIRECT,
    USERS,
    CostBacktest,
    DemandChain,
    DemandHistory,
    backtest_cost,
    chain_demand,
    long_frame,
    read_history,
)
from forecasting.demand.paths import DemandPaths
from forecasting.errors import CapcostError, InputError
from forecasting.interface import COST_METRIC, Freq, reference_level
from forecasting.models import drivers, nowcast, scenarios
from forecasting.models import service as forecast_service
from forecasting.models.api import assemble
from forecasting.models.base import FloatArray
from forecasting.models.intervals import path_bands
from forecasting.models.nowcast import RunningMonth, forecast_running, running_month
from forecasting.models.options import ForecastOptions, PathForecaster, notes_of, run_models
from forecasting.models.result import ForecastResult, SeriesForecast
from forecasting.models.scenarios import Scenario, bend, from_paths, load_scenario
from forecasting.models.service import (
    QUARTER_PATHS,
    StoreForecast,
    quarter_span,
    quarterly,
    rollup,
    with_complete,
)
from forecasting.models.stored import is_engine
from forecasting.models.stored_fits import fitted, forecast_part
from forecasting.periods import complete_column
from forecasting.presentation import format_percent
from forecasting.scenario import load_capacity
from forecasting.scenario.assumptions import CapacityAssumptions
from forecasting.store import Store, costs, metrics, plans

TOTAL = "total"
METHODS = (CHAIN, DIRECT)
FIT_COLUMNS = ("method", "origin", "ds", "fit")
# Quarters after the running one that every caller computes by default: the Capacity plan's
# default, so the Overview's next quarter and the plan's are one computation.
DEFAULT_QUARTERS = 4


@dataclass(frozen=True)
class CostForecast:
    """One method's forecast of the total bill: months and quarters with bands."""

    method: str
    """``demand chain`` or ``direct cost forecast``."""
    result: ForecastResult
    """Monthly, one series ``total``, with its sample paths ($/month)."""
    months: pd.DataFrame
    """unique_id, ds, forecast, lower, upper, level, model, complete (False: partial)."""
    quarters: pd.DataFrame
    """The same per quarter: summed from the monthly paths, observed months included."""

    @property
    def model(self) -> str:
        return str(self.result.series[TOTAL].model)

    def quarter(self, start: pd.Timestamp, level: float) -> pd.Series | None:
        """The quarter starting ``start`` at ``level`` (None when not forecast)."""
        hit = self.quarters[
            (self.quarters["ds"] == pd.Timestamp(start)) & (self.quarters["level"] == level)
        ]
        return None if hit.empty else hit.iloc[0]


@dataclass(frozen=True)
class CostOfRecord:
    """The cost forecast of record and the one it was chosen over."""

    chosen: CostForecast
    other: CostForecast | None
    """The losing method (None when the chain cannot run: no users or too short a history)."""
    backtest: pd.DataFrame
    """One row per method: windows, errors, horizon, smape, mape, bias_pct, selected (empty
    when there is nothing to compare)."""
    why: str
    """Why ``chosen`` is the forecast of record, in words."""
    currency: str
    levels: tuple[float, ...]
    history: pd.DataFrame
    """Complete months of the total bill (unique_id ``total``, ds, y)."""
    scenario: Scenario
    """The users scenario the chain ran on (base: the plain forecast)."""
    start: pd.Timestamp
    """First month of ``demand`` (January of the first forecast month's year)."""
    fits: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=FIT_COLUMNS)
    )
    """The backtest's forecasts of the bill, both methods (``FIT_COLUMNS``: method, origin
    (the last month each knew), ds, fit)."""
    demand: DemandPaths | None = None
    """The chain's demand and cost paths from ``start`` (None without the chain)."""
    chain: DemandChain | None = None
    users_model: str = ""
    """The model of the users forecast the chain ran on."""
    notes: tuple[str, ...] = ()
    users_quarters: pd.DataFrame | None = None
    """The users forecast the chain ran on (bent by the scenario) per quarter at ``levels``,
    as ``capcost forecast users --freq quarter [--scenario]`` gives it: the quarter's point
    the mean of its months' points, its band the quantiles of the paths' quarter means."""

    def method(self, name: str) -> CostForecast:
        """The forecast of one method (``demand chain`` or ``direct cost forecast``)."""
        for f in (self.chosen, self.other):
            if f is not None and f.method == name:
                return f
        raise InputError(f"no {name} here: {self.why}", parameter="--method")

    def store_forecast(
        self, freq: Freq | str = Freq.MONTH, method: str | None = None
    ) -> StoreForecast:
        """As a ``StoreForecast`` (what the CLI prints and ``--freeze`` stores)."""
        f = self.method(method) if method else self.chosen
        table = f.quarters if Freq(freq) is Freq.QUARTER else f.months
        assumptions = {
            "metric": COST_METRIC,
            "freq": Freq(freq),
            "method": f.method,
            "model": f.model,
            **({"users_model": self.users_model} if f.method == CHAIN else {}),
            "why": self.why,
            **self.scenario.payload(),
            "history_through": f"{self.history['ds'].max():%Y-%m-%d}",
            "cost_backtest": self.backtest.round(4).to_dict(orient="records"),
        }
        return StoreForecast(
            COST_METRIC, self.currency, Freq(freq), table, f.result, self.history, assumptions
        )


def cost_of_record(
    store: Store,
    options: ForecastOptions | None = None,
    forecaster: PathForecaster = run_models,
    *,
    quarters: int = DEFAULT_QUARTERS,
    levels: Sequence[float] | None = None,
    demand: str = "base",
    method: str | None = None,
    assumptions: CapacityAssumptions | None = None,
    history: DemandHistory | None = None,
) -> CostOfRecord:
    """The total cost forecast of record per month and quarter to ``quarters`` quarters after
    the running one, the other method beside it, both backtest scores.

    ``demand`` is the users scenario (base, low, high, plan or a stored set); ``method``
    forces ``demand chain`` or ``direct cost forecast`` to be the one of record. ``levels``
    (default: the options' level) are the bands of the tables; ``options.model`` is the model
    of the series each method forecasts (users for the chain, the bill for the direct one).
    ``history`` is ``read_history(store)`` when the caller has read it already (the plan
    reads it for its quarters); None reads it here.
    """
    options = options or ForecastOptions()
    levels = tuple(float(v) for v in (levels or (options.level,)))
    # The forecasts run at one level, calibrated; the other levels' bands are their paths'
    # quantiles. Which one is calibrated follows the set of levels, not their order: run at
    # the first asked, the demo's running month moved 0.14% between --level 95 50 80 and
    # 50 80 95 (its calibrated band from 2,000 nowcast draws, the others from 1,000 paths).
    options = dataclasses.replace(options, level=reference_level(levels))
    if method is not None and method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}", parameter="--method")
    scenario = load_scenario(store, demand)
    if method == DIRECT and not scenario.is_base:
        raise InputError(
            f"the {DIRECT} knows nothing of users, so it cannot follow the {scenario.name} "
            f"scenario: the {CHAIN} does",
            parameter="--scenario",
        )
    if quarters < 0:
        raise InputError("quarters must be at least 0", parameter="quarters")
    bill, currency = _bill(store)
    first = bill["ds"].max() + pd.offsets.MonthBegin(1)
    unavailable = ""
    if history is None:
        try:
            history = read_history(store)
        except CapcostError as exc:
            unavailable = str(exc)
    if history is not None:
        first = max(first, history.demand[USERS].dropna().index.max() + pd.offsets.MonthBegin(1))
    # The running quarter (of the later of the two series), then ``quarters`` more.
    end = (pd.Period(first, freq="Q") + quarters).end_time.normalize()
    cost_ds = pd.date_range(bill["ds"].max() + pd.offsets.MonthBegin(1), end, freq="MS")
    _, known = quarter_span(bill, 1)
    direct, running = _direct(store, bill, cost_ds, options, forecaster)
    try:
        if history is None:
            raise InputError(unavailable, parameter="--db")
        assumptions = assumptions or load_capacity(store, options.scenario, options.settings)
        users_result, paths, users_ds, users_quarters = _users(
            store, history, cost_ds, scenario, options, forecaster, levels
        )
        start = pd.Timestamp(f"{min(users_ds[0], cost_ds[0]).year}-01-01")
        demand_paths, chain = chain_demand(
            history, paths, users_ds, start, assumptions, options.seed
        )
    except CapcostError as exc:
        if not scenario.is_base or method == CHAIN:
            raise
        return _direct_only(direct, known, bill, currency, levels, scenario, store, str(exc))
    notes = [*notes_of(users_result), *notes_of(direct)]
    try:
        tested = stored_backtest(history, assumptions, forecast_part(options), forecaster)
    except InputError as exc:
        scores, fits, untested = pd.DataFrame(), pd.DataFrame(columns=FIT_COLUMNS), str(exc)
    else:
        scores, fits, untested = tested.scores, tested.fits, ""
    best = DIRECT if untested else str(scores.loc[scores["selected"], "method"].iloc[0])
    relevel = not scenario.is_base and method is None and best == DIRECT
    if relevel:
        base_users = np.asarray(users_result.series[USERS].paths, dtype=float)
        base, _ = chain_demand(history, base_users, users_ds, start, assumptions, options.seed)
        demand_paths = _on_direct(demand_paths, base, direct, cost_ds)
    chain_result = _chain_result(demand_paths, cost_ds, direct, running, scenario, levels, scores)
    made = {
        CHAIN: _tables(CHAIN, chain_result, known, levels, store),
        DIRECT: _tables(DIRECT, _with_levels(direct, levels), known, levels, store),
    }
    if method is not None:
        chosen, why = method, f"as asked; backtest {_scored(scores)}"
    elif not scenario.is_base:
        chosen, why = CHAIN, f"it follows the {scenario.name} scenario; backtest {_scored(scores)}"
        if relevel:
            why = (
                f"it follows the {scenario.name} scenario: the {DIRECT} of record, moved by "
                f"what the {CHAIN} says the users change costs; backtest {_scored(scores)}"
            )
    elif untested:
        chosen, why = DIRECT, f"the {CHAIN} cannot be backtested yet: {untested}"
    else:
        chosen = str(scores.loc[scores["selected"], "method"].iloc[0])
        why = f"lower backtest error: {_scored(scores)}"
    other = DIRECT if chosen == CHAIN else CHAIN
    return CostOfRecord(
        chosen=made[chosen],
        other=made[other],
        backtest=scores,
        why=why,
        currency=currency,
        levels=levels,
        history=bill,
        scenario=scenario,
        start=start,
        fits=fits,
        demand=demand_paths,
        chain=chain,
        users_model=str(users_result.series[USERS].model),
        notes=tuple(dict.fromkeys(notes)),
        users_quarters=users_quarters,
    )


def record_note(record: CostOfRecord) -> str:
    """One line: which forecast is the one of record and why."""
    return f"the cost forecast of record is the {record.chosen.method} ({record.why})"


# -- the parts --------------------------------------------------------------------------------
def _backtest_key(
    history: DemandHistory,
    assumptions: CapacityAssumptions,
    options: ForecastOptions,
    forecaster: PathForecaster,
) -> tuple[object, ...] | None:
    # The engine's forecasts, cached by the app or not, are one result; a stand-in's are not
    # stored.
    if not is_engine(forecaster):
        return None
    return (history.demand, history.cost, history.currency, assumptions, options)


@fitted(
    "cost backtest", backtest_cost, drivers.fit_driver, sizing, keyed=_backtest_key, engine=True
)
def stored_backtest(
    history: DemandHistory,
    assumptions: CapacityAssumptions,
    options: ForecastOptions,
    forecaster: PathForecaster,
) -> CostBacktest:
    """``backtest_cost`` on ``options``' forecasts, stored by the refresh and read by pages
    (``stored_fits``): a level change or a plan's other quarters rebuild no backtest."""
    return backtest_cost(
        history,
        assumptions,
        lambda f, h: forecaster(f, h, Freq.MONTH.value, options),
        seed=options.seed,
    )


def _bill(store: Store) -> tuple[pd.DataFrame, str]:
    """Complete months of the total bill as a long frame (``total``)."""
    monthly, currency = store.read_series(COST_METRIC, Freq.MONTH, complete_only=True)
    if monthly.empty:
        raise InputError("no complete month of cost yet: ingest a bill first", parameter="--db")
    total = monthly.groupby("ds")["y"].sum().sort_index()
    return long_frame(total, TOTAL), currency


def _direct(
    store: Store,
    bill: pd.DataFrame,
    cost_ds: pd.DatetimeIndex,
    options: ForecastOptions,
    forecaster: PathForecaster,
) -> tuple[ForecastResult, bool]:
    """The bill forecast on its own history; a running month nowcast from its days (True:
    the first month is that nowcast)."""
    running = running_month(store, COST_METRIC, None)
    if running is None or running.start != cost_ds[0]:
        return forecaster(bill, len(cost_ds), Freq.MONTH.value, options), False
    how = rollup(store, COST_METRIC)
    return _from_running(bill, len(cost_ds), running, how, options, forecaster), True


def _users(
    store: Store,
    history: DemandHistory,
    cost_ds: pd.DatetimeIndex,
    scenario: Scenario,
    options: ForecastOptions,
    forecaster: PathForecaster,
    levels: tuple[float, ...],
) -> tuple[ForecastResult, FloatArray, pd.DatetimeIndex, pd.DataFrame]:
    """Users paths to the last cost month: forecast from complete months, the running month
    nowcast from its days, bent by the scenario; and that forecast per quarter.

    As many paths as the users forecast by quarter draws (``QUARTER_PATHS`` at least), the
    same seed: the plan's users, and the demand and cost its chain runs on them, are
    ``capcost forecast users --freq quarter``'s, not a noisier sample of the same forecast
    (1,000 paths put a far quarter's P90 9% above the 4,000's on the demo).
    """
    options = dataclasses.replace(options, paths=max(options.paths, QUARTER_PATHS))
    users = history.demand[USERS].dropna()
    first = users.index.max() + pd.offsets.MonthBegin(1)
    ds = pd.date_range(first, max(cost_ds[-1], first), freq="MS")
    frame = long_frame(users, USERS)
    running = running_month(store, USERS, None)
    nowcast_first = running is not None and running.start == ds[0]
    how = rollup(store, USERS)
    if running is not None and nowcast_first:
        result = _from_running(frame, len(ds), running, how, options, forecaster)
    else:
        result = forecaster(frame, len(ds), Freq.MONTH.value, options)
    s = result.series[USERS]
    quarter_start = pd.Period(first, freq="Q").start_time
    known = {m: float(users[m]) for m in users.index if m >= quarter_start}
    last = float(users.iloc[-1])
    paths, point = bend(s.paths, s.mean, ds, last, scenario, known, running=nowcast_first)
    shown = (
        result
        if scenario.is_base
        else from_paths({USERS: paths}, ds, result, levels, s.model, {USERS: point})
    )
    quarters = quarterly(shown, {USERS: known}, levels, how=how)
    return result, paths, ds, quarters


def _from_running(
    history: pd.DataFrame,
    h: int,
    running: RunningMonth,
    how: str,
    options: ForecastOptions,
    forecaster: PathForecaster,
) -> ForecastResult:
    """The running month nowcast from its days, the months after it forecast from it."""
    return forecast_running(
        history,
        h,
        running,
        how,
        lambda frame, steps: forecaster(frame, steps or h, Freq.MONTH.value, options),
        levels=(options.level,),
        n_paths=options.paths,
        seed=options.seed,
    )


def _chain_result(
    demand: DemandPaths,
    cost_ds: pd.DatetimeIndex,
    direct: ForecastResult,
    running: bool,
    scenario: Scenario,
    levels: tuple[float, ...],
    scores: pd.DataFrame,
) -> ForecastResult:
    """The chain's total cost on the cost months: the median of its paths as the point (the
    cost of the users forecast: a users point is the median of its paths, and the mean of
    paths whose upper tail leans long priced 2027 Q4 at $53K beside users whose own cost
    is $33K), the paths' quantiles as bands; a running month is the bill's nowcast (its
    days are known)."""
    where = demand.ds.get_indexer(cost_ds)
    paths = np.asarray(demand.paths[COST], dtype=float)[:, where].copy()
    points = np.median(paths, axis=0)
    d = _with_levels(direct, levels).series[TOTAL]
    if running:
        paths[:, 0] = np.resize(d.paths[:, 0], paths.shape[0])
        points[0] = float(d.mean[0])
    # A name a reader knows; the users model behind it is in ``CostOfRecord.users_model``.
    label = CHAIN
    if not scenario.is_base:
        label += f", {scenario.name} scenario"
    bands = {lv: path_bands(paths, lv) for lv in levels}
    if running:  # the running month is the bill's nowcast, band and all
        for lv, (lo, hi) in bands.items():
            lo[0], hi[0] = d.bands[lv][0][0], d.bands[lv][1][0]
    # Its backtest row, in the engine's columns: what a frozen plan records of its accuracy.
    scored = scores[scores["method"] == CHAIN] if len(scores) else scores
    backtest: list[dict[str, object]] = [
        {
            "unique_id": TOTAL,
            "model": label,
            "selected": True,
            **{k: row[k] for k in ("horizon", "windows", "errors", "smape", "mape", "bias_pct")},
        }
        for row in scored.to_dict("records")
    ]
    series = SeriesForecast(TOTAL, label, cost_ds, points, bands, paths, backtest)
    return assemble([series], [], direct.freq, levels)


def _on_direct(
    scenario: DemandPaths, base: DemandPaths, direct: ForecastResult, cost_ds: pd.DatetimeIndex
) -> DemandPaths:
    """The scenario's cost paths on the level of the direct forecast of record: each of its
    paths times the scenario's change from the base on the chain's paired path (the same
    draws, only users differ; at least 1 under a growth above 1, at most under one below).

    Without this a scenario would show the chain's cost beside a base of record from the
    bill's own history, and a low scenario could cost more than the base.
    """
    where = scenario.ds.get_indexer(cost_ds)
    moved = np.asarray(scenario.paths[COST], dtype=float)
    paired = np.asarray(base.paths[COST], dtype=float)[:, where]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(paired > 0, moved[:, where] / paired, 1.0)
    bill = np.asarray(direct.series[TOTAL].paths, dtype=float)
    rows = np.resize(np.arange(bill.shape[0]), change.shape[0])
    out = moved.copy()
    out[:, where] = bill[rows][:, : len(cost_ds)] * change
    return DemandPaths(scenario.ds, {**scenario.paths, COST: out}, scenario.actuals)


def _with_levels(result: ForecastResult, levels: tuple[float, ...]) -> ForecastResult:
    """The direct forecast with a band at every level: its calibrated band where it has one,
    its paths' quantiles (the same band, drawn) elsewhere."""
    s = result.series[TOTAL]
    bands = {lv: s.bands.get(lv) or path_bands(s.paths, lv) for lv in levels}
    own = {lv: s.own_bands[lv] for lv in levels if lv in s.own_bands}
    series = SeriesForecast(TOTAL, s.model, s.ds, s.mean, bands, s.paths, s.backtest, own_bands=own)
    out = assemble([series], list(result.excuses), result.freq, levels)
    return ForecastResult(
        out.forecast, result.backtest, out.paths, out.excuses, out.freq, levels, out.series
    )


def _tables(
    method: str,
    result: ForecastResult,
    known: Mapping[str, Mapping[pd.Timestamp, float]],
    levels: tuple[float, ...],
    store: Store,
) -> CostForecast:
    last_full = store.last_full_day(COST_METRIC)
    months = with_complete(result.forecast, Freq.MONTH, last_full)
    quarters = with_complete(
        quarterly(result, {k: dict(v) for k, v in known.items()}, levels, how="sum"),
        Freq.QUARTER,
        last_full,
    )
    return CostForecast(method, result, months, quarters)


def _direct_only(
    direct: ForecastResult,
    known: Mapping[str, Mapping[pd.Timestamp, float]],
    bill: pd.DataFrame,
    currency: str,
    levels: tuple[float, ...],
    scenario: Scenario,
    store: Store,
    reason: str,
) -> CostOfRecord:
    made = _tables(DIRECT, _with_levels(direct, levels), known, levels, store)
    why = f"the {CHAIN} cannot run: {reason}"
    return CostOfRecord(
        chosen=made,
        other=None,
        backtest=pd.DataFrame(),
        why=why,
        currency=currency,
        levels=levels,
        history=bill,
        scenario=scenario,
        start=pd.Timestamp(f"{made.months['ds'].min().year}-01-01"),
        notes=notes_of(direct),
    )


def _scored(scores: pd.DataFrame) -> str:
    """``sMAPE 6.2% for the demand chain against 13.2% for the direct cost forecast, 78
    months forecast from 12 origins, up to 12 ahead`` (sMAPE is a percentage, 0-200%)."""
    if scores.empty:
        return "no backtest"
    chosen = scores[scores["selected"]].iloc[0]
    other = scores[~scores["selected"]].iloc[0]
    return (
        f"sMAPE {format_percent(chosen['smape'])} for the {chosen['method']} against "
        f"{format_percent(other['smape'])} for the {other['method']}, {chosen['errors']} "
        f"months forecast from {chosen['windows']} origins, up to {chosen['horizon']} ahead"
    )


# What turns the engine's stored forecasts into the cost of record, for the keys of results
# stored whole that hold one (``stored_fits``; the Overview's outlook, the Forecast page's
# total; the capacity plan extends it): this module, the chain and its history, the paths, the
# sizing, the drivers, nowcasts, scenarios, the forecast service, the capacity assumptions,
# periods, the figures that write its ``why`` and the store's reads. A change to any of their
# sources is a miss, not a stale read.
MADE_BY = (
    cost_of_record,
    format_percent,
    read_history,
    load_capacity,
    CapacityAssumptions,
    run_models,
    complete_column,
    DemandPaths,
    sizing,
    drivers,
    nowcast,
    scenarios,
    forecast_service,
    costs,
    metrics,
    plans,
    Store,
)
