"""The typed vocabulary that crosses layers: frequencies, cost bases, series frames and excuses."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from forecasting.errors import CapcostError, InputError

T = TypeVar("T")


class Freq(StrEnum):
    """Calendar buckets of a series; a week, month, quarter or year is labelled by its 1st day.

    The store keeps day, month and quarter (``STORED_FREQS``); a file given to the forecaster
    may be in any of them.
    """

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    HOUR = "hour"


STORED_FREQS = (Freq.DAY, Freq.MONTH, Freq.QUARTER)
"""The buckets the store sums actuals into (a month is the calendar month, UTC)."""


class CostBasis(StrEnum):
    """Which FOCUS cost column a cost series sums.

    EFFECTIVE is amortized cost (commitment fees spread over the usage they cover): what
    forecasts use. BILLED is cash, what the invoice says. LIST is public on-demand price.
    """

    EFFECTIVE = "effective"
    BILLED = "billed"
    LIST = "list"

    @property
    def column(self) -> str:
        return {"effective": "EffectiveCost", "billed": "BilledCost", "list": "ListCost"}[
            self.value
        ]


class GroupBy(StrEnum):
    """Dimensions a cost series can be split by (``category`` is FOCUS ServiceCategory)."""

    GROUP = "group"
    CATEGORY = "category"
    SERVICE = "service"
    PROVIDER = "provider"


class Aggregation(StrEnum):
    """How a metric's observations roll up into a day, month or quarter."""

    MEAN = "mean"
    MAX = "max"
    SUM = "sum"
    LAST = "last"


COST_METRIC = "cost"
"""The metric name of spend: every other series name is a stored metric."""
DEFAULT_SCENARIO = "apex-capacity"
"""The demo's stored assumption set, used when none is named and it is stored."""
LOOKBACK_DAYS = (7, 30, 60)
"""Look-back windows, days, that AWS's commitment recommendations use (shown beside ours)."""
BUILT_IN = "built-in defaults"
"""What a result names as its assumption set when no stored set applied."""

# Series in long format, shared by every layer (Nixtla's convention):
#   unique_id: str   which series ("total", a cost group, a service...)
#   ds: datetime64   period start (UTC, naive)
#   y: float         the value in the series' unit
SERIES_COLUMNS = ("unique_id", "ds", "y")


@dataclass(frozen=True)
class MetricDefinition:
    """A stored metric: its unit and how it aggregates over time."""

    name: str
    unit: str
    aggregation: Aggregation
    description: str = ""


@dataclass(frozen=True)
class Excuse:
    """An answer that cannot be computed, with the reason; shown to the user, never raised.

    Invalid input raises InputError. An infeasible answer (series too short for a seasonal
    model, no commitment worth buying) returns an Excuse.
    """

    reason: str
    context: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class IngestResult:
    """What one ingest run did."""

    run_id: int
    source: str
    rows: int
    status: str
    detail: dict[str, Any] = field(default_factory=dict)


def check_level(level: float, parameter: str = "level") -> float:
    """An interval level in percent, strictly between 0 and 100 (80 -> P10 and P90)."""
    if not (isinstance(level, int | float) and math.isfinite(level) and 0 < level < 100):
        raise InputError(
            f"interval level {level!r} must be between 0 and 100 (percent)", parameter=parameter
        )
    return float(level)


def reference_level(levels: Iterable[float]) -> float:
    """The level of a set a forecaster calibrates on when it runs at one: the one nearest
    80 (the lower of two as near). It depends on the set of levels asked for, never on
    their order; the others are read from the same forecast's paths."""
    return min((float(lv) for lv in levels), key=lambda lv: (abs(lv - 80.0), lv))


def or_excuse(compute: Callable[[], T]) -> T | Excuse:
    """The part's result, or the user-fixable reason it cannot be computed (missing data,
    an assumption out of range): pages show that, not a traceback."""
    try:
        return compute()
    except CapcostError as exc:
        return Excuse(str(exc), {"error": type(exc).__name__})


# One backtest row per series and model tried: the engine's table, and the store's copy of it.
BACKTEST_COLUMNS = (
    "unique_id",
    "model",
    "selected",
    "horizon",
    "windows",
    "errors",
    "mase",
    "smape",
    "mape",
    "bias",
    "bias_pct",
    "level",
    "coverage",
    "coverage_no_prior",
)
