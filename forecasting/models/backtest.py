"""Rolling-origin backtests: refit each model at a few past origins and score its forecasts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forecasting.models import metrics
from forecasting.models.base import FloatArray, Forecaster, ModelFailure

# Three origins keep a full automatic forecast interactive (each origin refits every
# candidate) while giving 3 x h errors per model to select and calibrate on.
MAX_WINDOWS = 3


@dataclass(frozen=True)
class WindowPlan:
    """Where the backtest cuts the history: train on y[:origin], score the next ``horizon``."""

    horizon: int
    """Steps scored per window: the forecast's own horizon when the history allows it."""
    origins: tuple[int, ...]
    """Training lengths, oldest first."""


def min_train_length(m: int) -> int:
    """Shortest training window: two seasonal cycles (so seasonal models still fit), or 8."""
    return max(2 * m, 8) if m <= 24 else max(m + 8, 8)


def plan_windows(n: int, h: int, m: int, max_windows: int = MAX_WINDOWS) -> WindowPlan | None:
    """Origins for a rolling-origin backtest at horizon ``h``, or None when history is too short.

    Windows step back by a third of the horizon (at least one period), so with a long
    history the three windows cover different seasons; with a short one the horizon shrinks
    to what the history can score rather than training on less than two cycles.
    """
    for shortest in (min_train_length(m), max(m + 2, 5), 5):
        room = n - shortest
        if room >= 1:
            break
    else:
        return None
    horizon = min(h, room)
    step = max(1, horizon // max_windows)
    windows = min(max_windows, 1 + (room - horizon) // step)
    origins = tuple(n - horizon - k * step for k in reversed(range(windows)))
    return WindowPlan(horizon=horizon, origins=origins)


@dataclass
class ModelBacktest:
    """One model's backtest forecasts: arrays of shape (windows, horizon)."""

    model: str
    mean: FloatArray
    sd: FloatArray
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and bool(np.isfinite(self.mean).all())


@dataclass
class Backtest:
    """Actuals, training scales and each model's forecasts over the same windows."""

    plan: WindowPlan
    actual: FloatArray
    scale: FloatArray
    """MASE denominator of each window's training data (NaN when it has no variation)."""
    models: dict[str, ModelBacktest]


def run_backtest(
    y: FloatArray, fitted: dict[str, Forecaster], plan: WindowPlan, m: int
) -> Backtest:
    """Refit every fitted model (same specification) at each origin and forecast the window."""
    w, hb = len(plan.origins), plan.horizon
    actual = np.vstack([y[o : o + hb] for o in plan.origins])
    scale = np.array([metrics.mase_scale(y[:o], m) for o in plan.origins])
    out: dict[str, ModelBacktest] = {}
    for name, model in fitted.items():
        rec = ModelBacktest(name, np.full((w, hb), np.nan), np.full((w, hb), np.nan))
        for i, origin in enumerate(plan.origins):
            try:
                point = model.refit(y[:origin]).forecast(hb)
            except (ModelFailure, ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
                rec.failures.append(f"window {i + 1}: {exc}")
                continue
            rec.mean[i], rec.sd[i] = point.mean, point.sd
        out[name] = rec
    return Backtest(plan=plan, actual=actual, scale=scale, models=out)


def combine(
    backtest: Backtest, members: list[str], name: str, how: str = "median"
) -> ModelBacktest:
    """The backtest of a combination: per window, the median (or mean) of members' forecasts."""
    means = np.stack([backtest.models[k].mean for k in members])
    sds = np.stack([backtest.models[k].sd for k in members])
    mean = np.median(means, axis=0) if how == "median" else np.mean(means, axis=0)
    # Members' errors are highly correlated, so the combined spread is close to their mean.
    return ModelBacktest(name, mean, np.mean(sds, axis=0))


def window_mase(backtest: Backtest, rec: ModelBacktest) -> FloatArray:
    """MASE per window (NaN where the window's training data had no variation)."""
    mae = np.mean(np.abs(backtest.actual - rec.mean), axis=1)
    return np.asarray(mae / backtest.scale, dtype=float)


def score(backtest: Backtest, rec: ModelBacktest) -> float:
    """What selection minimises: mean MASE over windows, or relative MAE when MASE is undefined."""
    per_window = window_mase(backtest, rec)
    if np.isfinite(per_window).any():
        return float(np.nanmean(per_window))
    level = float(np.mean(np.abs(backtest.actual))) or 1.0
    return float(np.mean(np.abs(backtest.actual - rec.mean)) / level)
