"""The cost review's maths: like-for-like variance, volume + rate, unit economics, anomalies."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from forecasting import anomalies, variance
from forecasting.interface import Excuse, GroupBy
from forecasting.store import Store


def _daily_costs(store: Store, start: str, end: str, per_day: float, group: str = "AWS") -> None:
    days = pd.date_range(start, end, freq="D")
    frame = pd.DataFrame(
        {
            "ChargePeriodStart": days,
            "ChargePeriodEnd": days + pd.Timedelta(days=1),
            "BillingPeriodStart": days.to_period("M").start_time,
            "BillingAccountId": "1",
            "BillingCurrency": "USD",
            "BilledCost": per_day,
            "ProviderName": group,
            "ServiceName": f"{group} service",
        }
    )
    with store.ingest_run("t", {}) as run:
        store.replace_cost_periods(run, frame)


def _users(store: Store, start: str, end: str, users: float) -> None:
    days = pd.date_range(start, end, freq="D")
    frame = pd.DataFrame(
        {"ts": days, "metric": "users", "dimensions": "{}", "value": users, "unit": "users"}
    )
    with store.ingest_run("t", {}) as run:
        store.replace_metrics(run, frame)


def test_complete_months_compare_whole(fresh_store: Store) -> None:
    _daily_costs(fresh_store, "2026-01-01", "2026-02-28", 10.0)
    out = variance.month_over_month(fresh_store, "2026-02", GroupBy.PROVIDER)
    assert out.loc[0, "previous"] == 310.0 and out.loc[0, "current"] == 280.0
    assert out.loc[0, "change_percent"] == pytest.approx(-9.7)


def test_running_month_compares_the_same_days(fresh_store: Store) -> None:
    _daily_costs(fresh_store, "2026-01-01", "2026-02-10", 10.0)
    out = variance.month_over_month(fresh_store, "2026-02", GroupBy.PROVIDER)
    assert (out.loc[0, "previous"], out.loc[0, "current"], out.loc[0, "change"]) == (
        100.0,
        100.0,
        0.0,
    )


def test_a_new_service_has_no_percent_change(fresh_store: Store) -> None:
    _daily_costs(fresh_store, "2026-01-01", "2026-02-28", 10.0)
    _daily_costs(fresh_store, "2026-02-01", "2026-02-28", 1.0, group="New")
    out = variance.month_over_month(fresh_store, "2026-02", GroupBy.PROVIDER).set_index("provider")
    assert out.loc["New", "previous"] == 0.0
    assert pd.isna(out.loc["New", "change_percent"])
    assert variance.top_movers(out.reset_index(), 1)["provider"].tolist() == ["AWS"]


def test_volume_and_rate_add_up_to_the_variance(fresh_store: Store) -> None:
    _daily_costs(fresh_store, "2026-01-01", "2026-01-31", 100.0)  # 3,100 actual
    _users(fresh_store, "2026-01-01", "2026-01-31", 1_200.0)
    plan = pd.DataFrame(
        {"unique_id": "total", "ds": [pd.Timestamp("2026-01-01")], "forecast": [3_000.0]}
    )
    fresh_store.freeze_plan(
        name="p",
        metric="cost",
        freq="month",
        unit="USD",
        as_of=date(2025, 12, 1),
        model="stated",
        values=plan,
    )
    users_plan = plan.assign(unique_id="users", forecast=1_000.0)
    fresh_store.freeze_plan(
        name="p",
        metric="users",
        freq="quarter",
        unit="users",
        as_of=date(2025, 12, 1),
        model="stated",
        values=users_plan,
    )
    result = variance.plan_variance(fresh_store, "2026-01")
    assert isinstance(result, variance.PlanVariance)
    # Hand calculation: planned rate 3.0 $/user; volume = 200 x 3.0 = 600;
    # actual rate 3100/1200; rate = (3100/1200 - 3) x 1200 = 3100 - 3600 = -500.
    assert result.volume_variance == pytest.approx(600.0)
    assert result.rate_variance == pytest.approx(-500.0)
    assert result.volume_variance + result.rate_variance == pytest.approx(result.variance)


def test_no_plan_is_an_excuse_not_an_error(fresh_store: Store) -> None:
    _daily_costs(fresh_store, "2026-01-01", "2026-01-31", 1.0)
    assert isinstance(variance.plan_variance(fresh_store, "2026-01"), Excuse)
    assert isinstance(variance.unit_economics(fresh_store), Excuse)


def test_unit_economics_match_a_hand_calculation(fresh_store: Store) -> None:
    _daily_costs(fresh_store, "2026-01-01", "2026-01-31", 100.0)
    _users(fresh_store, "2026-01-01", "2026-01-31", 1_000.0)
    days = pd.date_range("2026-01-01", "2026-01-31", freq="D")
    rps = pd.DataFrame(
        {
            "ts": days,
            "metric": "requests_per_second",
            "dimensions": "{}",
            "value": 10.0,
            "unit": "req/s",
        }
    )
    with fresh_store.ingest_run("t", {}) as run:
        fresh_store.replace_metrics(run, rps)
    unit = variance.unit_economics(fresh_store)
    assert isinstance(unit, pd.DataFrame)
    assert unit.loc[0, "cost_per_user"] == pytest.approx(3.1)
    assert unit.loc[0, "cost_per_million_requests"] == pytest.approx(
        3100 / (10 * 31 * 86_400 / 1e6), rel=1e-4
    )


def test_anomalies_find_the_demos_three_day_spike(demo_store: Store) -> None:
    found = anomalies.anomalies(demo_store, "2025-08")
    assert isinstance(found, pd.DataFrame)
    spike = found[found["ds"].between("2025-08-12", "2025-08-14")]
    assert len(spike) == 3
    assert set(spike["service"]) == {"Amazon Elastic Compute Cloud"}
    assert (spike["service_change"] > 350).all()
    assert (spike["actual"] > spike["upper"]).all()
    assert len(found) <= 3 + 3  # a 95% band: a few chance flags at most, not a flood


def test_anomalies_need_history(fresh_store: Store) -> None:
    _daily_costs(fresh_store, "2026-01-01", "2026-02-10", 10.0)
    assert isinstance(anomalies.anomalies(fresh_store, "2026-02"), Excuse)
