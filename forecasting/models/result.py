"""What a forecast returns: values with bands, its backtest table, sample paths and excuses."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.interface import BACKTEST_COLUMNS, Excuse
from forecasting.models.base import FloatArray
from forecasting.models.intervals import aggregate_paths, path_bands
from forecasting.models.validation import Frequency

__all__ = ["BACKTEST_COLUMNS", "FORECAST_COLUMNS", "ForecastResult", "SeriesForecast"]

FORECAST_COLUMNS = ("unique_id", "ds", "forecast", "lower", "upper", "level", "model")


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
    """Simulated futures, shape (n_paths, h). At every step their central L% band is the
    calibrated L% band, for any L; across steps they are correlated as the backtest errors
    were (a path that starts low stays low). Deterministic for the seed, and the first k
    steps do not depend on h."""
    backtest: list[dict[str, object]] = field(default_factory=list)
    excuses: list[Excuse] = field(default_factory=list)
    candidates: dict[str, tuple[FloatArray, FloatArray, FloatArray]] = field(default_factory=dict)
    """Every model tried, as if it had been named alone: (forecast, lower, upper) at the
    first level, its band calibrated on its own backtest."""
    own_bands: dict[float, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    """Level -> (lower, upper) as the series' own backtest errors alone set them, without
    the population prior (``bands`` widen these toward it, never narrow them): what a page
    shows to say how much of a band is the series' evidence and how much the prior's.
    Empty where not made (a scenario's or the demand chain's band)."""


@dataclass(frozen=True)
class ForecastResult:
    """Forecasts of many series with their accuracy on rolling-origin backtests.

    ``forecast`` has one row per series, step and level: unique_id, ds, forecast, lower,
    upper, level, model. ``backtest`` has one row per series and model tried (and the
    combination used): how many origins (``windows``) and (origin, step) ``errors`` stand
    behind it, MASE (averaged over steps), sMAPE (0-200), MAPE and bias over those errors,
    and the coverage (percent) of the calibrated band at the level nearest 80, each block of
    origins scored with a calibration from the others (``coverage_no_prior``: the same
    without the population prior). ``paths`` maps unique_id to an
    (n_paths, h) array of simulated futures (the demand chain, scenarios and runway read
    these). ``excuses`` say what was adjusted, skipped or could not be done, and why.
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

    def candidates(self) -> pd.DataFrame:
        """Every model tried per series (unique_id, ds, forecast, lower, upper, level, model)."""
        frames = [
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": s.ds,
                    "forecast": f,
                    "lower": lo,
                    "upper": hi,
                    "level": self.levels[0],
                    "model": name,
                }
            )
            for uid, s in self.series.items()
            for name, (f, lo, hi) in s.candidates.items()
        ]
        return (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=FORECAST_COLUMNS)
        )

    def aggregate(
        self,
        to: str,
        *,
        level: float | None = None,
        known: dict[str, dict[pd.Timestamp, float]] | None = None,
        how: str = "sum",
    ) -> pd.DataFrame:
        """Roll the sample paths up into months, quarters or years; bands from the roll-ups.

        A quarter's 90th percentile is the percentile of the quarter's totals, not the sum
        of three monthly percentiles, so the band is narrower than the sum of monthly bands
        unless the months move in lockstep. ``how`` is sum (spend), mean (users), max or
        last; ``known`` adds observed values of a period the forecast completes (per
        unique_id, ds -> value). The point is the roll-up of the point forecasts (exact for
        sum and mean: a quarter always equals its months), else (max, last) the median of
        the rolled-up paths, as every point of paths is. Needs ``n_paths`` > 0.
        """
        level = self.levels[0] if level is None else level
        per_period = _steps_per(self.freq, to)
        rows = []
        for uid, s in self.series.items():
            if len(s.mean) == 0:
                continue  # too short to forecast: its excuse says so
            if s.paths.shape[0] == 0:
                raise ValueError("aggregation needs sample paths: forecast with n_paths > 0")
            observed = (known or {}).get(uid, {})
            starts, rolled = aggregate_paths(
                s.paths, s.ds, to, per_period=per_period, known=observed, how=how
            )
            if not len(starts):
                continue
            lower, upper = path_bands(rolled, level)
            if how in ("sum", "mean"):
                points = aggregate_paths(
                    s.mean[None, :], s.ds, to, per_period=per_period, known=observed, how=how
                )[1][0]
            else:
                points = np.median(rolled, axis=0)
            for i, start in enumerate(starts):
                rows.append((uid, start, points[i], lower[i], upper[i], level, s.model))
        return pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))


def _steps_per(freq: Frequency, to: str) -> int:
    table = {("month", "quarter"): 3, ("month", "year"): 12, ("quarter", "year"): 4}
    if freq.label == to:
        return 1
    if (freq.label, to) not in table:
        raise ValueError(f"cannot aggregate {freq.label} forecasts to {to}")
    return table[(freq.label, to)]
