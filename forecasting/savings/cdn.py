"""CDN caching: a higher hit ratio means fewer origin requests and bytes, so fewer dollars."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecasting.demand.sizing import instances_needed
from forecasting.errors import InputError
from forecasting.scenario.assumptions import CapacityAssumptions
from forecasting.scenario.catalogue import Catalogue, tiered_cost

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class CdnScenario:
    """Traffic at the edge and the cache hit ratios now and targeted."""

    edge_requests_per_second: float
    """Average client requests/s the CDN serves."""
    edge_gb_per_month: float
    """Bytes the CDN serves to clients, GB/month."""
    request_hit_ratio: float
    """Share of requests answered from cache now (0-1)."""
    byte_hit_ratio: float
    """Share of bytes answered from cache now (0-1)."""
    target_request_hit_ratio: float
    target_byte_hit_ratio: float
    cdn_provider: str = "Cloudflare"
    """Whose edge prices apply (a catalogue provider: CloudFront, Cloudflare)."""
    origin_in_aws: bool = True
    """Origin runs in AWS (EC2, ECS, ALB, S3)."""
    origin_egress_provider: str = "AWS"
    """Whose egress prices the origin pays for bytes sent to the CDN (when it pays any)."""
    peak_to_average: float = 1.7
    """Origin peak req/s over its average: instances are sized for the peak."""
    origin_usd_per_million_requests: float = 0.0
    """Per-request origin charges (load balancer, API gateway), $ per million requests."""

    def __post_init__(self) -> None:
        for name in (
            "request_hit_ratio",
            "byte_hit_ratio",
            "target_request_hit_ratio",
            "target_byte_hit_ratio",
        ):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1]")
        for name in (
            "edge_requests_per_second",
            "edge_gb_per_month",
            "origin_usd_per_million_requests",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.peak_to_average < 1:
            raise ValueError("peak_to_average must be at least 1")

    @property
    def origin_pays_egress(self) -> bool:
        """AWS origins pay nothing for data sent to CloudFront; every other pairing pays."""
        return not (self.origin_in_aws and self.cdn_provider == "CloudFront")


@dataclass(frozen=True)
class CdnSaving:
    """Origin load and dollars now and at the target hit ratios, $/month."""

    origin_rps_now: float
    origin_rps_target: float
    origin_gb_now: float
    origin_gb_target: float
    instances_now: int
    instances_target: int
    compute_savings_usd: float
    """Origin instances no longer needed at the peak, priced per instance-month."""
    request_savings_usd: float
    egress_savings_usd: float
    """Origin egress avoided; 0 for AWS origins behind CloudFront (those fetches are free)."""
    cdn_monthly_usd: float
    """The CDN's own bill for this traffic (edge egress and requests), unchanged by caching."""

    @property
    def monthly_savings_usd(self) -> float:
        return self.compute_savings_usd + self.request_savings_usd + self.egress_savings_usd


def cdn_saving(
    s: CdnScenario,
    capacity: CapacityAssumptions,
    instance_monthly_usd: float,
    catalogue: Catalogue,
) -> CdnSaving:
    """Origin requests/s and GB at both hit ratios -> instances and egress -> $/month."""
    if instance_monthly_usd < 0:
        raise InputError(
            "instance_monthly_usd must not be negative", parameter="instance_monthly_usd"
        )
    rps_now = s.edge_requests_per_second * (1 - s.request_hit_ratio)
    rps_target = s.edge_requests_per_second * (1 - s.target_request_hit_ratio)
    gb_now = s.edge_gb_per_month * (1 - s.byte_hit_ratio)
    gb_target = s.edge_gb_per_month * (1 - s.target_byte_hit_ratio)
    peaks = np.array([rps_now, rps_target]) * s.peak_to_average
    n_now, n_target = (int(n) for n in instances_needed(peaks, capacity))
    per_month = SECONDS_PER_HOUR * capacity.hours_per_month
    egress = 0.0
    if s.origin_pays_egress:
        tiers = catalogue.price_tiers(s.origin_egress_provider, "egress_internet")
        egress = tiered_cost(gb_now, tiers) - tiered_cost(gb_target, tiers)
    return CdnSaving(
        origin_rps_now=rps_now,
        origin_rps_target=rps_target,
        origin_gb_now=gb_now,
        origin_gb_target=gb_target,
        instances_now=n_now,
        instances_target=n_target,
        compute_savings_usd=(n_now - n_target) * instance_monthly_usd,
        request_savings_usd=(rps_now - rps_target)
        * per_month
        * s.origin_usd_per_million_requests
        / 1e6,
        egress_savings_usd=egress,
        cdn_monthly_usd=cdn_bill(s, catalogue, capacity.hours_per_month),
    )


def cdn_bill(s: CdnScenario, catalogue: Catalogue, hours_per_month: float = 730.0) -> float:
    """Edge egress (tiered) plus HTTPS requests per 10,000, $/month, from the catalogue."""
    egress = tiered_cost(
        s.edge_gb_per_month, catalogue.price_tiers(s.cdn_provider, "egress_internet")
    )
    requests = s.edge_requests_per_second * SECONDS_PER_HOUR * hours_per_month / 10_000
    return egress + tiered_cost(requests, catalogue.price_tiers(s.cdn_provider, "requests_https"))


@dataclass(frozen=True)
class MarginalCost:
    """What one more origin request costs in compute: the slope of monthly compute usage
    (on-demand prices, fees and credits excluded) on monthly origin requests."""

    usd_per_request: float
    fixed_usd_per_month: float
    """The intercept: what compute costs at no requests (never saved by caching)."""
    months: int

    @property
    def usd_per_million(self) -> float:
        return self.usd_per_request * 1e6


def marginal_cost(usage_usd: np.ndarray, origin_requests: np.ndarray) -> MarginalCost:
    """Least squares of usage $ on requests per month; at least 3 months, a positive slope.

    Usage is priced at on-demand rates (ListCost): a request avoided frees on-demand hours at
    the margin, while the commitment's fee is paid whatever happens.
    """
    x, y = np.asarray(origin_requests, float), np.asarray(usage_usd, float)
    if len(x) < 3 or len(x) != len(y):
        raise InputError(
            "the marginal cost of a request needs 3 months of requests and usage", parameter="cdn"
        )
    if np.ptp(x) <= 0:
        raise InputError("origin requests do not vary: no marginal cost", parameter="cdn")
    slope, intercept = np.polyfit(x, y, 1)
    return MarginalCost(max(0.0, float(slope)), float(intercept), len(x))


@dataclass(frozen=True)
class MeasuredCdn:
    """A month of CDN analytics and the targets, and what reaching them saves, $/month."""

    requests: float
    cached_requests: float
    bytes: float
    cached_bytes: float
    target_request_hit_ratio: float
    target_byte_hit_ratio: float
    usd_per_request: float
    egress_usd_per_gb: float
    """What the origin pays per GB sent to the CDN (0 when it pays nothing)."""

    @property
    def request_hit_ratio(self) -> float:
        return self.cached_requests / self.requests if self.requests else 0.0

    @property
    def byte_hit_ratio(self) -> float:
        return self.cached_bytes / self.bytes if self.bytes else 0.0

    @property
    def origin_requests_avoided(self) -> float:
        """Requests that would hit the cache at the target: edge requests x the ratio gained."""
        return self.requests * max(0.0, self.target_request_hit_ratio - self.request_hit_ratio)

    @property
    def origin_gb_avoided(self) -> float:
        gained = max(0.0, self.target_byte_hit_ratio - self.byte_hit_ratio)
        return self.bytes * gained / 1e9

    @property
    def compute_savings_usd(self) -> float:
        return self.origin_requests_avoided * self.usd_per_request

    @property
    def egress_savings_usd(self) -> float:
        return self.origin_gb_avoided * self.egress_usd_per_gb

    @property
    def monthly_savings_usd(self) -> float:
        return self.compute_savings_usd + self.egress_savings_usd
