"""Which compute usage a commitment can cover, and that usage hour by hour.

AWS's rules: a Compute Savings Plan covers EC2 instance hours, Fargate vCPU and GB hours and
Lambda duration in any family and region; an EC2 Instance Savings Plan and a Standard Reserved
Instance cover EC2 instance hours of one family in one region (regional Linux RIs flex across
sizes within the family). Nothing covers data transfer, EBS, Lambda requests or fees.

Usage is on-demand-equivalent dollars (FOCUS ListCost): what the hours would cost at on-demand
prices, the unit a Savings Plan's coverage and AWS's recommendations are stated in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.errors import InputError

COVERS: dict[str, tuple[str, ...]] = {
    "compute_sp": ("EC2", "Fargate", "Lambda"),
    "ec2_instance_sp": ("EC2",),
    "ri_standard": ("EC2",),
}
"""What each offering covers, by kind of usage."""
FAMILY_SCOPED = frozenset({"ec2_instance_sp", "ri_standard"})
"""Offerings bought for one instance family in one region."""
ALL_ELIGIBLE = "all eligible compute"

# AWS instance types: family (m6i, c7gn, r6idn, u-6tb1) dot size (large, 2xlarge, metal-24xl).
_INSTANCE = re.compile(
    r"\b([a-z][a-z0-9-]*\d[a-z0-9-]*)\.(nano|micro|small|medium|\d*x?large|metal(?:-\w+)?)\b"
)
_EC2_SERVICES = ("amazon elastic compute cloud", "amazonec2", "amazon ec2")
_NOT_INSTANCE_HOURS = re.compile(
    r"ebs|datatransfer|data transfer|nat ?gateway|elasticip|\bgb\b|mbps"
)


def usage_kind(service: str, sku: str, description: str) -> str | None:
    """``EC2``, ``Fargate``, ``Lambda`` or None (not commitment-eligible) for one usage row."""
    service, text = service.casefold(), f"{sku} {description}".casefold()
    if "fargate" in text or service == "aws fargate":
        return "Fargate"
    if "lambda" in service:
        # Compute Savings Plans cover duration (GB-seconds), never the per-request charge.
        return None if "request" in text else "Lambda"
    if service in _EC2_SERVICES:
        if _NOT_INSTANCE_HOURS.search(text) and not re.search(r"boxusage|instance hour", text):
            return None
        return "EC2" if _INSTANCE.search(text) else None
    return None


def instance_family(sku: str, description: str) -> str | None:
    """``m6i`` from ``BoxUsage:m6i.xlarge`` or "... On Demand Linux m6i.xlarge Instance Hour"."""
    found = _INSTANCE.search(f"{sku} {description}".casefold())
    return found.group(1) if found else None


def eligible_rows(rows: pd.DataFrame, offering: str) -> pd.DataFrame:
    """The usage rows ``offering`` can cover, with ``kind``, ``family`` and ``scope`` columns.

    ``rows`` are line items with ``ServiceName, SkuId, ChargeDescription, RegionId``; the
    scope is what one commitment of that offering spans: all eligible compute for a Compute
    Savings Plan, ``<family> <region>`` for an EC2 Instance Savings Plan or an RI.
    """
    if offering not in COVERS:
        raise InputError(
            f"unknown offering {offering!r}. Try: {', '.join(COVERS)}", parameter="offering"
        )
    # Classified once per distinct (service, SKU, description): an hourly CUR repeats them.
    # As numpy object arrays: zipping pyarrow-backed columns steps through them in Python
    # (0.24 s on a 10M-line-item bill, 34 times a refresh).
    service, sku, description = (
        rows[c].fillna("").astype(str).to_numpy(dtype=object)
        for c in ("ServiceName", "SkuId", "ChargeDescription")
    )
    keys = list(zip(service, sku, description, strict=True))
    found = {k: (usage_kind(*k), instance_family(k[1], k[2])) for k in set(keys)}
    out = rows.assign(
        kind=pd.Series([found[k][0] for k in keys], index=rows.index, dtype=object),
        family=pd.Series([found[k][1] for k in keys], index=rows.index, dtype=object),
    )
    out = out[out["kind"].isin(COVERS[offering])].copy()
    if offering in FAMILY_SCOPED:
        region = out["RegionId"].fillna("any region").astype(str)
        out["scope"] = out["family"].astype(str) + " " + region
    else:
        out["scope"] = ALL_ELIGIBLE
    return out


def hourly_profile(observations: pd.Series, min_days: int = 7) -> tuple[float, ...] | None:
    """Mean by hour of day over mean, from observations at an hour or finer (None: too few).

    ``observations`` is indexed by UTC timestamp. Each hour of day needs ``min_days`` days of
    observations, so a profile is never read off one unusual day.
    """
    values = observations.dropna()
    if values.empty:
        return None
    index = pd.DatetimeIndex(values.index)
    hourly = values.groupby(index.floor("h")).mean()
    by_hour = hourly.groupby(pd.DatetimeIndex(hourly.index).hour)
    counts = by_hour.size()
    if len(counts) < 24 or counts.min() < min_days:
        return None
    means = by_hour.mean().sort_index().to_numpy(float)
    if means.mean() <= 0:
        return None
    return tuple(float(x) for x in means / means.mean())


def to_hours(
    rows: pd.DataFrame, profile: Sequence[float] = (1.0,), column: str = "ListCost"
) -> pd.Series:
    """``column`` per clock hour from line items of any length (hourly CUR, daily FOCUS).

    A row spanning several hours is spread over them by ``profile`` (24 multipliers by hour of
    day, mean 1, or flat). Returns $ per hour indexed by the hour's start, every hour from the
    first to the last (0 where nothing ran).
    """
    if rows.empty:
        return pd.Series(dtype=float)
    shape = np.resize(np.asarray(profile, float), 24) if len(profile) > 1 else np.ones(24)
    starts = pd.to_datetime(rows["ChargePeriodStart"]).dt.floor("h")
    ends = pd.to_datetime(rows["ChargePeriodEnd"])
    hours = np.maximum(1, np.ceil((ends - starts) / pd.Timedelta(hours=1)).astype(int))
    pieces = []
    for n in np.unique(hours):
        pick = (hours == n).to_numpy()
        offsets = np.arange(n)
        stamp = starts[pick].to_numpy()[:, None] + offsets * np.timedelta64(1, "h")
        of_day = pd.DatetimeIndex(stamp.ravel()).hour.to_numpy().reshape(stamp.shape)
        weight = shape[of_day]
        weight = weight / weight.sum(axis=1, keepdims=True)
        value = rows[column].to_numpy(float)[pick][:, None] * weight
        pieces.append(pd.Series(value.ravel(), index=pd.DatetimeIndex(stamp.ravel())))
    out = pd.concat(pieces).groupby(level=0).sum().sort_index()
    full = pd.date_range(out.index.min(), out.index.max(), freq="h")
    return out.reindex(full, fill_value=0.0)


def uncovered_hours(total: pd.Series, covered: pd.Series) -> pd.Series:
    """On-demand usage left in each hour once existing commitments have covered theirs.

    ``total`` is all eligible usage (covered and not), ``covered`` what existing commitments
    covered (spread flat over a day when billed daily: a commitment covers the same amount
    every hour usage reaches it), so a day's on-demand usage falls in its busy hours.
    """
    covered = covered.reindex(total.index, fill_value=0.0)
    return (total - covered).clip(lower=0.0)
