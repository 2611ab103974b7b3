"""Model names and how to build each; an unknown name fails listing the valid ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from forecasting.errors import UnknownNameError
from forecasting.models.arima import ARIMA
from forecasting.models.base import Forecaster
from forecasting.models.combination import Combination
from forecasting.models.ets import ETS, ETSStatsmodels
from forecasting.models.logscale import LogScale
from forecasting.models.simple import Drift, LinearTrend, Naive, SeasonalNaive
from forecasting.models.theta import Theta, ThetaStatsmodels

AUTO = "auto"


def _log(label: str, inner: Callable[[int], Forecaster]) -> Callable[[int], Forecaster]:
    return lambda m: LogScale(m, inner, label)


def _ets_additive(m: int) -> Forecaster:
    # On the log scale errors are additive by construction; a multiplicative error there
    # would be a second log.
    return ETS(m, search="AZZ")


@dataclass(frozen=True)
class ModelInfo:
    """A registered model: its name, constructor (taking the season length) and a summary."""

    name: str
    build: Callable[[int], Forecaster]
    summary: str


MODELS: dict[str, ModelInfo] = {
    info.name: info
    for info in (
        ModelInfo("naive", Naive, "last value carried forward"),
        ModelInfo("seasonal_naive", SeasonalNaive, "same period of the last cycle"),
        ModelInfo("drift", Drift, "line from first to last value"),
        ModelInfo("linear", LinearTrend, "least-squares trend (+ seasonal dummies)"),
        ModelInfo(
            "loglinear",
            _log("loglinear", LinearTrend),
            "constant growth rate: linear trend on log(y) (positive series)",
        ),
        ModelInfo("theta", Theta, "Theta method (statsmodels ThetaModel, in numpy)"),
        ModelInfo("theta_statsmodels", ThetaStatsmodels, "statsmodels ThetaModel itself"),
        ModelInfo("ets", ETS, "exponential smoothing, AICc search (statsforecast engine)"),
        ModelInfo("ets_statsmodels", ETSStatsmodels, "exponential smoothing, statsmodels ETSModel"),
        ModelInfo("arima", ARIMA, "seasonal ARIMA, small AICc order search"),
        ModelInfo(
            "ets_log",
            _log("ets_log", _ets_additive),
            "ETS on log(y): local growth rate, damped or not (positive series)",
        ),
        ModelInfo("theta_log", _log("theta_log", Theta), "Theta on log(y) (positive series)"),
        ModelInfo(
            "arima_log",
            _log("arima_log", ARIMA),
            "ARIMA on log(y): drift is a growth rate (positive series)",
        ),
        ModelInfo("combo", Combination, "median of ets, theta and arima"),
    )
}


def model_names() -> list[str]:
    """Every registered model name (``auto`` is a selection mode, not a model)."""
    return list(MODELS)


def check_model(name: str) -> str:
    """``name`` if it is ``auto`` or a registered model; otherwise an error listing them."""
    if name != AUTO and name not in MODELS:
        raise UnknownNameError("model", name, [AUTO, *MODELS])
    return name


def make_model(name: str, season_length: int = 1) -> Forecaster:
    """A fresh, unfitted model."""
    if name not in MODELS:
        raise UnknownNameError("model", name, [AUTO, *MODELS])
    return MODELS[name].build(season_length)
