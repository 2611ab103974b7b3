"""Editable capacity assumptions: units, the demo document's defaults, loading a stored set."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from forecasting.errors import InputError

# The document's "Monitored Components" targets, % (the alerting table pages on memory at 85%;
# capacity planning uses the stricter component target of 80%).
DEFAULT_ALERT_THRESHOLDS: dict[str, float] = {
    "db_connection_pool_utilization": 90.0,
    "memory_utilization": 80.0,
    "cpu_utilization": 70.0,
    "disk_utilization": 75.0,
}


class Redundancy(StrEnum):
    """Spare capacity on top of what the peak needs.

    N_PLUS_1 adds one instance so that losing any one still serves the peak; PER_ZONE rounds
    the count up to a multiple of the zones so every zone runs the same number.
    """

    NONE = "none"
    N_PLUS_1 = "n+1"
    PER_ZONE = "per-zone"


@dataclass(frozen=True)
class CapacityAssumptions:
    """How demand turns into instances; defaults are the APEX OmniHub document's."""

    rps_per_instance: float = 150.0
    """Requests/s one instance (pod) serves at 100% CPU."""
    target_utilisation: float = 0.70
    """Fraction of CPU the peak may use: the scale-up trigger (CPU > 70% for 15 min)."""
    scale_down_utilisation: float = 0.30
    """Fraction of CPU below which the autoscaler removes instances (CPU < 30% for 60 min)."""
    redundancy: Redundancy = Redundancy.N_PLUS_1
    zones: int = 3
    """Availability zones the service runs in (used by PER_ZONE rounding)."""
    min_instances: int = 3
    """Floor on the instance count, whatever the demand."""
    instance_type: str = "m6i.xlarge"
    """Catalogue instance type the fleet runs on (prices headroom and right-sizing)."""
    hours_per_month: float = 730.0
    """Hours in a billing month (AWS prices monthly as 730 hours)."""
    alert_thresholds: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_ALERT_THRESHOLDS)
    )
    """Alert threshold per utilisation metric, % (0-100)."""

    def __post_init__(self) -> None:
        _positive("rps_per_instance", self.rps_per_instance)
        _positive("hours_per_month", self.hours_per_month)
        if not 0 < self.target_utilisation <= 1:
            raise ValueError("target_utilisation must be in (0, 1], a fraction of CPU")
        if not 0 <= self.scale_down_utilisation < self.target_utilisation:
            raise ValueError("scale_down_utilisation must be in [0, target_utilisation)")
        if self.zones < 1:
            raise ValueError("zones must be at least 1")
        if self.min_instances < 0:
            raise ValueError("min_instances must not be negative")
        for metric, value in self.alert_thresholds.items():
            if not 0 < value <= 100:
                raise ValueError(f"alert_thresholds[{metric!r}] must be a percentage in (0, 100]")
        object.__setattr__(self, "redundancy", Redundancy(self.redundancy))

    @property
    def capacity_per_instance(self) -> float:
        """Requests/s one instance serves at the target utilisation."""
        return self.rps_per_instance * self.target_utilisation


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


# Keys of a stored assumption set (the demo's `apex-capacity`) that name a field differently.
ALIASES = {
    "target_cpu_utilisation": "target_utilisation",
    "scale_down_cpu": "scale_down_utilisation",
}
# Keys a stored set may carry that the capacity model does not use (memory triggers drive the
# autoscaler, not the peak sizing).
_IGNORED = {"scale_down_memory", "scale_up_memory"}


def from_payload(
    payload: dict[str, Any], *, ignore_unknown: bool = False, **overrides: Any
) -> CapacityAssumptions:
    """Assumptions from a stored assumption set's payload.

    Unknown keys are an error, unless ``ignore_unknown`` (a set may also hold savings keys).
    """
    fields = {f.name for f in dataclasses.fields(CapacityAssumptions)}
    values: dict[str, Any] = {}
    for key, value in {**payload, **overrides}.items():
        name = ALIASES.get(key, key)
        if name in _IGNORED:
            continue
        if name not in fields:
            if ignore_unknown:
                continue
            raise InputError(
                f"unknown capacity assumption {key!r}; known: {', '.join(sorted(fields))}",
                parameter="assumptions",
            )
        values[name] = value
    if "alert_thresholds" in values:
        values["alert_thresholds"] = {k: float(v) for k, v in values["alert_thresholds"].items()}
    numeric = {
        f.name for f in dataclasses.fields(CapacityAssumptions) if f.type in ("float", "int")
    }
    for name, value in values.items():
        # A text value would otherwise fail deep in a comparison ("'<' not supported ...").
        if name in numeric and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InputError(f"{name} must be a number, got {value!r}", parameter="assumptions")
    try:
        return CapacityAssumptions(**values)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), parameter="assumptions") from exc


def canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload with every alias under its field's name; a later key wins over an earlier one
    (settings merged after a stored set override it, whichever spelling either used)."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        name = ALIASES.get(key, key)
        out.pop(name, None)
        out[name] = value
    return out


def changes(base: Any, values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The ``values`` that differ from ``base``'s fields: the settings an edit amounts to."""
    out = []
    for key, value in values.items():
        old = getattr(base, key)
        same = (
            old == value
            if not isinstance(value, float) or not isinstance(old, int | float)
            else abs(old - value) <= 1e-9 * max(1.0, abs(old))
        )
        if not same:
            out.append((key, value))
    return tuple(out)
