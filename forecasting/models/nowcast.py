"""The running month from its observed days: month-to-date actuals plus a forecast of the rest."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.interface import Excuse, Freq, GroupBy
from forecasting.models.api import assemble, forecast
from forecasting.models.base import FloatArray
from forecasting.models.intervals import path_bands
from forecasting.models.result import ForecastResult, SeriesForecast

if TYPE_CHECKING:
    from forecasting.store import Store

# Paths of the remaining days: enough that the month's 80% band moves under 1% of its width.
NOWCAST_PATHS = 2000


@dataclass(frozen=True)
class RunningMonth:
    """The month the data stops inside: its start, its length and the days seen so far."""

    start: pd.Timestamp
    days: int
    """Days in the month."""
    observed: pd.DataFrame
    """unique_id, ds, y of the month's observed days."""
    history: pd.DataFrame
    """Every stored day up to the last observed one (what the daily model is fitted on)."""

    @property
    def seen(self) -> int:
        return int(self.observed["ds"].nunique())


def running_month(store: Store, metric: str, group: GroupBy | None) -> RunningMonth | None:
    """The running month if the data stops inside one (not on its last day), else None."""
    last = store.last_day(metric)
    if last is None or last.day == calendar.monthrange(last.year, last.month)[1]:
        return None
    daily, _ = store.read_series(metric, Freq.DAY, group, complete_only=True)
    start = pd.Timestamp(date(last.year, last.month, 1))
    observed = daily[daily["ds"] >= start]
    if observed.empty:
        return None
    days = calendar.monthrange(last.year, last.month)[1]
    return RunningMonth(start, days, observed, daily)


def nowcast(
    result: ForecastResult,
    month: RunningMonth,
    how: str,
    *,
    seed: int = 0,
) -> ForecastResult:
    """``result`` with its first step, the running month, nowcast from the observed days.

    The month's figure is the observed days' actuals plus a daily forecast of the remaining
    days (weekly cycle and all), rolled up the way the series rolls up: summed for spend,
    averaged over the month's days for users and requests/s, the larger for a peak. Its
    band and paths come from the daily paths, so a quarter built on it carries both the
    certainty of what is known and the uncertainty of the rest. Series whose forecast does
    not start at the running month are left as they are.
    """
    remaining = month.days - month.seen
    daily = forecast(
        month.history,
        h=max(remaining, 1),
        freq="day",
        level=result.levels,
        n_paths=max(NOWCAST_PATHS, max((p.shape[0] for p in result.paths.values()), default=0)),
        seed=seed,
    )
    series, notes = [], list(result.excuses)
    for uid, s in result.series.items():
        d = daily.series.get(uid)
        seen = month.observed[month.observed["unique_id"] == uid]["y"].to_numpy(float)
        if d is None or not len(s.ds) or s.ds[0] != month.start or not len(d.mean):
            series.append(s)
            continue
        series.append(_replace_first(s, d, seen, remaining, month.days, how))
        label = f"{month.start:%b %Y}"
        why = (
            f"series {uid!r}: {label} is running ({len(seen)} of {month.days} days observed): "
            f"its figure is those days' actuals plus a forecast of the other {remaining}, "
            "and it is partial"
        )
        notes.append(Excuse(why, {"unique_id": uid, "observed_days": len(seen)}))
    out = assemble(series, [], result.freq, result.levels)
    return replace(out, excuses=tuple(notes))


def _replace_first(
    s: SeriesForecast,
    d: SeriesForecast,
    seen: FloatArray,
    remaining: int,
    days: int,
    how: str,
) -> SeriesForecast:
    rest = d.paths[:, :remaining] if remaining else np.empty((d.paths.shape[0], 0))
    values = _roll(seen, rest, days, how)
    point = float(_roll(seen, d.mean[None, :remaining], days, how)[0])
    shift = _persist(float(s.mean[0]), point)
    bands = {}
    for level, (lo, hi) in s.bands.items():
        low, high = path_bands(values[:, None], level)
        bands[level] = (_first(shift(lo), float(low[0])), _first(shift(hi), float(high[0])))
    paths = shift(s.paths.T).T if s.paths.shape[0] else s.paths.copy()
    if paths.shape[0]:
        # The month's own paths beside the later months': both are independent draws, so
        # pairing them in order keeps each path's later months as they were.
        paths[:, 0] = np.resize(values, paths.shape[0])
    return replace(s, mean=_first(shift(s.mean), point), bands=bands, paths=paths)


def _persist(before: float, after: float) -> Callable[[FloatArray], FloatArray]:
    """How the later months move with the running month's surprise: all the way, by the
    same ratio (or difference, for a series that can be zero or negative).

    The models of level and growth here are integrated, so a surprise in the level carries
    forward; without this a December would be forecast below November's run-rate.
    """
    if before > 0 and after > 0:
        return lambda a: np.asarray(a, dtype=float) * (after / before)
    return lambda a: np.asarray(a, dtype=float) + (after - before)


def _first(a: FloatArray, value: float) -> FloatArray:
    out = np.array(a, dtype=float)
    out[0] = value
    return out


def _roll(seen: FloatArray, rest: FloatArray, days: int, how: str) -> FloatArray:
    """Per path, the month's figure from its observed days and one path of the rest."""
    known = np.tile(seen, (rest.shape[0], 1))
    block = np.hstack([known, rest])
    if how == "sum":
        return np.asarray(block.sum(axis=1), dtype=float)
    if how == "mean":
        return np.asarray(block.sum(axis=1) / days, dtype=float)
    if how == "max":
        return np.asarray(block.max(axis=1), dtype=float)
    return np.asarray(block[:, -1], dtype=float)
