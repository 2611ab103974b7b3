"""Refresh the catalogue's AWS rows from the Price List API (reading it: scenario.catalogue)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting.errors import InputError
from forecasting.savings.pricing import helpers, settings
from forecasting.scenario.catalogue import FILES, Catalogue

if TYPE_CHECKING:  # the boto3 stubs are a development dependency
    from mypy_boto3_pricing import PricingClient

__all__ = ["Refresh", "fetch_products", "refresh_aws", "write_tables"]


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Replace each CSV atomically so a reader never sees half a file."""
    for table, frame in tables.items():
        path = folder / FILES[table]
        tmp = path.with_name(path.name + ".tmp")
        frame.to_csv(tmp, index=False, lineterminator="\n")
        tmp.replace(path)


def fetch_products(
    client: PricingClient, service_code: str, filters: list[Any]
) -> list[dict[str, Any]]:
    """Every product the Price List returns for the filters, parsed (all pages)."""
    out: list[dict[str, Any]] = []
    for page in client.get_paginator("get_products").paginate(
        ServiceCode=service_code, Filters=filters, FormatVersion="aws_v1"
    ):
        out.extend(helpers.parse_product(item) for item in page.get("PriceList", []))
    return out


@dataclass
class Refresh:
    """What a refresh changed: the new tables and what the Price List did not return."""

    tables: dict[str, pd.DataFrame]
    rows_updated: int = 0
    missing: list[str] = field(default_factory=list)


def _by_type(products: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for p in products:
        if p["instance_type"] and p["on_demand_hourly"] is not None:
            found.setdefault(str(p["instance_type"]), p)
    return found


def _stamp(frame: pd.DataFrame, index: Any, today: date) -> None:
    frame.loc[index, "as_of"] = today.isoformat()
    frame.loc[index, "source"] = settings.SOURCE


def _update_compute(compute: pd.DataFrame, prices: dict[str, dict[str, Any]], today: date) -> int:
    """Set on-demand and Standard RI prices; Compute Savings Plan rows are not in the
    AmazonEC2 price list, so they keep their illustrative values."""
    updated = 0
    for i, row in compute.iterrows():
        p = prices.get(str(row["instance_type"]))
        if p is None or row["offering"] == "compute_sp":
            continue
        if row["offering"] == "on_demand":
            compute.loc[i, ["upfront_usd", "hourly_usd"]] = ["0.0", str(p["on_demand_hourly"])]
        else:
            key = (int(float(row["term_years"])), str(row["payment_option"]))
            if key not in p["reserved"]:
                continue
            upfront, hourly = p["reserved"][key]
            compute.loc[i, ["upfront_usd", "hourly_usd"]] = [str(upfront), str(hourly)]
        for col in ("vcpu", "memory_gib"):
            if p[col] is not None:
                compute.loc[i, col] = str(p[col])
        _stamp(compute, i, today)
        updated += 1
    return updated


def _update_database(database: pd.DataFrame, prices: dict[str, dict[str, Any]], today: date) -> int:
    updated = 0
    for i, row in database.iterrows():
        p = prices.get(str(row["tier"])) if row["provider"] == "AWS" else None
        if p is None:
            continue
        database.loc[i, "hourly_usd"] = str(p["on_demand_hourly"])
        _stamp(database, i, today)
        updated += 1
    return updated


def refresh_aws(
    client: PricingClient, tables: dict[str, pd.DataFrame], *, region: str, today: date
) -> Refresh:
    """New tables whose AWS EC2 and RDS rows carry today's Price List prices."""
    if region not in settings.LOCATIONS:
        raise InputError(
            f"unknown region {region!r}; known: {', '.join(sorted(settings.LOCATIONS))}",
            parameter="--region",
        )
    location = settings.LOCATIONS[region]
    compute, database = tables["compute"].copy(), tables["database"].copy()
    ec2_types = sorted(compute.loc[compute["provider"] == "AWS", "instance_type"].unique())
    rds_types = sorted(database.loc[database["provider"] == "AWS", "tier"].unique())
    ec2 = _by_type(
        fetch_products(
            client, "AmazonEC2", helpers.filters(settings.EC2_FILTERS, location, ec2_types)
        )
    )
    rds = _by_type(
        fetch_products(
            client, "AmazonRDS", helpers.filters(settings.RDS_FILTERS, location, rds_types)
        )
    )
    for frame in (compute, database):
        frame["region"] = frame["region"].where(frame["provider"] != "AWS", region)
    rows = _update_compute(compute, ec2, today) + _update_database(database, rds, today)
    missing = [t for t in ec2_types if t not in ec2] + [t for t in rds_types if t not in rds]
    Catalogue(compute, database, tables["metered"])  # the refreshed tables must still be valid
    return Refresh({**tables, "compute": compute, "database": database}, rows, missing)
