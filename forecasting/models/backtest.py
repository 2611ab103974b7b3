"""Rolling-origin backtests: a forecast from every recent period, errors kept per horizon step."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from forecasting.models import metrics
from forecasting.models.base import FloatArray, Forecaster, ModelFailure, PointForecast
from forecasting.models.intervals import drift_per_step

# Origins every period over the most recent stretch: this many, or a backtest horizon if
# more. With 36 months that is every month from the 24th; each origin scores the steps
# the history still holds, so step 1 has the most errors and the last the fewest.
MIN_ORIGINS = 24
# Models are fitted afresh at the first origin and moved forward (same estimates, new
# data) to the later ones, re-estimated every this many origins: ARIMA and ETS estimates
# move little from one month to the next, and re-estimating at every origin tripled the
# time of a forecast.
REESTIMATE_EVERY = 24
# Bands live on the log scale only for a positive series whose values stay within this
# ratio of each other: past it the log of the smallest value is noise, not a level.
MAX_LOG_RANGE = 1e8


def log_scale(y: FloatArray) -> tuple[bool, float]:
    """Whether this history's bands live on the log scale, and the least mean taken there.

    A level model's forecast at or below zero for a positive series (a falling trend run
    on) is read as a thousandth of the smallest value seen: an error, scored as such.
    """
    low = float(np.min(y))
    ok = bool(low > 0 and float(np.max(y)) < MAX_LOG_RANGE * low)
    return ok, (1e-3 * low if ok else 0.0)


@dataclass(frozen=True)
class WindowPlan:
    """Where the backtest cuts the history: train on y[:origin], score the next steps."""

    horizon: int
    """Steps scored from each origin at most: one seasonal cycle (8 periods without one),
    whatever horizon was asked for, so the choice of model does not depend on it."""
    origins: tuple[int, ...]
    """Training lengths, oldest first, one period apart (but for an origin the engine does
    not score, ``engine.origin_histories``)."""


def min_train_length(m: int) -> int:
    """Shortest training window: two seasonal cycles (so seasonal models still fit), or 8."""
    return max(2 * m, 8) if m <= 24 else max(m + 8, 8)


def backtest_horizon(m: int) -> int:
    """Steps every backtest scores: two seasonal cycles up to a year of months (8 quarters,
    24 months, 14 days), one longer cycle (24 hours, 52 weeks), or 8 periods without one.

    Fixed by the frequency so that no ``--horizon`` changes the model or its calibration;
    long enough that the usual horizons (a year of months, two of quarters) are calibrated
    on errors at those steps rather than extrapolated from shorter ones.
    """
    if m <= 1:
        return 8
    return 2 * m if m <= 12 else m


def plan_windows(n: int, m: int) -> WindowPlan | None:
    """Origins every period for a rolling-origin backtest, or None when history is too short.

    Training never falls below two seasonal cycles when the history holds a seasonal model
    at all, nor below 60% of the history: models fitted on a third of it (8 points of a
    young product's slow start) say little about the model fitted on all of it, and their
    errors would decide the choice. The horizon shrinks to what the history can score.
    """
    seasonal = m > 1 and n >= min_train_length(m) + 2
    first = max(min_train_length(m) if seasonal else min_train_length(1), math.ceil(0.6 * n))
    for shortest in (first, 5):
        room = n - shortest
        if room >= 1:
            break
    else:
        return None
    horizon = min(backtest_horizon(m), room)
    count = min(room, max(MIN_ORIGINS, horizon))
    return WindowPlan(horizon=horizon, origins=tuple(range(n - count, n)))


@dataclass
class ModelBacktest:
    """One model's backtest forecasts: arrays of shape (origins, horizon), NaN past the data.

    ``centre`` and ``spread`` are the forecast's median and spread on the scale bands are
    calibrated on (log y for positive series, y otherwise).
    """

    model: str
    mean: FloatArray
    centre: FloatArray
    spread: FloatArray
    failures: list[str] = field(default_factory=list)
    members: tuple[str, ...] = ()
    """The models a combination is the median of (empty for a single model)."""

    @property
    def ok(self) -> bool:
        scored = ~np.isnan(self.mean[:, 0])
        return not self.failures and bool(scored.any()) and bool(np.isfinite(self.spread).any())


@dataclass
class Backtest:
    """Actuals, training scales and each model's forecasts over the same origins."""

    plan: WindowPlan
    actual: FloatArray
    """Actuals per origin and step, NaN past the end of the history."""
    scale: FloatArray
    """MASE denominator of each origin's training data (NaN when it has no variation)."""
    models: dict[str, ModelBacktest]
    log: bool
    """Whether bands live on the log scale (a strictly positive series)."""
    season: int | None = None
    """The history's season length (which population prior its bands shrink toward)."""
    drift: float = 0.0
    """How far the history moves per step on the scale bands are calibrated on."""

    def working(self, values: FloatArray) -> FloatArray:
        """Values on the scale bands are calibrated on; on the log scale a value at or below
        zero (a credit set aside from the history the models fit, scored as it happened)
        is -inf: below every band, and no error a band can be calibrated on."""
        if not self.log:
            return values
        with np.errstate(divide="ignore", invalid="ignore"):
            logged = np.log(values)
        out: FloatArray = np.where(values <= 0, -np.inf, logged)
        return out

    @cached_property
    def working_actual(self) -> FloatArray:
        """The actuals on the calibration scale (every calibration of every model reads
        them: taken once)."""
        return self.working(self.actual)

    @property
    def errors(self) -> int:
        """How many (origin, step) errors each model is scored on."""
        return int(np.isfinite(self.actual).sum())


def working_scale(point: PointForecast, log: bool, floor: float) -> tuple[FloatArray, FloatArray]:
    """(centre, spread) of a forecast on the scale bands are calibrated on."""
    if log:
        return point.on_log_scale(floor)
    return point.mean, point.sd


def run_backtest(
    y: FloatArray,
    fitted: dict[str, Forecaster],
    plan: WindowPlan,
    m: int,
    scored: FloatArray | None = None,
    histories: Sequence[FloatArray] | None = None,
) -> Backtest:
    """Forecast from every origin with every fitted model (same specification), trained on
    ``histories`` (one per origin, default ``y[:origin]``) and scored against ``scored``
    (default ``y``): what happened, where the models were fitted on a history with its
    one-offs set aside. ``y`` (the history the forecast is fitted on) says whether bands
    live on the log scale and how far the history moves per step."""
    w, hb = len(plan.origins), plan.horizon
    n = len(y)
    truth = y if scored is None else np.asarray(scored, dtype=float)
    if len(truth) != n:
        raise ValueError(f"scored: {len(truth)} values for a history of {n}")
    trains = [y[:o] for o in plan.origins] if histories is None else list(histories)
    if [len(t) for t in trains] != list(plan.origins):
        raise ValueError("histories: one per origin, each as long as its origin")
    actual = np.full((w, hb), np.nan)
    for i, o in enumerate(plan.origins):
        actual[i, : min(hb, n - o)] = truth[o : o + hb]
    scale = np.array([metrics.mase_scale(t, m) for t in trains])
    log, floor = log_scale(y)
    out = {
        name: _model_backtest(name, model, trains, n, plan, log, floor)
        for name, model in fitted.items()
    }
    drift = drift_per_step(np.log(y) if log else y, m)
    return Backtest(
        plan=plan, actual=actual, scale=scale, models=out, log=log, season=m, drift=drift
    )


def _model_backtest(
    name: str,
    model: Forecaster,
    trains: list[FloatArray],
    n: int,
    plan: WindowPlan,
    log: bool,
    floor: float,
) -> ModelBacktest:
    w, hb = len(plan.origins), plan.horizon
    empty = np.full((w, hb), np.nan)
    rec = ModelBacktest(name, empty.copy(), empty.copy(), empty.copy())
    anchor: Forecaster | None = None
    for i, (origin, train) in enumerate(zip(plan.origins, trains, strict=True)):
        try:
            if anchor is None or i % REESTIMATE_EVERY == 0:
                anchor = current = model.refit(train)
            else:
                current = anchor.forward(train)
            point = current.forecast(min(hb, n - origin))
        except (ModelFailure, ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            rec.failures.append(f"origin {origin}: {exc}")
            continue
        k = len(point.mean)
        rec.mean[i, :k] = point.mean
        rec.centre[i, :k], rec.spread[i, :k] = working_scale(point, log, floor)
    return rec


def combine(backtest: Backtest, members: list[str], name: str) -> ModelBacktest:
    """The backtest of the median of ``members``: exactly the combination that is forecast."""
    stack = [backtest.models[k] for k in members]
    return ModelBacktest(
        name,
        np.median(np.stack([r.mean for r in stack]), axis=0),
        np.median(np.stack([r.centre for r in stack]), axis=0),
        # The median spread, like the median forecast, ignores one member that diverges.
        np.median(np.stack([r.spread for r in stack]), axis=0),
        members=tuple(members),
    )


def calibration_errors(
    backtest: Backtest, rec: ModelBacktest, rows: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(actual, centre, spread) on the calibration scale that ``rec``'s band is set from:
    its own backtest, a combination's included (the median of exactly its members)."""
    pick = slice(None) if rows is None else rows.astype(int)
    return backtest.working_actual[pick], rec.centre[pick], rec.spread[pick]


def step_mase(backtest: Backtest, rec: ModelBacktest) -> FloatArray:
    """Mean absolute scaled error per horizon step over the origins that reach it."""
    scaled = np.abs(backtest.actual - rec.mean) / backtest.scale[:, None]
    with _quiet():
        return np.asarray(np.nanmean(scaled, axis=0), dtype=float)


def score(backtest: Backtest, rec: ModelBacktest) -> float:
    """What selection minimises: MASE averaged over steps (each step weighs the same, so the
    many one-step errors do not decide a twelve-month forecast), or relative MAE when MASE
    is undefined (a flat training window)."""
    per_step = step_mase(backtest, rec)
    if np.isfinite(per_step).any():
        return float(np.nanmean(per_step))
    a = backtest.actual
    keep = np.isfinite(a)
    level = float(np.mean(np.abs(a[keep]))) or 1.0
    with _quiet():
        per = np.nanmean(np.abs(a - rec.mean), axis=0)
    return float(np.nanmean(per) / level)


def keep_within(backtest: Backtest, names: list[str], factor: float) -> list[str]:
    """The models whose backtest score is within ``factor`` of the best one's."""
    scores = {k: score(backtest, backtest.models[k]) for k in names}
    best = min(scores.values())
    return [k for k in names if scores[k] <= factor * best]


@contextmanager
def _quiet() -> Iterator[None]:
    # A step no origin reaches gives "mean of empty slice": that NaN is the answer.
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
