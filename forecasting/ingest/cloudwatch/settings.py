"""CloudWatch source settings: API limits, prices, retention tiers and config vocabulary."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

SOURCE = "cloudwatch"

# GetMetricData takes at most 500 queries per call and pages its datapoints (NextToken).
MAX_QUERIES_PER_CALL = 500

# GetMetricData is billed per metric requested, per call.
PRICE_PER_1000_METRICS_USD = Decimal("0.01")

# CloudWatch keeps finer data for a shorter time; a period finer than the tier that holds
# the window's start returns no datapoints at all (no error), so capcost checks it first.
# (data older than, period must be a multiple of)
RETENTION_TIERS = (
    (timedelta(hours=3), 60),
    (timedelta(days=15), 300),
    (timedelta(days=63), 3600),
)
RETENTION_LIMIT = timedelta(days=455)

HIGH_RESOLUTION_PERIODS = (1, 5, 10, 30)
BASIC_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

# Derived rules: what to do with each period's statistic before storing it.
#   none        store the statistic as it is (times `scale`)
#   per_second  divide by the period: a Sum of RequestCount per 60 s becomes requests/s
DERIVE_RULES = ("none", "per_second")
COUNT_STATISTICS = ("Sum", "SampleCount")

REQUIRED_KEYS = ("name", "namespace", "metric", "statistic", "period", "capcost_metric", "unit")
OPTIONAL_KEYS = ("dimensions", "derive", "scale", "peak_metric", "fill_missing")
