"""Data-quality reads: gaps inside each series' span, doubled days, currencies, odd values."""

from __future__ import annotations

import pandas as pd

from forecasting.store.core import StoreCore

# Days missing inside each series' own span, as ranges (gaps and islands: consecutive days
# share day - row_number). Each caller's fixed ``present`` query names its series by (a, b).
_GAPS_TAIL = """
spans AS (SELECT a, b, min(day) AS lo, max(day) AS hi FROM present GROUP BY ALL),
expected AS (
    SELECT a, b, CAST(unnest(generate_series(lo, hi, INTERVAL 1 DAY)) AS DATE) AS day
    FROM spans
),
missing AS (
    SELECT e.* FROM expected e ANTI JOIN present p
    ON p.a IS NOT DISTINCT FROM e.a AND p.b IS NOT DISTINCT FROM e.b AND p.day = e.day
),
islands AS (
    SELECT *, day - CAST(row_number() OVER (PARTITION BY a, b ORDER BY day) AS INTEGER) AS g
    FROM missing
)
SELECT a, b, min(day) AS first_missing, max(day) AS last_missing, count(*) AS days
FROM islands GROUP BY a, b, g ORDER BY days DESC, first_missing
"""
_COST_GAPS_SQL = (
    "WITH present AS (SELECT DISTINCT ProviderName AS a, x_source AS b, day FROM cost_daily),"
    + _GAPS_TAIL
)
_METRIC_GAPS_SQL = (
    "WITH present AS (SELECT DISTINCT metric AS a, dimensions AS b, day FROM metric_daily),"
    + _GAPS_TAIL
)


class QualityMixin(StoreCore):
    """What the Data page's warnings are computed from; each read returns its example rows."""

    def cost_gaps(self) -> pd.DataFrame:
        """``ProviderName, source, first_missing, last_missing, days`` per run of missing days."""
        frame = self.con.execute(_COST_GAPS_SQL).df()
        return frame.rename(columns={"a": "ProviderName", "b": "source"})

    def metric_gaps(self) -> pd.DataFrame:
        """``metric, dimensions, first_missing, last_missing, days`` per run of missing days."""
        frame = self.con.execute(_METRIC_GAPS_SQL).df()
        return frame.rename(columns={"a": "metric", "b": "dimensions"})

    def doubled_cost_days(self) -> pd.DataFrame:
        """Days on which one account's cost came from more than one source."""
        return self.con.execute(
            "SELECT day, ProviderName, SubAccountId, "
            "string_agg(DISTINCT x_source, ', ') AS sources, "
            "CAST(sum(BilledCost) AS DOUBLE) AS billed FROM cost_daily GROUP BY ALL "
            "HAVING count(DISTINCT x_source) > 1 ORDER BY day"
        ).df()

    def doubled_metric_days(self) -> pd.DataFrame:
        """Metric days whose daily value mixes observations of several sources."""
        return self.con.execute(
            "SELECT day, metric, dimensions, source AS sources FROM metric_daily "
            "WHERE source LIKE '%,%' ORDER BY day"
        ).df()

    def currency_totals(self) -> pd.DataFrame:
        """Per billing currency: billed total and first and last day."""
        return self.con.execute(
            "SELECT BillingCurrency AS currency, CAST(sum(BilledCost) AS DOUBLE) AS billed, "
            "min(day) AS first_day, max(day) AS last_day FROM cost_daily GROUP BY 1 ORDER BY 2 DESC"
        ).df()

    def negative_usage(self) -> pd.DataFrame:
        """Line items with a negative ConsumedQuantity, per day, provider, service and unit."""
        return self.con.execute(
            "SELECT CAST(ChargePeriodStart AS DATE) AS day, ProviderName, ServiceName, "
            "ConsumedUnit, count(*) AS line_items, sum(ConsumedQuantity) AS quantity "
            "FROM cost_line_items WHERE ConsumedQuantity < 0 GROUP BY ALL ORDER BY day"
        ).df()

    def negative_metrics(self) -> pd.DataFrame:
        """Per metric and dimensions: days with a negative observation, and the lowest."""
        return self.con.execute(
            "SELECT metric, dimensions, count(*) AS days, min(min) AS lowest FROM metric_daily "
            "WHERE min < 0 GROUP BY ALL ORDER BY days DESC"
        ).df()

    def uncategorised_cost(self) -> pd.DataFrame:
        """Cost without a ServiceCategory, per currency, provider and service."""
        return self.con.execute(
            "SELECT BillingCurrency AS currency, ProviderName, ServiceName, "
            "count(DISTINCT day) AS days, CAST(sum(BilledCost) AS DOUBLE) AS billed "
            "FROM cost_daily WHERE ServiceCategory IS NULL GROUP BY ALL ORDER BY abs(billed) DESC"
        ).df()
