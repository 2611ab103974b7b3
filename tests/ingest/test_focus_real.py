"""The real shared exports ingest to the cent, against DuckDB's own sums over the raw files."""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from forecasting.ingest.focus import helpers, load_focus, settings
from forecasting.interface import CostBasis, Freq
from forecasting.store import Store
from tests.ingest import billing_fixtures as fx
from tests.ingest.test_focus import line_item_content

CENT = Decimal("0.01")

# Each breakdown: (SQL over the stored line items, SQL over the raw file as DuckDB reads it).
FOCUS_BREAKDOWNS = {
    "overall": ("'all'", "'all'"),
    "category": ("coalesce(ServiceCategory, '-')", "coalesce(ServiceCategory, '-')"),
    "billing month": (
        "strftime(BillingPeriodStart, '%Y-%m')",
        "strftime(CAST(BillingPeriodStart AS TIMESTAMP), '%Y-%m')",
    ),
    "charge day": (
        "CAST(CAST(ChargePeriodStart AS DATE) AS VARCHAR)",
        "CAST(CAST(ChargePeriodStart AS DATE) AS VARCHAR)",
    ),
}
CUR_BREAKDOWNS = {
    "overall": ("'all'", "'all'"),
    "category": ("ServiceCategory", "coalesce(c.category, 'Other')"),
    "billing month": (
        "strftime(BillingPeriodStart, '%Y-%m')",
        "strftime(\"bill/BillingPeriodStartDate\", '%Y-%m')",
    ),
    "charge day": (
        "CAST(CAST(ChargePeriodStart AS DATE) AS VARCHAR)",
        'CAST(CAST("lineItem/UsageStartDate" AS DATE) AS VARCHAR)',
    ),
}


def raw_connection(shared_data: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    table = tomllib.loads((settings.SERVICE_CATEGORY_PATH).read_text())["categories"]
    con.execute("CREATE TABLE categories (code VARCHAR, category VARCHAR)")
    con.executemany("INSERT INTO categories VALUES (?, ?)", list(table.items()))
    return con


def assert_to_the_cent(stored: dict[str, Decimal], raw: dict[str, float], what: str) -> None:
    assert stored.keys() == raw.keys(), what
    for key, value in stored.items():
        expected = Decimal(repr(raw[key]))
        assert abs(value - expected) < Decimal("0.005"), (what, key, value, expected)
        assert value.quantize(CENT) == expected.quantize(CENT), (what, key)


def stored_totals(store: Store, key_sql: str) -> dict[str, Decimal]:
    rows = store.con.execute(
        f"SELECT {key_sql} AS k, sum(BilledCost) FROM cost_line_items GROUP BY 1"
    ).fetchall()
    return {str(k): v for k, v in rows}


@pytest.fixture(scope="module")
def focus_sample(shared_data: Path) -> Iterator[Store]:
    """The real FOCUS sample, ingested once for the read-only checks of this module."""
    with Store() as store:
        load_focus(store, [shared_data / "focus" / "focus_sample.csv"])
        yield store


@pytest.fixture(scope="module")
def cur_sample(shared_data: Path) -> Iterator[Store]:
    with Store() as store:
        load_focus(store, [shared_data / "cur" / "cur-legacy-sample.csv"])
        yield store


@pytest.mark.parametrize("breakdown", list(FOCUS_BREAKDOWNS))
def test_focus_sample_to_the_cent(focus_sample: Store, shared_data: Path, breakdown: str) -> None:
    path = shared_data / "focus" / "focus_sample.csv"
    ours, theirs = FOCUS_BREAKDOWNS[breakdown]
    con = raw_connection(shared_data)
    raw = con.execute(
        f"SELECT {theirs} AS k, sum(BilledCost) FROM read_csv(?) GROUP BY 1", [str(path)]
    ).fetchall()
    # Exact too: DuckDB's DECIMAL sum of the same text equals what the store holds.
    exact = con.execute(
        f"SELECT {theirs} AS k, sum(CAST(BilledCost AS DECIMAL(38, 12))) FROM "
        "read_csv(?, all_varchar = true, nullstr = 'NULL') GROUP BY 1",
        [str(path)],
    ).fetchall()
    stored = stored_totals(focus_sample, ours)
    assert_to_the_cent(stored, {str(k): v for k, v in raw}, breakdown)
    assert stored == {str(k): v for k, v in exact}


@pytest.mark.parametrize("breakdown", list(CUR_BREAKDOWNS))
def test_cur_legacy_sample_to_the_cent(
    cur_sample: Store, shared_data: Path, breakdown: str
) -> None:
    path = shared_data / "cur" / "cur-legacy-sample.csv"
    ours, theirs = CUR_BREAKDOWNS[breakdown]
    raw = (
        raw_connection(shared_data)
        .execute(
            f'SELECT {theirs} AS k, sum("lineItem/UnblendedCost") FROM read_csv(?) r '
            'LEFT JOIN categories c ON c.code = r."lineItem/ProductCode" GROUP BY 1',
            [str(path)],
        )
        .fetchall()
    )
    assert_to_the_cent(stored_totals(cur_sample, ours), {str(k): v for k, v in raw}, breakdown)


def test_focus_sample_traps(focus_sample: Store) -> None:
    fresh_store = focus_sample
    con = fresh_store.con
    text_columns = [c for c, t in settings.FOCUS_TYPES.items() if t == "VARCHAR"]
    literal_nulls = " + ".join(f"count(*) FILTER (WHERE {c} = 'NULL')" for c in text_columns)
    assert con.execute(f"SELECT {literal_nulls} FROM cost_line_items").fetchall() == [(0,)]
    oracle = con.execute(
        "SELECT strftime(ChargePeriodStart, '%Y-%m'), strftime(BillingPeriodStart, '%Y-%m') "
        "FROM cost_line_items WHERE ProviderName = 'Oracle' AND BillingPeriodStart >= '2024-10-01'"
    ).fetchall()
    assert oracle == [("2024-09", "2024-10")]
    assert con.execute("SELECT count(*) FROM cost_line_items WHERE BilledCost < 0").fetchall() != [
        (0,)
    ]
    tagged = con.execute(
        "SELECT count(*) FROM cost_line_items WHERE json_type(Tags) = 'OBJECT'"
    ).fetchall()
    assert tagged[0][0] > 0
    # The pages read the daily rollup: it must carry the same money as the line items.
    by_day_items = stored_totals(fresh_store, "CAST(CAST(ChargePeriodStart AS DATE) AS VARCHAR)")
    by_day_rollup = dict(
        con.execute(
            "SELECT CAST(day AS VARCHAR), sum(BilledCost) FROM cost_daily GROUP BY 1"
        ).fetchall()
    )
    assert by_day_rollup == by_day_items
    series, currency = fresh_store.read_series("cost", Freq.MONTH, basis=CostBasis.BILLED)
    assert currency == "USD"
    assert round(series["y"].sum(), 6) == round(float(sum(by_day_items.values())), 6)


def test_cur_legacy_sample_traps(cur_sample: Store) -> None:
    fresh_store = cur_sample
    rows = fresh_store.con.execute(
        "SELECT ChargeCategory, count(*), min(BillingAccountId) FROM cost_line_items GROUP BY 1 "
        "ORDER BY 1"
    ).fetchall()
    assert rows == [("Tax", 12, "123412340534"), ("Usage", 1269, "123412340534")]
    unmapped = fresh_store.con.execute(
        "SELECT count(*) FROM cost_line_items WHERE ServiceCategory = 'Other'"
    ).fetchall()
    assert unmapped == [(0,)]  # every product code in the sample has a category


def test_real_samples_reingest_changes_nothing(fresh_store: Store, shared_data: Path) -> None:
    files = [
        shared_data / "focus" / "focus_sample.csv",
        shared_data / "cur" / "cur-legacy-sample.csv",
    ]
    for path in files:
        load_focus(fresh_store, [path])
    before = line_item_content(fresh_store)
    for path in files:
        load_focus(fresh_store, [path])
    assert line_item_content(fresh_store) == before


# -- CUR 2.0: a real header, the tests' own rows ------------------------------------------------
def cur2_header(shared_data: Path) -> list[str]:
    text = (shared_data / "cur" / "cur2-header.txt").read_text()
    return next(csv.reader([text.splitlines()[0]]))


def test_mapping_names_exist_in_a_real_cur2_header(shared_data: Path) -> None:
    header = set(cur2_header(shared_data))
    # Columns this header lacks: legacy-only product attributes, and the resource id (this
    # export was made without resource ids).
    absent = {"product_product_name", "product_region", "line_item_resource_id"}
    assert set(settings.cur_mapping().source_types) - header == absent
    legacy = next(csv.reader((shared_data / "cur" / "cur-legacy-sample.csv").open()))
    converted = {helpers.cur_snake(c) for c in legacy}
    used = set(settings.cur_mapping().source_types) - absent
    assert {c for c in converted if c in used} <= header


def test_cur2_export_with_the_real_header(
    fresh_store: Store, shared_data: Path, tmp_path: Path
) -> None:
    header = cur2_header(shared_data)
    rows = fx.cur2_rows()
    path = fx.write_csv(rows, tmp_path / "cur2.csv", header)
    result = load_focus(fresh_store, [path])
    assert result.detail["formats"] == ["AWS CUR 2.0"]
    effective = dict(
        fresh_store.con.execute(
            "SELECT ChargeDescription, sum(EffectiveCost) FROM cost_line_items GROUP BY 1"
        ).fetchall()
    )
    days = len(rows) // len(fx.CUR_LINES)
    for i, line in enumerate(fx.CUR_LINES):
        assert effective[f"line {i}"] == days * Decimal(line["expect/effective"])
    names = fresh_store.con.execute(
        "SELECT DISTINCT BillingAccountName, SubAccountName FROM cost_line_items"
    ).fetchall()
    assert names == [("Acme", "acme-prod")]
