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
from forecasting.models.guards import is_constant
from forecasting.models.intervals import path_bands
from forecasting.models.result import ForecastResult, SeriesForecast

if TYPE_CHECKING:
    from forecasting.store import Store

# Paths of the remaining days: enough that the month's 80% band moves under 1% of its width.
NOWCAST_PATHS = 2000
# A series flat over its complete months stays flat in the running month when its figure
# lies inside this central share of the month's nowcast paths (``_flat``): 95%.
FLAT_TAILS = 0.025


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


Predict = Callable[[pd.DataFrame, int | None], ForecastResult]
"""``(long frame, h) -> ForecastResult``: the monthly forecast as the caller runs it."""


def forecast_running(
    history: pd.DataFrame,
    h: int | None,
    month: RunningMonth,
    how: str,
    predict: Predict,
    *,
    levels: tuple[float, ...],
    n_paths: int = 0,
    seed: int = 0,
) -> ForecastResult:
    """``history`` (complete months) forecast ``h`` months from the running month: the
    month nowcast from its observed days, the months after it forecast with that nowcast
    as their last observation.

    The month's figure is the observed days' actuals plus a daily forecast of the remaining
    days (weekly cycle and all), rolled up the way the series rolls up: summed for spend,
    averaged over the month's days for users and requests/s, the larger for a peak. Its
    band and paths come from the daily paths, so a quarter built on it carries both the
    certainty of what is known and the uncertainty of the rest.

    The running month says more than its own level: a month well above what the models
    expected of it says growth is faster, and models fitted with it carry that on. Moving
    the forecast made without it by the month's surprise kept the old growth (demo to
    2026-11-29: users grew 14-22% a month, November's nowcast came in 10% above the
    forecast of it, and December was forecast only 3% above November). A series whose
    history does not reach the month before the running one is forecast as it is.
    """
    ends = history.groupby("unique_id")["ds"].max()
    reach = set(ends.index[ends == month.start - pd.offsets.MonthBegin(1)].astype(str))
    remaining = month.days - month.seen
    daily = forecast(
        month.history[month.history["unique_id"].astype(str).isin(reach)],
        h=max(remaining, 1),
        freq="day",
        level=levels,
        n_paths=max(NOWCAST_PATHS, n_paths),
        seed=seed,
    )
    firsts: dict[str, tuple[float, FloatArray]] = {}
    for uid, d in daily.series.items():
        seen = month.observed[month.observed["unique_id"] == uid]["y"].to_numpy(float)
        if uid not in reach or not len(d.mean):
            continue
        rest = d.paths[:, :remaining] if remaining else np.empty((d.paths.shape[0], 0))
        values = _roll(seen, rest, month.days, how)
        fee = _flat(history, uid, values)
        if fee is not None:
            firsts[uid] = (fee, np.full(len(values), fee))
            continue
        firsts[uid] = (float(_roll(seen, d.mean[None, :remaining], month.days, how)[0]), values)
    known = pd.DataFrame(
        {"unique_id": list(firsts), "ds": month.start, "y": [p for p, _ in firsts.values()]}
    )
    later = predict(pd.concat([history, known], ignore_index=True), h)
    series, notes = [], list(later.excuses)
    for uid, s in later.series.items():
        if uid not in firsts:
            series.append(s)
            continue
        series.append(_with_first(s, *firsts[uid], month.start))
        seen_days = int((month.observed["unique_id"] == uid).sum())
        why = (
            f"series {uid!r}: {month.start:%b %Y} is running ({seen_days} of {month.days} "
            f"days observed): its figure is those days' actuals plus a forecast of the other "
            f"{remaining}, and it is partial"
        )
        notes.append(Excuse(why, {"unique_id": uid, "observed_days": seen_days}))
    out = assemble(series, [], later.freq, later.levels)
    return replace(out, excuses=tuple(notes))


def _flat(history: pd.DataFrame, uid: str, values: FloatArray) -> float | None:
    """The figure of a series whose complete months are all one figure (a fixed fee), if
    its running month's nowcast paths leave room for that figure, else None.

    A daily model cannot know that a month adds up to a fixed fee: the demo's Monitoring,
    800 USD a month (a fee billed by the day, its tax on the 1st), was nowcast at 799.25
    with a band of 797-803 from daily rates of months of other lengths, and that one
    figure made its history look unsteady to every monthly model after it (January's band
    750-823). A fee that held every month, where the month's observed days are consistent
    with it (the figure inside the central 95% of the nowcast's paths), is that fee with no
    spread. A month whose days say otherwise (the fee changed) is nowcast as usual.
    """
    months = history.loc[history["unique_id"].astype(str) == uid, "y"].to_numpy(float)
    if len(months) < 3 or not is_constant(months) or not len(values):
        return None
    figure = float(months[-1])
    low, high = np.quantile(values, [FLAT_TAILS, 1.0 - FLAT_TAILS])
    return figure if low <= figure <= high else None


def _with_first(
    s: SeriesForecast, point: float, values: FloatArray, start: pd.Timestamp
) -> SeriesForecast:
    """``s`` (forecast from the month after ``start``) one step shorter, behind the running
    month's nowcast: its point, its band from its own paths and those paths."""
    keep = max(len(s.ds) - 1, 0)
    bands, own = {}, {}
    for level, (lo, hi) in s.bands.items():
        low, high = path_bands(values[:, None], level)
        bands[level] = (np.r_[low[0], lo[:keep]], np.r_[high[0], hi[:keep]])
        if level in s.own_bands:
            # The month's band is its days' own (a daily forecast has no population prior).
            own_lo, own_hi = s.own_bands[level]
            own[level] = (np.r_[low[0], own_lo[:keep]], np.r_[high[0], own_hi[:keep]])
    n = s.paths.shape[0]
    # The month's own paths beside the later months': both are independent draws.
    paths = np.hstack([np.resize(values, (n, 1)), s.paths[:, :keep]]) if n else s.paths
    # Every model tried, as if named alone: behind the same nowcast at the first level.
    lo0, hi0 = next(iter(bands.values()), (np.r_[point], np.r_[point]))
    candidates = {
        name: (np.r_[point, f[:keep]], np.r_[lo0[0], lo[:keep]], np.r_[hi0[0], hi[:keep]])
        for name, (f, lo, hi) in s.candidates.items()
    }
    ds = pd.DatetimeIndex([start, *s.ds[:keep]])
    return replace(
        s,
        ds=ds,
        mean=np.r_[point, s.mean[:keep]],
        bands=bands,
        paths=paths,
        candidates=candidates,
        own_bands=own,
    )


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
