"""capcost ingest focus on files the tests write: FOCUS, legacy CUR and CUR 2.0, local and S3."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import boto3
import duckdb
import pandas as pd
import pytest
from moto import mock_aws

from forecasting.ingest.focus import helpers, load_focus, settings
from forecasting.store import Store
from tests.conftest import ROOT, table_checksums
from tests.ingest import billing_fixtures as fx

CUR_PARQUET_TYPES = {
    "line_item_unblended_cost": "DOUBLE",
    "pricing_public_on_demand_cost": "DOUBLE",
    "pricing_public_on_demand_rate": "DOUBLE",
    "reservation_effective_cost": "DOUBLE",
    "savings_plan_savings_plan_effective_cost": "DOUBLE",
    "line_item_usage_amount": "DOUBLE",
    "line_item_usage_start_date": "TIMESTAMP",
    "line_item_usage_end_date": "TIMESTAMP",
    "bill_billing_period_start_date": "TIMESTAMPTZ",
    "bill_billing_period_end_date": "TIMESTAMPTZ",
    "resource_tags": "MAP(VARCHAR, VARCHAR)",
}


def stored(store: Store, sql: str) -> list[tuple[object, ...]]:
    return store.con.execute(sql).fetchall()


def records(store: Store, sql: str, key: str) -> dict[object, dict[str, object]]:
    """Rows by ``key`` with exact values (``.df()`` would turn DECIMAL into float)."""
    cur = store.con.execute(sql)
    names = [d[0] for d in cur.description or []]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return {r[key]: r for r in rows}


def line_item_content(store: Store) -> dict[str, tuple[int, str]]:
    """Table checksums that ignore which run wrote a row (a re-ingest has a new run id)."""
    sums = table_checksums(store, exclude=("ingest_runs", "cost_line_items"))
    row = store.con.execute(
        "SELECT count(*), CAST(sum(hash(t)) AS VARCHAR) FROM "
        "(SELECT * EXCLUDE (x_run_id) FROM cost_line_items) t"
    ).fetchone()
    assert row is not None
    return sums | {"cost_line_items": (int(row[0]), str(row[1]))}


# -- FOCUS ----------------------------------------------------------------------------------
def test_focus_csv_totals_match_a_plain_sum(fresh_store: Store, tmp_path: Path) -> None:
    rows = fx.focus_rows()
    path = fx.write_csv(rows, tmp_path / "focus.csv", fx.FOCUS_HEADER)
    result = load_focus(fresh_store, [path])
    assert result.rows == len(rows)
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        expected[(r["BillingAccountId"], r["BillingPeriodStart"][:7])] += fx.money(r["BilledCost"])
    got = {
        (acct, f"{period:%Y-%m}"): total
        for acct, period, total in stored(
            fresh_store,
            "SELECT BillingAccountId, BillingPeriodStart, sum(BilledCost) FROM cost_line_items "
            "GROUP BY ALL",
        )
    }
    assert got == dict(expected)
    assert Decimal(result.detail["billed_totals"]["USD"]) == sum(expected.values())


def test_focus_values_survive_exactly(fresh_store: Store, tmp_path: Path) -> None:
    path = fx.write_csv(fx.focus_rows(), tmp_path / "focus.csv", fx.FOCUS_HEADER)
    load_focus(fresh_store, [path])
    row = fresh_store.con.execute(
        "SELECT BillingAccountId, SubAccountId, ChargePeriodStart, BilledCost, EffectiveCost, "
        "ListCost, ChargeClass, CAST(Tags AS VARCHAR) FROM cost_line_items "
        "WHERE ServiceName = 'Amazon Elastic Compute Cloud' ORDER BY ChargePeriodStart LIMIT 1"
    ).fetchone()
    assert row is not None
    account, sub, start, billed, effective, listed, charge_class, tags = row
    assert (account, sub) == ("012345678901", "009876543210")  # text, leading zero kept
    assert start == pd.Timestamp("2024-09-27 00:00:00")  # Z -> naive UTC
    assert billed == Decimal("12.3456789") and effective == Decimal("10.5")
    assert listed == Decimal("14.00") and charge_class is None  # literal NULL is null
    assert tags is not None and '"team"' in tags
    micro = stored(
        fresh_store, "SELECT BilledCost FROM cost_line_items WHERE abs(BilledCost) < 0.001"
    )
    assert {r[0] for r in micro} == {Decimal("0.0000004")}  # sub-cent prices kept


def test_focus_csv_gz_and_parquet_ingest_the_same(fresh_store: Store, tmp_path: Path) -> None:
    rows = fx.focus_rows()
    fx.write_csv(rows, tmp_path / "a.csv", fx.FOCUS_HEADER)
    load_focus(fresh_store, [tmp_path / "a.csv"])
    reference = line_item_content(fresh_store)
    fx.write_csv(rows, tmp_path / "b.csv.gz", fx.FOCUS_HEADER)
    load_focus(fresh_store, [tmp_path / "b.csv.gz"])
    assert line_item_content(fresh_store) == reference
    types = {
        "BilledCost": "DOUBLE",
        "EffectiveCost": "DECIMAL(18, 7)",
        "ListCost": "DOUBLE",
        "ChargePeriodStart": "TIMESTAMPTZ",
        "ChargePeriodEnd": "TIMESTAMPTZ",
        "BillingPeriodStart": "TIMESTAMP",
        "BillingPeriodEnd": "TIMESTAMP",
        "ConsumedQuantity": "DOUBLE",
    }
    fx.write_parquet(rows, tmp_path / "c.parquet", types)
    load_focus(fresh_store, [tmp_path / "c.parquet"])
    totals = stored(fresh_store, "SELECT count(*), sum(BilledCost) FROM cost_line_items")
    assert totals == [(len(rows), sum(fx.money(r["BilledCost"]) for r in rows))]


def test_reingest_changes_nothing(fresh_store: Store, tmp_path: Path) -> None:
    path = fx.write_csv(fx.focus_rows(), tmp_path / "focus.csv", fx.FOCUS_HEADER)
    load_focus(fresh_store, [path])
    before = line_item_content(fresh_store)
    load_focus(fresh_store, [path])
    assert line_item_content(fresh_store) == before


def test_restated_period_replaces_only_that_period(fresh_store: Store, tmp_path: Path) -> None:
    rows = fx.focus_rows()
    load_focus(fresh_store, [fx.write_csv(rows, tmp_path / "all.csv", fx.FOCUS_HEADER)])
    october = [r for r in rows if r["BillingPeriodStart"].startswith("2024-10")]
    restated = [r | {"BilledCost": "1"} for r in october]
    load_focus(fresh_store, [fx.write_csv(restated, tmp_path / "oct.csv", fx.FOCUS_HEADER)])
    by_period = dict(
        stored(
            fresh_store,
            "SELECT strftime(BillingPeriodStart, '%Y-%m'), sum(BilledCost) FROM cost_line_items "
            "GROUP BY 1",
        )
    )
    september = sum(fx.money(r["BilledCost"]) for r in rows if r not in october)
    assert by_period == {"2024-09": september, "2024-10": Decimal(len(october))}
    daily = stored(fresh_store, "SELECT sum(BilledCost) FROM cost_daily")
    assert daily == [(september + len(october),)]  # the rollup follows the line items


# -- CUR --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["legacy.csv", "legacy.csv.gz", "cur2.csv", "cur2.parquet"])
def test_cur_maps_to_focus_by_the_documented_rules(
    fresh_store: Store, tmp_path: Path, kind: str
) -> None:
    legacy = kind.startswith("legacy")
    rows = fx.cur_legacy_rows() if legacy else fx.cur2_rows()
    path = tmp_path / f"cur-{kind}"
    if kind.endswith(".parquet"):
        fx.write_parquet(rows, path, CUR_PARQUET_TYPES)
    else:
        fx.write_csv(rows, path, fx.CUR_LEGACY_HEADER if legacy else None)
    result = load_focus(fresh_store, [path])
    assert result.rows == len(rows)
    got = records(
        fresh_store,
        "SELECT ChargeDescription, EffectiveCost, ServiceCategory, ChargeCategory, "
        "PricingCategory, ProviderName, BillingAccountId, SubAccountId FROM cost_line_items "
        "WHERE ChargePeriodStart < '2023-11-02' OR ChargeCategory <> 'Usage' "
        "ORDER BY ChargePeriodStart DESC",
        key="ChargeDescription",
    )
    for i, line in enumerate(fx.CUR_LINES):
        item = got[f"line {i}"]
        assert item["EffectiveCost"] == Decimal(line["expect/effective"]), line
        assert item["ServiceCategory"] == line["expect/category"]
        assert item["ChargeCategory"] == line["expect/charge"]
        assert (item["PricingCategory"] or "") == line["expect/pricing"]
        assert item["ProviderName"] == "AWS"
        assert (item["BillingAccountId"], item["SubAccountId"]) == ("012345678901", "000011112222")
    billed = sum(
        fx.money(r["lineItem/UnblendedCost" if legacy else "line_item_unblended_cost"])
        for r in rows
    )
    assert stored(fresh_store, "SELECT sum(BilledCost) FROM cost_line_items") == [(billed,)]


@pytest.mark.parametrize("kind", ["legacy.csv", "cur2.csv", "cur2.parquet"])
def test_cur_list_cost_tags_and_names(fresh_store: Store, tmp_path: Path, kind: str) -> None:
    legacy = kind.startswith("legacy")
    rows = fx.cur_legacy_rows(days=1) if legacy else fx.cur2_rows(days=1)
    path = tmp_path / f"cur-{kind}"
    if kind.endswith(".parquet"):
        fx.write_parquet(rows, path, CUR_PARQUET_TYPES)
    else:
        fx.write_csv(rows, path, fx.CUR_LEGACY_HEADER if legacy else None)
    load_focus(fresh_store, [path])
    items = records(
        fresh_store,
        "SELECT ChargeDescription, ListCost, CAST(Tags AS VARCHAR) AS tags, ServiceName, "
        "ResourceId, ResourceType, RegionId, CommitmentDiscountType FROM cost_line_items",
        key="ChargeDescription",
    )
    assert items["line 0"]["ListCost"] == Decimal("2.304")
    assert items["line 7"]["ListCost"] == Decimal("0.0115")  # rate x amount fallback
    assert items["line 0"]["ServiceName"] == "Amazon Elastic Compute Cloud"
    assert items["line 8"]["ServiceName"] == "AmazonNewThing"  # no name: the code
    assert items["line 0"]["ResourceType"] is None  # i-0abc is not an ARN
    assert items["line 0"]["ResourceId"] == "i-0abc"
    assert items["line 0"]["RegionId"] == "us-east-1"
    assert items["line 1"]["CommitmentDiscountType"] == "Reserved Instances (RI)"
    assert items["line 3"]["CommitmentDiscountType"] == "Savings Plan"
    team = '{"user:team":"web"}' if legacy else '{"user_team":"web"}'
    assert str(items["line 0"]["tags"]).replace(" ", "") == team
    assert items["line 2"]["tags"] is None  # no tag values -> no tags


def test_cur_net_unblended_cost_is_billed_when_present(fresh_store: Store, tmp_path: Path) -> None:
    rows = [r | {"line_item_net_unblended_cost": "1.5"} for r in fx.cur2_rows(days=1)[:1]]
    load_focus(fresh_store, [fx.write_csv(rows, tmp_path / "net.csv")])
    assert stored(fresh_store, "SELECT BilledCost, EffectiveCost FROM cost_line_items") == [
        (Decimal("1.5"), Decimal("1.5"))
    ]


def test_s3_prefix_ingests_like_local_files(fresh_store: Store, tmp_path: Path) -> None:
    rows = fx.cur2_rows()
    local = [
        fx.write_csv(rows[: len(rows) // 2], tmp_path / "part-1.csv.gz"),
        fx.write_parquet(rows[len(rows) // 2 :], tmp_path / "part-2.parquet", CUR_PARQUET_TYPES),
    ]
    load_focus(fresh_store, local)
    reference = line_item_content(fresh_store)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="billing")
        prefix = "cur/acme/data/BILLING_PERIOD=2023-11/"
        for path in local:
            s3.upload_file(str(path), "billing", prefix + path.name)
        s3.put_object(Bucket="billing", Key="cur/acme/metadata/manifest.json", Body=b"{}")
        s3.put_object(Bucket="billing", Key="other/unrelated.csv", Body=b"x\n1\n")
        result = load_focus(fresh_store, ["s3://billing/cur/acme"], s3_client=s3)
    assert result.detail["files"] == 2
    assert line_item_content(fresh_store) == reference


def test_folders_and_globs(fresh_store: Store, tmp_path: Path) -> None:
    rows = fx.focus_rows()
    (tmp_path / "export" / "2024").mkdir(parents=True)
    fx.write_csv(rows[:10], tmp_path / "export" / "2024" / "a.csv", fx.FOCUS_HEADER)
    fx.write_csv(rows[10:], tmp_path / "export" / "b.csv.gz", fx.FOCUS_HEADER)
    (tmp_path / "export" / "README.txt").write_text("not data")
    assert load_focus(fresh_store, [tmp_path / "export"]).rows == len(rows)
    assert load_focus(fresh_store, [str(tmp_path / "export" / "**" / "*.csv*")]).rows == len(rows)
    assert stored(fresh_store, "SELECT count(*) FROM cost_line_items") == [(len(rows),)]


def test_progress_is_reported(fresh_store: Store, tmp_path: Path) -> None:
    path = fx.write_csv(fx.focus_rows(), tmp_path / "focus.csv", fx.FOCUS_HEADER)
    seen: list[tuple[float, str]] = []
    load_focus(fresh_store, [path], progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"checking", "writing"} <= {m for _, m in seen}


# -- the mapping itself ----------------------------------------------------------------------
def test_stored_focus_columns_match_the_store(fresh_store: Store) -> None:
    columns = [
        r[0]
        for r in fresh_store.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'cost_line_items' AND column_name NOT LIKE 'x\\_%' ESCAPE '\\' "
            "ORDER BY ordinal_position"
        ).fetchall()
    ]
    assert columns == list(settings.FOCUS_TYPES)
    assert [r.column for r in settings.cur_mapping().rules] == columns


@pytest.mark.parametrize(
    ("legacy", "snake"),
    [
        ("lineItem/UnblendedCost", "line_item_unblended_cost"),
        ("reservation/ReservationARN", "reservation_reservation_a_r_n"),
        ("savingsPlan/SavingsPlanARN", "savings_plan_savings_plan_a_r_n"),
        ("pricing/publicOnDemandCost", "pricing_public_on_demand_cost"),
        ("product/regionCode", "product_region_code"),
        ("product/servicecode", "product_servicecode"),
        ("bill/BillType", "bill_bill_type"),
        ("line_item_unblended_cost", "line_item_unblended_cost"),
    ],
)
def test_cur_names_convert_like_cur2(legacy: str, snake: str) -> None:
    assert helpers.cur_snake(legacy) == snake


def test_mapping_doc_is_current() -> None:
    doc = ROOT / "docs" / "ingest-cur-mapping.md"
    expected = helpers.mapping_markdown(settings.cur_mapping())
    assert doc.is_file() and doc.read_text() == expected, (
        "docs/ingest-cur-mapping.md is out of date: regenerate it with "
        "`.venv/bin/python -m forecasting.ingest.focus.helpers > docs/ingest-cur-mapping.md`"
    )


def test_warehouse_spellings_of_focus_exports(fresh_store: Store, tmp_path: Path) -> None:
    """Lower-case or snake_case column names, a lower-case currency, tags as key/value lists."""
    rows = fx.focus_rows()
    renamed = [
        {("billed_cost" if k == "BilledCost" else k.lower()): v for k, v in r.items()}
        | {"billingcurrency": "usd "}
        for r in rows
    ]
    path = fx.write_csv(renamed, tmp_path / "lower.csv")
    result = load_focus(fresh_store, [path])
    assert result.rows == len(rows)
    got = stored(fresh_store, "SELECT DISTINCT BillingCurrency FROM cost_line_items")
    assert got == [("USD",)]
    total = stored(fresh_store, "SELECT sum(BilledCost) FROM cost_line_items")
    assert total == [(sum(fx.money(r["BilledCost"]) for r in rows),)]


def test_key_value_list_tags_become_an_object(fresh_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bq.parquet"
    base = (
        "TIMESTAMPTZ '2024-09-01 00:00:00+00' AS ChargePeriodStart, "
        "TIMESTAMPTZ '2024-09-01 01:00:00+00' AS ChargePeriodEnd, "
        "TIMESTAMPTZ '2024-09-01 00:00:00+00' AS BillingPeriodStart, 'USD' AS BillingCurrency, "
        "'Google Cloud' AS ProviderName, '0123-4567' AS BillingAccountId"
    )
    tags_ok = "[{'key': 'env', 'value': 'prod'}, {'key': 'team', 'value': 'web'}]"
    tags_twice = "[{'key': 'a', 'value': '1'}, {'key': 'a', 'value': '2'}]"
    duckdb.connect().execute(
        f"COPY (SELECT {base}, CAST(1.5 AS DECIMAL(18, 6)) AS BilledCost, {tags_ok} AS Tags "
        f"UNION ALL SELECT {base}, 2, {tags_twice}) TO '{path}' (FORMAT parquet)"
    )
    load_focus(fresh_store, [path])
    tags = stored(
        fresh_store, "SELECT CAST(Tags AS VARCHAR) FROM cost_line_items ORDER BY BilledCost"
    )
    assert tags == [
        ('{"env":"prod","team":"web"}',),
        ('[{"key":"a","value":"1"},{"key":"a","value":"2"}]',),  # a repeated key stays a list
    ]
