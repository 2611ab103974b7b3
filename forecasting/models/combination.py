"""A fixed combination: the median of ETS, Theta and ARIMA forecasts (robust to one bad member)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from forecasting.models.arima import ARIMA
from forecasting.models.base import BaseForecaster, FloatArray, Forecaster, ModelFailure
from forecasting.models.ets import ETS
from forecasting.models.theta import Theta


class Combination(BaseForecaster):
    """Median of the members that fit, and the median of their spreads.

    Combinations of a few different models are among the most accurate methods in the M
    competitions; the median keeps one diverging member from dragging the forecast.
    """

    name: ClassVar[str] = "combo"
    min_length: ClassVar[int] = 6

    def __init__(self, season_length: int = 1, members: list[Forecaster] | None = None) -> None:
        super().__init__(season_length)
        self.members = members

    def _fit(self, y: FloatArray) -> None:
        candidates: list[Callable[[FloatArray], Forecaster]]
        if self.members is not None:
            candidates = [member.refit for member in self.members]
        else:
            m = self.season_length
            candidates = [ETS(m).fit, Theta(m).fit, ARIMA(m).fit]
        fitted: list[Forecaster] = []
        for fit in candidates:
            try:
                fitted.append(fit(y))
            except ModelFailure:
                continue
        if not fitted:
            raise ModelFailure(f"{self.name}: no member model fitted")
        self.members_ = fitted

    def refit(self, y: FloatArray) -> Forecaster:
        return Combination(self.season_length, members=self.members_).fit(y)

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        points = []
        for member in self.members_:
            try:
                points.append(member.forecast(h))
            except ModelFailure:
                continue
        if not points:
            raise ModelFailure(f"{self.name}: no member could forecast")
        mean = np.median(np.stack([p.mean for p in points]), axis=0)
        return mean, np.median(np.stack([p.sd for p in points]), axis=0)
