"""The typed vocabulary that crosses layers: frequencies, cost bases, series frames and excuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Freq(StrEnum):
    """Calendar buckets for actuals and forecasts; a month or quarter is labelled by its 1st day."""

    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"


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
