"""Scenarios (base, low, high, the plan of record or stored) that move the users forecast.

Cost follows the users through the demand chain (``forecasting.demand.record``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting.errors import InputError, UnknownNameError
from forecasting.interface import Freq
from forecasting.models.api import assemble, forecast
from forecasting.models.base import FloatArray
from forecasting.models.intervals import path_bands
from forecasting.models.nowcast import forecast_running, running_month
from forecasting.models.result import SeriesForecast
from forecasting.models.service import (
    StoreForecast,
    forecast_store,
    quarter_span,
    quarterly,
    rollup,
    with_complete,
)

if TYPE_CHECKING:
    from forecasting.store import Store

SCENARIO_PATHS = 4000


@dataclass(frozen=True)
class Scenario:
    """How a scenario bends the users forecast.

    ``growth`` multiplies the forecast's growth over the last actual month (1 = as
    forecast, 0 = flat, 1.5 = half as fast again); a forecast fall is left as it is. Every
    path moves by the factor that moves the point, so quantiles keep their order: a
    scenario with growth above 1 lies at or above the base at every quantile, below 1 at or
    below it. ``targets`` sets a quarter's average users
    (``{"2027Q1": 200000}``), ``multipliers`` scales a quarter (``{"2027Q2": 1.1}``).
    ``carry`` keeps the last target quarter's factor for the quarters after it (the plan of
    record ends; the forecast's growth from where the plan left users continues).
    """

    name: str
    growth: float = 1.0
    targets: Mapping[str, float] = field(default_factory=dict)
    multipliers: Mapping[str, float] = field(default_factory=dict)
    carry: bool = False

    @property
    def is_base(self) -> bool:
        """Bends nothing: the plain forecast."""
        return self.growth == 1.0 and not self.targets and not self.multipliers

    def payload(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "users_growth": self.growth,
            "users_by_quarter": dict(self.targets),
            "users_multiplier_by_quarter": dict(self.multipliers),
        }


PLAN_OF_RECORD = "plan"
BUILT_IN = {
    "base": Scenario("base"),
    "low": Scenario("low", growth=0.5),
    "high": Scenario("high", growth=1.5),
}
_KEYS = ("users_growth", "users_by_quarter", "users_multiplier_by_quarter")


def plan_scenario(store: Store) -> Scenario:
    """The plan of record as the driver: its users per quarter are the targets."""
    plan_id = store.latest_plan("users")
    if plan_id is None:
        raise InputError(
            "no plan of record for users: freeze one (`capcost forecast users --freeze NAME`) "
            "or import the stated plan",
            parameter="--scenario",
        )
    meta, values = store.read_plan(plan_id)
    values = values[values["unique_id"].isin(["users", "total"])]
    quarters = pd.PeriodIndex(values["ds"], freq="Q").astype(str)
    targets = values.groupby(quarters)["forecast"].mean()
    stated = {str(q): float(v) for q, v in targets.items()}
    return Scenario(f"plan of record: {meta['name']}", targets=stated, carry=True)


def load_scenario(store: Store | None, name: str) -> Scenario:
    """A built-in scenario, the plan of record (``plan``) or a stored assumption set with
    users_growth/_by_quarter keys."""
    if store is not None and name in store.assumption_set_names():
        payload = store.load_assumptions(name)
        if not any(k in payload for k in _KEYS):
            raise InputError(
                f"assumption set {name!r} has none of {', '.join(_KEYS)}", parameter="--scenario"
            )
        return Scenario(
            name,
            growth=float(payload.get("users_growth", 1.0)),
            targets={str(k): float(v) for k, v in payload.get("users_by_quarter", {}).items()},
            multipliers={
                str(k): float(v) for k, v in payload.get("users_multiplier_by_quarter", {}).items()
            },
        )
    if name in BUILT_IN:
        return BUILT_IN[name]
    if name == PLAN_OF_RECORD and store is not None:
        return plan_scenario(store)
    stored = store.assumption_set_names() if store is not None else []
    raise UnknownNameError("scenario", name, [*BUILT_IN, PLAN_OF_RECORD, *stored])


def bend(
    paths: FloatArray,
    point: FloatArray,
    ds: pd.DatetimeIndex,
    last: float,
    s: Scenario,
    observed: Mapping[pd.Timestamp, float] | None = None,
    *,
    running: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """The users paths and point forecast bent by a scenario, by the same factors.

    A target is a quarter's average: where ``observed`` months (month start -> users) share
    the quarter, the forecast months make up the rest of it. Every path moves by the factor
    that brings the point there. The base scenario returns both unchanged: the plain forecast.
    ``running``: the first step is the running month's nowcast (most of it observed); it stays
    as it is, and the scenario bends the months after it from its level.
    """
    if s.is_base:
        return paths, point
    if running and len(ds):
        known = {**(observed or {}), pd.Timestamp(ds[0]): float(point[0])}
        paths, point = np.asarray(paths, float), np.asarray(point, float)
        rest, mid = bend(paths[:, 1:], point[1:], ds[1:], float(point[0]), s, known)
        return np.hstack([paths[:, :1], rest]), np.r_[point[:1], mid]
    # Growth bends the point, and every path moves by the point's factor: stretching each
    # path's own change (last + growth x (path - last)) would push the paths that fall
    # below ``last`` further down under ``high``, putting its P10 under the base's. A fall
    # of the point is left as forecast, so high never lies below the base nor low above it.
    point = np.asarray(point, float)
    mid = point + (s.growth - 1.0) * np.maximum(point - last, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = np.where(point > 0, mid / point, 1.0)
    out = np.asarray(paths, float) * moved
    quarters = np.asarray(ds.to_period("Q").astype(str))
    seen = pd.Series(observed or {}, dtype=float)
    seen_quarters = pd.PeriodIndex(pd.DatetimeIndex(seen.index), freq="Q").astype(str)
    factor = np.ones(len(ds))
    for quarter, m in s.multipliers.items():
        factor[quarters == quarter] *= m
    carried, reached = 1.0, False
    for quarter in dict.fromkeys(quarters):
        cols = quarters == quarter
        current = float((mid * factor)[cols].mean())
        if quarter in s.targets and current > 0:
            before = seen[np.asarray(seen_quarters == quarter)]
            months = len(before) + int(cols.sum())
            wanted = (s.targets[quarter] * months - float(before.sum())) / int(cols.sum())
            # A quarter whose observed months already exceed its target stays as forecast.
            if wanted > 0:
                carried, reached = wanted / current, True
                factor[cols] *= carried
        elif s.carry and reached and quarter > max(s.targets):
            factor[cols] *= carried
    return np.maximum(out * factor, 0.0), np.maximum(mid * factor, 0.0)


def apply_scenario(paths: FloatArray, ds: pd.DatetimeIndex, last: float, s: Scenario) -> FloatArray:
    """The users paths bent by a scenario (never below zero), targets met on the paths'
    median: the point a forecast of those paths states (their mean leans with the long
    upper tail, and a target met on it would leave the median, the figure shown, short)."""
    bent, _ = bend(paths, np.median(np.asarray(paths, float), axis=0), ds, last, s)
    return bent


def scenario_forecast(
    store: Store,
    metric: str,
    scenario: str,
    *,
    freq: str = "month",
    by: str | None = None,
    h: int | None = None,
    level: Sequence[float] = (80.0,),
    seed: int = 0,
) -> StoreForecast:
    """Users under a scenario: the users forecast (automatic, with sample paths) bent by it
    path by path. Cost under a scenario runs through the demand chain, which sits above this
    layer (``forecasting.demand.record.cost_of_record``)."""
    if metric != "users":
        raise InputError(
            "--scenario applies to users here; cost follows users through the demand chain",
            parameter="--scenario",
        )
    if by is not None:
        raise InputError("users do not split with --by", parameter="--by")
    if freq not in ("month", "quarter"):
        raise InputError("scenarios run by month or quarter", parameter="--freq")
    chosen = load_scenario(store, scenario)
    if chosen.is_base:
        # The base scenario is the plain forecast, bands and all.
        plain = forecast_store(store, "users", freq=freq, h=h, level=level, seed=seed)
        return dataclasses.replace(plain, assumptions={**plain.assumptions, **chosen.payload()})
    users, unit = store.read_series("users", Freq.MONTH, complete_only=True)
    months, _ = quarter_span(users, 4 if h is None else h) if freq == "quarter" else (h or 12, {})
    levels = tuple(float(v) for v in level)

    def predict(frame: pd.DataFrame, steps: int | None) -> Any:
        return forecast(
            frame, h=steps, freq="month", level=levels, n_paths=SCENARIO_PATHS, seed=seed
        )

    running = running_month(store, "users", None)
    if running is None:
        base = predict(users, months)
    else:
        # The same running-month nowcast as the plain forecast, so scenarios bend its paths.
        how = rollup(store, "users")
        base = forecast_running(
            users, months, running, how, predict, levels=levels, n_paths=SCENARIO_PATHS, seed=seed
        )
    u = base.series["users"]
    last = float(users["y"].iloc[-1])
    _, known = quarter_span(users, 1)
    nowcast_first = running is not None and len(u.ds) > 0 and u.ds[0] == running.start
    bent, point = bend(
        u.paths, u.mean, u.ds, last, chosen, known.get("users"), running=nowcast_first
    )
    model = f"{u.model} users, {chosen.name} scenario"
    result = from_paths({"users": bent}, u.ds, base, level, model, {"users": point})
    assumptions = {
        "metric": metric,
        "freq": freq,
        "by": by,
        **chosen.payload(),
        "history_through": f"{users['ds'].max():%Y-%m-%d}",
    }
    if freq == "quarter":
        _, known = quarter_span(users, 4 if h is None else h)
        table = quarterly(result, known, level, how="mean")
    else:
        table = result.forecast
    table = with_complete(table, freq, store.last_full_day(metric))
    return StoreForecast(metric, unit, freq, table, result, users, assumptions)


def from_paths(
    paths: dict[str, FloatArray],
    ds: pd.DatetimeIndex,
    base: Any,
    level: Sequence[float],
    model: str,
    points: Mapping[str, FloatArray] | None = None,
) -> Any:
    """A ForecastResult whose bands are path quantiles and whose points are ``points`` (the
    paths' median where not given: a point is the middle of its futures, never their mean,
    which a long upper tail drags above most of them)."""
    results = []
    for uid, p in paths.items():
        bands = {float(lv): path_bands(p, float(lv)) for lv in level}
        mean = (points or {}).get(uid, np.median(p, axis=0))
        results.append(SeriesForecast(uid, model, ds, mean, bands, p))
    return assemble(results, list(base.excuses), base.freq, base.levels)
