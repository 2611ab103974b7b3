"""Forecasts of stored series and of CSV files, as the CLI and the app ask for them."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import COST_METRIC, STORED_FREQS, Freq, GroupBy
from forecasting.models.api import forecast
from forecasting.models.nowcast import forecast_running, running_month
from forecasting.models.registry import AUTO
from forecasting.models.result import FORECAST_COLUMNS, ForecastResult
from forecasting.periods import complete_column

if TYPE_CHECKING:
    from forecasting.store import Store

# Quarterly bands come from summed monthly paths; this many keep the Monte Carlo error of an
# 80% band around 1% of its width.
QUARTER_PATHS = 4000
MONTHS_PER_QUARTER = 3


@dataclass(frozen=True)
class StoreForecast:
    """A stored series' forecast at the frequency asked for, with what it was built on."""

    metric: str
    unit: str
    freq: str
    """``day``, ``month`` or ``quarter`` (quarters are summed from monthly sample paths)."""
    table: pd.DataFrame
    """unique_id, ds, forecast, lower, upper, level, model."""
    result: ForecastResult
    """The underlying forecast (monthly when ``freq`` is quarter)."""
    history: pd.DataFrame
    """The complete periods it was fitted on (long format)."""
    assumptions: dict[str, Any] = field(default_factory=dict)


def read_input(path: str) -> pd.DataFrame:
    """A CSV with ``ds,y`` or ``unique_id,ds,y`` (``-`` reads stdin) as a long frame."""
    source = "stdin" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=source) from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a CSV file: {exc}", file=source) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if "unique_id" not in frame.columns and {"ds", "y"} <= set(frame.columns):
        frame.insert(0, "unique_id", Path(source).stem if path != "-" else "series")
    missing = [c for c in ("ds", "y") if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}: expected a header ds,y or unique_id,ds,y "
            f"(found {', '.join(frame.columns) or 'none'})",
            file=source,
        )
    return frame[["unique_id", "ds", "y"]]


def forecast_store(
    store: Store,
    metric: str,
    *,
    freq: Freq | str = Freq.MONTH,
    by: str | None = None,
    h: int | None = None,
    level: Sequence[float] = (80.0,),
    model: str = AUTO,
    n_paths: int = 0,
    seed: int = 0,
) -> StoreForecast:
    """Forecast a stored series from its complete periods.

    Quarters are forecast month by month and summed path by path, so a quarter's band is
    the band of the quarter's total, not the sum of three monthly bands. A month the data
    stops inside is nowcast: its observed days plus a daily forecast of the rest.
    """
    if freq not in STORED_FREQS:
        raise InputError(
            f"unknown frequency {freq!r}; use {', '.join(STORED_FREQS)}", parameter="--freq"
        )
    freq = Freq(freq)
    group = GroupBy(by) if by else None
    base = Freq.MONTH if freq is Freq.QUARTER else freq
    history, unit = store.read_series(metric, base, group, complete_only=True)
    if history.empty:
        raise InputError(f"no complete {base.value} of {metric} stored yet", parameter="metric")
    assumptions = {
        "metric": metric,
        "freq": freq,
        "by": by,
        "model": model,
        "history_through": f"{history['ds'].max():%Y-%m-%d}",
    }
    running = running_month(store, metric, group) if freq is not Freq.DAY else None
    levels = tuple(float(v) for v in level)

    def predict(frame: pd.DataFrame, steps: int | None, paths: int = n_paths) -> ForecastResult:
        return forecast(
            frame, h=steps, freq=base.value, level=levels, model=model, n_paths=paths, seed=seed
        )

    if freq is not Freq.QUARTER:
        if running is None:
            result = predict(history, h)
        else:
            how = rollup(store, metric)
            result = forecast_running(
                history, h, running, how, predict, levels=levels, n_paths=n_paths, seed=seed
            )
        table = with_complete(result.forecast, freq, store.last_full_day(metric))
        return StoreForecast(metric, unit, freq, table, result, history, assumptions)
    quarters = 4 if h is None else h
    months, known = quarter_span(history, quarters)
    paths = max(n_paths, QUARTER_PATHS)
    if running is None:
        result = predict(history, months, paths)
    else:
        result = forecast_running(
            history,
            months,
            running,
            rollup(store, metric),
            lambda frame, steps: predict(frame, steps, paths),
            levels=levels,
            n_paths=paths,
            seed=seed,
        )
    table = quarterly(result, known, level, how=rollup(store, metric))
    table = with_complete(table, freq, store.last_full_day(metric))
    return StoreForecast(metric, unit, freq, table, result, history, assumptions)


def with_complete(table: pd.DataFrame, freq: str, last_full: date | None) -> pd.DataFrame:
    """The table with ``complete``: False for each period the data has not covered to its end
    (a forecast's running quarter holds known months beside forecast ones)."""
    return table.assign(complete=complete_column(table["ds"], freq, last_full))


def quarter_span(
    history: pd.DataFrame, quarters: int
) -> tuple[int, dict[str, dict[pd.Timestamp, float]]]:
    """Months to forecast to finish ``quarters`` quarters, and the observed months of the
    quarter in progress (per series), which its total includes."""
    if quarters < 1:
        raise InputError("horizon must be at least 1 quarter", parameter="--horizon")
    first = pd.Timestamp(history["ds"].max()) + pd.offsets.MonthBegin(1)
    start = pd.Period(first, freq="Q").start_time
    months = (quarters * MONTHS_PER_QUARTER) - (first.month - start.month)
    observed = history[history["ds"] >= start]
    known = {
        str(uid): dict(zip(pd.DatetimeIndex(part["ds"]), part["y"].astype(float), strict=True))
        for uid, part in observed.groupby("unique_id")
    }
    return months, known


def rollup(store: Store, metric: str) -> str:
    """How a stored series rolls up into quarters: spend sums, a metric by its aggregation."""
    return "sum" if metric == COST_METRIC else store.metric(metric).aggregation.value


def quarterly(
    result: ForecastResult,
    known: dict[str, dict[pd.Timestamp, float]],
    level: Sequence[float],
    how: str = "sum",
) -> pd.DataFrame:
    """Quarters rolled up from monthly paths (sum, mean, max or last), for every level."""
    frames = []
    for lv in level:
        table = result.aggregate("quarter", level=float(lv), known=known, how=how)
        frames.append(_capped(table, result, float(lv), how) if how in ("sum", "mean") else table)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FORECAST_COLUMNS)
    return out.sort_values(["unique_id", "level", "ds"], kind="stable").reset_index(drop=True)


def _capped(table: pd.DataFrame, result: ForecastResult, level: float, how: str) -> pd.DataFrame:
    """Limit each quarter's half-widths to the sum (mean) of its months' half-widths.

    For jointly normal months the quantile of a sum can never exceed the sum of the
    quantiles; the paths can only overshoot it by Monte Carlo noise, which this removes.
    """
    monthly = result.forecast[result.forecast["level"] == level].copy()
    monthly["quarter"] = monthly["ds"].dt.to_period("Q").dt.start_time
    monthly["up"] = monthly["upper"] - monthly["forecast"]
    monthly["down"] = monthly["forecast"] - monthly["lower"]
    sums = monthly.groupby(["unique_id", "quarter"])[["up", "down"]].sum()
    if how == "mean":
        sums = sums / MONTHS_PER_QUARTER
    out = table.copy()
    for i, row in out.iterrows():
        key = (row["unique_id"], row["ds"])
        if key in sums.index:
            up, down = sums.loc[key, "up"], sums.loc[key, "down"]
            out.loc[i, "upper"] = min(row["upper"], row["forecast"] + up)
            out.loc[i, "lower"] = max(row["lower"], row["forecast"] - down)
    return out


# What a plan of record keeps of the backtest of the models it froze.
FROZEN_BACKTEST = (
    "unique_id",
    "model",
    "horizon",
    "windows",
    "errors",
    "mase",
    "smape",
    "level",
    "coverage",
    "coverage_no_prior",
)


def freeze(
    store: Store, name: str, fc: StoreForecast, level: float, extra: dict[str, Any] | None = None
) -> int:
    """Store a forecast as a plan of record with its assumptions; returns the plan id."""
    values = fc.table[fc.table["level"] == level]
    if values.empty:
        raise InputError("nothing to freeze: the forecast has no rows", parameter="--freeze")
    selected = fc.result.backtest[fc.result.backtest["selected"]]
    # The scores the page and `capcost backtest` show beside the forecast, with the evidence
    # behind them; a figure the backtest lacks (NULL) is kept as null, not as NaN text.
    kept = [c for c in FROZEN_BACKTEST if c in selected.columns]
    accuracy = selected[kept].round(4).astype(object)
    accuracy = accuracy.where(accuracy.notna(), None)
    assumptions = {
        **fc.assumptions,
        **(extra or {}),
        "level": level,
        "backtest": accuracy.to_dict(orient="records"),
    }
    return store.freeze_plan(
        name=name,
        metric=fc.metric,
        freq=fc.freq,
        unit=fc.unit,
        as_of=pd.Timestamp(values["ds"].min()).date(),
        model=",".join(sorted(set(values["model"]))),
        values=values[["unique_id", "ds", "forecast", "lower", "upper"]],
        level=int(level) if float(level).is_integer() else None,
        assumptions=assumptions,
    )


def cli_table(frame: pd.DataFrame, digits: int = 6) -> pd.DataFrame:
    """Round floats for output and write ``ds`` as a date, or a timestamp below a day."""
    out = frame.copy()
    if "ds" in out.columns:
        ds = pd.to_datetime(out["ds"])
        has_time = bool((ds != ds.dt.normalize()).any())
        out["ds"] = ds.dt.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d")
    floats = out.select_dtypes(include=[np.floating]).columns
    out[floats] = out[floats].round(digits) + 0.0  # no "-0.0" in a spreadsheet
    return out
