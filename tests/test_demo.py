"""The demo company is deterministic and matches the document it is built from."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting.demo import CAPACITY_SET_NAME, PLAN_OF_RECORD_NAME, STATED_PLAN_NAME, generate
from forecasting.interface import CostBasis, Freq, GroupBy
from forecasting.store import Store

PLAN_USERS = {"2026Q1": 50_000, "2026Q2": 75_000, "2026Q3": 100_000, "2026Q4": 150_000}


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b = generate(date(2024, 6, 30), 3), generate(date(2024, 6, 30), 3)
    pd.testing.assert_frame_equal(a["costs"], b["costs"])
    pd.testing.assert_frame_equal(a["metrics"], b["metrics"])
    c = generate(date(2024, 6, 30), 4)
    assert not np.allclose(a["metrics"]["value"], c["metrics"]["value"])


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_users_track_the_2026_plan_within_ten_percent_but_not_exactly(seed: int) -> None:
    metrics = generate(date(2026, 12, 31), seed)["metrics"]
    users = metrics[metrics["metric"] == "users"].set_index("ts")["value"]
    quarterly = users.groupby(users.index.to_period("Q")).mean()
    for quarter, planned in PLAN_USERS.items():
        ratio = quarterly[pd.Period(quarter)] / planned
        assert 0.9 < ratio < 1.1, (quarter, ratio)
    deviations = [abs(quarterly[pd.Period(q)] / p - 1) for q, p in PLAN_USERS.items()]
    assert max(deviations) > 0.01  # plan vs actual is not trivial


def test_cost_model_is_recovered_by_regression(demo_store: Store) -> None:
    cost, _ = demo_store.read_series("cost", Freq.MONTH, complete_only=True)
    users, _ = demo_store.read_series("users", Freq.MONTH, complete_only=True)
    both = cost.merge(users, on="ds", suffixes=("_cost", "_users"))
    slope, intercept = np.polyfit(both["y_users"], both["y_cost"], 1)
    assert intercept == pytest.approx(4_000, rel=0.1)
    assert slope == pytest.approx(0.08, rel=0.1)


def test_q1_2026_shares_match_the_documents_breakdown(demo_store: Store) -> None:
    frame, _ = demo_store.read_series(
        "cost", Freq.QUARTER, GroupBy.GROUP, start=date(2026, 1, 1), end=date(2026, 4, 1)
    )
    shares = frame.set_index("unique_id")["y"] / frame["y"].sum() * 100
    expected = {"Compute": 50, "Database": 25, "CDN": 10, "Monitoring": 10, "Misc": 5}
    assert set(shares.index) == set(expected)
    for group, percent in expected.items():
        assert shares[group] == pytest.approx(percent, abs=2.5), group


def test_bills_carry_real_world_warts(demo_store: Store) -> None:
    con = demo_store.con
    categories = {
        r[0] for r in con.execute("SELECT DISTINCT ChargeCategory FROM cost_line_items").fetchall()
    }
    assert {"Usage", "Tax", "Credit", "Purchase"} <= categories
    credit = con.execute("SELECT min(BilledCost) FROM cost_line_items").fetchone()
    assert credit is not None and credit[0] < 0
    daily, _ = demo_store.read_series(
        "cost", Freq.DAY, start=date(2025, 8, 1), end=date(2025, 9, 1)
    )
    spike = daily.set_index("ds")["y"]
    assert (spike > spike.median() * 2).sum() == 3  # the three-day spike
    users, _ = demo_store.read_series("users", Freq.DAY)
    assert pd.Timestamp("2025-03-14") not in set(users["ds"])  # a day of missing metrics


def test_savings_plan_makes_billed_and_effective_differ_by_day_not_by_month(
    demo_store: Store,
) -> None:
    kwargs = {"start": date(2025, 7, 1), "end": date(2026, 11, 1)}
    billed, _ = demo_store.read_series("cost", Freq.MONTH, basis=CostBasis.BILLED, **kwargs)
    effective, _ = demo_store.read_series("cost", Freq.MONTH, basis=CostBasis.EFFECTIVE, **kwargs)
    listed, _ = demo_store.read_series("cost", Freq.MONTH, basis=CostBasis.LIST, **kwargs)
    np.testing.assert_allclose(billed["y"], effective["y"], rtol=1e-6)  # fully used commitment
    assert (listed["y"] > effective["y"]).all()
    day = {"start": date(2025, 7, 1), "end": date(2025, 7, 3)}
    billed_days, _ = demo_store.read_series("cost", Freq.DAY, basis=CostBasis.BILLED, **day)
    effective_days, _ = demo_store.read_series("cost", Freq.DAY, basis=CostBasis.EFFECTIVE, **day)
    assert billed_days["y"].iloc[0] > effective_days["y"].iloc[0]  # the fee bills on the 1st


def test_utilisation_follows_the_scaling_triggers_and_heads_for_thresholds(
    demo_store: Store,
) -> None:
    # From 2025 on: before that, traffic is so low that the 3-pod floor keeps CPU lower.
    cpu, _ = demo_store.read_series("cpu_utilization", Freq.DAY, start=date(2025, 1, 1))
    assert ((cpu["y"] >= 40) & (cpu["y"] <= 65)).mean() > 0.9
    memory, _ = demo_store.read_series("memory_utilization", Freq.DAY)
    assert memory["y"].between(50, 80).all()
    pool, _ = demo_store.read_series("db_connection_pool_utilization", Freq.MONTH)
    disk, _ = demo_store.read_series("disk_utilization", Freq.MONTH)
    for series, threshold in [(pool["y"], 90), (disk["y"], 75)]:
        assert series.iloc[-1] < threshold
        assert series.iloc[-1] > series.iloc[-7] + 5  # rising toward the threshold


def test_plan_of_record_assumptions_and_stated_savings_are_stored(demo_store: Store) -> None:
    plan_id = demo_store.latest_plan("users", PLAN_OF_RECORD_NAME)
    assert plan_id is not None
    _, values = demo_store.read_plan(plan_id)
    assert values["forecast"].tolist() == list(map(float, PLAN_USERS.values()))
    capacity = demo_store.load_assumptions(CAPACITY_SET_NAME)
    assert capacity["target_cpu_utilisation"] == 0.7
    assert capacity["alert_thresholds"]["db_connection_pool_utilization"] == 90
    stated = demo_store.stated_savings(STATED_PLAN_NAME)
    assert stated["monthly_savings"].sum() == 1_700


def test_a_demo_built_earlier_is_the_first_part_of_one_built_later() -> None:
    """Same seed: every daily row up to the earlier --until is the same in the later demo."""
    early, late = generate(date(2025, 11, 30), 7), generate(date(2026, 11, 30), 7)
    cut = pd.Timestamp("2025-11-30")
    tables = [
        ("metrics", "ts"),
        ("costs", "ChargePeriodStart"),
        ("inventory", "day"),
        ("cdn", "day"),
    ]
    for name, when in tables:
        a, b = (f[name][f[name][when] <= cut] for f in (early, late))
        if name == "metrics":  # the 5-minute evidence covers each demo's own last 14 days
            a, b = (m[~m["metric"].str.endswith("_max")] for m in (a, b))
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), obj=name)
    users = early["metrics"][early["metrics"]["metric"] == "users"].set_index("ts")["value"]
    assert users.index.max() == cut


def test_five_minute_evidence_of_a_day_does_not_depend_on_until() -> None:
    a, b = generate(date(2026, 11, 20), 7)["metrics"], generate(date(2026, 11, 30), 7)["metrics"]
    day = (a["ts"] >= pd.Timestamp("2026-11-18")) & (a["ts"] < pd.Timestamp("2026-11-19"))
    same = (b["ts"] >= pd.Timestamp("2026-11-18")) & (b["ts"] < pd.Timestamp("2026-11-19"))
    five = a[day & a["metric"].str.endswith("_max")].reset_index(drop=True)
    assert len(five) == 9 * 288  # CPU, memory of 3 groups; DB CPU, IOPS, connections
    pd.testing.assert_frame_equal(
        five, b[same & b["metric"].str.endswith("_max")].reset_index(drop=True)
    )


def test_compute_rows_are_hours_at_catalogue_rates_and_match_the_inventory(
    demo_store: Store,
) -> None:
    from forecasting.scenario.catalogue import load_catalogue

    catalogue = load_catalogue()
    rows = demo_store.con.execute(
        "SELECT CAST(ChargePeriodStart AS DATE) AS day, ResourceId, SkuId, PricingCategory, "
        "ConsumedQuantity AS q, CAST(ListCost AS DOUBLE) AS list, "
        "CAST(EffectiveCost AS DOUBLE) AS eff FROM cost_line_items "
        "WHERE ChargeCategory = 'Usage' AND SkuId LIKE 'BoxUsage:%'"
    ).df()
    od = (
        rows["SkuId"]
        .str.removeprefix("BoxUsage:")
        .map(lambda t: catalogue.instance(t).on_demand_hourly_usd)
    )
    np.testing.assert_allclose(rows["list"], rows["q"] * od, atol=0.01)
    covered = rows[rows["PricingCategory"] == "Committed"]
    assert (covered["eff"] < covered["list"]).all()  # the plan's rate is below on demand
    inventory = demo_store.read_inventory()
    rows["day"] = pd.to_datetime(rows["day"])
    inventory["day"] = pd.to_datetime(inventory["day"])
    hours = rows.groupby(["day", "ResourceId"])["q"].sum()
    ec2 = inventory[inventory["platform"] == "EC2"].set_index(["day", "resource_id"])["hours"]
    np.testing.assert_allclose(hours.reindex(ec2.index), ec2, atol=0.01)
    # The last full month: covered and on-demand hours differ, and on-demand EC2 is left over.
    month = rows[rows["day"].dt.strftime("%Y-%m") == "2026-10"]
    by = month.groupby("PricingCategory")["q"].sum()
    assert by["Standard"] > 0 and by["Committed"] > 0 and by["Standard"] != by["Committed"]
    fargate = demo_store.con.execute(
        "SELECT sum(ConsumedQuantity) FROM cost_line_items WHERE SkuId = 'Fargate-vCPU-Hours' "
        "AND BillingPeriodStart = '2026-10-01'"
    ).fetchone()
    in_october = inventory["day"].dt.strftime("%Y-%m") == "2026-10"
    tasks = inventory[(inventory["platform"] == "Fargate") & in_october]
    assert fargate is not None
    assert fargate[0] == pytest.approx((tasks["hours"] * tasks["vcpu"]).sum(), rel=1e-6)


def test_cdn_analytics_agree_with_the_metrics_and_the_bill(demo_store: Store) -> None:
    cdn = demo_store.read_cdn_analytics(start=date(2026, 10, 1), end=date(2026, 11, 1))
    rps, _ = demo_store.read_series(
        "requests_per_second", Freq.DAY, start=date(2026, 10, 1), end=date(2026, 11, 1)
    )
    origin = cdn["requests"] - cdn["cached_requests"]
    np.testing.assert_allclose(origin, rps["y"] * 86_400, rtol=1e-6)
    hit = cdn["cached_requests"].sum() / cdn["requests"].sum()
    target = demo_store.load_assumptions(CAPACITY_SET_NAME)["target_request_hit_ratio"]
    assert 0.5 < hit < target  # below the stated target: the CDN lever has room
    billed = demo_store.con.execute(
        "SELECT sum(ConsumedQuantity) FROM cost_line_items WHERE BillingPeriodStart = "
        "'2026-10-01' AND SkuId = ?",
        ["DataTransfer-Out-Bytes"],
    ).fetchone()
    assert billed is not None
    origin_gb = (cdn["bytes"] - cdn["cached_bytes"]).sum() / 1e9
    assert origin_gb == pytest.approx(billed[0], rel=1e-6)


def test_database_bill_is_its_tier_at_catalogue_prices_and_few_queries_dominate(
    demo_store: Store,
) -> None:
    from forecasting.scenario.catalogue import load_catalogue

    catalogue = load_catalogue()
    rows = demo_store.con.execute(
        "SELECT SkuId, sum(ConsumedQuantity), sum(CAST(BilledCost AS DOUBLE)) FROM "
        "cost_line_items WHERE ProviderName = 'Supabase' AND SkuId LIKE 'compute-%' "
        "AND BillingPeriodStart = '2026-10-01' GROUP BY 1"
    ).fetchall()
    assert {r[0] for r in rows} == {"compute-8xl", "compute-12xl"}  # upgraded in October
    assert sum(r[1] for r in rows) == pytest.approx(31 * 24)  # one primary all month
    for sku, hours, cost in rows:
        tier = catalogue.database_tier("Supabase", sku.removeprefix("compute-"))
        assert cost == pytest.approx(hours * tier.hourly_usd, rel=1e-6)
    queries = demo_store.read_query_stats()
    share = queries["total_exec_time"].nlargest(3).sum() / queries["total_exec_time"].sum()
    assert 0.6 < share < 0.85
    assert {"queryid", "calls", "total_exec_time", "rows"} <= set(queries.columns)


def test_five_minute_maxima_show_over_provisioned_groups(demo_store: Store) -> None:
    cpu = demo_store.read_metric_series("cpu_utilization_max", Freq.DAY, by_dimensions=True)
    assert cpu["ds"].nunique() == 14
    peak = demo_store.con.execute(
        "SELECT dimensions, quantile_cont(value, 0.995) FROM metric_observations WHERE "
        "metric = 'cpu_utilization_max' GROUP BY 1 ORDER BY 2"
    ).fetchall()
    assert len(peak) == 3 and peak[0][1] < 40 < peak[-1][1]
