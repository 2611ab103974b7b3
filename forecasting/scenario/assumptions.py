"""The assumption set's two halves, capacity and savings: units, the demo's defaults, payloads."""

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


def capacity_from_payload(
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


@dataclass(frozen=True)
class SavingsScenario:
    """Inputs of the savings levers; every default is an assumption the output names."""

    instance_type: str = "m6i.xlarge"
    """Catalogue type the fleet runs on (the demo's main node group)."""
    cpu_percentile: float = 99.5
    """Percentile of 5-minute CPU maxima a recommendation must fit (Compute Optimizer's P99.5)."""
    cpu_headroom: float = 0.20
    memory_headroom: float = 0.20
    lookback_days: int = 14
    """Days of 5-minute maxima right-sizing and database sizing read (Compute Optimizer: 14)."""
    cdn_provider: str = "Cloudflare"
    origin_in_aws: bool = True
    request_hit_ratio: float | None = None
    """Share of requests the CDN answers from cache today; None: not measured, so the CDN
    lever is not modelled (the store holds no hit ratios, and guessing one decides the answer)."""
    target_request_hit_ratio: float | None = None
    byte_hit_ratio: float | None = None
    """Share of bytes served from cache today; None: taken as the request hit ratio."""
    target_byte_hit_ratio: float | None = None
    edge_gb_per_month: float = 0.0
    """Bytes the CDN serves, GB/month; 0 means not measured (no egress saving is claimed)."""
    origin_usd_per_million_requests: float = 0.0
    database_provider: str = "Supabase"
    database_tier: str = "large"
    """Catalogue tier the database runs on (the demo's Supabase compute-large)."""
    database_disk_gb: float | None = None
    """Provisioned database disk, GB; None means unknown (disk headroom is not priced)."""
    query_cpu_reduction: float = 0.20
    """Database query optimisation when no pg_stat_statements are stored: fraction less CPU
    per query."""
    top_queries_optimised: int = 3
    """With pg_stat_statements: how many of the slowest queries (by total time) are optimised."""
    query_time_reduction: float = 0.40
    """...and how much faster each becomes (an index for a scan: often more)."""
    iops_reduction: float = 0.0
    compute_group: str = "Compute"
    """Cost group that pays for the instances (pods): right-sizing, CDN offload, commitments
    and CPU/memory headroom act on its spend. Cost groups are user rules; rename it here."""
    database_group: str = "Database"
    """Cost group that pays for the database: query optimisation and pool/disk headroom."""
    commitment_offering: str = "compute_sp"
    commitment_term_years: int = 1
    commitment_payment: str = "no_upfront"
    hours_per_month: float = 730.0

    def __post_init__(self) -> None:
        for name in (
            "request_hit_ratio",
            "target_request_hit_ratio",
            "byte_hit_ratio",
            "target_byte_hit_ratio",
        ):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{name} must be in [0, 1]")
        for name in ("lookback_days", "top_queries_optimised"):
            value = getattr(self, name)  # a form or --set may give 14.0 for 14
            if not float(value).is_integer():
                raise ValueError(f"{name} must be a whole number")
            object.__setattr__(self, name, int(value))
        if self.lookback_days < 1 or self.top_queries_optimised < 1:
            raise ValueError("lookback_days and top_queries_optimised must be at least 1")
        for name in ("query_cpu_reduction", "iops_reduction", "query_time_reduction"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1)")
        if self.commitment_term_years not in (1, 3):
            raise ValueError("commitment_term_years must be 1 or 3")


def savings_from_payload(payload: dict[str, Any], **overrides: Any) -> SavingsScenario:
    """The savings keys of a stored assumption set (other keys belong to other models)."""
    fields = {f.name for f in dataclasses.fields(SavingsScenario)}
    values = {k: v for k, v in {**payload, **overrides}.items() if k in fields}
    try:
        return SavingsScenario(**values)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), parameter="scenario") from exc
