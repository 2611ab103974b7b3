"""What a forecasting command asks for (scenario, level, model, paths) and the forecaster callable.

Capacity and savings take a ``PathForecaster`` so the app can pass a cached one; ``run_models``
is the plain one every command uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import check_level
from forecasting.models.api import forecast
from forecasting.models.result import ForecastResult
from forecasting.models.stored import engine_forecaster


@dataclass(frozen=True)
class ForecastOptions:
    """What every forecasting command takes (the CLI's --scenario, --set, --level, ...)."""

    scenario: str | None = None
    """Stored assumption set; None: ``apex-capacity`` if stored, else the built-in defaults."""
    settings: tuple[tuple[str, Any], ...] = ()
    """Single assumptions overriding the set's, in order (the CLI's ``--set KEY=VALUE``)."""
    level: float = 80.0
    """Interval level, % (80 -> P10 and P90)."""
    model: str = "auto"
    paths: int = 1000
    """Sample paths simulated per series."""
    seed: int = 0

    def __post_init__(self) -> None:
        check_level(self.level, parameter="level")
        if self.paths < 1:
            raise InputError(f"paths must be at least 1, got {self.paths}", parameter="paths")
        object.__setattr__(self, "settings", tuple((str(k), v) for k, v in self.settings))
        # One value, one form: a widget's 80 and the refresh's 80.0 are the same options, and
        # a stored result keyed on them (``stored_fits``) must be found for either.
        object.__setattr__(self, "level", float(self.level))
        object.__setattr__(self, "paths", int(self.paths))
        object.__setattr__(self, "seed", int(self.seed))

    @property
    def quantiles(self) -> tuple[float, float]:
        """Lower and upper quantile of the band (0.1, 0.9 at level 80)."""
        tail = (100 - self.level) / 200
        return tail, 1 - tail

    @property
    def band_labels(self) -> tuple[str, str]:
        """``("P10", "P90")`` at level 80."""
        lo, hi = self.quantiles
        return f"P{100 * lo:g}", f"P{100 * hi:g}"


class PathForecaster(Protocol):
    """Forecasts a long frame ``h`` periods ahead with sample paths (the app caches one)."""

    def __call__(
        self, frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions
    ) -> ForecastResult: ...


@engine_forecaster
def run_models(frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions) -> ForecastResult:
    """The models' forecast at the options' level, model, paths and seed."""
    return forecast(
        frame,
        h=h,
        freq=freq,
        level=(options.level,),
        model=options.model,
        n_paths=options.paths,
        seed=options.seed,
    )


def notes_of(result: ForecastResult) -> tuple[str, ...]:
    """What the forecast had to adjust, as lines for the user."""
    return tuple(str(excuse) for excuse in result.excuses)
