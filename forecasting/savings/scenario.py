"""Editable savings assumptions: what the store cannot measure, with defaults that say so."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from forecasting.errors import InputError


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
    commitment_offering: str = "compute_sp"
    commitment_term_years: int = 1
    commitment_payment: str = "no_upfront"
    hours_per_month: float = 730.0

    def __post_init__(self) -> None:
        for name in ("request_hit_ratio", "target_request_hit_ratio", "byte_hit_ratio",
                     "target_byte_hit_ratio"):  # fmt: skip
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


def from_payload(payload: dict[str, Any], **overrides: Any) -> SavingsScenario:
    """The savings keys of a stored assumption set (other keys belong to other models)."""
    fields = {f.name for f in dataclasses.fields(SavingsScenario)}
    values = {k: v for k, v in {**payload, **overrides}.items() if k in fields}
    try:
        return SavingsScenario(**values)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), parameter="scenario") from exc
