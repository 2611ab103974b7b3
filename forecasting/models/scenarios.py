"""Scenarios (base, low, high or stored) on the users forecast, and on cost through drivers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting.errors import InputError, UnknownNameError
from forecasting.interface import COST_METRIC, Freq, GroupBy
from forecasting.models.api import assemble, forecast
from forecasting.models.base import FloatArray
from forecasting.models.drivers import TOTAL, cost_paths, fit_cost_drivers
from forecasting.models.intervals import path_bands
from forecasting.models.result import SeriesForecast
from forecasting.models.service import StoreForecast, quarter_span, quarterly, with_complete

if TYPE_CHECKING:
    from forecasting.store import Store

SCENARIO_PATHS = 4000


@dataclass(frozen=True)
class Scenario:
    """How a scenario bends the users forecast.

    ``growth`` multiplies the forecast's growth over the last actual month (1 = as
    forecast, 0 = flat, 1.5 = half as fast again). ``targets`` sets a quarter's average users
    (``{"2027Q1": 200000}``), ``multipliers`` scales a quarter (``{"2027Q2": 1.1}``).
    """

    name: str
    growth: float = 1.0
    targets: Mapping[str, float] = field(default_factory=dict)
    multipliers: Mapping[str, float] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "users_growth": self.growth,
            "users_by_quarter": dict(self.targets),
            "users_multiplier_by_quarter": dict(self.multipliers),
        }


BUILT_IN = {
    "base": Scenario("base"),
    "low": Scenario("low", growth=0.5),
    "high": Scenario("high", growth=1.5),
}
_KEYS = ("users_growth", "users_by_quarter", "users_multiplier_by_quarter")


def load_scenario(store: Store | None, name: str) -> Scenario:
    """A built-in scenario or a stored assumption set with users_growth/_by_quarter keys."""
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
    stored = store.assumption_set_names() if store is not None else []
    raise UnknownNameError("scenario", name, [*BUILT_IN, *stored])


def apply_scenario(paths: FloatArray, ds: pd.DatetimeIndex, last: float, s: Scenario) -> FloatArray:
    """The users paths bent by a scenario (never below zero)."""
    out = last + s.growth * (paths - last)
    quarters = ds.to_period("Q").astype(str)
    for quarter, factor in s.multipliers.items():
        out[:, np.asarray(quarters == quarter)] *= factor
    for quarter, target in s.targets.items():
        cols = np.asarray(quarters == quarter)
        current = float(out[:, cols].mean()) if cols.any() else 0.0
        if current > 0:
            out[:, cols] *= target / current
    return np.maximum(out, 0.0)


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
    """Users, or cost through its fixed + per-user model, under a scenario for the users.

    The users forecast (automatic, with sample paths) is bent by the scenario path by path;
    each cost group's cost follows as fixed + per_user x users with the fit's own
    uncertainty drawn per path. ``by="group"`` keeps the groups; otherwise their total.
    """
    if metric not in ("users", COST_METRIC):
        raise InputError("--scenario applies to cost and users", parameter="--scenario")
    if by not in (None, "group"):
        raise InputError("with --scenario, cost splits by group only", parameter="--by")
    if freq not in ("month", "quarter"):
        raise InputError("scenarios run by month or quarter", parameter="--freq")
    chosen = load_scenario(store, scenario)
    users, _ = store.read_series("users", Freq.MONTH, complete_only=True)
    months, _ = quarter_span(users, 4 if h is None else h) if freq == "quarter" else (h or 12, {})
    base = forecast(users, h=months, freq="month", level=level, n_paths=SCENARIO_PATHS, seed=seed)
    u = base.series["users"]
    bent = apply_scenario(u.paths, u.ds, float(users["y"].iloc[-1]), chosen)
    if metric == "users":
        history, unit, paths = users, "users", {"users": bent}
    else:
        history, unit = store.read_series(
            COST_METRIC, Freq.MONTH, GroupBy.GROUP, complete_only=True
        )
        paths = _cost_paths(history, users.set_index("ds")["y"], bent, seed, by is None)
        if by is None:
            history = history.groupby("ds", as_index=False)["y"].sum().assign(unique_id=TOTAL)
    model = f"{u.model} users, {chosen.name} scenario"
    if metric == COST_METRIC:
        model = f"fixed + per-user cost on {model}"
    result = from_paths(paths, u.ds, base, level, model)
    assumptions = {
        "metric": metric,
        "freq": freq,
        "by": by,
        **chosen.payload(),
        "history_through": f"{history['ds'].max():%Y-%m-%d}",
    }
    if freq == "quarter":
        _, known = quarter_span(history, 4 if h is None else h)
        table = quarterly(result, known, level, how="sum" if metric == COST_METRIC else "mean")
    else:
        table = result.forecast
    table = with_complete(table, freq, store.last_full_day(metric))
    return StoreForecast(metric, unit, freq, table, result, history, assumptions)


def _cost_paths(
    cost: pd.DataFrame, users: pd.Series, bent: FloatArray, seed: int, total: bool
) -> dict[str, FloatArray]:
    fits = [f for f in fit_cost_drivers(cost, users) if f.group != TOTAL]
    paths = {f.group: cost_paths(f, bent, seed + i + 1) for i, f in enumerate(fits)}
    if total:
        return {TOTAL: np.sum(np.stack(list(paths.values())), axis=0)}
    return paths


def from_paths(
    paths: dict[str, FloatArray],
    ds: pd.DatetimeIndex,
    base: Any,
    level: Sequence[float],
    model: str,
) -> Any:
    """A ForecastResult whose points are path means and whose bands are path quantiles."""
    results = []
    for uid, p in paths.items():
        bands = {float(lv): path_bands(p, float(lv)) for lv in level}
        results.append(SeriesForecast(uid, model, ds, p.mean(axis=0), bands, p))
    return assemble(results, list(base.excuses), base.freq, base.levels)
