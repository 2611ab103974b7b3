"""Peak requests/s to instances: the step of the demand chain both capacity and savings take."""

from __future__ import annotations

import numpy as np

from forecasting.errors import InputError
from forecasting.scenario.assumptions import CapacityAssumptions, Redundancy

# ceil() of a ratio that is an exact integer in decimal (315 / (150 * 0.7) = 3) can land a hair
# above it in binary floating point; without this, exact fits would get one instance too many.
_CEIL_SLACK = 1e-9


def ceil_exact(x: np.ndarray) -> np.ndarray:
    """``ceil``, except that a value within float noise of a positive integer stays on it."""
    near = np.round(x)
    on_integer = (np.abs(x - near) <= _CEIL_SLACK * np.maximum(1.0, x)) & ((near > 0) | (x == 0))
    out: np.ndarray = np.where(on_integer, near, np.ceil(x))
    return out


def instances_needed(peak_rps: np.ndarray | float, a: CapacityAssumptions) -> np.ndarray:
    """``ceil(peak / (rps_per_instance * target))``, then redundancy, then the floor."""
    peak = np.asarray(peak_rps, dtype=float)
    if np.isnan(peak).any() or (peak < 0).any():
        raise InputError("peak requests/s must be non-negative numbers", parameter="peak_rps")
    base = ceil_exact(peak / a.capacity_per_instance)
    if a.redundancy is Redundancy.N_PLUS_1:
        base = base + 1
    elif a.redundancy is Redundancy.PER_ZONE:
        base = np.ceil(base / a.zones) * a.zones
    out: np.ndarray = np.maximum(base, a.min_instances).astype(np.int64)
    return out
