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
    """A model's forecast for steps 1..h: the mean and the spread of its error."""

    mean: FloatArray
    """Expected value per step, in the series' unit."""
    sd: FloatArray
    """Standard deviation of the k-step-ahead error per step, as the model sees it (>= 0)."""


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

    def forecast(self, h: int) -> PointForecast:
        if self.n_ is None:
            raise ModelFailure(f"{self.name}: forecast before fit")
        if h < 1:
            raise ValueError("h must be at least 1")
        mean, sd = self._forecast(h)
        mean = np.asarray(mean, dtype=float).reshape(h)
        sd = np.asarray(sd, dtype=float).reshape(h)
        if not (np.isfinite(mean).all() and np.isfinite(sd).all()) or (sd < 0).any():
            raise ModelFailure(f"{self.name}: produced a non-finite forecast")
        return PointForecast(mean=mean, sd=sd)

    def predict(self, h: int, level: Sequence[float] = (80,)) -> pd.DataFrame:
        """Steps 1..h with ``<name>`` and the model's own ``<name>-lo-L``/``<name>-hi-L`` bands."""
        point = self.forecast(h)
        out = pd.DataFrame({"step": np.arange(1, h + 1), self.name: point.mean})
        for lv in sorted(level):
            half = z_value(lv) * point.sd
            out[f"{self.name}-lo-{lv:g}"] = point.mean - half
            out[f"{self.name}-hi-{lv:g}"] = point.mean + half
        return out

    def sample_paths(self, h: int, n_paths: int, seed: int = 0) -> FloatArray:
        point = self.forecast(h)
        return simulate_paths(point.mean, point.sd, n_paths, seed)

    # -- for subclasses ------------------------------------------------------------------------
    def _fit(self, y: FloatArray) -> None:
        raise NotImplementedError

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        raise NotImplementedError


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
    unit = var[0] if var[0] > 0 else var[-1]
    psi: FloatArray = np.sqrt(np.maximum(np.diff(var, prepend=0.0), 0.0) / unit)
    return psi


def simulate_paths(mean: FloatArray, sd: FloatArray, n_paths: int, seed: int = 0) -> FloatArray:
    """``n_paths`` x h Gaussian paths with marginal spread ``sd`` and the implied correlation."""
    h = len(mean)
    if n_paths <= 0:
        return np.empty((0, h))
    var = np.maximum.accumulate(np.square(np.asarray(sd, dtype=float)))
    if h == 0 or var[-1] <= 0:
        return np.tile(np.asarray(mean, dtype=float), (n_paths, 1))
    sigma = math.sqrt(var[0] if var[0] > 0 else var[-1])
    psi = psi_weights(sd)
    # Antithetic pairs: the paths' mean is the forecast exactly and their spread symmetric.
    half = np.random.default_rng(seed).standard_normal(((n_paths + 1) // 2, h))
    shocks = np.vstack([half, -half])[:n_paths] * sigma
    errors = np.zeros((n_paths, h))
    for j in np.flatnonzero(psi):
        errors[:, j:] += psi[j] * shocks[:, : h - j]
    return np.asarray(mean, dtype=float) + errors
