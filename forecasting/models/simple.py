"""Benchmark models in plain numpy: naive, seasonal naive, drift and linear trend."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from forecasting.models.base import BaseForecaster, FloatArray, ModelFailure


def _rms(values: FloatArray, dof: int = 0) -> float:
    n = len(values) - dof
    return float(np.sqrt(np.sum(np.square(values)) / n)) if n > 0 else 0.0


class Naive(BaseForecaster):
    """Last value carried forward; the error of a random walk grows with sqrt(k)."""

    name: ClassVar[str] = "naive"

    def _fit(self, y: FloatArray) -> None:
        self.last_ = float(y[-1])
        self.sigma_ = _rms(np.diff(y))

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        k = np.arange(1, h + 1)
        return np.full(h, self.last_), self.sigma_ * np.sqrt(k)


class SeasonalNaive(BaseForecaster):
    """Same period of the last cycle; the naive forecast when there is no cycle."""

    name: ClassVar[str] = "seasonal_naive"

    def required_length(self) -> int:
        # One full cycle to repeat plus one seasonal difference to measure the spread.
        return max(self.min_length, self.season_length + 1)

    def _fit(self, y: FloatArray) -> None:
        m = self.season_length
        self.cycle_ = y[-m:].astype(float)
        self.sigma_ = _rms(y[m:] - y[:-m])

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        m = self.season_length
        k = np.arange(h)
        return self.cycle_[k % m], self.sigma_ * np.sqrt(k // m + 1.0)


class Drift(BaseForecaster):
    """The line from the first to the last observation, extended (naive with drift)."""

    name: ClassVar[str] = "drift"

    def _fit(self, y: FloatArray) -> None:
        n = len(y)
        self.last_ = float(y[-1])
        self.slope_ = float((y[-1] - y[0]) / (n - 1))
        self.sigma_ = _rms(np.diff(y) - self.slope_, dof=1)
        self.nobs_ = n

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        k = np.arange(1, h + 1, dtype=float)
        # The slope is estimated too: its error adds k^2 / (n - 1) to the variance.
        sd = self.sigma_ * np.sqrt(k * (1 + k / (self.nobs_ - 1)))
        return self.last_ + self.slope_ * k, sd


class LinearTrend(BaseForecaster):
    """Least squares on a time trend, plus seasonal dummies when two full cycles exist."""

    name: ClassVar[str] = "linear"
    min_length: ClassVar[int] = 4

    def _design(self, t: FloatArray) -> FloatArray:
        cols = [np.ones_like(t), t]
        if self.seasonal_:
            m = self.season_length
            phase = np.asarray(t, dtype=int) % m
            cols += [(phase == j).astype(float) for j in range(1, m)]
        return np.column_stack(cols)

    def _fit(self, y: FloatArray) -> None:
        n = len(y)
        m = self.season_length
        self.seasonal_ = 1 < m <= n // 2 and n - (m + 1) >= 3
        x = self._design(np.arange(n, dtype=float))
        z = y
        coef, *_ = np.linalg.lstsq(x, z, rcond=None)
        resid = z - x @ coef
        dof = n - x.shape[1]
        if dof < 1:
            raise ModelFailure(f"{self.name}: too few observations for its terms")
        self.coef_ = coef
        self.sigma_ = _rms(resid, dof=x.shape[1])
        self.xtx_inv_ = np.linalg.pinv(x.T @ x)
        self.nobs_ = n

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        x = self._design(np.arange(self.nobs_, self.nobs_ + h, dtype=float))
        mean = x @ self.coef_
        # Prediction error: noise plus the uncertainty of the fitted line at that point.
        leverage = np.einsum("ij,jk,ik->i", x, self.xtx_inv_, x)
        return mean, self.sigma_ * np.sqrt(1 + leverage)
