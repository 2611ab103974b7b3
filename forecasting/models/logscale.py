"""Any model fitted on log(y): multiplicative growth, log-scale bands, a bias-adjusted mean."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from forecasting.models.base import (
    BaseForecaster,
    FloatArray,
    Forecaster,
    ModelFailure,
    PointForecast,
    lognormal_point,
)


class LogScale(BaseForecaster):
    """``inner`` fitted on log(y) and its forecast taken back to the level of y.

    A trend on the log scale is a growth rate: users growing 9% a month stay on 9% a month,
    where a level model adds the same number of users every month and falls further behind.
    The inner model's error is normal on the log scale, so the band is exp(median +- z sd):
    asymmetric, wider above than below, never below zero. The point is the mean,
    exp(median + sd^2 / 2), not the median: totals of medians run low.
    """

    name: ClassVar[str] = "log"

    def __init__(
        self,
        season_length: int = 1,
        inner: Callable[[int], Forecaster] | None = None,
        label: str = "log",
    ) -> None:
        super().__init__(season_length)
        if inner is None:
            raise ValueError("LogScale needs an inner model")
        self.inner = inner
        self.name = label  # type: ignore[misc]

    def _fit(self, y: FloatArray) -> None:
        if (y <= 0).any():
            raise ModelFailure(
                f"{self.name}: needs positive values (the series has zeros or credits)"
            )
        self.inner_: Forecaster = self.inner(self.season_length).fit(np.log(y))

    def _wrap(self, inner: Forecaster, n: int) -> LogScale:
        out = LogScale(self.season_length, self.inner, self.name)
        out.inner_, out.n_ = inner, n
        return out

    def refit(self, y: FloatArray) -> Forecaster:
        if (y <= 0).any():
            raise ModelFailure(f"{self.name}: needs positive values")
        return self._wrap(self.inner_.refit(np.log(y)), len(y))

    def forward(self, y: FloatArray) -> Forecaster:
        if (y <= 0).any():
            raise ModelFailure(f"{self.name}: needs positive values")
        return self._wrap(self.inner_.forward(np.log(y)), len(y))

    def _forecast(self, h: int) -> PointForecast:
        inner = self.inner_.forecast(h)
        return lognormal_point(inner.mean, inner.sd)

    def describe(self) -> str:
        describe = getattr(self.inner_, "describe", None)
        return f"log {describe() if callable(describe) else self.inner_.name}"
