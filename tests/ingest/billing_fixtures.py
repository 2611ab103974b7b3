"""Small billing exports the tests write themselves: FOCUS, legacy CUR and CUR 2.0 files.

Each carries the warts real exports have: literal NULL strings, ``Z`` timestamps, JSON tags,
credits, tax lines, a row billed in the next period, 12-digit account ids with a leading zero.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import duckdb

FOCUS_HEADER = [
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "ProviderName",
    "ServiceCategory",
    "ServiceName",
    "SubAccountId",
    "RegionId",
    "Tags",
    "x_Custom",
]


def focus_rows(days: int = 6) -> list[dict[str, str]]:
    """FOCUS rows over two providers and two billing periods (late Sep, early Oct 2024)."""
    rows: list[dict[str, str]] = []
    for d in range(days):
        day = 27 + d  # 27..30 Sep, then 1..2 Oct
        month, dom = (9, day) if day <= 30 else (10, day - 30)
        start = f"2024-{month:02d}-{dom:02d}T00:00:00Z"
        end = f"2024-{month:02d}-{dom:02d}T23:59:59Z"
        period = f"2024-{month:02d}-01T00:00:00Z"
        period_end = "2024-10-01T00:00:00Z" if month == 9 else "2024-11-01T00:00:00Z"
        base = {
            "BillingAccountId": "012345678901",
            "BillingAccountName": "Acme",
            "BillingCurrency": "USD",
            "BillingPeriodStart": period,
            "BillingPeriodEnd": period_end,
            "ChargeClass": "NULL",
            "ChargePeriodStart": start,
            "ChargePeriodEnd": end,
            "ProviderName": "AWS",
            "SubAccountId": "009876543210",
            "RegionId": "us-east-1",
            "x_Custom": "anything",
        }
        rows.append(
            base
            | {
                "BilledCost": f"{12.3456789 + d:.7f}",
                "EffectiveCost": f"{10.5 + d:.4f}",
                "ListCost": f"{14.0 + d:.2f}",
                "ListUnitPrice": "0.1",
                "ChargeCategory": "Usage",
                "ChargeDescription": "EC2 instance, per hour",
                "ConsumedQuantity": "24",
                "ConsumedUnit": "Hours",
                "ServiceCategory": "Compute",
                "ServiceName": "Amazon Elastic Compute Cloud",
                "Tags": json.dumps({"team": "web", "env": "prod"}),
            }
        )
        rows.append(
            base
            | {
                "BilledCost": "0.0000004",
                "EffectiveCost": "0.0000004",
                "ListCost": "0.0000004",
                "ListUnitPrice": "0.0000004",
                "ChargeCategory": "Usage",
                "ChargeDescription": "$0.40 per million requests",
                "ConsumedQuantity": "1",
                "ConsumedUnit": "Requests",
                "ServiceCategory": "Integration",
                "ServiceName": "Amazon Simple Queue Service",
                "Tags": "NULL",
            }
        )
        rows.append(
            base
            | {
                "BillingAccountId": "/providers/Microsoft.Billing/billingAccounts/42",
                "BillingAccountName": "NULL",
                "ProviderName": "Microsoft",
                "BilledCost": f"{3.25 * (d + 1):.2f}",
                "EffectiveCost": f"{3.25 * (d + 1):.2f}",
                "ListCost": "NULL",
                "ListUnitPrice": "NULL",
                "ChargeCategory": "Usage",
                "ChargeDescription": "Storage, LRS",
                "ConsumedQuantity": "1.5E-3",
                "ConsumedUnit": "GB Months",
                "ServiceCategory": "Storage",
                "ServiceName": "Storage Accounts",
                "SubAccountId": "/subscriptions/abc",
                "RegionId": "eastus",
                "Tags": json.dumps({"env": "dev", " org": "x"}),
            }
        )
    first = rows[0]
    rows.append(
        first
        | {
            "BilledCost": "-2.6137",
            "EffectiveCost": "-2.6137",
            "ListCost": "0",
            "ChargeCategory": "Credit",
            "ChargeDescription": "Promotional credit",
            "ConsumedQuantity": "NULL",
            "ConsumedUnit": "NULL",
            "Tags": "NULL",
        }
    )
    rows.append(
        first
        | {
            "BilledCost": "1.05",
            "EffectiveCost": "1.05",
            "ListCost": "NULL",
            "ChargeCategory": "Tax",
            "ChargeDescription": "Tax",
            "ServiceCategory": "NULL",
            "ServiceName": "NULL",
            "ConsumedQuantity": "NULL",
            "ConsumedUnit": "NULL",
            "Tags": "NULL",
        }
    )
    # Charged in September, billed in October (as the Oracle row of the real sample).
    rows.append(
        first
        | {
            "BilledCost": "0.24",
            "BillingPeriodStart": "2024-10-01T00:00:00Z",
            "BillingPeriodEnd": "2024-11-01T00:00:00Z",
            "ChargeCategory": "Usage",
        }
    )
    return rows


# -- legacy CUR ----------------------------------------------------------------------------
CUR_LEGACY_HEADER = [
    "identity/LineItemId",
    "identity/TimeInterval",
    "bill/BillType",
    "bill/PayerAccountId",
    "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate",
    "lineItem/UsageAccountId",
    "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/ProductCode",
    "lineItem/UsageType",
    "lineItem/ResourceId",
    "lineItem/UsageAmount",
    "lineItem/CurrencyCode",
    "lineItem/UnblendedCost",
    "lineItem/LineItemDescription",
    "lineItem/LegalEntity",
    "product/ProductName",
    "product/regionCode",
    "product/sku",
    "pricing/publicOnDemandCost",
    "pricing/publicOnDemandRate",
    "pricing/unit",
    "reservation/ReservationARN",
    "reservation/EffectiveCost",
    "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "reservation/UnusedRecurringFee",
    "savingsPlan/SavingsPlanARN",
    "savingsPlan/SavingsPlanEffectiveCost",
    "savingsPlan/TotalCommitmentToDate",
    "savingsPlan/UsedCommitment",
    "resourceTags/user:team",
    "resourceTags/user:env",
]

RI = "arn:aws:ec2:us-east-1:012345678901:reserved-instances/ri-1"
SP = "arn:aws:savingsplans::012345678901:savingsplan/sp-1"

# (type, product code, usage type, unblended, public od cost, RI/SP columns, tags,
#  expected EffectiveCost, expected ServiceCategory, expected ChargeCategory)
CUR_LINES: list[dict[str, str]] = [
    {
        "lineItem/LineItemType": "Usage",
        "lineItem/ProductCode": "AmazonEC2",
        "lineItem/UsageType": "BoxUsage:m5.large",
        "lineItem/UnblendedCost": "2.304",
        "pricing/publicOnDemandCost": "2.304",
        "resourceTags/user:team": "web",
        "lineItem/ResourceId": "i-0abc",
        "product/ProductName": "Amazon Elastic Compute Cloud",
        "expect/effective": "2.304",
        "expect/category": "Compute",
        "expect/charge": "Usage",
        "expect/pricing": "Standard",
    },
    {
        "lineItem/LineItemType": "DiscountedUsage",
        "lineItem/ProductCode": "AmazonEC2",
        "lineItem/UsageType": "BoxUsage:m5.large",
        "lineItem/UnblendedCost": "0",
        "pricing/publicOnDemandCost": "2.304",
        "reservation/ReservationARN": RI,
        "reservation/EffectiveCost": "1.44",
        "product/ProductName": "Amazon Elastic Compute Cloud",
        "expect/effective": "1.44",
        "expect/category": "Compute",
        "expect/charge": "Usage",
        "expect/pricing": "Committed",
    },
    {
        "lineItem/LineItemType": "RIFee",
        "lineItem/ProductCode": "AmazonEC2",
        "lineItem/UsageType": "HeavyUsage:m5.large",
        "lineItem/UnblendedCost": "43.2",
        "reservation/ReservationARN": RI,
        "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod": "1.5",
        "reservation/UnusedRecurringFee": "2.25",
        "expect/effective": "3.75",
        "expect/category": "Compute",
        "expect/charge": "Purchase",
        "expect/pricing": "",
    },
    {
        "lineItem/LineItemType": "SavingsPlanCoveredUsage",
        "lineItem/ProductCode": "AWSLambda",
        "lineItem/UsageType": "Lambda-GB-Second",
        "lineItem/UnblendedCost": "0.8",
        "pricing/publicOnDemandCost": "0.8",
        "savingsPlan/SavingsPlanARN": SP,
        "savingsPlan/SavingsPlanEffectiveCost": "0.56",
        "resourceTags/user:env": "prod",
        "expect/effective": "0.56",
        "expect/category": "Compute",
        "expect/charge": "Usage",
        "expect/pricing": "Committed",
    },
    {
        "lineItem/LineItemType": "SavingsPlanNegation",
        "lineItem/ProductCode": "AWSLambda",
        "lineItem/UsageType": "Lambda-GB-Second",
        "lineItem/UnblendedCost": "-0.8",
        "savingsPlan/SavingsPlanARN": SP,
        "expect/effective": "0",
        "expect/category": "Compute",
        "expect/charge": "Usage",
        "expect/pricing": "",
    },
    {
        "lineItem/LineItemType": "SavingsPlanRecurringFee",
        "lineItem/ProductCode": "ComputeSavingsPlans",
        "lineItem/UsageType": "ComputeSP:1yrNoUpfront",
        "lineItem/UnblendedCost": "1.0",
        "savingsPlan/SavingsPlanARN": SP,
        "savingsPlan/TotalCommitmentToDate": "1.0",
        "savingsPlan/UsedCommitment": "0.56",
        "expect/effective": "0.44",
        "expect/category": "Compute",
        "expect/charge": "Purchase",
        "expect/pricing": "",
    },
    {
        "lineItem/LineItemType": "Usage",
        "lineItem/ProductCode": "AmazonEC2",
        "lineItem/UsageType": "SpotUsage:c5.xlarge",
        "lineItem/UnblendedCost": "0.061",
        "pricing/publicOnDemandCost": "0.17",
        "expect/effective": "0.061",
        "expect/category": "Compute",
        "expect/charge": "Usage",
        "expect/pricing": "Dynamic",
    },
    {
        "lineItem/LineItemType": "Usage",
        "lineItem/ProductCode": "AmazonS3",
        "lineItem/UsageType": "TimedStorage-ByteHrs",
        "lineItem/UnblendedCost": "1.7E-9",
        "pricing/publicOnDemandRate": "0.023",
        "lineItem/UsageAmount": "0.5",
        "lineItem/ResourceId": "arn:aws:s3:::bucket-1",
        "expect/effective": "0.0000000017",
        "expect/category": "Storage",
        "expect/charge": "Usage",
        "expect/pricing": "Standard",
    },
    {
        "lineItem/LineItemType": "Usage",
        "lineItem/ProductCode": "AmazonNewThing",
        "lineItem/UsageType": "Thing-Hours",
        "lineItem/UnblendedCost": "5",
        "expect/effective": "5",
        "expect/category": "Other",
        "expect/charge": "Usage",
        "expect/pricing": "Standard",
    },
    {
        "lineItem/LineItemType": "Tax",
        "lineItem/ProductCode": "AmazonEC2",
        "lineItem/UsageType": "",
        "lineItem/UnblendedCost": "4.4",
        "pricing/publicOnDemandCost": "0",
        "expect/effective": "4.4",
        "expect/category": "Compute",
        "expect/charge": "Tax",
        "expect/pricing": "",
    },
    {
        "lineItem/LineItemType": "Credit",
        "lineItem/ProductCode": "AmazonEC2",
        "lineItem/UsageType": "",
        "lineItem/UnblendedCost": "-3",
        "expect/effective": "-3",
        "expect/category": "Compute",
        "expect/charge": "Credit",
        "expect/pricing": "",
    },
]


def cur_legacy_rows(days: int = 3) -> list[dict[str, str]]:
    """Every CUR_LINES entry on each of ``days`` days of November 2023 (plus its expectations)."""
    rows = []
    for d in range(days):
        start = f"2023-11-{d + 1:02d}T00:00:00.000Z"
        end = f"2023-11-{d + 2:02d}T00:00:00.000Z"
        for i, line in enumerate(CUR_LINES):
            monthly = line["lineItem/LineItemType"] in ("Tax", "RIFee", "Credit")
            rows.append(
                {
                    "identity/LineItemId": f"id-{d}-{i}",
                    "identity/TimeInterval": f"{start[:19]}Z/{end[:19]}Z",
                    "bill/BillType": "Anniversary",
                    "bill/PayerAccountId": "012345678901",
                    "bill/BillingPeriodStartDate": "2023-11-01T00:00:00.000Z",
                    "bill/BillingPeriodEndDate": "2023-12-01T00:00:00.000Z",
                    "lineItem/UsageAccountId": "000011112222",
                    "lineItem/UsageStartDate": "2023-11-01T00:00:00.000Z" if monthly else start,
                    "lineItem/UsageEndDate": "2023-12-01T00:00:00.000Z" if monthly else end,
                    "lineItem/UsageAmount": "1.0",
                    "lineItem/CurrencyCode": "USD",
                    "lineItem/LineItemDescription": f"line {i}",
                    "lineItem/LegalEntity": "Amazon Web Services, Inc.",
                    "product/regionCode": "us-east-1",
                    "product/sku": f"SKU{i}",
                    "pricing/unit": "Hrs",
                }
                | line
            )
    return rows


def cur2_rows(days: int = 3) -> list[dict[str, str]]:
    """The legacy rows in CUR 2.0 spelling: snake_case names, tags and product as JSON maps."""
    names = {
        "identity/LineItemId": "identity_line_item_id",
        "identity/TimeInterval": "identity_time_interval",
        "bill/BillType": "bill_bill_type",
        "bill/PayerAccountId": "bill_payer_account_id",
        "bill/BillingPeriodStartDate": "bill_billing_period_start_date",
        "bill/BillingPeriodEndDate": "bill_billing_period_end_date",
        "lineItem/UsageAccountId": "line_item_usage_account_id",
        "lineItem/LineItemType": "line_item_line_item_type",
        "lineItem/UsageStartDate": "line_item_usage_start_date",
        "lineItem/UsageEndDate": "line_item_usage_end_date",
        "lineItem/ProductCode": "line_item_product_code",
        "lineItem/UsageType": "line_item_usage_type",
        "lineItem/ResourceId": "line_item_resource_id",
        "lineItem/UsageAmount": "line_item_usage_amount",
        "lineItem/CurrencyCode": "line_item_currency_code",
        "lineItem/UnblendedCost": "line_item_unblended_cost",
        "lineItem/LineItemDescription": "line_item_line_item_description",
        "lineItem/LegalEntity": "line_item_legal_entity",
        "product/regionCode": "product_region_code",
        "product/sku": "product_sku",
        "pricing/publicOnDemandCost": "pricing_public_on_demand_cost",
        "pricing/publicOnDemandRate": "pricing_public_on_demand_rate",
        "pricing/unit": "pricing_unit",
        "reservation/ReservationARN": "reservation_reservation_a_r_n",
        "reservation/EffectiveCost": "reservation_effective_cost",
        "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod": (
            "reservation_unused_amortized_upfront_fee_for_billing_period"
        ),
        "reservation/UnusedRecurringFee": "reservation_unused_recurring_fee",
        "savingsPlan/SavingsPlanARN": "savings_plan_savings_plan_a_r_n",
        "savingsPlan/SavingsPlanEffectiveCost": "savings_plan_savings_plan_effective_cost",
        "savingsPlan/TotalCommitmentToDate": "savings_plan_total_commitment_to_date",
        "savingsPlan/UsedCommitment": "savings_plan_used_commitment",
    }
    out = []
    for row in cur_legacy_rows(days):
        new = {names[k]: v for k, v in row.items() if k in names}
        tags = {
            k.replace("resourceTags/user:", "user_"): v
            for k, v in row.items()
            if k.startswith("resourceTags/") and v
        }
        new["resource_tags"] = json.dumps(tags) if tags else ""
        name = row.get("product/ProductName")
        new["product"] = json.dumps({"product_name": name}) if name else ""
        new["bill_payer_account_name"] = "Acme"
        new["line_item_usage_account_name"] = "acme-prod"
        out.append(new | {k: v for k, v in row.items() if k.startswith("expect/")})
    return out


# -- writers --------------------------------------------------------------------------------
def write_csv(
    rows: Sequence[dict[str, str]],
    path: Path,
    header: Sequence[str] | None = None,
    *,
    null: str = "",
) -> Path:
    """Write rows (expectation keys dropped) as CSV, or CSV.gz when the name ends in .gz."""
    columns = list(header) if header is not None else _columns(rows)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c) or null for c in columns])
    return path


def write_parquet(rows: Sequence[dict[str, str]], path: Path, types: dict[str, str]) -> Path:
    """Write rows as Parquet with the given column types (others text), as an exporter would."""
    tmp = path.with_suffix(".tmp.csv")
    write_csv(rows, tmp)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    columns = _columns(rows)

    def cast(column: str) -> str:
        value = f"nullif(nullif(\"{column}\", ''), 'NULL')"
        target = types.get(column, "VARCHAR")
        if target.startswith("MAP"):  # CUR 2.0 Parquet holds tags as a map, not JSON text
            value = f"CAST({value} AS JSON)"
        return f'CAST({value} AS {target}) AS "{column}"'

    select = ", ".join(cast(c) for c in columns)
    con.execute(
        f"COPY (SELECT {select} FROM read_csv(?, header = true, all_varchar = true)) "
        f"TO '{path}' (FORMAT parquet)",
        [str(tmp)],
    )
    con.close()
    tmp.unlink()
    return path


def _columns(rows: Sequence[dict[str, str]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            if not key.startswith("expect/"):
                seen.setdefault(key, None)
    return list(seen)


def money(text: str | None) -> Decimal:
    return Decimal(0) if text in (None, "", "NULL") else Decimal(text)
