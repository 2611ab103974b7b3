"""What a forecast returns: values with bands, its backtest table, sample paths and excuses."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.interface import Excuse
from forecasting.models.base import FloatArray
from forecasting.models.intervals import aggregate_paths, path_bands
from forecasting.models.validation import Frequency

FORECAST_COLUMNS = ("unique_id", "ds", "forecast", "lower", "upper", "level", "model")
BACKTEST_COLUMNS = (
    "unique_id",
    "model",
    "selected",
    "horizon",
    "windows",
    "mase",
    "smape",
    "mape",
    "bias",
    "bias_pct",
    "level",
    "coverage",
)


@dataclass(frozen=True)
class SeriesForecast:
    """One series' forecast; arrays run over steps 1..h."""

    unique_id: str
    model: str
    """The model that produced it (``combo(ets+theta+arima)`` for a combination)."""
    ds: pd.DatetimeIndex
    """Period start of each step, continuing the series' own dates."""
    mean: FloatArray
    """Point forecast in the series' unit."""
    bands: dict[float, tuple[FloatArray, FloatArray]]
    """Level (percent) -> (lower, upper), calibrated on backtest errors where possible."""
    paths: FloatArray
    """Simulated futures, shape (n_paths, h); their spread matches the first level's band."""
    backtest: list[dict[str, object]] = field(default_factory=list)
    excuses: list[Excuse] = field(default_factory=list)


@dataclass(frozen=True)
class ForecastResult:
    """Forecasts of many series with their accuracy on rolling-origin backtests.

    ``forecast`` has one row per series, step and level: unique_id, ds, forecast, lower,
    upper, level, model. ``backtest`` has one row per series and model tried: MASE, sMAPE
    (0-200), MAPE and bias over the backtest windows, and the coverage (percent) of the
    calibrated band, each window scored with a calibration from the other windows.
    ``paths`` maps unique_id to an (n_paths, h) array. ``excuses`` say what was adjusted,
    skipped or could not be done, and why.
    """

    forecast: pd.DataFrame
    backtest: pd.DataFrame
    paths: dict[str, FloatArray]
    excuses: tuple[Excuse, ...]
    freq: Frequency
    levels: tuple[float, ...]
    series: dict[str, SeriesForecast] = field(default_factory=dict, repr=False)

    def wide(self) -> pd.DataFrame:
        """The internal convention: unique_id, ds, ``<model>``, ``<model>-lo-L``, ``<model>-hi-L``
        per series, with model the name that produced it."""
        frames = []
        for uid, s in self.series.items():
            out = pd.DataFrame({"unique_id": uid, "ds": s.ds, s.model: s.mean})
            for level, (lo, hi) in sorted(s.bands.items()):
                out[f"{s.model}-lo-{level:g}"] = lo
                out[f"{s.model}-hi-{level:g}"] = hi
            frames.append(out)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def aggregate(
        self,
        to: str,
        *,
        level: float | None = None,
        known: dict[str, dict[pd.Timestamp, float]] | None = None,
    ) -> pd.DataFrame:
        """Sum the sample paths into months, quarters or years and take bands from the sums.

        A quarter's 90th percentile is the percentile of the quarter's totals, not the sum
        of three monthly percentiles, so the band is narrower than the sum of monthly bands
        unless the months move in lockstep. ``known`` adds observed values of a period the
        forecast completes (per unique_id, ds -> value). Needs ``n_paths`` > 0.
        """
        level = self.levels[0] if level is None else level
        per_period = _steps_per(self.freq, to)
        rows = []
        for uid, s in self.series.items():
            if s.paths.shape[0] == 0:
                raise ValueError("aggregation needs sample paths: forecast with n_paths > 0")
            starts, sums = aggregate_paths(
                s.paths, s.ds, to, per_period=per_period, known=(known or {}).get(uid)
            )
            observed = (known or {}).get(uid, {})
            lower, upper = path_bands(sums, level) if sums.shape[1] else (np.empty(0), np.empty(0))
            means = _period_means(s, starts, to, observed)
            for i, start in enumerate(starts):
                rows.append((uid, start, means[i], lower[i], upper[i], level, s.model))
        return pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))


def _steps_per(freq: Frequency, to: str) -> int:
    table = {("month", "quarter"): 3, ("month", "year"): 12, ("quarter", "year"): 4}
    if freq.label == to:
        return 1
    if (freq.label, to) not in table:
        raise ValueError(f"cannot aggregate {freq.label} forecasts to {to}")
    return table[(freq.label, to)]


def _period_means(
    s: SeriesForecast, starts: pd.DatetimeIndex, to: str, observed: dict[pd.Timestamp, float]
) -> list[float]:
    from forecasting.models.intervals import period_start

    step_period = period_start(s.ds, to)
    known_period = period_start(pd.DatetimeIndex(list(observed)), to) if observed else None
    out = []
    for start in starts:
        total = float(s.mean[step_period == start].sum())
        if known_period is not None:
            total += float(np.asarray(list(observed.values()))[known_period == start].sum())
        out.append(total)
    return out
