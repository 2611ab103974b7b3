"""Commitments read from a store: eligibility, coverage already owned, look-back and forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models.options import ForecastOptions, run_models
from forecasting.savings.commitment_inputs import COMMITMENT_COLUMNS, commitment_rows
from forecasting.scenario.assumptions import SavingsScenario
from forecasting.scenario.catalogue import Offering, Payment, load_catalogue
from forecasting.store import Store

DAYS = pd.date_range("2026-05-01", "2026-10-31", freq="D")
SP_START = pd.Timestamp("2026-08-01")
NAIVE = ForecastOptions(model="naive", paths=50, seed=1)
END = pd.Timestamp("2026-11-01")


def _items(service: str, sku: str, list_usd: np.ndarray, **extra: object) -> pd.DataFrame:
    effective = extra.pop("effective", list_usd)
    return pd.DataFrame(
        {
            "ChargePeriodStart": DAYS,
            "ChargePeriodEnd": DAYS + pd.Timedelta(days=1),
            "BillingPeriodStart": DAYS.to_period("M").start_time,
            "BillingCurrency": "USD",
            "BilledCost": effective,
            "EffectiveCost": effective,
            "ListCost": list_usd,
            "ProviderName": "AWS",
            "BillingAccountId": "012345678901",
            "ServiceName": service,
            "ServiceCategory": "Compute",
            "RegionId": "us-east-1",
            "SkuId": sku,
            "ChargeDescription": f"{service} {sku}",
            "ChargeCategory": "Usage",
            "PricingCategory": "Standard",
            **extra,
        }
    )


@pytest.fixture
def partly_covered(fresh_store: Store) -> Store:
    """$10/h of m6i and $2/h of Fargate every hour; from August a plan covers $4/h of m6i."""
    covered = np.where(DAYS >= SP_START, 96.0, 0.0)
    frames = [
        _items("Amazon Elastic Compute Cloud", "BoxUsage:m6i.xlarge", 240.0 - covered),
        _items(
            "Amazon Elastic Compute Cloud",
            "BoxUsage:m6i.xlarge",
            covered,
            effective=covered * 0.72,
            PricingCategory="Committed",
            ChargeDescription="Savings Plan covered usage",
        ),
        _items("Amazon Elastic Container Service", "Fargate-vCPU-Hours", np.full(len(DAYS), 48.0)),
        _items("Amazon Elastic Compute Cloud", "DataTransfer-Out-Bytes", np.full(len(DAYS), 24.0)),
    ]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame["ListCost"] > 0]
    with fresh_store.ingest_run("test", {}) as run:
        fresh_store.replace_cost_periods(run, frame)
    return fresh_store


def _rows(store: Store, offering: str) -> pd.DataFrame:
    scenario = SavingsScenario(commitment_offering=offering)
    found = commitment_rows(store, scenario, load_catalogue(), END, NAIVE, run_models, (7, 30))
    assert list(found.table.columns) == COMMITMENT_COLUMNS
    return found.table


def test_compute_sp_sizes_total_eligible_usage_less_what_is_owned(partly_covered: Store) -> None:
    table = _rows(partly_covered, "compute_sp").set_index("method")
    sp = load_catalogue().rate("m6i.xlarge", Offering.COMPUTE_SP, 1, Payment.NO_UPFRONT)
    d = sp.discount()
    # Eligible: 10 + 2 = $12/h (not the $1/h of transfer); owned covers 4; $8/h is left, flat,
    # so every method covers all of it, and the forecast of the *total* stays at 12 (a forecast
    # of the uncovered series would read August's step from 12 to 8 as a fall).
    for method in ("forecast", "look-back 7 days", "look-back 30 days"):
        row = table.loc[method]
        assert row["covered_usd_per_hour"] == pytest.approx(8.0)
        assert row["hourly_commitment_usd"] == pytest.approx(8.0 * (1 - d))
        assert row["lookback_on_demand_usd_per_hour"] == pytest.approx(8.0)
        assert row["lookback_utilisation"] == pytest.approx(1.0)
        assert row["lookback_monthly_savings_usd"] == pytest.approx(8.0 * d * 730)
        assert row["expected_monthly_savings_usd"] == pytest.approx(8.0 * d * 730)
        assert row["coverage"] == pytest.approx(1.0)
    assert table.loc["forecast", "lookback_days"] == 30
    assert "cover $4.00/h" in table.loc["forecast", "note"]
    assert "EC2, Fargate" in table.loc["forecast", "note"]


def test_reserved_instances_never_count_fargate(partly_covered: Store) -> None:
    table = _rows(partly_covered, "ri_standard")
    assert set(table["scope"]) == {"m6i us-east-1"}
    look = table.set_index("method").loc["look-back 30 days"]
    # m6i only: $10/h less the $4/h owned. Whole units of the family's smallest type.
    assert look["lookback_on_demand_usd_per_hour"] == pytest.approx(6.0)
    assert look["covered_usd_per_hour"] <= 6.0 + 0.2
    assert "Fargate" not in look["note"]


def test_no_eligible_usage_is_an_input_error(fresh_store: Store) -> None:
    from forecasting.errors import InputError

    frame = _items(
        "Amazon Elastic Compute Cloud", "DataTransfer-Out-Bytes", np.full(len(DAYS), 24.0)
    )
    with fresh_store.ingest_run("test", {}) as run:
        fresh_store.replace_cost_periods(run, frame)
    with pytest.raises(InputError, match="no usage a compute_sp commitment can cover"):
        _rows(fresh_store, "compute_sp")


def test_hourly_metrics_give_the_within_day_shape(partly_covered: Store) -> None:
    hours = pd.date_range(END - pd.Timedelta(days=30), END, freq="h", inclusive="left")
    pods = np.where(hours.hour < 12, 15.0, 5.0)
    frame = pd.DataFrame(
        {"ts": hours, "metric": "instances", "value": pods, "unit": "instances", "dimensions": "{}"}
    )
    with partly_covered.ingest_run("test-metrics", {}) as run:
        partly_covered.replace_metrics(run, frame)
    table = _rows(partly_covered, "compute_sp").set_index("method")
    look = table.loc["look-back 30 days"]
    # Total $12/h moves 1.5x / 0.5x within the day: $18 by day, $6 by night; the $4/h owned
    # leaves $14 and $2. Busy hours are half the day, so the best level is the $2/h of night.
    assert look["covered_usd_per_hour"] == pytest.approx(2.0)
    assert look["lookback_on_demand_usd_per_hour"] == pytest.approx(8.0)
    assert "from hourly instances over the last 60 days" in look["note"]


def test_the_lever_adds_up_one_commitment_per_scope(partly_covered: Store) -> None:
    from forecasting.savings.commitment_inputs import commitment_lever_from

    c6i = _items("Amazon Elastic Compute Cloud", "BoxUsage:c6i.xlarge", np.full(len(DAYS), 48.0))
    with partly_covered.ingest_run("test-c6i", {}) as run:
        partly_covered.replace_cost_window(run, c6i, start=DAYS[0].date(), end=END.date())
    ri = SavingsScenario(commitment_offering="ri_standard")
    table = _rows(partly_covered, "ri_standard")
    forecast = table[table["method"] == "forecast"]
    assert sorted(forecast["scope"]) == ["c6i us-east-1", "m6i us-east-1"]
    lever = commitment_lever_from(
        partly_covered, ri, load_catalogue(), 10_000.0, END, NAIVE, run_models
    )
    expected = forecast["expected_monthly_savings_usd"].sum()
    assert lever.rate * 10_000 == pytest.approx(expected)
    assert "one commitment per scope (m6i us-east-1 $" in lever.assumptions


def test_no_eligible_usage_is_a_lever_that_saves_nothing(fresh_store: Store) -> None:
    from forecasting.savings.commitment_inputs import commitment_lever_from

    frame = _items(
        "Amazon Elastic Compute Cloud", "DataTransfer-Out-Bytes", np.full(len(DAYS), 24.0)
    )
    with fresh_store.ingest_run("test", {}) as run:
        fresh_store.replace_cost_periods(run, frame)
    lever = commitment_lever_from(
        fresh_store, SavingsScenario(), load_catalogue(), 1000.0, END, NAIVE, run_models
    )
    assert lever.rate == 0 and lever.assumptions.startswith("not modelled: ")
    assert "no usage a compute_sp commitment can cover" in lever.assumptions


def test_hourly_line_items_give_aws_look_back_before_a_forecast_is_possible(
    fresh_store: Store,
) -> None:
    # 45 days of an hourly CUR: m6i busy 12 hours a day at $10/h, $4/h at night. Too short for
    # the forecast method, long enough for AWS's: it covers the $4/h that runs all day.
    hours = pd.date_range("2026-10-01", periods=45 * 24, freq="h")
    usd = np.where(hours.hour < 12, 10.0, 4.0)
    frame = pd.DataFrame(
        {
            "ChargePeriodStart": hours,
            "ChargePeriodEnd": hours + pd.Timedelta(hours=1),
            "BillingPeriodStart": hours.to_period("M").start_time,
            "BillingCurrency": "USD",
            "BilledCost": usd,
            "EffectiveCost": usd,
            "ListCost": usd,
            "ProviderName": "AWS",
            "BillingAccountId": "012345678901",
            "ServiceName": "Amazon Elastic Compute Cloud",
            "ServiceCategory": "Compute",
            "RegionId": "us-east-1",
            "SkuId": "H9ZN7EUEHC2S7YH5",
            "ChargeDescription": "$0.192 per On Demand Linux m6i.xlarge Instance Hour",
            "ChargeCategory": "Usage",
            "PricingCategory": "Standard",
        }
    )
    with fresh_store.ingest_run("test", {}) as run:
        fresh_store.replace_cost_periods(run, frame)
    scenario = SavingsScenario()
    d = load_catalogue().rate("m6i.xlarge", Offering.COMPUTE_SP, 1, Payment.NO_UPFRONT).discount()
    end = pd.Timestamp("2026-11-15")
    found = commitment_rows(fresh_store, scenario, load_catalogue(), end, NAIVE, run_models, (30,))
    rows = found.table.set_index("method")
    assert "the forecast method needs at least 3 full months" in rows.loc["forecast", "note"]
    look = rows.loc["look-back 30 days"]
    assert look["covered_usd_per_hour"] == pytest.approx(4.0)
    assert look["hourly_commitment_usd"] == pytest.approx(4.0 * (1 - d))
    assert look["lookback_on_demand_usd_per_hour"] == pytest.approx(7.0)
    assert look["lookback_monthly_savings_usd"] == pytest.approx(4.0 * d * 730)
    assert "from the hourly line items" in look["note"]
    assert pd.isna(look["expected_monthly_savings_usd"])
