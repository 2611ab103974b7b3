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


def keep_within(
    backtest: Backtest, names: list[str], factor: float, windows: list[int] | None = None
) -> list[str]:
    """The models whose backtest score (on ``windows``, default all) is within ``factor``
    of the best one's."""
    scores = {k: score(backtest, backtest.models[k], windows) for k in names}
    best = min(scores.values())
    return [k for k in names if scores[k] <= factor * best]


def combine(backtest: Backtest, names: list[str], factor: float, name: str) -> ModelBacktest:
    """The backtest of "the median of the models within ``factor`` of the best".

    Each window's members are chosen on the other windows only: choosing them on the
    window itself would keep the models that happened to do well there and flatter the
    combination's errors (and so narrow its calibrated band).
    """
    w = len(backtest.plan.origins)
    mean = np.empty_like(backtest.actual)
    sd = np.empty_like(backtest.actual)
    for i in range(w):
        others = [j for j in range(w) if j != i]
        members = keep_within(backtest, names, factor, others) if others else names
        mean[i] = np.median(np.stack([backtest.models[k].mean[i] for k in members]), axis=0)
        # The median spread, like the median forecast, ignores one member that diverges.
        sd[i] = np.median(np.stack([backtest.models[k].sd[i] for k in members]), axis=0)
    return ModelBacktest(name, mean, sd)


def window_mase(backtest: Backtest, rec: ModelBacktest) -> FloatArray:
    """MASE per window (NaN where the window's training data had no variation)."""
    mae = np.mean(np.abs(backtest.actual - rec.mean), axis=1)
    return np.asarray(mae / backtest.scale, dtype=float)


def score(backtest: Backtest, rec: ModelBacktest, windows: list[int] | None = None) -> float:
    """What selection minimises: mean MASE over windows, or relative MAE when MASE is undefined."""
    rows = list(range(len(backtest.plan.origins))) if windows is None else windows
    per_window = window_mase(backtest, rec)[rows]
    if np.isfinite(per_window).any():
        return float(np.nanmean(per_window))
    actual = backtest.actual[rows]
    level = float(np.mean(np.abs(actual))) or 1.0
    return float(np.mean(np.abs(actual - rec.mean[rows])) / level)
