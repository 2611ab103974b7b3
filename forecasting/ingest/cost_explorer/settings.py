"""Cost Explorer source settings: metric-to-FOCUS mapping, group keys, windows and prices."""

from __future__ import annotations

from decimal import Decimal

SOURCE = "cost-explorer"

# Cost Explorer is a global service served from us-east-1 (cn-northwest-1 in China).
DEFAULT_REGION = "us-east-1"

# CE charges per paginated request, however many metrics one request asks for.
PRICE_PER_REQUEST_USD = Decimal("0.01")

# Cost Explorer restates recent days (late usage, credits, refunds) for a while after they
# appear; every incremental run re-pulls this many days before the watermark.
TRAILING_DAYS = 3

# Which FOCUS cost column each CE metric fills. Cash-basis metrics (what the invoice shows,
# upfront fees on the day they are charged) fill BilledCost; amortized ones (upfront and
# recurring commitment fees spread over the usage they cover) fill EffectiveCost. Blended
# cost averages rates across an organisation: still cash basis, but per-account amounts
# differ from the invoice, so prefer UnblendedCost for BilledCost.
METRIC_COLUMNS: dict[str, str] = {
    "UnblendedCost": "BilledCost",
    "NetUnblendedCost": "BilledCost",
    "BlendedCost": "BilledCost",
    "AmortizedCost": "EffectiveCost",
    "NetAmortizedCost": "EffectiveCost",
}
# One request returns both for the price of one.
DEFAULT_METRICS = ("UnblendedCost", "AmortizedCost")

# CE GroupBy dimension -> the FOCUS column its value fills (CE allows at most two).
GROUP_COLUMNS: dict[str, str] = {
    "SERVICE": "ServiceName",
    "LINKED_ACCOUNT": "SubAccountId",
    "REGION": "RegionId",
}
DEFAULT_GROUP_BY = ("SERVICE", "LINKED_ACCOUNT")
MAX_GROUP_BY = 2

GRANULARITIES = ("DAILY", "MONTHLY")

# FOCUS columns capcost's views use; those a pull does not fill are listed as null in the
# run parameters (ListCost, ServiceCategory, ChargeCategory... CE cannot provide them).
FOCUS_COST_COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "ServiceName",
    "ServiceCategory",
    "SubAccountId",
    "SubAccountName",
    "RegionId",
    "PricingCategory",
    "ChargeCategory",
    "ResourceId",
    "SkuId",
    "ConsumedQuantity",
    "BillingAccountId",
)

PROVIDER_NAME = "AWS"
