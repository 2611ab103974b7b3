"""Capacity planning: demand paths to instances, cost per quarter, runway to thresholds."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forecasting.capacity.assumptions import (
        DEFAULT_ALERT_THRESHOLDS,
        CapacityAssumptions,
        Redundancy,
        from_payload,
    )
    from forecasting.capacity.plan import (
        DemandPaths,
        band,
        instances_needed,
        quarterly_plan,
    )
    from forecasting.capacity.runway import (
        NOT_WITHIN_HORIZON,
        HeadroomPrice,
        Runway,
        estimate_runway,
        first_crossing,
        headroom,
        runway_table,
    )

# Loaded on first use, so that `capcost --help` (which imports the command modules) does not
# pay for numpy and pandas.
_EXPORTS = {
    "forecasting.capacity.assumptions": (
        "DEFAULT_ALERT_THRESHOLDS", "CapacityAssumptions", "Redundancy", "from_payload",
    ),
    "forecasting.capacity.plan": (
        "DemandPaths", "band",
        "instances_needed", "quarterly_plan",
    ),
    "forecasting.capacity.runway": (
        "NOT_WITHIN_HORIZON", "HeadroomPrice", "Runway", "estimate_runway", "first_crossing",
        "headroom", "runway_table",
    ),
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [
    "DEFAULT_ALERT_THRESHOLDS",
    "NOT_WITHIN_HORIZON",
    "CapacityAssumptions",
    "DemandPaths",
    "HeadroomPrice",
    "Redundancy",
    "Runway",
    "band",
    "estimate_runway",
    "first_crossing",
    "from_payload",
    "headroom",
    "instances_needed",
    "quarterly_plan",
    "runway_table",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'forecasting.capacity' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
