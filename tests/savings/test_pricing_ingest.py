"""Refreshing the catalogue's AWS rows from the Price List API (botocore Stubber; moto has none)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber

from forecasting.errors import InputError
from forecasting.savings.pricing import helpers, settings
from forecasting.savings.pricing.refresh import refresh_aws
from forecasting.scenario.catalogue import Catalogue, Offering, Payment, read_tables

TODAY = date(2026, 11, 27)


def _product(instance_type: str, od: str, reserved: list[tuple[str, str, str, str, str]]) -> str:
    """A Price List product as the API returns it (a JSON string)."""
    terms: dict[str, Any] = {
        "OnDemand": {
            "SKU.OD": {
                "priceDimensions": {"SKU.OD.D": {"unit": "Hrs", "pricePerUnit": {"USD": od}}},
                "termAttributes": {},
            }
        },
        "Reserved": {},
    }
    for i, (lease, purchase, cls, upfront, hourly) in enumerate(reserved):
        terms["Reserved"][f"SKU.R{i}"] = {
            "priceDimensions": {
                "a": {"unit": "Quantity", "pricePerUnit": {"USD": upfront}},
                "b": {"unit": "Hrs", "pricePerUnit": {"USD": hourly}},
            },
            "termAttributes": {
                "LeaseContractLength": lease,
                "PurchaseOption": purchase,
                "OfferingClass": cls,
            },
        }
    attrs = {"instanceType": instance_type, "vcpu": "2", "memory": "8 GiB"}
    return json.dumps({"product": {"attributes": attrs}, "terms": terms})


def _small_tables() -> dict[str, pd.DataFrame]:
    tables = read_tables()
    compute = tables["compute"]
    tables["compute"] = compute[compute["instance_type"].isin(["m6i.large", "c6i.large"])]
    database = tables["database"]
    tables["database"] = database[database["tier"].isin(["db.m6g.large", "large"])]
    return {k: v.reset_index(drop=True) for k, v in tables.items()}


def _filters(fields: dict[str, str], types: list[str]) -> list[dict[str, str]]:
    return helpers.filters(fields, "US East (N. Virginia)", types)  # type: ignore[no-any-return]


def test_refresh_replaces_aws_prices_and_keeps_the_rest() -> None:
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    ec2 = _product(
        "m6i.large",
        "0.1000000000",
        [
            ("1yr", "No Upfront", "standard", "0", "0.0630000000"),
            ("3yr", "All Upfront", "standard", "1000", "0.0000000000"),
            ("3yr", "All Upfront", "convertible", "1400", "0.0000000000"),  # not Standard
        ],
    )
    rds = _product("db.m6g.large", "0.1700000000", [])
    with Stubber(client) as stub:
        stub.add_response(
            "get_products",
            {"PriceList": [ec2], "FormatVersion": "aws_v1"},
            {
                "ServiceCode": "AmazonEC2",
                "FormatVersion": "aws_v1",
                "Filters": _filters(settings.EC2_FILTERS, ["c6i.large", "m6i.large"]),
            },
        )
        stub.add_response(
            "get_products",
            {"PriceList": [rds], "FormatVersion": "aws_v1"},
            {
                "ServiceCode": "AmazonRDS",
                "FormatVersion": "aws_v1",
                "Filters": _filters(settings.RDS_FILTERS, ["db.m6g.large"]),
            },
        )
        result = refresh_aws(client, _small_tables(), region="us-east-1", today=TODAY)
        stub.assert_no_pending_responses()
    assert result.missing == ["c6i.large"]
    # m6i.large: on-demand + 1yr NU + 3yr AU (the Convertible term is ignored), and the RDS class.
    assert result.rows_updated == 4
    cat = Catalogue(**result.tables)
    assert cat.instance("m6i.large").on_demand_hourly_usd == 0.1
    assert cat.rate("m6i.large", Offering.RI_STANDARD, 1, Payment.NO_UPFRONT).hourly_usd == 0.063
    au = cat.rate("m6i.large", Offering.RI_STANDARD, 3, Payment.ALL_UPFRONT)
    assert au.upfront_usd == 1000
    # Rows the Price List did not return keep their illustrative price and source.
    pu = cat.rate("m6i.large", Offering.RI_STANDARD, 1, Payment.PARTIAL_UPFRONT)
    assert pu.upfront_usd == 250
    sp = cat.compute[cat.compute["offering"] == "compute_sp"]
    assert sp["source"].str.startswith("illustrative").all()
    refreshed = cat.compute[cat.compute["source"] == "aws-price-list"]
    assert set(refreshed["as_of"]) == {"2026-11-27"} and len(refreshed) == 3
    assert cat.database_tier("AWS", "db.m6g.large").hourly_usd == 0.17
    assert cat.database_tier("Supabase", "large").hourly_usd == 0.1517


def test_refresh_follows_next_token_pages() -> None:
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "get_products",
            {"PriceList": [_product("m6i.large", "0.1", [])], "NextToken": "page2"},
        )
        stub.add_response("get_products", {"PriceList": [_product("c6i.large", "0.09", [])]})
        stub.add_response("get_products", {"PriceList": []})
        result = refresh_aws(client, _small_tables(), region="us-east-1", today=TODAY)
    assert result.missing == ["db.m6g.large"]
    assert Catalogue(**result.tables).instance("c6i.large").on_demand_hourly_usd == 0.09


def test_unknown_region_is_bad_input() -> None:
    with pytest.raises(InputError, match="--region"):
        refresh_aws(None, _small_tables(), region="mars-1", today=TODAY)  # type: ignore[arg-type]


def test_parse_product_reads_shape_and_terms() -> None:
    parsed = helpers.parse_product(
        _product("m7g.large", "0.0816", [("1yr", "Partial Upfront", "standard", "250", "0.03")])
    )
    assert parsed["vcpu"] == 2 and parsed["memory_gib"] == 8
    assert parsed["reserved"] == {(1, "partial_upfront"): (250.0, 0.03)}
    assert helpers.memory_gib("0.5 GiB") == 0.5 and helpers.memory_gib("NA") is None
