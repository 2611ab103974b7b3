"""CDN origin maths and the database optimisation lever, against hand calculations."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.errors import InputError
from forecasting.interface import Excuse
from forecasting.savings.cdn import CdnScenario, cdn_bill, cdn_saving
from forecasting.savings.database import DatabaseLoad, DatabaseSaving, database_saving
from forecasting.scenario.assumptions import CapacityAssumptions
from forecasting.scenario.catalogue import Catalogue, load_catalogue

DOC = CapacityAssumptions()  # 150 req/s per instance at 100%, target 70%, N+1, floor 3
XLARGE_MONTH = 0.192 * 730  # one m6i.xlarge on demand, $140.16
_CATALOGUE = load_catalogue()  # for hypothesis tests, which cannot take function fixtures


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _scenario(**kwargs: object) -> CdnScenario:
    base: dict[str, object] = {
        "edge_requests_per_second": 1000.0,
        "edge_gb_per_month": 10_000.0,
        "request_hit_ratio": 0.80,
        "byte_hit_ratio": 0.70,
        "target_request_hit_ratio": 0.90,
        "target_byte_hit_ratio": 0.85,
        "peak_to_average": 1.7,
        "origin_usd_per_million_requests": 0.40,
    }
    return CdnScenario(**(base | kwargs))  # type: ignore[arg-type]


def test_cdn_origin_maths_aws_origin_behind_cloudfront(catalogue: Catalogue) -> None:
    s = _scenario(cdn_provider="CloudFront")
    out = cdn_saving(s, DOC, XLARGE_MONTH, catalogue)
    # Origin req/s: 1000 x 20% = 200 now, 1000 x 10% = 100 at target.
    assert out.origin_rps_now == pytest.approx(200) and out.origin_rps_target == pytest.approx(100)
    # Peak 340 -> ceil(340 / 105) = 4, +1 = 5; peak 170 -> 2, +1 = 3.
    assert (out.instances_now, out.instances_target) == (5, 3)
    assert out.compute_savings_usd == pytest.approx(2 * XLARGE_MONTH)
    # Origin GB: 10,000 x 30% = 3,000 now, 1,500 at target; but AWS -> CloudFront is free.
    assert out.origin_gb_now == pytest.approx(3000) and out.origin_gb_target == pytest.approx(1500)
    assert out.egress_savings_usd == 0
    # 100 fewer origin req/s x 3,600 x 730 = 262.8M requests at $0.40 per million.
    assert out.request_savings_usd == pytest.approx(262.8 * 0.40)
    # CloudFront's own bill: 10,000 GB x $0.085 + 2,628M requests / 10k x $0.01.
    assert out.cdn_monthly_usd == pytest.approx(850 + 2628)
    assert out.monthly_savings_usd == pytest.approx(2 * XLARGE_MONTH + 105.12)


def test_origin_outside_cloudfront_saves_egress_too(catalogue: Catalogue) -> None:
    # An EC2 origin behind Cloudflare pays AWS egress: 1,500 GB less x $0.09 (first tier).
    out = cdn_saving(_scenario(cdn_provider="Cloudflare"), DOC, XLARGE_MONTH, catalogue)
    assert out.egress_savings_usd == pytest.approx(1500 * 0.09)
    assert out.cdn_monthly_usd == 0  # self-serve Cloudflare meters neither bytes nor requests
    # A non-AWS origin behind CloudFront pays its own egress as well.
    assert _scenario(cdn_provider="CloudFront", origin_in_aws=False).origin_pays_egress


def test_cdn_bill_is_tiered(catalogue: Catalogue) -> None:
    s = _scenario(
        cdn_provider="CloudFront", edge_gb_per_month=60 * 1024.0, edge_requests_per_second=0.0
    )
    # 10 TB at 0.085, 40 TB at 0.080, 10 TB at 0.060.
    assert cdn_bill(s, catalogue) == pytest.approx(10_240 * 0.085 + 40_960 * 0.080 + 10_240 * 0.060)


def test_bad_cdn_scenario() -> None:
    with pytest.raises(ValueError, match="request_hit_ratio"):
        _scenario(request_hit_ratio=1.2)
    with pytest.raises(ValueError, match="peak_to_average"):
        _scenario(peak_to_average=0.5)


# No deadline: on a shared machine a slow example is not a failure of the property.
@settings(deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1e5))
def test_same_hit_ratio_saves_nothing(ratio: float, bytes_ratio: float, rps: float) -> None:
    s = _scenario(
        request_hit_ratio=ratio,
        target_request_hit_ratio=ratio,
        byte_hit_ratio=bytes_ratio,
        target_byte_hit_ratio=bytes_ratio,
        edge_requests_per_second=rps,
    )
    assert cdn_saving(s, DOC, XLARGE_MONTH, _CATALOGUE).monthly_savings_usd == 0


@settings(deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1e5), st.floats(0, 1e6))
def test_cdn_saving_never_exceeds_origin_spend(
    now: float, target: float, rps: float, gb: float
) -> None:
    low, high = sorted((now, target))
    s = _scenario(
        request_hit_ratio=low,
        target_request_hit_ratio=high,
        byte_hit_ratio=low,
        target_byte_hit_ratio=high,
        edge_requests_per_second=rps,
        edge_gb_per_month=gb,
        cdn_provider="Cloudflare",
    )
    out = cdn_saving(s, DOC, XLARGE_MONTH, _CATALOGUE)
    origin_spend = (
        out.instances_now * XLARGE_MONTH
        + out.origin_rps_now * 3600 * 730 * 0.40 / 1e6
        + out.origin_gb_now * 0.09
    )
    assert 0 <= out.monthly_savings_usd <= origin_spend + 1e-6


def test_database_downsizes_when_cpu_and_memory_allow(catalogue: Catalogue) -> None:
    # Supabase XL (4 vCPU, 16 GB, 1,000 pooled connections) at CPU 60%, memory 40%, pool 30%,
    # 1,000 IOPS. 30% less CPU per query: 4 x 60% x 0.7 / 70% = 2.4 vCPU; memory 16 x 0.4 x 1.2
    # = 7.68 GB; pool 300 x 0.7 = 210 in use / 0.9 = 233 connections; IOPS 1,200 with headroom.
    # Large (2 vCPU) fails on CPU, so XL stays; at 50% less CPU: 1.71 vCPU -> Large (2 vCPU,
    # 8 GB, 800 connections, 3,600 IOPS) fits.
    load = DatabaseLoad("Supabase", "xl", cpu_pct=60, pool_pct=30, memory_pct=40, iops=1000)
    keep = database_saving(load, catalogue, cpu_reduction=0.3)
    assert keep.requirement.vcpu == pytest.approx(2.4)
    assert keep.recommended_tier == "xl" and keep.monthly_savings_usd == 0
    down = database_saving(load, catalogue, cpu_reduction=0.5)
    assert down.recommended_tier == "large"
    assert down.monthly_savings_usd == pytest.approx((0.2877 - 0.1517) * 730)
    # Without an IOPS measurement the IOPS stay what XL gives (6,000): Large cannot promise it.
    blind = DatabaseLoad("Supabase", "xl", cpu_pct=60, pool_pct=30, memory_pct=40)
    assert database_saving(blind, catalogue, cpu_reduction=0.5).recommended_tier == "xl"


def test_database_without_measurements_keeps_its_tier(catalogue: Catalogue) -> None:
    out = database_saving(DatabaseLoad("Supabase", "large"), catalogue, cpu_reduction=0.5)
    assert out.recommended_tier == "large" and out.monthly_savings_usd == 0


def test_zero_optimisation_saves_nothing(catalogue: Catalogue) -> None:
    load = DatabaseLoad("Supabase", "large", cpu_pct=50, pool_pct=50, iops=1000)
    assert database_saving(load, catalogue).monthly_savings_usd == 0


def test_fewer_iops_can_move_tier(catalogue: Catalogue) -> None:
    # RDS db.m6g.large at 3,500 IOPS needs 4,200 with headroom: above gp3's 3,000 baseline on any
    # class, so no tier fits; 40% fewer IOPS -> 2,520 fits.
    load = DatabaseLoad("AWS", "db.m6g.large", iops=3500)
    assert isinstance(database_saving(load, catalogue).recommended_tier, Excuse)
    assert database_saving(load, catalogue, iops_reduction=0.4).recommended_tier == "db.m6g.large"


def test_pool_runway_is_extended_and_the_upgrade_deferred(catalogue: Catalogue) -> None:
    ds = pd.date_range("2027-01-01", periods=365, freq="D")
    # Pool rising from 70% by 0.1 point a day: 90% on day 200 at P50. With 20% less CPU per
    # query the pool runs at 80% of that: 56 + 0.08 d reaches 90 on day 425, past the horizon.
    paths = np.repeat((70 + 0.1 * np.arange(365))[None, :], 5, axis=0)
    load = DatabaseLoad("Supabase", "large", pool_pct=70)
    out = database_saving(load, catalogue, cpu_reduction=0.2, pool_paths=paths, ds=ds)
    assert out.pool_before is not None and out.pool_before.p50 == date(2027, 7, 20)
    assert out.pool_after is not None and isinstance(out.pool_after.p50, Excuse)
    assert out.deferred_days == (date(2027, 12, 31) - date(2027, 7, 20)).days
    # Next tier by connections: XL at $0.2877/h vs Large at $0.1517/h.
    extra = (0.2877 - 0.1517) * 730
    assert out.deferred_upgrade_usd == pytest.approx(extra * out.deferred_days * 12 / 365.25)


def test_bad_reduction_is_rejected(catalogue: Catalogue) -> None:
    with pytest.raises(InputError, match="cpu_reduction"):
        database_saving(DatabaseLoad("Supabase", "large"), catalogue, cpu_reduction=1.5)


@settings(deadline=None)
@given(st.floats(0, 100), st.floats(0, 100), st.floats(0, 0.9))
def test_a_busier_pool_never_gets_a_cheaper_tier(a: float, b: float, reduction: float) -> None:
    low, high = sorted((a, b))

    def saving(pool: float) -> DatabaseSaving:
        load = DatabaseLoad("Supabase", "xl", pool_pct=pool, cpu_pct=40, iops=500, memory_pct=20)
        return database_saving(load, _CATALOGUE, cpu_reduction=reduction)

    small, big = saving(low), saving(high)
    assert small.recommended_monthly_usd <= big.recommended_monthly_usd + 1e-9
    assert small.monthly_savings_usd <= small.current_monthly_usd
