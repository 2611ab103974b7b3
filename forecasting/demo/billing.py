"""FOCUS line items for the demo company, with the warts real bills have."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# A Compute Savings Plan bought in mid-2025: $2/hour at a 28% discount, always fully used.
SP_START = pd.Timestamp("2025-07-01")
SP_HOURLY = 2.0
SP_DISCOUNT = 0.28
SP_ARN = "arn:aws:savingsplans::210987654321:savingsplan/3f9c1a2e-demo"
CREDIT_MONTH = pd.Timestamp("2025-04-01")
CREDIT_USD = -500.0
SPIKE_DAYS = pd.date_range("2025-08-12", periods=3, freq="D")
SPIKE_USD_PER_DAY = 400.0
TAX_RATE = 0.06


@dataclass(frozen=True)
class Line:
    """Where one slice of a cost group's spend is billed (FOCUS provider/service/category)."""

    group: str
    share: float
    provider: str
    service: str
    category: str
    resource: str
    sku: str
    unit: str
    account: str


def lines(cfg: dict[str, Any]) -> list[Line]:
    aws = cfg["company"]["billing_account_aws"]
    return [
        Line(
            "Compute",
            0.55,
            "AWS",
            "Amazon Elastic Compute Cloud",
            "Compute",
            "eks-nodegroup-apex-prod",
            "BoxUsage:m6i.xlarge",
            "Hours",
            aws,
        ),
        Line(
            "Compute",
            0.15,
            "AWS",
            "Amazon Elastic Compute Cloud",
            "Compute",
            "eks-nodegroup-apex-workers",
            "BoxUsage:c6i.large",
            "Hours",
            aws,
        ),
        Line(
            "Compute",
            0.30,
            "AWS",
            "Amazon Elastic Container Service",
            "Compute",
            "ecs-fargate-apex-api",
            "Fargate-vCPU-Hours",
            "Hours",
            aws,
        ),
        Line(
            "Database",
            1.0,
            "Supabase",
            "Supabase Pro",
            "Databases",
            "apex-prod-db",
            "compute-large",
            "Hours",
            "org_apex",
        ),
        Line(
            "CDN",
            1.0,
            "Cloudflare",
            "Cloudflare CDN",
            "Networking",
            "zone-apexomnihub.com",
            "bandwidth",
            "GB",
            "cf-apex",
        ),
        Line(
            "Monitoring",
            0.8125,
            "Datadog",
            "Datadog Infrastructure Monitoring",
            "Management and Governance",
            "dd-apex-prod",
            "infra-host",
            "Hosts",
            "dd-apex",
        ),
        Line(
            "Monitoring",
            0.1875 / (1 + TAX_RATE),
            "PagerDuty",
            "PagerDuty Incident Response",
            "Management and Governance",
            "pd-apex",
            "business-seat",
            "Seats",
            "pd-apex",
        ),
        Line(
            "Misc",
            0.30,
            "AWS",
            "AWS Secrets Manager",
            "Security",
            "secrets-apex-prod",
            "SecretsManager-Secrets",
            "Secrets",
            aws,
        ),
        Line(
            "Misc",
            0.70,
            "AWS",
            "AWS Backup",
            "Storage",
            "backup-vault-apex",
            "WarmStorage-ByteHrs",
            "GB-Mo",
            aws,
        ),
    ]


def line_items(users: pd.Series, cfg: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """One row per day and line, plus monthly tax, credit and Savings Plan fee rows."""
    days = pd.DatetimeIndex(users.index)
    days_in_month = days.days_in_month.to_numpy()
    model = cfg["cost_model"]
    rows: list[pd.DataFrame] = []
    for line in lines(cfg):
        group = model[line.group]
        monthly = group["fixed"] + group["per_user"] * users.to_numpy()
        noise = rng.lognormal(0, 0.02, len(days)) if group["per_user"] else 1.0
        cost = line.share * monthly / days_in_month * noise
        rows.append(_usage_frame(line, days, cost, cfg))
    frame = pd.concat([*rows, _spike(cfg), *_monthly_extras(days, cfg)], ignore_index=True)
    frame = _apply_savings_plan(frame)
    return frame[frame["ChargePeriodStart"] <= days[-1]].reset_index(drop=True)


def _usage_frame(
    line: Line, days: pd.DatetimeIndex, cost: np.ndarray, cfg: dict[str, Any]
) -> pd.DataFrame:
    cost = np.round(cost, 6)
    return pd.DataFrame(
        {
            "ChargePeriodStart": days,
            "ChargePeriodEnd": days + pd.Timedelta(days=1),
            "BillingPeriodStart": days.to_period("M").start_time,
            "BillingPeriodEnd": (days.to_period("M") + 1).start_time,
            "BillingAccountId": line.account,
            "BillingCurrency": cfg["company"]["currency"],
            "BilledCost": cost,
            "EffectiveCost": cost,
            "ListCost": cost,
            "ProviderName": line.provider,
            "PublisherName": line.provider,
            "InvoiceIssuerName": line.provider,
            "ServiceName": line.service,
            "ServiceCategory": line.category,
            "SubAccountId": cfg["company"]["sub_account_aws"]
            if line.provider == "AWS"
            else line.account,
            "RegionId": cfg["company"]["region"] if line.provider == "AWS" else None,
            "ResourceId": line.resource,
            "SkuId": line.sku,
            "PricingCategory": "Standard",
            "ChargeCategory": "Usage",
            "ChargeDescription": f"{line.service} {line.sku}",
            "ConsumedQuantity": np.round(cost * 10, 3),
            "ConsumedUnit": line.unit,
            "Tags": '{"env":"prod","team":"platform"}',
        }
    )


def _spike(cfg: dict[str, Any]) -> pd.DataFrame:
    """A runaway batch job: three days of extra EC2."""
    extra = lines(cfg)[1]
    return _usage_frame(
        Line(**{**extra.__dict__, "resource": "i-0batch-runaway"}),
        SPIKE_DAYS,
        np.full(len(SPIKE_DAYS), SPIKE_USD_PER_DAY),
        cfg,
    )


def _monthly_extras(days: pd.DatetimeIndex, cfg: dict[str, Any]) -> list[pd.DataFrame]:
    """Monthly PagerDuty sales tax and a one-off AWS promotional credit."""
    months = days.to_period("M").unique().start_time
    pagerduty = lines(cfg)[6]
    monthly_fee = cfg["cost_model"]["Monitoring"]["fixed"] * pagerduty.share
    tax = _usage_frame(pagerduty, months, np.full(len(months), monthly_fee * TAX_RATE), cfg)
    tax = tax.assign(
        ChargePeriodEnd=(months.to_period("M") + 1).start_time,
        ChargeCategory="Tax",
        ChargeDescription="Sales tax",
        SkuId=None,
        ConsumedQuantity=None,
        ConsumedUnit=None,
    )
    extras = [tax]
    if CREDIT_MONTH in months:
        credit = _usage_frame(
            lines(cfg)[0], pd.DatetimeIndex([CREDIT_MONTH]), np.array([CREDIT_USD]), cfg
        )
        extras.append(
            credit.assign(
                ChargeCategory="Credit",
                ChargeDescription="AWS promotional credit",
                ConsumedQuantity=None,
                ConsumedUnit=None,
            )
        )
    return extras


def _apply_savings_plan(frame: pd.DataFrame) -> pd.DataFrame:
    """From SP_START, the first $48/day of EC2 on-demand-equivalent usage is SP-covered.

    FOCUS semantics: covered usage bills 0, its EffectiveCost is the amortized commitment and
    its ListCost the on-demand price; the commitment fee bills monthly with EffectiveCost 0.
    """
    daily_commit = SP_HOURLY * 24
    is_ec2 = (
        (frame["ServiceName"] == "Amazon Elastic Compute Cloud")
        & (frame["ChargeCategory"] == "Usage")
        & (frame["ResourceId"] == "eks-nodegroup-apex-prod")
        & (frame["ChargePeriodStart"] >= SP_START)
    )
    covered = frame[is_ec2].copy()
    covered_eff = np.minimum(covered["EffectiveCost"], daily_commit)
    rest = frame.copy()
    on_demand = (covered["EffectiveCost"] - covered_eff).round(6)
    for column in ("BilledCost", "EffectiveCost", "ListCost"):
        rest.loc[is_ec2, column] = on_demand
    covered = covered.assign(
        BilledCost=0.0,
        EffectiveCost=covered_eff.round(6),
        ListCost=(covered_eff / (1 - SP_DISCOUNT)).round(6),
        PricingCategory="Committed",
        CommitmentDiscountId=SP_ARN,
        CommitmentDiscountType="Savings Plan",
        ChargeDescription="Savings Plan covered usage",
    )
    fees = _sp_fees(covered)
    return pd.concat([rest, covered, fees], ignore_index=True)


def _sp_fees(covered: pd.DataFrame) -> pd.DataFrame:
    if covered.empty:
        return covered
    by_month = covered.groupby("BillingPeriodStart", as_index=False)["EffectiveCost"].sum()
    template = covered.drop_duplicates("BillingPeriodStart").set_index("BillingPeriodStart")
    fees = template.loc[by_month["BillingPeriodStart"]].reset_index()
    result: pd.DataFrame = fees.assign(
        ChargePeriodStart=fees["BillingPeriodStart"],
        ChargePeriodEnd=fees["BillingPeriodEnd"],
        BilledCost=by_month["EffectiveCost"].round(6).to_numpy(),
        EffectiveCost=0.0,
        ListCost=0.0,
        ServiceName="Savings Plans for AWS Compute usage",
        ChargeCategory="Purchase",
        ChargeDescription="Compute Savings Plan recurring fee",
        ResourceId=SP_ARN,
        SkuId="ComputeSP:1yrNoUpfront",
        ConsumedQuantity=None,
        ConsumedUnit=None,
    )
    return result
