"""Oracles for the evidence-based levers: Compute Optimizer's rule, Fargate sizes, the CDN's
marginal request cost, top-query optimisation; and the demo's levers with their evidence."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputError
from forecasting.savings.cdn import MeasuredCdn, marginal_cost
from forecasting.savings.database import optimise_top_queries
from forecasting.savings.rightsizing import Finding, look_back, rightsize, rightsize_task
from forecasting.savings.service import SavingsOptions, levers
from forecasting.scenario.catalogue import load_catalogue
from forecasting.store import Store

CATALOGUE = load_catalogue()
FIVE_MIN_14_DAYS = 14 * 288


def _percentile_by_hand(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks, as a plain loop (numpy's default method)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _cheapest_by_hand(vcpu: float, sustained: float, memory: float, arch: str) -> str:
    best, price = "", math.inf
    for t in CATALOGUE.instance_types():
        fits = t.vcpu >= vcpu and t.vcpu * t.baseline_cpu >= sustained and t.memory_gib >= memory
        if t.arch == arch and fits and t.on_demand_hourly_usd < price:
            best, price = t.name, t.on_demand_hourly_usd
    return best


@pytest.mark.parametrize(("spikes", "p995"), [(20, 30.0), (21, 30 + 0.845 * 50)])
def test_compute_optimizer_rule_on_a_known_series(spikes: int, p995: float) -> None:
    """14 days of 5-minute maxima at 30% with a few 80% spikes on a c6i.2xlarge (8 vCPU, 16 GiB).

    P99.5 of 4,032 points is rank 0.995 x 4,031 = 4,010.845: 20 spikes (0.5%) sit above it and
    do not count, a 21st moves it to 30 + 0.845 x (80 - 30)."""
    cpu = np.array([30.0] * (FIVE_MIN_14_DAYS - spikes) + [80.0] * spikes)
    memory = np.full(FIVE_MIN_14_DAYS, 40.0)
    r = rightsize("workers", "c6i.2xlarge", cpu, CATALOGUE, count=12, memory_pct=memory)
    assert r.cpu_pct == pytest.approx(p995)
    need = 8 * p995 / 100 * 1.2  # + 20% headroom
    assert r.required_vcpu == pytest.approx(need)
    assert r.required_memory_gib == pytest.approx(16 * 0.40 * 1.2)  # 7.68 GiB
    sustained = 8 * cpu.mean() / 100 * 1.2
    assert r.recommended_type == _cheapest_by_hand(need, sustained, 7.68, "x86_64")
    if spikes == 20:
        # 2.88 vCPU, 7.68 GiB: a c6i.xlarge ($0.17/h) for a c6i.2xlarge ($0.34/h), half the cost.
        assert r.recommended_type == "c6i.xlarge" and r.finding is Finding.OVER_PROVISIONED
        assert r.monthly_savings_usd == pytest.approx(12 * (0.34 - 0.17) * 730)


@pytest.mark.parametrize("days", [14, 7])
def test_compute_optimizer_rule_on_the_real_ec2_series(shared_data: Path, days: int) -> None:
    """Each NAB EC2 series (real 5-minute CloudWatch CPU) over the look-back, as a c6i.2xlarge:
    the percentile and the type match a hand loop over the catalogue."""
    names = sorted(p.name for p in (shared_data / "nab").glob("ec2_cpu_utilization_*.csv"))
    assert len(names) == 8
    for name in names:
        frame = pd.read_csv(shared_data / "nab" / name)
        values, start, end = look_back(frame["timestamp"], frame["value"], days)
        stamps = pd.to_datetime(frame["timestamp"])
        kept = frame["value"][stamps > stamps.max() - pd.Timedelta(days=days)].tolist()
        assert (
            len(values) == len(kept)
            and end == stamps.max()
            and start > end - pd.Timedelta(days=days)
        )
        r = rightsize(name, "c6i.2xlarge", values, CATALOGUE)
        p995 = _percentile_by_hand(kept, 99.5)
        assert r.cpu_pct == pytest.approx(p995), name
        if max(kept) <= 1.0:
            assert r.finding is Finding.IDLE
            continue
        need, sustained = 8 * p995 / 100 * 1.2, 8 * np.mean(kept) / 100 * 1.2
        expected = _cheapest_by_hand(need, sustained, 16, "x86_64")
        if not expected:
            assert r.finding is Finding.UNDER_PROVISIONED, name
        elif CATALOGUE.instance(expected).on_demand_hourly_usd < 0.34 and need <= 8:
            assert r.recommended_type == expected, name
        else:
            assert r.recommended_type in ("c6i.2xlarge", expected), name


def test_fargate_tasks_are_sized_by_vcpu_and_gb_at_the_bills_rates() -> None:
    """2 vCPU / 8 GB tasks at P99.5 CPU 56% and 30% memory: 1.34 vCPU and 2.88 GB needed, so
    2 vCPU (1 is too few) with the least memory 2 vCPU allows, 4 GB."""
    cpu = np.full(FIVE_MIN_14_DAYS, 56.0)
    memory = np.full(FIVE_MIN_14_DAYS, 30.0)
    r = rightsize_task(
        "api", 2, 8, cpu, memory, tasks=30, vcpu_hour_usd=0.04048, gb_hour_usd=0.004445
    )
    assert r.recommended_type == "2 vCPU / 4 GB" and r.finding is Finding.OVER_PROVISIONED
    assert r.required_vcpu == pytest.approx(2 * 0.56 * 1.2)
    assert r.required_memory_gib == pytest.approx(8 * 0.30 * 1.2)
    assert r.monthly_savings_usd == pytest.approx(30 * 4 * 0.004445 * 730)
    tight = rightsize_task(
        "api", 2, 8, np.full(10, 95.0), memory, tasks=1, vcpu_hour_usd=0.04, gb_hour_usd=0.004
    )
    assert tight.finding is Finding.UNDER_PROVISIONED and tight.recommended_type == "4 vCPU / 8 GB"
    with pytest.raises(InputError, match="tasks must be positive"):
        rightsize_task("api", 2, 8, cpu, None, tasks=0, vcpu_hour_usd=1, gb_hour_usd=1)


def test_cdn_marginal_cost_of_a_request_by_hand() -> None:
    """Usage of $1,000 fixed plus $0.60 per million origin requests: the slope is the marginal
    cost, the fixed part is never saved; the saving is requests gained x that cost + egress."""
    requests = np.array([1.0e9, 1.5e9, 2.2e9, 3.0e9, 4.1e9, 5.0e9])
    usage = 1000 + 0.6e-6 * requests
    m = marginal_cost(usage, requests)
    assert m.usd_per_million == pytest.approx(0.6) and m.fixed_usd_per_month == pytest.approx(1000)
    cdn = MeasuredCdn(
        requests=10e9,
        cached_requests=6.2e9,
        bytes=100e12,
        cached_bytes=88e12,
        target_request_hit_ratio=0.65,
        target_byte_hit_ratio=0.90,
        usd_per_request=m.usd_per_request,
        egress_usd_per_gb=0.09,
    )
    # 10e9 x (0.65 - 0.62) = 300M requests x $0.60/M = $180; 100 TB x 2% = 2,000 GB x $0.09.
    assert cdn.origin_requests_avoided == pytest.approx(300e6)
    assert cdn.compute_savings_usd == pytest.approx(180.0)
    assert cdn.egress_savings_usd == pytest.approx(180.0)
    assert cdn.monthly_savings_usd == pytest.approx(360.0)
    above = MeasuredCdn(10, 9, 10, 9, 0.65, 0.9, 1.0, 1.0)  # already past the target
    assert above.monthly_savings_usd == 0.0
    with pytest.raises(InputError, match="3 months"):
        marginal_cost(usage[:2], requests[:2])


def test_top_queries_become_cpu_and_iops_by_hand() -> None:
    stats = pd.DataFrame(
        {
            "queryid": [1, 2, 3, 4],
            "calls": [10, 10, 10, 10],
            "total_exec_time": [500.0, 300.0, 150.0, 50.0],
            "rows": [1, 1, 1, 1],
            "shared_blks_read": [100.0, 50.0, 25.0, 25.0],
        }
    )
    opt = optimise_top_queries(stats, 2, 0.5)
    assert opt.share_of_time == pytest.approx(0.8) and opt.cpu_reduction == pytest.approx(0.4)
    assert opt.share_of_reads == pytest.approx(0.75) and opt.iops_reduction == pytest.approx(0.375)
    assert list(opt.top["queryid"]) == [1, 2]
    with pytest.raises(InputError, match="query_time_reduction"):
        optimise_top_queries(stats, 2, 1.0)


def test_the_demo_levers_each_save_and_say_what_they_read(demo_store: Store) -> None:
    """The shipped assumption set on the demo (base month Oct 2026): every lever saves, the
    stack is a believable share of the month, and each names its data, period and figure."""
    result = levers(demo_store, SavingsOptions(model="drift", paths=50, seed=1))
    table = result.table.set_index("lever")
    assert (table["monthly_savings"] > 0).all(), table["monthly_savings"]
    assert 0.08 < result.stacked_total / result.spend < 0.35
    rs, cdn, db = (str(table.loc[k, "evidence"]) for k in ("right-size", "cdn", "database"))
    assert "14 days of 5-minute maxima" in rs and "c6i.2xlarge -> c6i.xlarge" in rs
    assert "2 vCPU / 8 GB -> 2 vCPU / 4 GB" in rs and "m6i.xlarge: optimised" in rs
    assert "Cloudflare analytics (2026-10-01 to 2026-10-31" in cdn and "per million" in cdn
    assert "the Cloudflare bill ($1,594 in 2026-10) does not change" in cdn
    assert "pg_stat_statements" in db and "Supabase 12xl" in db and "-> 8xl" in db
    sp = str(table.loc["commitments", "evidence"])
    assert "2026-10 (31 days): on demand $" in sp and "cover $2.78/h" in sp  # $2/h at 28% off
    # The right-sizing figure is the fleets' own bill times the share each new size saves.
    bill = demo_store.resource_costs(
        pd.Timestamp("2026-10-01").date(), pd.Timestamp("2026-11-01").date()
    )
    workers = float(
        bill.loc[bill["resource_id"] == "eks-nodegroup-apex-workers", "effective"].sum()
    )
    fargate = bill[bill["resource_id"] == "ecs-fargate-apex-api"]
    gb = fargate[fargate["sku"] == "Fargate-GB-Hours"]
    share = 4 * 0.004445 / (2 * 0.04048 + 8 * 0.004445)  # 4 GB less per task-hour
    expected = workers * (1 - 0.17 / 0.34) + float(fargate["effective"].sum()) * share
    assert table.loc["right-size", "monthly_savings"] == pytest.approx(expected, rel=1e-6)
    assert float(gb["quantity"].sum()) > 0
