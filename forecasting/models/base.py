"""The forecaster protocol, the shared base class, and sample paths from step-ahead spreads."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import ClassVar, Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]


class ModelFailure(Exception):
    """A model could not fit or forecast this series; the engine falls back and says why."""


def z_value(level: float) -> float:
    """Two-sided standard normal quantile for a central interval of ``level`` percent."""
    return NormalDist().inv_cdf(0.5 + level / 200.0)


@dataclass(frozen=True)
class PointForecast:
    """A model's forecast for steps 1..h: the mean and the spread of its error.

    Models fitted on the log scale also carry that scale's median and spread: their error
    is normal there, so their bands are ``exp(log_median +- z * log_sd)``, asymmetric and
    never below zero, and ``mean`` is the bias-adjusted ``exp(log_median + log_sd**2 / 2)``.
    """

    mean: FloatArray
    """Expected value per step, in the series' unit."""
    sd: FloatArray
    """Standard deviation of the k-step-ahead error per step, as the model sees it (>= 0)."""
    log_median: FloatArray | None = None
    """Log of the median per step (log-scale models only)."""
    log_sd: FloatArray | None = None
    """Standard deviation of the k-step error of log(y) (log-scale models only)."""

    def on_log_scale(self, floor: float) -> tuple[FloatArray, FloatArray]:
        """Median and spread of log(y): the model's own, or a lognormal with this mean and sd.

        Level-scale models of a positive series are read as lognormal with their own mean
        and sd (moment matching), so every candidate's band lives on one scale and can be
        calibrated, combined and compared there. ``floor`` keeps a mean at or below zero
        (a falling trend run past zero) from taking the log of nothing.
        """
        if self.log_median is not None and self.log_sd is not None:
            return self.log_median, self.log_sd
        mean = np.maximum(self.mean, floor)
        s2 = np.log1p(np.square(self.sd / mean))
        return np.log(mean) - s2 / 2, np.sqrt(s2)

    def band(self, z: float | FloatArray) -> tuple[FloatArray, FloatArray]:
        """Lower and upper edge at ``z`` spreads: on the log scale for log-scale models."""
        if self.log_median is not None and self.log_sd is not None:
            return np.exp(self.log_median - z * self.log_sd), np.exp(
                self.log_median + z * self.log_sd
            )
        return self.mean - z * self.sd, self.mean + z * self.sd


def lognormal_point(log_median: FloatArray, log_sd: FloatArray) -> PointForecast:
    """The forecast of y when log(y) is normal: bias-adjusted mean, its sd, and the log parts.

    exp(median of the log) is the median of y, which lies below its mean by the factor
    exp(s**2 / 2); without the adjustment a log model's totals run low, more so the further
    ahead (Beaumont 1956; Hyndman & Athanasopoulos, FPP3 5.6).
    """
    s2 = np.square(log_sd)
    if (log_median + s2 / 2 > 700).any():
        raise ModelFailure("log-scale forecast overflows")
    mean = np.exp(log_median + s2 / 2)
    return PointForecast(
        mean=mean, sd=mean * np.sqrt(np.expm1(s2)), log_median=log_median, log_sd=log_sd
    )


@runtime_checkable
class Forecaster(Protocol):
    """What every model offers: fit on a gap-free series, predict ``h`` steps, sample paths."""

    @property
    def name(self) -> str: ...

    @property
    def season_length(self) -> int: ...

    def fit(self, y: FloatArray) -> Self: ...

    def forecast(self, h: int) -> PointForecast: ...

    def predict(self, h: int, level: Sequence[float] = (80,)) -> pd.DataFrame: ...

    def sample_paths(self, h: int, n_paths: int, seed: int = 0) -> FloatArray: ...

    def refit(self, y: FloatArray) -> Forecaster: ...

    def forward(self, y: FloatArray) -> Forecaster: ...


class BaseForecaster:
    """Checks input and output once for every model; subclasses add ``_fit`` and ``_forecast``.

    Output is guarded here: a forecast with NaN, infinity or a negative spread raises
    ModelFailure, so the engine can fall back instead of passing nonsense on.
    """

    name: ClassVar[str] = "base"
    min_length: ClassVar[int] = 3

    def __init__(self, season_length: int = 1) -> None:
        self.season_length = max(1, int(season_length))
        self.n_: int | None = None

    def required_length(self) -> int:
        """Fewest observations this model fits on."""
        return self.min_length

    def fit(self, y: FloatArray) -> Self:
        y = np.asarray(y, dtype=float)
        if y.ndim != 1 or not np.isfinite(y).all():
            raise ModelFailure(f"{self.name}: needs a 1-D series of finite numbers")
        if len(y) < self.required_length():
            raise ModelFailure(
                f"{self.name}: needs at least {self.required_length()} observations, has {len(y)}"
            )
        self._fit(y)
        self.n_ = len(y)
        return self

    def refit(self, y: FloatArray) -> Forecaster:
        """The same model specification fitted afresh on other data (used by backtests).

        Models that choose a specification (ETS, ARIMA) keep the choice and re-estimate only
        its parameters: that is what makes rolling-origin backtests affordable.
        """
        return type(self)(self.season_length).fit(y)

    def forward(self, y: FloatArray) -> Forecaster:
        """This fitted model run over other (longer) data without re-estimating what is costly.

        Backtests fit a model once at their first origin and move it forward to the later
        ones, as statsforecast's ``cross_validation(refit=False)`` does. Only estimates from
        data before the first origin are used, so no window scores a model that saw its
        future. Cheap models simply refit.
        """
        return self.refit(y)

    def forecast(self, h: int) -> PointForecast:
        if self.n_ is None:
            raise ModelFailure(f"{self.name}: forecast before fit")
        if h < 1:
            raise ValueError("h must be at least 1")
        return checked(self.name, self._forecast(h), h)

    def predict(self, h: int, level: Sequence[float] = (80,)) -> pd.DataFrame:
        """Steps 1..h with ``<name>`` and the model's own ``<name>-lo-L``/``<name>-hi-L`` bands."""
        point = self.forecast(h)
        out = pd.DataFrame({"step": np.arange(1, h + 1), self.name: point.mean})
        for lv in sorted(level):
            lo, hi = point.band(z_value(lv))
            out[f"{self.name}-lo-{lv:g}"] = lo
            out[f"{self.name}-hi-{lv:g}"] = hi
        return out

    def sample_paths(self, h: int, n_paths: int, seed: int = 0) -> FloatArray:
        point = self.forecast(h)
        if point.log_median is not None and point.log_sd is not None:
            return np.exp(simulate_paths(point.log_median, point.log_sd, n_paths, seed))
        return simulate_paths(point.mean, point.sd, n_paths, seed)

    # -- for subclasses ------------------------------------------------------------------------
    def _fit(self, y: FloatArray) -> None:
        raise NotImplementedError

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray] | PointForecast:
        raise NotImplementedError


def checked(name: str, out: tuple[FloatArray, FloatArray] | PointForecast, h: int) -> PointForecast:
    """A model's raw output as a PointForecast of ``h`` steps, or ModelFailure if not finite."""
    point = out if isinstance(out, PointForecast) else PointForecast(out[0], out[1])
    mean = np.asarray(point.mean, dtype=float).reshape(h)
    sd = np.asarray(point.sd, dtype=float).reshape(h)
    if not (np.isfinite(mean).all() and np.isfinite(sd).all()) or (sd < 0).any():
        raise ModelFailure(f"{name}: produced a non-finite forecast")
    return PointForecast(mean, sd, point.log_median, point.log_sd)


# A first-step variance below this share of the last step's counts as certain: weights
# relative to a 1e-300 spread overflow (psi**2 is inf) while meaning nothing more.
CERTAIN = 1e-24


def psi_weights(sd: FloatArray) -> FloatArray:
    """Moving-average weights whose error variance grows as ``sd**2`` does (psi_0 = 1).

    A k-step error of a linear model is sum_j psi_j * e_{t+k-j}, so its variance is
    sigma^2 * sum_{j<k} psi_j^2. Reading the psi_j off the growth of the variance recovers
    the right correlation between steps for random walks (psi = 1), seasonal naive (psi = 0
    inside a season), ETS (psi = alpha + j*beta ...) up to the sign of each weight. When
    the first step is certain (sd 0), the weights are relative to the largest spread.
    """
    var = np.maximum.accumulate(np.square(np.asarray(sd, dtype=float)))
    if len(var) == 0 or var[-1] <= 0:
        return np.zeros(len(var))
    unit = var[0] if var[0] > CERTAIN * var[-1] else var[-1]
    psi: FloatArray = np.sqrt(np.maximum(np.diff(var, prepend=0.0), 0.0) / unit)
    return psi


def correlated_normals(sd: FloatArray, n_paths: int, seed: int = 0) -> FloatArray:
    """``n_paths`` x h draws, standard normal at each step, correlated as k-step errors whose
    spread grows as ``sd`` does (0 where the spread is 0).

    Shocks are drawn step by step, so the first k steps are the same whatever the horizon:
    a month's paths (and a quarter's band) do not move when more months are asked for.
    Antithetic pairs make the draws' mean exactly 0 and their spread symmetric.
    """
    h = len(sd)
    var = np.maximum.accumulate(np.square(np.asarray(sd, dtype=float)))
    if n_paths <= 0 or h == 0 or var[-1] <= 0:
        return np.zeros((max(n_paths, 0), h))
    psi = psi_weights(sd)
    unit = math.sqrt(var[0] if var[0] > 0 else var[-1])
    half = np.random.default_rng(seed).standard_normal((h, (n_paths + 1) // 2)).T
    shocks = np.vstack([half, -half])[:n_paths]
    errors = np.zeros((n_paths, h))
    for j in np.flatnonzero(psi):
        errors[:, j:] += psi[j] * shocks[:, : h - j]
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = errors * unit / np.sqrt(var)
    return np.where(var > 0, scaled, 0.0)


def simulate_paths(mean: FloatArray, sd: FloatArray, n_paths: int, seed: int = 0) -> FloatArray:
    """``n_paths`` x h Gaussian paths with marginal spread ``sd`` and the implied correlation."""
    h = len(mean)
    if n_paths <= 0:
        return np.empty((0, h))
    spread = np.sqrt(np.maximum.accumulate(np.square(np.asarray(sd, dtype=float))))
    paths: FloatArray = np.asarray(mean, dtype=float) + spread * correlated_normals(
        sd, n_paths, seed
    )
    return paths


def step_correlation(spread: FloatArray, change: float) -> FloatArray:
    """Correlation of the errors at steps k-1 and k (k = 2..h; 0 for step 1) when the
    k-step spread is ``spread`` and an error's change from one step to the next has
    variance ``change``.

    Var(e_k - e_{k-1}) = S_k^2 + S_{k-1}^2 - 2 rho_k S_k S_{k-1}: a random walk (S_k^2 = k,
    change 1) gives rho_k = sqrt((k-1)/k), noise around a known line (flat S, change 2)
    gives 0, a wrong slope (S_k = k, change 1) gives 1, as each should.
    """
    s = np.asarray(spread, dtype=float)
    rho = np.zeros(len(s))
    if len(s) < 2:
        return rho
    prod = s[1:] * s[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = (np.square(s[1:]) + np.square(s[:-1]) - change) / (2 * prod)
    rho[1:] = np.where(prod > 0, np.clip(raw, 0.0, 1.0), 0.0)
    return rho


def chained_normals(rho: FloatArray, n_paths: int, seed: int = 0) -> FloatArray:
    """``n_paths`` x h standard normal draws, each step correlated ``rho[k]`` with the one
    before: z_k = rho_k z_{k-1} + sqrt(1 - rho_k^2) e_k.

    Drawn step by step from the same shocks as ``correlated_normals``, so the first k steps
    are the same whatever the horizon; antithetic pairs keep the mean exactly 0.
    """
    h = len(rho)
    if n_paths <= 0 or h == 0:
        return np.zeros((max(n_paths, 0), h))
    half = np.random.default_rng(seed).standard_normal((h, (n_paths + 1) // 2)).T
    shocks = np.vstack([half, -half])[:n_paths]
    out = np.empty((n_paths, h))
    out[:, 0] = shocks[:, 0]
    for k in range(1, h):
        out[:, k] = rho[k] * out[:, k - 1] + np.sqrt(1 - rho[k] ** 2) * shocks[:, k]
    return out
