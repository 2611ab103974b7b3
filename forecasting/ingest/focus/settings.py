"""FOCUS and CUR ingest settings: stored FOCUS columns and types, dialect markers, mapping files."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SOURCE = "focus"
DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "focus"
CUR_MAPPING_PATH = DATA_DIR / "cur_to_focus.toml"
SERVICE_CATEGORY_PATH = DATA_DIR / "aws_service_categories.toml"
SERVICE_CATEGORY_TABLE = "_aws_service_categories"

MONEY = "DECIMAL(38, 12)"
# FOCUS CSV costs are read with six more places than stored, so that a cost the store would
# round (0.0000000000000001 becomes 0) is refused instead of silently changed.
READ_MONEY = "DECIMAL(38, 18)"

# The FOCUS columns capcost stores (cost_line_items without its x_ columns), in table order.
FOCUS_TYPES: dict[str, str] = {
    "ChargePeriodStart": "TIMESTAMP",
    "ChargePeriodEnd": "TIMESTAMP",
    "BillingPeriodStart": "TIMESTAMP",
    "BillingPeriodEnd": "TIMESTAMP",
    "BillingAccountId": "VARCHAR",
    "BillingAccountName": "VARCHAR",
    "BillingCurrency": "VARCHAR",
    "BilledCost": MONEY,
    "EffectiveCost": MONEY,
    "ListCost": MONEY,
    "ContractedCost": MONEY,
    "ProviderName": "VARCHAR",
    "PublisherName": "VARCHAR",
    "InvoiceIssuerName": "VARCHAR",
    "ServiceName": "VARCHAR",
    "ServiceCategory": "VARCHAR",
    "SubAccountId": "VARCHAR",
    "SubAccountName": "VARCHAR",
    "RegionId": "VARCHAR",
    "ResourceId": "VARCHAR",
    "ResourceName": "VARCHAR",
    "ResourceType": "VARCHAR",
    "SkuId": "VARCHAR",
    "PricingCategory": "VARCHAR",
    "ChargeCategory": "VARCHAR",
    "ChargeClass": "VARCHAR",
    "ChargeDescription": "VARCHAR",
    "CommitmentDiscountId": "VARCHAR",
    "CommitmentDiscountType": "VARCHAR",
    "ConsumedQuantity": "DOUBLE",
    "ConsumedUnit": "VARCHAR",
    "PricingQuantity": "DOUBLE",
    "PricingUnit": "VARCHAR",
    "Tags": "JSON",
}

TIMESTAMP_COLUMNS = tuple(c for c, t in FOCUS_TYPES.items() if t == "TIMESTAMP")

# Without these a line item cannot be placed in time, in a billing period or in a currency.
REQUIRED = (
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BillingPeriodStart",
    "BillingCurrency",
    "BilledCost",
)

# FOCUS 0.5 names that 1.0 renamed; used only when the 1.0 name is absent.
FOCUS_ALIASES = {
    "ProviderName": "Provider",
    "PublisherName": "Publisher",
    "InvoiceIssuerName": "InvoiceIssuer",
    "RegionId": "Region",
    "ChargeCategory": "ChargeType",
    "EffectiveCost": "AmortizedCost",
}

# The newest version whose new columns appear in a header names the export (informational).
FOCUS_VERSION_MARKERS = (
    ("1.2", frozenset({"BillingAccountType", "SubAccountType", "InvoiceId", "PricingCurrency"})),
    ("1.1", frozenset({"CapacityReservationId", "ServiceSubcategory", "SkuMeter"})),
)
FOCUS_MARKERS = frozenset({"BilledCost", "ChargePeriodStart", "BillingCurrency"})
CUR_LEGACY_MARKER = "lineItem/UnblendedCost"
CUR_SNAKE_MARKER = "line_item_unblended_cost"
CUR2_MARKERS = frozenset(
    {"bill_payer_account_name", "line_item_usage_account_name", "product", "resource_tags"}
)


@dataclass(frozen=True)
class FocusRule:
    """How one stored FOCUS column is computed from CUR columns (see cur_to_focus.toml)."""

    column: str
    sql: str
    source: str
    note: str


@dataclass(frozen=True)
class CurMapping:
    """The CUR -> FOCUS table: source column types and one rule per FOCUS column."""

    source_types: dict[str, str]
    rules: tuple[FocusRule, ...]

    def rule(self, column: str) -> FocusRule:
        return next(r for r in self.rules if r.column == column)


@cache
def cur_mapping(path: Path = CUR_MAPPING_PATH) -> CurMapping:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    rules = tuple(FocusRule(**rule) for rule in raw["focus"])
    return CurMapping(dict(raw["source_types"]), rules)


@cache
def service_categories(path: Path = SERVICE_CATEGORY_PATH) -> dict[str, str]:
    """AWS product code -> FOCUS ServiceCategory."""
    with path.open("rb") as handle:
        return dict(tomllib.load(handle)["categories"])
