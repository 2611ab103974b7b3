"""The forecast made at an earlier date, beside what happened after it."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import Freq, GroupBy
from forecasting.models.api import forecast
from forecasting.models.nowcast import RunningMonth, forecast_running
from forecasting.models.registry import AUTO
from forecasting.models.result import FORECAST_COLUMNS, ForecastResult
from forecasting.models.service import rollup

if TYPE_CHECKING:
    from forecasting.store import Store

AS_OF_PATHS = 4000
AS_OF_COLUMNS = (*FORECAST_COLUMNS, "actual", "error", "error_pct", "inside", "partial")
TOTAL_COLUMNS = (
    "unique_id",
    "level",
    "periods",
    "forecast",
    "lower",
    "upper",
    "actual",
    "error",
    "error_pct",
    "inside",
)


@dataclass(frozen=True)
class AsOfForecast:
    """A forecast from the data up to ``as_of`` and what happened in the periods after it."""

    as_of: date
    table: pd.DataFrame
    """Per series, period and level: the forecast columns, then ``actual``, ``error``
    (forecast - actual, the series' unit), ``error_pct`` (of the actual) and ``inside``
    (whether the actual fell in the band); actual is empty where nothing is known yet.
    ``partial`` marks the month the as-of date falls inside: nowcast from its days up to
    that date plus a forecast of the rest, as the live forecast does a running month."""
    totals: pd.DataFrame
    """Per series and level, over the periods with actuals: the forecast total with the
    band of the total (from the sample paths), the actual total, its error and percent
    error, and how many periods' actuals fell inside their band."""
    result: ForecastResult


def complete_by(history: pd.DataFrame, as_of: date, freq: str) -> pd.DataFrame:
    """The periods of ``history`` that had ended on ``as_of`` (its last day counts)."""
    step = pd.offsets.MonthBegin(1) if freq == "month" else pd.offsets.Day(1)
    ends = pd.DatetimeIndex(history["ds"]) + step
    return history[ends <= pd.Timestamp(as_of) + pd.Timedelta(days=1)].reset_index(drop=True)


def forecast_as_of(
    store: Store,
    metric: str,
    as_of: date,
    *,
    freq: str = "month",
    by: str | None = None,
    h: int | None = None,
    level: tuple[float, ...] = (80.0,),
    model: str = AUTO,
    seed: int = 0,
) -> AsOfForecast:
    """Forecast a stored series from its periods complete on ``as_of``, beside the actuals."""
    if freq not in ("day", "month"):
        raise InputError("--as-of compares days or months", parameter="--freq")
    group = GroupBy(by) if by else None
    full, _ = store.read_series(metric, Freq(freq), group, complete_only=True)
    history = complete_by(full, as_of, freq)
    if len(history) < 3:
        raise InputError(
            f"fewer than 3 complete {freq}s of {metric} by {as_of:%Y-%m-%d}", parameter="--as-of"
        )
    running = running_as_of(store, metric, group, as_of) if freq == "month" else None
    return compare(
        history,
        full,
        as_of,
        freq=freq,
        h=h,
        level=level,
        model=model,
        seed=seed,
        running=running,
        how=rollup(store, metric),
    )


def running_as_of(
    store: Store, metric: str, group: GroupBy | None, as_of: date
) -> RunningMonth | None:
    """The month ``as_of`` falls inside, as it stood that day: its days up to ``as_of`` and
    every day before (None when ``as_of`` is a month's last day or no day of it is stored)."""
    days = calendar.monthrange(as_of.year, as_of.month)[1]
    if as_of.day == days:
        return None
    daily, _ = store.read_series(metric, Freq.DAY, group, complete_only=True)
    daily = daily[daily["ds"] <= pd.Timestamp(as_of)].reset_index(drop=True)
    start = pd.Timestamp(date(as_of.year, as_of.month, 1))
    observed = daily[daily["ds"] >= start]
    return None if observed.empty else RunningMonth(start, days, observed, daily)


def compare(
    history: pd.DataFrame,
    actuals: pd.DataFrame,
    as_of: date,
    *,
    freq: str,
    h: int | None,
    level: tuple[float, ...],
    model: str,
    seed: int,
    running: RunningMonth | None = None,
    how: str = "sum",
) -> AsOfForecast:
    """Forecast ``history`` and set each period beside ``actuals`` (long frames); a
    ``running`` month (the as-of date inside it) is nowcast from its days, rolled up ``how``."""

    def predict(frame: pd.DataFrame, steps: int | None) -> ForecastResult:
        return forecast(
            frame, h=steps, freq=freq, level=level, model=model, n_paths=AS_OF_PATHS, seed=seed
        )

    if running is None:
        result = predict(history, h)
    else:
        result = forecast_running(
            history, h, running, how, predict, levels=level, n_paths=AS_OF_PATHS, seed=seed
        )
    start = running.start if running is not None else None
    table = beside_actuals(result.forecast, actuals, start)
    return AsOfForecast(as_of, table, totals(result, table), result)


def beside_actuals(
    forecast_table: pd.DataFrame, actuals: pd.DataFrame, running: pd.Timestamp | None = None
) -> pd.DataFrame:
    """A forecast's rows (``FORECAST_COLUMNS``) with what happened: ``AS_OF_COLUMNS``;
    ``running`` is the month the forecast's date fell inside (partial)."""
    known = actuals.rename(columns={"y": "actual"})[["unique_id", "ds", "actual"]]
    table = forecast_table.merge(known, on=["unique_id", "ds"], how="left")
    table["error"] = table["forecast"] - table["actual"]
    table["error_pct"] = 100 * table["error"] / table["actual"].abs()
    inside = (table["actual"] >= table["lower"]) & (table["actual"] <= table["upper"])
    table["inside"] = inside.astype("boolean").mask(table["actual"].isna())
    table["partial"] = (table["ds"] == running) if running is not None else False
    return table[list(AS_OF_COLUMNS)]


def totals(result: ForecastResult, table: pd.DataFrame) -> pd.DataFrame:
    """Per series and level over the periods with actuals: ``TOTAL_COLUMNS``, the band of
    the total from the sample paths."""
    rows = []
    for (uid, level), part in table.groupby(["unique_id", "level"], sort=True):
        seen = part[part["actual"].notna()]
        if seen.empty:
            continue
        s = result.series[str(uid)]
        steps = np.flatnonzero(pd.DatetimeIndex(s.ds).isin(pd.DatetimeIndex(seen["ds"])))
        sums = s.paths[:, steps].sum(axis=1)
        tail = (100 - float(str(level))) / 200
        forecast_total, actual_total = float(seen["forecast"].sum()), float(seen["actual"].sum())
        error = forecast_total - actual_total
        rows.append(
            {
                "unique_id": uid,
                "level": level,
                "periods": len(seen),
                "forecast": forecast_total,
                "lower": float(np.quantile(sums, tail)),
                "upper": float(np.quantile(sums, 1 - tail)),
                "actual": actual_total,
                "error": error,
                "error_pct": 100 * error / abs(actual_total) if actual_total else np.nan,
                "inside": int(seen["inside"].astype(bool).sum()),
            }
        )
    return pd.DataFrame(rows, columns=list(TOTAL_COLUMNS))
