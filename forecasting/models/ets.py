"""Exponential smoothing (ETS) with automatic choice of error, trend, season and damping by AICc."""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np

from forecasting.models.base import BaseForecaster, FloatArray, Forecaster, ModelFailure

# statsforecast's ETS handles seasonal cycles up to 24 periods; longer ones (weeks in a
# year) are left to Theta and seasonal naive, which handle any cycle.
MAX_ETS_SEASON = 24


@functools.cache
def _statsforecast_ets() -> Any:
    """statsforecast's ETS module, its initial states computed once per input in a search.

    ets_f's search fits every (error, trend, season, damping) combination, and each fit
    starts from ``initstate(y, m, trend, season)``: a seasonal decomposition (statsmodels,
    pandas means) and a regression that ignore the error type and the damping, and the
    decomposition ignores the trend too, so most of the search recomputed one of a few
    results (13% of a fit). Both are looked up through the module's names by each fit;
    the replacements hand out the result for the same inputs within one search
    (``one_search``) and compute it otherwise. Only within a search: the regression's last
    bits depend on the BLAS threads of the moment, so a result kept from another call could
    differ from a fresh one. Set once, never undone.
    """
    import statsforecast.ets as module

    module.initstate = _remembered(module.initstate)
    module.seasonal_decompose = _within_search(module.seasonal_decompose, lambda out: out)
    return module


_SEARCH = threading.local()


@contextlib.contextmanager
def one_search() -> Iterator[None]:
    """Initial states computed once per input inside this block (this thread only)."""
    _SEARCH.states = {}
    try:
        yield
    finally:
        _SEARCH.states = None


def _within_search(
    compute: Callable[..., Any], handout: Callable[[Any], Any]
) -> Callable[..., Any]:
    """``compute`` of a float array and plain arguments, computed once per distinct input
    inside ``one_search`` and handed out by ``handout`` (a copy where callers could write
    into the result; statsforecast's initstate only reads a decomposition's ``seasonal``)."""

    @functools.wraps(compute)
    def remembered(x: Any, *args: Any, **kwargs: Any) -> Any:
        results: dict[tuple[Any, ...], Any] | None = getattr(_SEARCH, "states", None)
        if results is None or not (isinstance(x, np.ndarray) and x.dtype == np.float64):
            return compute(x, *args, **kwargs)
        key = (compute, x.shape, x.tobytes(), args, tuple(sorted(kwargs.items())))
        if key not in results:
            results[key] = compute(x, *args, **kwargs)
        return handout(results[key])

    return remembered


def _remembered(initstate: Callable[..., Any]) -> Callable[..., Any]:
    """statsforecast's initstate(y, m, trend, season) within a search, a copy each time."""
    return _within_search(initstate, np.array)


def ets_spread(
    mean: FloatArray,
    sigma2: float,
    *,
    multiplicative: bool,
    alpha: float,
    beta: float,
    gamma: float,
    phi: float,
    m: int,
) -> FloatArray:
    """k-step error sd of an ETS model from its smoothing weights (Hyndman et al. 2008, ch. 6).

    The k-step error is e_k + sum_{j<k} c_j e_{k-j} with c_j = alpha + beta*(phi + ... + phi^j)
    + gamma*[j is a multiple of m]; exact for additive errors. With multiplicative errors
    sigma is relative, so the spread scales with the forecast level (a first-order
    approximation; the engine calibrates the final width on backtest errors anyway).
    """
    h = len(mean)
    beta = 0.0 if math.isnan(beta) else beta
    gamma = 0.0 if math.isnan(gamma) else gamma
    phi = 1.0 if math.isnan(phi) else phi
    j = np.arange(1, h)
    damp_sum = np.cumsum(phi ** j.astype(float)) if h > 1 else np.zeros(0)
    c = alpha + beta * damp_sum + gamma * (j % m == 0 if m > 1 else np.zeros(h - 1))
    var = sigma2 * (1 + np.concatenate(([0.0], np.cumsum(np.square(c)))))
    sd = np.sqrt(np.maximum(var, 0.0))
    return sd * np.abs(mean) if multiplicative else sd


class ETS(BaseForecaster):
    """statsforecast's ETS engine (numba; about ten times faster than statsmodels' search).

    Without ``spec`` it searches every admissible model by AICc (additive or multiplicative
    error and season, none/additive/damped trend); with a spec such as ``MAdN`` it only
    estimates that model's parameters, which is what backtests refit.
    """

    name: ClassVar[str] = "ets"
    min_length: ClassVar[int] = 5

    def __init__(
        self, season_length: int = 1, spec: str | None = None, search: str = "ZZZ"
    ) -> None:
        super().__init__(season_length)
        self.spec = spec
        self.search = search

    def _engine_season(self) -> int:
        m = self.season_length
        return m if m <= MAX_ETS_SEASON else 1

    def _fit(self, y: FloatArray) -> None:
        ets_f = _statsforecast_ets().ets_f
        model, damped = (
            (self.search, None) if self.spec is None else (self.spec[:3], self.spec[3] == "D")
        )
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"), one_search():
                warnings.simplefilter("ignore")
                self.model_: dict[str, Any] = ets_f(
                    y, m=self._engine_season(), model=model, damped=damped
                )
        except Exception as exc:
            raise ModelFailure(f"{self.name}: {exc}") from exc
        self.spec_ = str(self.model_["components"])

    def refit(self, y: FloatArray) -> Forecaster:
        try:
            return ETS(self.season_length, spec=self.spec_, search=self.search).fit(y)
        except ModelFailure:
            # A seasonal spec may not fit a shorter window: search again on what there is.
            return ETS(self.season_length, search=self.search).fit(y)

    def forward(self, y: FloatArray) -> Forecaster:
        """The fitted weights and initial states run over ``y`` (statsforecast's forward)."""
        from statsforecast.ets import forward_ets

        if self.n_ is None:
            return self.refit(y)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                model = forward_ets(self.model_, y)
        except Exception as exc:
            raise ModelFailure(f"{self.name}: {exc}") from exc
        if not np.isfinite(model["states"][-1]).all():
            raise ModelFailure(f"{self.name}: states diverged moving forward")
        out = ETS(self.season_length, spec=self.spec_, search=self.search)
        out.model_, out.spec_, out.n_ = model, self.spec_, len(y)
        return out

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        from statsforecast.ets import pegelsfcast_C

        with np.errstate(all="ignore"):
            mean = np.asarray(pegelsfcast_C(h, self.model_), dtype=float)
        par = self.model_["par"]
        sd = ets_spread(
            mean,
            float(self.model_["sigma2"]),
            multiplicative=self.spec_[0] == "M",
            alpha=float(par[0]),
            beta=float(par[1]),
            gamma=float(par[2]),
            phi=float(par[3]),
            m=int(self.model_["m"]),
        )
        return mean, sd

    def describe(self) -> str:
        spec = self.spec_
        return f"ETS({spec[0]},{spec[1]}{'d' if spec[3] == 'D' else ''},{spec[2]})"


class ETSStatsmodels(BaseForecaster):
    """statsmodels' ETSModel over every admissible configuration, the lowest AICc kept.

    Every fit is guarded: one that raises, diverges (non-finite AICc or forecast) or returns
    an absurd forecast is skipped. About ten times slower than ``ets``; kept for comparison.
    """

    name: ClassVar[str] = "ets_statsmodels"
    min_length: ClassVar[int] = 5

    def __init__(self, season_length: int = 1, config: tuple[Any, ...] | None = None) -> None:
        super().__init__(season_length)
        self.config = config

    def _configs(self, y: FloatArray) -> list[tuple[Any, ...]]:
        if self.config is not None:
            return [self.config]
        positive = bool(y.min() > 0)
        m = self.season_length
        seasons: list[str | None] = [None]
        if 1 < m <= MAX_ETS_SEASON and len(y) >= 2 * m + 2:
            seasons += ["add", "mul"] if positive else ["add"]
        errors = ["add", "mul"] if positive else ["add"]
        trends = [(None, False), ("add", False), ("add", True)]
        return [
            (e, t, d, s)
            for e, (t, d), s in itertools.product(errors, trends, seasons)
            # Additive errors with a multiplicative season are numerically unstable.
            if not (e == "add" and s == "mul")
        ]

    def _fit(self, y: FloatArray) -> None:
        best: tuple[float, Any, tuple[Any, ...]] | None = None
        for config in self._configs(y):
            result = self._try(y, config)
            if result is not None and (best is None or result.aicc < best[0]):
                best = (float(result.aicc), result, config)
        if best is None:
            raise ModelFailure(f"{self.name}: no ETS configuration converged")
        _, self.result_, self.config_ = best
        self.y_ = y

    def _try(self, y: FloatArray, config: tuple[Any, ...]) -> Any:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        error, trend, damped, seasonal = config
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                model = ETSModel(
                    y,
                    error=error,
                    trend=trend,
                    damped_trend=damped,
                    seasonal=seasonal,
                    seasonal_periods=self.season_length if seasonal else None,
                )
                result = model.fit(disp=False, maxiter=200)
                mean = np.asarray(result.forecast(1), dtype=float)
        except Exception:
            return None
        if not (math.isfinite(result.aicc) and np.isfinite(mean).all()):
            return None
        return result

    def refit(self, y: FloatArray) -> Forecaster:
        try:
            return ETSStatsmodels(self.season_length, config=self.config_).fit(y)
        except ModelFailure:
            return ETSStatsmodels(self.season_length).fit(y)

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        res = self.result_
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            mean = np.asarray(res.forecast(h), dtype=float)
            fitted = np.asarray(res.fittedvalues, dtype=float)
        error, trend, damped, seasonal = self.config_
        resid = self.y_ - fitted
        if error == "mul":
            resid = resid / np.where(fitted == 0, np.nan, fitted)
        sd = ets_spread(
            mean,
            float(np.nanmean(np.square(resid))),
            multiplicative=error == "mul",
            alpha=float(res.smoothing_level),
            beta=float(res.smoothing_trend) if trend else 0.0,
            gamma=float(res.smoothing_seasonal) if seasonal else 0.0,
            phi=float(res.damping_trend) if damped else 1.0,
            m=self.season_length,
        )
        return mean, sd
