"""FOCUS line items for the demo company, with the warts real bills have.

Compute is billed as AWS bills it: instance-hours (EC2) and vCPU- and GB-hours (Fargate) at the
shipped catalogue's rates, so ``ConsumedQuantity x rate = ListCost`` on every usage row, and the
inventory of instances and tasks behind those hours is returned beside the line items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting.scenario.catalogue import Catalogue, Offering, Payment

# A Compute Savings Plan bought in mid-2025: $2/hour, 1 year, no upfront, always fully used.
SP_START = pd.Timestamp("2025-07-01")
SP_HOURLY = 2.0
SP_ARN = "arn:aws:savingsplans::210987654321:savingsplan/3f9c1a2e-demo"
CREDIT_MONTH = pd.Timestamp("2025-04-01")
CREDIT_USD = -500.0
SPIKE_DAYS = pd.date_range("2025-08-12", periods=3, freq="D")
SPIKE_USD_PER_DAY = 400.0
TAX_RATE = 0.06
# Fargate on-demand, us-east-1 Linux/x86 (AWS Fargate price list, mid-2025).
FARGATE_VCPU_HOUR = 0.04048
FARGATE_GB_HOUR = 0.004445


@dataclass(frozen=True)
class Fleet:
    """A group of identical EC2 instances or Fargate tasks, and its share of Compute spend."""

    resource: str
    platform: str
    """``EC2`` or ``Fargate``."""
    instance_type: str
    """EC2 type, or the task size (``2 vCPU / 8 GB``) for Fargate."""
    vcpu: float
    memory_gib: float
    share: float


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
    unit_price: float
    """Price per ConsumedUnit on the bill, so ConsumedQuantity = cost / unit_price."""


# The Savings Plan covers the fleets in this order (EC2 before Fargate: a Compute Savings Plan
# applies to the usage with the highest discount first, and EC2's is deeper than Fargate's).
FLEETS = (
    Fleet("eks-nodegroup-apex-prod", "EC2", "m6i.xlarge", 4, 16, 0.52),
    Fleet("eks-nodegroup-apex-workers", "EC2", "c6i.2xlarge", 8, 16, 0.13),
    Fleet("ecs-fargate-apex-api", "Fargate", "2 vCPU / 8 GB", 2, 8, 0.30),
)
# What is left of Compute is EC2 data transfer out to the internet (the origin's egress to the
# CDN: Cloudflare is the internet to AWS), billed under EC2 as CUR does.
EGRESS_SHARE = 1 - sum(f.share for f in FLEETS)
EGRESS_USD_PER_GB = 0.09


def lines(cfg: dict[str, Any]) -> list[Line]:
    """The other lines: one per cost-group slice, priced per unit as its vendor bills it.

    The database is billed by its tier (forecasting/demo/evidence.py), not by a share.
    """
    aws = cfg["company"]["billing_account_aws"]
    ec2 = "Amazon Elastic Compute Cloud"
    gov = "Management and Governance"
    return [
        Line(
            "Compute",
            EGRESS_SHARE,
            "AWS",
            ec2,
            "Networking",
            "eks-nodegroup-apex-prod",
            "DataTransfer-Out-Bytes",
            "GB",
            aws,
            EGRESS_USD_PER_GB,
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
            0.0025,
        ),
        Line(
            "Monitoring",
            0.8125,
            "Datadog",
            "Datadog Infrastructure Monitoring",
            gov,
            "dd-apex-prod",
            "infra-host",
            "Host-Months",
            "dd-apex",
            15.0,
        ),
        Line(
            "Monitoring",
            0.1875 / (1 + TAX_RATE),
            "PagerDuty",
            "PagerDuty Incident Response",
            gov,
            "pd-apex",
            "business-seat",
            "Seat-Months",
            "pd-apex",
            41.0,
        ),
        Line(
            "Misc",
            0.30,
            "AWS",
            "AWS Secrets Manager",
            "Security",
            "secrets-apex-prod",
            "SecretsManager-Secrets",
            "Secret-Months",
            aws,
            0.40,
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
            0.05,
        ),
    ]


def line_items(
    users: pd.Series, cfg: dict[str, Any], rng: np.random.Generator, catalogue: Catalogue
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per day and line, plus monthly tax, credit and Savings Plan fee rows; and the
    inventory (``day, resource_id, platform, instance_type, vcpu, memory_gib, instances,
    hours``) whose hours are the compute rows' ConsumedQuantity."""
    days = pd.DatetimeIndex(users.index)
    model = cfg["cost_model"]
    per_day = {
        name: (g["fixed"] + g["per_user"] * users.to_numpy()) / days.days_in_month.to_numpy()
        for name, g in model.items()
    }
    compute, inventory = _compute(days, per_day["Compute"], cfg, rng, catalogue)
    rows = [compute]
    for line in lines(cfg):
        noise = rng.lognormal(0, 0.02, len(days)) if model[line.group]["per_user"] else 1.0
        rows.append(_frame(line, days, line.share * per_day[line.group] * noise, cfg))
    spike, spike_inventory = _spike(cfg, catalogue)
    frame = pd.concat([*rows, spike, *_monthly_extras(days, cfg)], ignore_index=True)
    inventory = pd.concat([inventory, spike_inventory], ignore_index=True)
    return frame, inventory.sort_values(["day", "resource_id"], ignore_index=True)


def _compute(
    days: pd.DatetimeIndex,
    per_day: np.ndarray,
    cfg: dict[str, Any],
    rng: np.random.Generator,
    catalogue: Catalogue,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fleet hours from each fleet's share of Compute's effective cost, the Savings Plan first.

    Covered hours are priced at the plan's rate for their type (the commitment is used in full:
    $2 of them an hour), the rest on demand; so EffectiveCost follows the cost model while
    ListCost is what the same hours would cost on demand.
    """
    committed = np.where(days >= SP_START, SP_HOURLY * 24, 0.0)
    rows, inventory = [], []
    for fleet in FLEETS:
        effective = fleet.share * per_day * rng.lognormal(0, 0.02, len(days))
        if fleet.platform == "Fargate":
            task_rate = fleet.vcpu * FARGATE_VCPU_HOUR + fleet.memory_gib * FARGATE_GB_HOUR
            task_hours = effective / task_rate
            for what, per_task, rate in (
                ("vCPU", fleet.vcpu, FARGATE_VCPU_HOUR),
                ("GB", fleet.memory_gib, FARGATE_GB_HOUR),
            ):
                hours = task_hours * per_task
                rows.append(_fleet_frame(fleet, days, hours, rate, f"Fargate-{what}-Hours", cfg))
            inventory.append(_inventory(fleet, days, task_hours))
            continue
        od = catalogue.instance(fleet.instance_type).on_demand_hourly_usd
        sp = catalogue.rate(fleet.instance_type, Offering.COMPUTE_SP, 1, Payment.NO_UPFRONT)
        covered = np.minimum(committed, effective)
        committed = committed - covered
        covered_hours, od_hours = covered / sp.hourly_usd, (effective - covered) / od
        sku = f"BoxUsage:{fleet.instance_type}"
        rows.append(_fleet_frame(fleet, days, od_hours, od, sku, cfg))
        sp_rows = _fleet_frame(fleet, days, covered_hours, od, sku, cfg, sp.hourly_usd)
        rows.append(sp_rows[sp_rows["ConsumedQuantity"] > 0])
        inventory.append(_inventory(fleet, days, od_hours + covered_hours))
    if (committed > 1e-9).any():
        raise ValueError("the demo's Savings Plan must be used in full every day")
    return pd.concat([*rows, _sp_fees(days, cfg)], ignore_index=True), pd.concat(inventory)


def _fleet_frame(
    fleet: Fleet,
    days: pd.DatetimeIndex,
    hours: np.ndarray,
    rate: float,
    sku: str,
    cfg: dict[str, Any],
    sp_rate: float | None = None,
) -> pd.DataFrame:
    """Usage rows of one fleet; with ``sp_rate`` the Savings Plan covered hours.

    FOCUS semantics: covered usage bills 0, its EffectiveCost is the amortized commitment and
    its ListCost the on-demand price; the commitment fee bills monthly with EffectiveCost 0.
    """
    hours = np.round(hours, 3)
    service = (
        "Amazon Elastic Container Service"
        if fleet.platform == "Fargate"
        else ("Amazon Elastic Compute Cloud")
    )
    unit = "Hours" if fleet.platform == "EC2" else sku.removeprefix("Fargate-")
    line = Line(
        "Compute",
        0.0,
        "AWS",
        service,
        "Compute",
        fleet.resource,
        sku,
        unit,
        cfg["company"]["billing_account_aws"],
        rate,
    )
    frame = _frame(line, days, hours * rate, cfg, quantity=hours)
    if sp_rate is None:
        return frame
    effective = np.round(hours * sp_rate, 6)
    return frame.assign(
        BilledCost=0.0,
        EffectiveCost=effective,
        PricingCategory="Committed",
        CommitmentDiscountId=SP_ARN,
        CommitmentDiscountType="Savings Plan",
        ChargeDescription="Savings Plan covered usage",
    )


def _inventory(fleet: Fleet, days: pd.DatetimeIndex, hours: np.ndarray) -> pd.DataFrame:
    hours = np.round(hours, 3)
    return pd.DataFrame(
        {
            "day": days,
            "resource_id": fleet.resource,
            "platform": fleet.platform,
            "instance_type": fleet.instance_type,
            "vcpu": fleet.vcpu,
            "memory_gib": fleet.memory_gib,
            "instances": hours / 24,
            "hours": hours,
        }
    )


def _frame(
    line: Line,
    days: pd.DatetimeIndex,
    cost: np.ndarray,
    cfg: dict[str, Any],
    quantity: np.ndarray | None = None,
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
            "ConsumedQuantity": np.round(
                cost / line.unit_price if quantity is None else quantity, 3
            ),
            "ConsumedUnit": line.unit,
            "Tags": '{"env":"prod","team":"platform"}',
        }
    )


def _spike(cfg: dict[str, Any], catalogue: Catalogue) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A runaway batch job: three days of extra on-demand c6i.2xlarge."""
    workers = FLEETS[1]
    fleet = Fleet(
        "i-0batch-runaway", "EC2", workers.instance_type, workers.vcpu, workers.memory_gib, 0.0
    )
    rate = catalogue.instance(fleet.instance_type).on_demand_hourly_usd
    hours = np.full(len(SPIKE_DAYS), SPIKE_USD_PER_DAY / rate)
    sku = f"BoxUsage:{fleet.instance_type}"
    return _fleet_frame(fleet, SPIKE_DAYS, hours, rate, sku, cfg), _inventory(
        fleet, SPIKE_DAYS, hours
    )


def _monthly_extras(days: pd.DatetimeIndex, cfg: dict[str, Any]) -> list[pd.DataFrame]:
    """Monthly PagerDuty sales tax and a one-off AWS promotional credit."""
    months = days.to_period("M").unique().start_time
    pagerduty = lines(cfg)[3]
    monthly_fee = cfg["cost_model"]["Monitoring"]["fixed"] * pagerduty.share
    tax = _frame(pagerduty, months, np.full(len(months), monthly_fee * TAX_RATE), cfg)
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
        credit = _frame(
            lines(cfg)[0], pd.DatetimeIndex([CREDIT_MONTH]), np.array([CREDIT_USD]), cfg
        ).assign(ServiceCategory="Compute")
        extras.append(
            credit.assign(
                ChargeCategory="Credit",
                ChargeDescription="AWS promotional credit",
                SkuId=None,
                ConsumedQuantity=None,
                ConsumedUnit=None,
            )
        )
    return extras


def _sp_fees(days: pd.DatetimeIndex, cfg: dict[str, Any]) -> pd.DataFrame:
    """The plan's recurring fee: $2 for every hour of each month, billed on the 1st."""
    months = days[days >= SP_START].to_period("M").unique()
    if len(months) == 0:
        return pd.DataFrame()
    starts = months.start_time
    fee = SP_HOURLY * 24 * months.days_in_month.to_numpy()
    line = Line(
        "Compute",
        0.0,
        "AWS",
        "Savings Plans for AWS Compute usage",
        "Compute",
        SP_ARN,
        "ComputeSP:1yrNoUpfront",
        "Hours",
        cfg["company"]["billing_account_aws"],
        SP_HOURLY,
    )
    fees = _frame(line, starts, fee, cfg)
    return fees.assign(
        ChargePeriodEnd=(months + 1).start_time,
        EffectiveCost=0.0,
        ListCost=0.0,
        PricingCategory="Committed",
        ChargeCategory="Purchase",
        ChargeDescription="Compute Savings Plan recurring fee",
        CommitmentDiscountId=SP_ARN,
        CommitmentDiscountType="Savings Plan",
        ConsumedQuantity=None,
        ConsumedUnit=None,
    )
