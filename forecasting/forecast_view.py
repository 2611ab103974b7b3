"""The Forecast page's numbers: a stored series' forecast, its backtests and its quarters."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecasting.interface import COST_METRIC, Excuse
from forecasting.models.api import forecast
from forecasting.models.service import forecast_store
from forecasting.store import Store

# Where the page's series choices point: (metric, cost split).
SERIES_CHOICES: dict[str, tuple[str, str | None]] = {
    "Users": ("users", None),
    "Requests/s (average)": ("requests_per_second", None),
    "Requests/s (peak)": ("requests_per_second_peak", None),
    "Cost, total": (COST_METRIC, None),
    "Cost by cost group": (COST_METRIC, "group"),
    "Cost by FOCUS category": (COST_METRIC, "category"),
    "Cost by service": (COST_METRIC, "service"),
}
# Rolling-origin windows drawn on the chart: what the automatic pipeline said back then.
FIT_WINDOWS = 3


@dataclass(frozen=True)
class ForecastView:
    """A monthly forecast of one stored series (or one per group) and how good it has been.

    ``table`` has unique_id, ds, forecast, lower, upper, level, model per month; ``quarters``
    the same per quarter, bands from summed monthly sample paths (for cost a quarter is also
    shown per month, as the capacity plan budgets it); ``backtest`` the accuracy of the chosen
    and the competing models at this horizon; ``fits`` the automatic forecasts made at
    earlier origins (``unique_id, origin, ds, fit``) for the series on the chart.
    """

    metric: str
    unit: str
    level: float
    history: pd.DataFrame
    table: pd.DataFrame
    quarters: pd.DataFrame
    backtest: pd.DataFrame
    fits: pd.DataFrame
    excuses: tuple[str, ...]


def build_forecast_view(
    store: Store,
    choice: str,
    *,
    horizon: int = 12,
    level: float = 80.0,
    model: str = "auto",
) -> ForecastView | Excuse:
    """Forecast the chosen series ``horizon`` months ahead from its complete months."""
    metric, by = SERIES_CHOICES[choice]
    if metric != COST_METRIC and metric not in store.stored_metrics():
        return Excuse(f"no {metric} stored: ingest it with `capcost ingest metrics FILE`")
    monthly = forecast_store(
        store, metric, freq="month", by=by, h=horizon, level=(level,), model=model
    )
    quarters = forecast_store(
        store,
        metric,
        freq="quarter",
        by=by,
        h=max(1, -(-horizon // 3)),
        level=(level,),
        model=model,
    )
    table = quarters.table
    if metric == COST_METRIC:
        table = table.assign(
            **{f"{c}_per_month": table[c] / 3 for c in ("forecast", "lower", "upper")}
        )
    main = _largest(monthly.history)
    return ForecastView(
        metric=metric,
        unit=monthly.unit,
        level=level,
        history=monthly.history,
        table=monthly.table,
        quarters=table,
        backtest=monthly.result.backtest,
        fits=backtest_fits(monthly.history[monthly.history["unique_id"] == main], horizon, model),
        excuses=tuple(e.reason for e in monthly.result.excuses),
    )


def _largest(history: pd.DataFrame) -> str:
    return str(history.groupby("unique_id")["y"].sum().idxmax())


def backtest_fits(history: pd.DataFrame, horizon: int, model: str) -> pd.DataFrame:
    """Forecasts the same pipeline made from earlier origins, for drawing beside the actuals.

    Origins step back one horizon-third from the end, as the engine's own backtest does.
    """
    n = len(history)
    h = min(horizon, max(1, n // 3))
    step = max(1, h // FIT_WINDOWS)
    frames = []
    for k in range(FIT_WINDOWS, 0, -1):
        origin = n - h - (k - 1) * step
        if origin < 8:
            continue
        past = history.iloc[:origin]
        result = forecast(past, h=h, freq="month", level=(80.0,), model=model)
        fit = result.forecast[["unique_id", "ds", "forecast"]].rename(columns={"forecast": "fit"})
        frames.append(fit.assign(origin=pd.Timestamp(past["ds"].max())))
    if not frames:
        return pd.DataFrame(columns=["unique_id", "origin", "ds", "fit"])
    return pd.concat(frames, ignore_index=True)[["unique_id", "origin", "ds", "fit"]]
