"""The compute usage rollup: what the line items say, kept by every ingest and filled by its
migration, so that commitments read it without scanning the bill."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from forecasting.store import Store
from forecasting.store.migrations import MIGRATIONS

# The read as it was before the rollup: the line items grouped at their own granularity.
FROM_LINE_ITEMS = """
SELECT ChargePeriodStart, ChargePeriodEnd, ServiceName, RegionId, SkuId, ChargeDescription,
       PricingCategory, CommitmentDiscountType,
       CAST(sum(coalesce(ListCost, EffectiveCost, BilledCost)) AS DOUBLE) AS ListCost,
       CAST(sum(coalesce(EffectiveCost, BilledCost)) AS DOUBLE) AS cost,
       sum(ConsumedQuantity) AS ConsumedQuantity
FROM cost_line_items WHERE BillingCurrency = ? AND ChargeCategory = 'Usage'
  AND (ServiceCategory = 'Compute' OR lower(ServiceName) IN ('amazon elastic compute cloud',
       'amazon elastic container service', 'aws fargate', 'aws lambda'))
  AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
GROUP BY ALL
"""
KEY = ["ChargePeriodStart", "ServiceName", "RegionId", "SkuId", "PricingCategory"]


def hourly_items(month: str, cost: float, hours: int = 72) -> pd.DataFrame:
    """Two SKUs of EC2 and one of Fargate per hour, a storage line, a tax line."""
    ds = pd.date_range(month, periods=hours, freq="h")
    rows = []
    for i, start in enumerate(ds):
        for service, sku, category, charge in [
            ("Amazon Elastic Compute Cloud", "m6i", "Compute", "Usage"),
            ("Amazon Elastic Compute Cloud", "c6i", "Compute", "Usage"),
            ("AWS Fargate", "vcpu", None, "Usage"),  # by its name: no category stated
            ("Amazon Simple Storage Service", "gb", "Storage", "Usage"),
            ("Amazon Elastic Compute Cloud", "tax", "Compute", "Tax"),
        ]:
            rows.append(
                {
                    "ChargePeriodStart": start,
                    "ChargePeriodEnd": start + pd.Timedelta(hours=1),
                    "BillingPeriodStart": pd.Timestamp(month),
                    "BillingAccountId": "000123456789",
                    "BillingCurrency": "USD",
                    "BilledCost": cost + i % 7 * 0.01,
                    "EffectiveCost": (cost + i % 7 * 0.01) * 0.7,
                    "ListCost": None if sku == "c6i" else cost * 1.2,  # falls back to effective
                    "ProviderName": "AWS",
                    "ServiceName": service,
                    "ServiceCategory": category,
                    "ChargeCategory": charge,
                    "SkuId": sku,
                    "RegionId": "eu-west-1",
                    "PricingCategory": "Standard" if i % 3 else "Committed",
                    "ConsumedQuantity": 1.0,
                }
            )
    return pd.DataFrame(rows)


def ingest(store: Store, frame: pd.DataFrame) -> None:
    with store.ingest_run("test", {}) as run:
        store.replace_cost_periods(run, frame)


def from_line_items(store: Store, start: date, end: date) -> pd.DataFrame:
    frame = store.con.execute(FROM_LINE_ITEMS, ["USD", start, end]).df()
    for column in ("ChargePeriodStart", "ChargePeriodEnd"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def assert_same(rolled: pd.DataFrame, scanned: pd.DataFrame) -> None:
    assert len(rolled) > 0
    pd.testing.assert_frame_equal(
        rolled.sort_values(KEY).reset_index(drop=True),
        scanned.sort_values(KEY).reset_index(drop=True),
        check_exact=True,  # the same DECIMAL sums, cast once
    )


def test_the_rollup_reads_what_the_line_items_say(fresh_store: Store) -> None:
    ingest(
        fresh_store, pd.concat([hourly_items("2026-01-01", 2.0), hourly_items("2026-02-01", 3.0)])
    )
    start, end = date(2026, 1, 2), date(2026, 2, 2)  # windows cut days, as commitments ask
    rolled = fresh_store.compute_usage_items(start, end)
    assert_same(rolled, from_line_items(fresh_store, start, end))
    assert set(rolled["ServiceName"]) == {"Amazon Elastic Compute Cloud", "AWS Fargate"}
    assert rolled["ChargePeriodStart"].is_monotonic_increasing


def test_a_restated_period_replaces_its_usage(fresh_store: Store) -> None:
    ingest(
        fresh_store, pd.concat([hourly_items("2026-01-01", 2.0), hourly_items("2026-02-01", 3.0)])
    )
    ingest(fresh_store, hourly_items("2026-01-01", 5.0, hours=48))  # January restated, shorter
    start, end = date(2026, 1, 1), date(2026, 3, 1)
    rolled = fresh_store.compute_usage_items(start, end)
    assert_same(rolled, from_line_items(fresh_store, start, end))
    january = rolled[rolled["ChargePeriodStart"] < "2026-02-01"]
    assert january["ChargePeriodStart"].max() == pd.Timestamp("2026-01-02 23:00")


def test_the_migration_fills_the_rollup_from_the_stored_line_items(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    version = next(v for v, _, sql in MIGRATIONS if "CREATE TABLE compute_usage" in sql)
    with Store(path) as store:
        ingest(store, hourly_items("2026-01-01", 2.0))
        # As a database from before the rollup: its line items, no rollup, the version before.
        store.con.execute("DROP TABLE compute_usage")
        store.con.execute("DELETE FROM schema_migrations WHERE version >= ?", [version])
    with Store(path) as store:
        assert store.schema_version() == MIGRATIONS[-1][0]
        start, end = date(2026, 1, 1), date(2026, 2, 1)
        assert_same(store.compute_usage_items(start, end), from_line_items(store, start, end))
