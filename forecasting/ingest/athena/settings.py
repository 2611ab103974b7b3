"""Athena source settings: polling, prices, and which CUR-to-FOCUS rules the query reuses."""

from __future__ import annotations

from decimal import Decimal

SOURCE = "athena"

# get_query_execution is polled with exponential backoff: 0.5 s, 1 s, 2 s ... at most 10 s.
POLL_FIRST_S = 0.5
POLL_MAX_S = 10.0
QUERY_TIMEOUT_S = 3600.0

# get_query_results returns at most 1000 rows per page.
RESULT_PAGE_SIZE = 1000

# Athena bills data scanned: $5 per TB, at least 10 MB per query.
PRICE_PER_TB_USD = Decimal("5")
MIN_SCANNED_BYTES = 10 * 1024 * 1024

# The CUR -> FOCUS rules of data/focus/cur_to_focus.toml that the Athena query reuses as they
# are, so a CUR read through Athena and the same CUR read from files agree to the cent.
REUSED_RULES = ("BilledCost", "EffectiveCost", "ListCost", "ChargeCategory", "PricingCategory")

# SQL that both DuckDB (file ingest) and Athena (Trino) run the same way; a reused rule
# calling anything else is refused rather than sent.
PORTABLE_CALLS = frozenset({"coalesce", "nullif", "cast", "try_cast", "in", "and", "or", "not"})

# CUR columns the query groups by or reads besides those the reused rules name.
GROUPING_COLUMNS = (
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "bill_payer_account_id",
    "bill_payer_account_name",
    "line_item_usage_account_id",
    "line_item_usage_account_name",
    "line_item_product_code",
    "line_item_currency_code",
    "product_product_name",
)

# Result columns, in the order the query selects them.
RESULT_COLUMNS = (
    "charge_day",
    "charge_period_end",
    "billing_period_start",
    "billing_period_end",
    "billing_account_id",
    "billing_account_name",
    "sub_account_id",
    "sub_account_name",
    "product_code",
    "service_name",
    "charge_category",
    "pricing_category",
    "billing_currency",
    "billed_cost",
    "effective_cost",
    "list_cost",
    "line_items",
)

PROVIDER_NAME = "AWS"
UNKNOWN_CATEGORY = "Other"  # as the file ingest does for product codes it does not know
