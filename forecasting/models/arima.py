"""(Seasonal) ARIMA with a small automatic order search by AICc."""

from __future__ import annotations

import math
import warnings
from functools import cache
from typing import Any, ClassVar

import numpy as np

from forecasting.models.base import BaseForecaster, FloatArray, Forecaster, ModelFailure

Order = tuple[int, int, int]

# A seasonal ARIMA's state grows with the cycle: past 12 periods (hours in a day, weeks in
# a year) one fit takes seconds, so longer cycles get a non-seasonal ARIMA and are left to
# ETS, Theta and seasonal naive.
MAX_ARIMA_SEASON = 12
# The four models auto.arima's stepwise search starts from (Hyndman & Khandakar 2008); with
# differencing fixed by unit-root tests they cover the usual shapes at a fraction of the cost.
_START = (((2, 2), (1, 1)), ((0, 0), (0, 0)), ((1, 0), (1, 0)), ((0, 1), (0, 1)))


def enough_data(n: int, order: Order, sorder: Order, m: int) -> bool:
    """Whether ``n`` observations can carry this model.

    Not only a statistical nicety: statsforecast's compiled likelihood reads past the end of
    its arrays (corrupting memory and aborting the process) when the differenced series is
    shorter than the model's lag polynomials, e.g. ARIMA(2,0,2)(1,1,1)[4] on 8 quarters.
    """
    p, d, q = order
    sp, sd, sq = sorder
    effective = n - d - m * sd
    lags = max(p + m * sp, q + m * sq)
    params = p + q + sp + sq + 2
    return effective >= lags + params + 2


@cache
def _statsforecast_arima() -> Any:
    """statsforecast's ARIMA module, its BFGS calls going through the lean path.

    statsforecast.arima calls ``scipy.optimize.minimize`` through its module's name
    ``minimize``; bfgs.minimize is that call's path with the same arithmetic (the same fit,
    bit for bit) and without scipy's per-evaluation overhead, which took 60% of a fit. Set
    once and never undone, so threads fitting at once all see the same function.
    """
    import statsforecast.arima as module

    from forecasting.models import bfgs

    module.minimize = bfgs.minimize
    return module


@cache
def _upper_z() -> FloatArray:
    """forecast_arima's normal quantile of its 80% upper edge, computed as it computes it."""
    from scipy.stats import norm

    z: FloatArray = norm.ppf(0.5 * (1 + np.asarray([80]) / 100))
    return z


class ARIMA(BaseForecaster):
    """ARIMA(p,d,q)(P,D,Q)m on statsforecast's port of R's ``arima`` (exact likelihood).

    d and D come from KPSS and seasonal-strength tests; the orders from a small search by
    AICc. A constant (drift) is allowed when the total differencing is at most one.
    """

    name: ClassVar[str] = "arima"
    min_length: ClassVar[int] = 6

    def __init__(
        self,
        season_length: int = 1,
        orders: tuple[Order, Order] | None = None,
        method: str = "CSS-ML",
    ) -> None:
        super().__init__(season_length)
        self.orders = orders
        self.method = method

    def _differencing(self, y: FloatArray) -> tuple[int, int]:
        ndiffs, nsdiffs = _statsforecast_arima().ndiffs, _statsforecast_arima().nsdiffs
        m = self.season_length
        seasonal_d = 0
        if 1 < m <= MAX_ARIMA_SEASON and len(y) >= 2 * m + 4:
            seasonal_d = int(nsdiffs(y, period=m, max_D=1))
        x = y[m:] - y[:-m] if seasonal_d else y
        return int(ndiffs(x, max_d=2)), seasonal_d

    def _candidates(self, y: FloatArray) -> list[tuple[Order, Order]]:
        if self.orders is not None:
            return [self.orders]
        d, seasonal_d = self._differencing(y)
        m = self.season_length
        seasonal = 1 < m <= MAX_ARIMA_SEASON and len(y) >= 2 * m + 4
        # The largest start model costs as much as the other three together; a short seasonal
        # series rarely supports its seven parameters anyway.
        rich = not seasonal or len(y) >= 6 * self.season_length
        out = []
        for (p, q), (sp, sq) in _START if rich else _START[1:]:
            sorder = (sp, seasonal_d, sq) if seasonal else (0, 0, 0)
            out.append(((p, d, q), sorder))
        return list(dict.fromkeys(out))

    def _fit(self, y: FloatArray) -> None:
        best: tuple[float, dict[str, Any], tuple[Order, Order]] | None = None
        for orders in self._candidates(y):
            model = self._try(y, orders)
            if model is not None and (best is None or model["aicc"] < best[0]):
                best = (float(model["aicc"]), model, orders)
        if best is None:
            raise ModelFailure(f"{self.name}: no order converged")
        _, self.model_, self.orders_ = best

    def _try(self, y: FloatArray, orders: tuple[Order, Order]) -> dict[str, Any] | None:
        arima = _statsforecast_arima()
        order, sorder = orders
        m = self.season_length if sorder != (0, 0, 0) else 1
        drift = order[1] + sorder[1] == 1
        if not enough_data(len(y), order, sorder, m):
            return None
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                model: dict[str, Any] = arima.Arima(
                    y,
                    order=order,
                    seasonal={"order": sorder, "period": m},
                    include_mean=order[1] + sorder[1] == 0,
                    include_drift=drift,
                    method=self.method,
                )
        except Exception:
            return None
        if self.orders is not None:
            model["aicc"] = 0.0  # a single given model: nothing to compare it with
        aicc = model.get("aicc")
        if aicc is None or not math.isfinite(float(aicc)):
            # Too few observations for AICc's correction: compare by AIC instead.
            aic = model.get("aic")
            if aic is None or not math.isfinite(float(aic)):
                return None
            model["aicc"] = float(aic)
        return model

    def refit(self, y: FloatArray) -> Forecaster:
        # Exact likelihood here too: conditional sum of squares is three times faster but
        # its seasonal AR fits went astray on short windows (M1), giving another model.
        try:
            return ARIMA(self.season_length, orders=self.orders_).fit(y)
        except ModelFailure:
            return ARIMA(self.season_length).fit(y)

    def forward(self, y: FloatArray) -> Forecaster:
        """The fitted coefficients run over ``y`` by the Kalman filter, nothing re-estimated.

        Only ever over data at least as long as the fit's (backtests move forward), so the
        compiled likelihood cannot read past the end of a series too short for its lags.
        """
        from statsforecast.arima import forward_arima

        if self.n_ is None or len(y) < self.n_:
            return self.refit(y)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                model = (
                    self._filtered(np.asarray(y, dtype=np.float64))
                    if self.method == "CSS-ML"
                    else forward_arima(self.model_, y, method=self.method)
                )
        except Exception as exc:
            raise ModelFailure(f"{self.name}: {exc}") from exc
        out = ARIMA(self.season_length, orders=self.orders_, method=self.method)
        out.model_, out.orders_, out.n_ = model, self.orders_, len(y)
        return out

    def _filtered(self, y: FloatArray) -> dict[str, Any]:
        """What ``forward_arima`` returns for a forecast, computed as it does but once.

        forward_arima refits with every coefficient fixed: two regressions for the drift
        (one only for starting values that fixed coefficients ignore), a likelihood pass
        for an AIC nobody reads, then the Kalman filter over ``y`` whose final state the
        forecast starts from. Here only that filter and the drift, with statsforecast's own
        functions on the same inputs, so every number is the same (tests/models/
        test_arima_speed.py compares them bit for bit with forward_arima's).
        """
        from statsforecast.arima import arima_like, arima_transpar, make_arima

        fit = self.model_
        arma = np.array(fit["arma"], dtype=np.int32)
        coef = np.array(list(fit["coef"].values()), dtype=np.float64)
        narma = int(arma[:4].sum())
        drift = self._drift(len(y)) if "drift" in fit["coef"] else None
        # What the refit subtracts: the drift, or the mean of a model without differencing.
        xreg = np.ones((len(y), 1)) if "intercept" in fit["coef"] else drift
        x = y.copy()
        if xreg is not None:
            x -= np.dot(xreg, coef[narma + np.arange(xreg.shape[1])])
        phi, theta = arima_transpar(coef, arma, False)
        mod = make_arima(phi, theta, fit["model"]["delta"], 1e6)
        # Updates the state (a, P) in place to the end of y.
        arima_like(
            x, mod["phi"], mod["theta"], mod["delta"], mod["a"], mod["P"], mod["Pn"], 0, True
        )
        return {
            "coef": dict(fit["coef"]),
            "arma": fit["arma"],
            "model": mod,
            "sigma2": fit["sigma2"],
            "x": y.copy(),
            "xreg": drift,
            "lambda": fit.get("lambda"),
        }

    def _drift(self, n: int) -> FloatArray:
        """The drift regressor over ``n`` observations as forward_arima extends it (its
        regression on time), the regression fitted once per model, not once per move."""
        import statsmodels.api as sm

        fit = self.model_
        m = fit["arma"][4]
        if getattr(self, "drift_fit_", None) is None:
            k = len(fit["x"])
            time = np.arange(0, (k + 1) / m, 1 / m)[:k].reshape(-1, 1)
            self.drift_fit_ = sm.OLS(fit["xreg"][:, 0], sm.add_constant(time)).fit()
        newtime = np.arange(0, (n + 1) / m, 1 / m)[:n].reshape(-1, 1)
        out: FloatArray = self.drift_fit_.predict(sm.add_constant(newtime)).reshape(-1, 1)
        return out

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        from statsforecast.arima import change_drift_name, forecast_arima, predict_arima

        model = self.model_
        x = model["x"]
        drift = "drift" in model["coef"]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if not drift and model["xreg"] is not None:
                out = forecast_arima(model, h=h, level=[80])
                mean = np.asarray(out["mean"], dtype=float)
                upper = np.asarray(out["upper"], dtype=float).reshape(h, -1)[:, 0]
                return mean, (upper - mean) / 1.2815515655446004
            # forecast_arima's own steps without the pandas tables of bands it builds (half
            # the time of a backtest forecast): the same mean and the same 80% upper edge,
            # which the spread is read back from.
            if np.all(x[0] == x):
                pred, se = np.repeat(x[0], h), np.repeat(0, h)
            elif drift:
                steps = np.arange(1, h + 1, dtype=np.float64).reshape(-1, 1) + len(x)
                named = {**model, "coef": change_drift_name(model["coef"], inverse=True)}
                pred, se = predict_arima(named, n_ahead=h, newxreg=steps)
            else:
                pred, se = predict_arima(model, n_ahead=h)
            upper = (pred.reshape(-1, 1) + _upper_z() * se.reshape(-1, 1))[:, 0]
        mean = np.asarray(pred, dtype=float)
        return mean, (upper - mean) / 1.2815515655446004

    def describe(self) -> str:
        (p, d, q), (sp, sd, sq) = self.orders_
        seasonal = f"({sp},{sd},{sq})[{self.season_length}]" if (sp, sd, sq) != (0, 0, 0) else ""
        return f"ARIMA({p},{d},{q}){seasonal}"
