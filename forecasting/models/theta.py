"""The Theta method: statsmodels' ThetaModel in plain numpy, and statsmodels' own as a yardstick."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np

from forecasting.models.base import BaseForecaster, FloatArray, ModelFailure, z_value

# statsmodels' seasonality test: n * r_m^2 / sum_{i<m} r_i^2 above the 90% point of chi2(1).
_SEASONAL_CRITICAL = 2.705543454095404


def acf(y: FloatArray, nlags: int) -> FloatArray:
    """Sample autocorrelations r_0..r_nlags (the biased estimator statsmodels uses)."""
    x = y - y.mean()
    denom = float(np.dot(x, x))
    if denom == 0.0:
        return np.zeros(nlags + 1)
    return np.array([np.dot(x[: len(x) - k], x[k:]) / denom for k in range(nlags + 1)])


def classical_seasonal(y: FloatArray, m: int, multiplicative: bool) -> FloatArray:
    """Seasonal indices for phases 0..m-1 by classical (centred moving average) decomposition."""
    weights = np.full(m + 1, 1.0 / m) if m % 2 == 0 else np.full(m, 1.0 / m)
    if m % 2 == 0:
        weights[[0, -1]] = 0.5 / m
    half = len(weights) // 2
    trend = np.full(len(y), np.nan)
    trend[half : len(y) - half] = np.convolve(y, weights, mode="valid")
    detrended = y / trend if multiplicative else y - trend
    from forecasting.models.compiled import phase_means

    # np.nanmean of each phase, compiled (the same bits): Theta is fitted at every origin.
    indices = phase_means(np.ascontiguousarray(detrended, dtype=np.float64), m)
    normalised: FloatArray = (
        indices / indices.mean() if multiplicative else indices - indices.mean()
    )
    return normalised


def ses(y: FloatArray, alpha: float) -> tuple[FloatArray, float]:
    """One-step fitted values of simple exponential smoothing from level y[0]; the next level.

    The recursion of scipy's ``lfilter([alpha], [1, alpha - 1], y, zi=[(1 - alpha) y[0]])``
    (direct form II transposed) step by step in the same floating-point operations, so the
    same bits (tests/models/test_fast_paths.py), at half the cost: the optimiser calls this
    about 20 times a fit and backtests fit Theta at every origin, where lfilter's checks
    of its arguments cost more than the filtering.
    """
    keep = alpha - 1.0
    state = (1.0 - alpha) * float(y[0])
    fitted = [float(y[0])]
    for x in y.tolist():
        level = state + alpha * x
        state = x * 0.0 - level * keep
        fitted.append(level)
    return np.array(fitted[:-1]), fitted[-1]


class Theta(BaseForecaster):
    """Hyndman and Billah's Theta: SES plus half the linear trend, on deseasonalised data.

    Follows statsmodels' ThetaModel (its seasonality test, classical decomposition,
    multiplicative when the data are positive, SES from the first value) in plain numpy,
    about ten times faster. The spread is that of SES, sd_k = sigma * sqrt(1 + (k-1) alpha^2).
    """

    name: ClassVar[str] = "theta"

    def _fit(self, y: FloatArray) -> None:
        n, m = len(y), self.season_length
        self.multiplicative_ = bool(y.min() > 0)
        self.seasonal_: FloatArray | None = None
        if m > 1 and n >= 2 * m:
            rho = acf(y, m)
            denom = float(np.sum(rho[:-1] ** 2))
            if denom > 0 and n * rho[-1] ** 2 / denom > _SEASONAL_CRITICAL:
                self.seasonal_ = self._indices(y)
        z = self._deseasonalise(y)
        t = np.arange(n, dtype=float)
        self.b0_ = float(np.polyfit(t, z, 1)[0])
        from forecasting.models.compiled import ses_alpha

        # scipy's minimize_scalar(method="bounded", xatol=1e-8) over the SES squared errors,
        # compiled with them (the same alpha in a twentieth of the time): backtests fit
        # Theta and Theta on log(y) at every origin.
        self.alpha_ = ses_alpha(np.ascontiguousarray(z, dtype=np.float64), 1e-8, 500)
        fitted, self.level_ = ses(z, self.alpha_)
        self.sigma_ = float(np.sqrt(np.mean(np.square(z - fitted)[1:]))) if n > 1 else 0.0
        self.nobs_ = n

    def _indices(self, y: FloatArray) -> FloatArray:
        indices = classical_seasonal(y, self.season_length, self.multiplicative_)
        if self.multiplicative_ and indices.min() <= 0:
            self.multiplicative_ = False
            indices = classical_seasonal(y, self.season_length, False)
        if not np.isfinite(indices).all():
            raise ModelFailure(f"{self.name}: seasonal decomposition failed")
        return indices

    def _deseasonalise(self, y: FloatArray) -> FloatArray:
        if self.seasonal_ is None:
            return y
        s = self.seasonal_[np.arange(len(y)) % self.season_length]
        return y / s if self.multiplicative_ else y - s

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        a, n = self.alpha_, self.nobs_
        steps = np.arange(h, dtype=float)
        if a > 0:
            steps += 1 / a - (1 - a) ** n / a
        mean = self.level_ + 0.5 * self.b0_ * steps
        sd = self.sigma_ * np.sqrt(1 + np.arange(h) * a**2)
        if self.seasonal_ is not None:
            s = self.seasonal_[(n + np.arange(h)) % self.season_length]
            if self.multiplicative_:
                return mean * s, sd * s
            return mean + s, sd
        return mean, sd


class ThetaStatsmodels(BaseForecaster):
    """statsmodels' ThetaModel itself (slower: its interval fits an ARIMA), as a yardstick."""

    name: ClassVar[str] = "theta_statsmodels"

    def _fit(self, y: FloatArray) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        m = self.season_length
        seasonal = m > 1 and len(y) >= 2 * m
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result_: Any = ThetaModel(y, period=m, deseasonalize=seasonal).fit()

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mean = np.asarray(self.result_.forecast(h), dtype=float)
            bands = self.result_.prediction_intervals(h, alpha=0.2)
        sd = (np.asarray(bands["upper"], dtype=float) - mean) / z_value(80)
        return mean, sd
