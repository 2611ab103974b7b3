"""Capacity planning: demand paths to instances, cost per quarter, runway to thresholds."""

from forecasting.capacity.assumptions import (
    DEFAULT_ALERT_THRESHOLDS,
    CapacityAssumptions,
    Redundancy,
    from_payload,
)
from forecasting.capacity.plan import (
    DemandPaths,
    UnitCost,
    UnitCostModel,
    band,
    fit_unit_costs,
    instances_needed,
    quarterly_plan,
)
from forecasting.capacity.runway import (
    NOT_WITHIN_HORIZON,
    HeadroomPrice,
    Runway,
    first_crossing,
    headroom,
    runway,
    runway_table,
)

__all__ = [
    "DEFAULT_ALERT_THRESHOLDS",
    "NOT_WITHIN_HORIZON",
    "CapacityAssumptions",
    "DemandPaths",
    "HeadroomPrice",
    "Redundancy",
    "Runway",
    "UnitCost",
    "UnitCostModel",
    "band",
    "first_crossing",
    "fit_unit_costs",
    "from_payload",
    "headroom",
    "instances_needed",
    "quarterly_plan",
    "runway",
    "runway_table",
]
