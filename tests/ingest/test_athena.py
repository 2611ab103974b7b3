"""Athena ingest: the query it sends, its agreement with the file ingest, moto results, failures."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.moto_api._internal.models import moto_api_backend

import forecasting.ingest.athena as athena_pkg
from forecasting.cli import main
from forecasting.errors import CapcostError, InputError
from forecasting.ingest import aws
from forecasting.ingest.athena import AthenaQuery, load, query_rollup, record_failure, settings
from forecasting.ingest.athena.docs import example_query, quoted_query
from forecasting.ingest.athena.helpers import check_portable, rollup_query
from forecasting.ingest.focus.settings import cur_mapping
from forecasting.store import Store
from tests.conftest import table_checksums

ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's defaults
PAYER = "210987654321"
QUERY = AthenaQuery(database="cur", table="cur2", output="s3://results/capcost/")


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Offline: fake credentials, no real config files, every AWS call answered by moto."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    with mock_aws():
        yield
        moto_api_backend.unset_transition("athena::execution")


@pytest.fixture
def client(fake_aws: None) -> Any:
    return aws.client(aws.session(), "athena", region=REGION)


def no_sleep(_: float) -> None:
    pass


# -- a small CUR 2.0 with every line type the rules treat differently ------------------------
EC2, RDS = (
    ("AmazonEC2", "Amazon Elastic Compute Cloud"),
    ("AmazonRDS", "Amazon Relational Database Service"),
)
SP = ("ComputeSavingsPlans", "Savings Plans for AWS Compute usage")


def item(
    kind: str, day: str, product: tuple[str, str | None], account: str, cost: str, **extra: str
) -> dict[str, str]:
    code, name = product
    period = "2024-12-01" if day.startswith("2024-12") else "2025-01-01"
    period_end = "2025-01-01" if period == "2024-12-01" else "2025-02-01"
    return {
        "bill_billing_period_start_date": f"{period}T00:00:00Z",
        "bill_billing_period_end_date": f"{period_end}T00:00:00Z",
        "bill_payer_account_id": PAYER,
        "bill_payer_account_name": "APEX payer",
        "line_item_usage_account_id": account,
        "line_item_usage_account_name": {"111111111111": "prod"}.get(account, "data"),
        "line_item_usage_start_date": f"{day}T00:00:00Z",
        "line_item_usage_end_date": f"{day}T01:00:00Z",
        "line_item_product_code": code,
        "product": json.dumps({"product_name": name} if name else {}),
        "line_item_line_item_type": kind,
        "line_item_usage_type": extra.pop("usage_type", "BoxUsage:m5.large"),
        "line_item_currency_code": "USD",
        "line_item_unblended_cost": cost,
        **extra,
    }


CUR_ITEMS = [
    item(
        "Usage",
        "2025-01-01",
        EC2,
        "111111111111",
        "1.234567",
        line_item_net_unblended_cost="1.1",
        pricing_public_on_demand_cost="1.234567",
    ),
    item("Usage", "2025-01-01", EC2, "111111111111", "0.1", pricing_public_on_demand_cost="0.1"),
    item(
        "SavingsPlanCoveredUsage",
        "2025-01-01",
        EC2,
        "111111111111",
        "0.096",
        savings_plan_savings_plan_effective_cost="0.06",
        pricing_public_on_demand_cost="0.096",
    ),
    item("SavingsPlanNegation", "2025-01-01", EC2, "111111111111", "-0.096"),
    item(
        "SavingsPlanRecurringFee",
        "2025-01-01",
        SP,
        "111111111111",
        "1.0",
        savings_plan_total_commitment_to_date="1.0",
        savings_plan_used_commitment="0.06",
    ),
    item(
        "DiscountedUsage",
        "2025-01-01",
        RDS,
        "222222222222",
        "0",
        reservation_effective_cost="0.05",
        pricing_public_on_demand_cost="0.08",
        reservation_reservation_a_r_n="arn:aws:rds:us-east-1:1:ri:x",
    ),
    item(
        "RIFee",
        "2025-01-01",
        RDS,
        "222222222222",
        "36.0",
        reservation_unused_amortized_upfront_fee_for_billing_period="0.5",
        reservation_unused_recurring_fee="1.0",
        reservation_reservation_a_r_n="arn:aws:rds:us-east-1:1:ri:x",
    ),
    item(
        "Fee",
        "2025-01-01",
        RDS,
        "222222222222",
        "300",
        reservation_reservation_a_r_n="arn:aws:rds:us-east-1:1:ri:x",
    ),
    item("Tax", "2025-01-01", EC2, "111111111111", "0.5"),
    item("Credit", "2025-01-02", EC2, "111111111111", "-2.0"),
    item(
        "Usage",
        "2025-01-02",
        EC2,
        "111111111111",
        "0.03",
        usage_type="SpotUsage:m5.large",
        pricing_public_on_demand_cost="0.096",
    ),
    item(
        "Usage",
        "2025-01-02",
        EC2,
        "222222222222",
        "0.03",
        pricing_public_on_demand_rate="0.0116",
        line_item_usage_amount="3",
    ),
    item("Usage", "2025-01-02", ("AmazonS3", None), "222222222222", "0.023"),
    item("Usage", "2025-01-02", ("AWSFancyNewThing", "Fancy"), "222222222222", "7.77"),
    item("Usage", "2024-12-31", EC2, "111111111111", "4.2"),
    # A fee that is not an RI upfront fee: its empty ARN must not read as "an RI".
    item(
        "Fee", "2025-01-02", ("AWSSupportBusiness", "AWS Support (Business)"), "111111111111", "100"
    ),
    # Covered usage whose effective cost is missing: every path falls back to BilledCost for
    # that line (not for its whole group).
    item("SavingsPlanCoveredUsage", "2025-01-02", EC2, "222222222222", "0.5"),
    item(
        "SavingsPlanCoveredUsage",
        "2025-01-02",
        EC2,
        "222222222222",
        "0.2",
        savings_plan_savings_plan_effective_cost="0.1",
    ),
]

# Athena's (CUR 2.0 Parquet) types; every other column is a string.
NUMBERS = {c for c, t in cur_mapping().source_types.items() if t.startswith(("DECIMAL", "DOUBLE"))}
NUMBERS -= {"pricing_public_on_demand_rate"}  # a string in CUR 2.0
TIMES = {c for c, t in cur_mapping().source_types.items() if t.startswith("TIMESTAMP")}


def cur_table(con: duckdb.DuckDBPyConnection, items: list[dict[str, str]]) -> None:
    """The items as a DuckDB table "cur"."cur2" typed as Athena types a CUR 2.0 table."""
    columns = sorted(set().union(*items) | set(cur_mapping().source_types))
    types = {
        c: "DOUBLE" if c in NUMBERS else "TIMESTAMP" if c in TIMES else "VARCHAR" for c in columns
    }
    types["product"] = "MAP(VARCHAR, VARCHAR)"
    con.execute("CREATE SCHEMA IF NOT EXISTS cur")
    con.execute(
        "CREATE OR REPLACE TABLE cur.cur2 (" + ", ".join(f"{c} {t}" for c, t in types.items()) + ")"
    )
    for row in items:
        # A CUR 2.0 Parquet file holds '' in text columns a line does not use.
        values = [row.get(c, None if types[c] != "VARCHAR" else "") for c in columns]
        product = json.loads(row["product"])
        values[columns.index("product")] = product
        con.execute(
            "INSERT INTO cur.cur2 VALUES ("
            + ", ".join(
                "MAP(?::VARCHAR[], ?::VARCHAR[])" if c == "product" else f"CAST(? AS {types[c]})"
                for c in columns
            )
            + ")",
            [
                v
                for c, val in zip(columns, values, strict=True)
                for v in (
                    (list(val), list(val.values()))
                    if c == "product"
                    else ((val.replace("T", " ").rstrip("Z") if c in TIMES and val else val),)
                )
            ],
        )


def athena_sql_in_duckdb(sql: str, params: list[str]) -> str:
    """Athena's SQL as DuckDB runs it: the only dialect gap the query has is element_at on a
    map (DuckDB's returns a list), and Athena substitutes ExecutionParameters as literals."""
    sql = sql.replace(
        "element_at(product, 'product_name')", "map_extract_value(product, 'product_name')"
    )
    for literal in params:
        sql = sql.replace("?", literal, 1)
    return sql


def athena_rows(
    con: duckdb.DuckDBPyConnection, sql: str
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Run the query and shape its result as Athena's get_query_results rows (text cells)."""
    cur = con.execute(sql)
    names = [d[0] for d in cur.description or []]
    header = {"Data": [{"VarCharValue": n} for n in names]}
    data = [
        {"Data": [{} if v is None else {"VarCharValue": str(v)} for v in row]}
        for row in cur.fetchall()
    ]
    return [header, *data], [{"Name": n, "Type": "varchar"} for n in names]


def inject(rows: list[dict[str, Any]], info: list[dict[str, str]]) -> None:
    moto_api_backend.set_athena_result(
        rows=rows, column_info=info, account_id=ACCOUNT, region=REGION
    )


def write_cur_csv(path: Path, items: list[dict[str, str]]) -> Path:
    columns = sorted(set().union(*items) | {"resource_tags"})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in items:
            writer.writerow({**dict.fromkeys(columns, ""), "resource_tags": "{}", **row})
    return path


def daily(store: Store) -> list[tuple[Any, ...]]:
    return store.con.execute(
        "SELECT day, BillingCurrency, ServiceName, ServiceCategory, SubAccountId, ChargeCategory, "
        "PricingCategory, sum(BilledCost), sum(EffectiveCost), sum(ListCost) FROM cost_daily "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()


def ingest_via_moto(
    store: Store, client: Any, items: list[dict[str, str]], query: AthenaQuery = QUERY
) -> Any:
    con = duckdb.connect()
    cur_table(con, items)
    sql, params = rollup_query(query.database, query.table, start=query.start, end=query.end)
    inject(*athena_rows(con, athena_sql_in_duckdb(sql, params)))
    rollup = query_rollup(client, query, sleep=no_sleep)
    return load(store, query, rollup)


# -- the query ------------------------------------------------------------------------------
def test_docstring_quotes_the_query_it_sends() -> None:
    assert quoted_query(athena_pkg.__doc__ or "") == example_query(), (
        "the query quoted in forecasting/ingest/athena/__init__.py is out of date: "
        "regenerate it with `.venv/bin/python -m forecasting.ingest.athena.docs`"
    )


def test_query_reuses_the_file_ingest_rules_verbatim() -> None:
    sql, params = rollup_query("cur", "cur2")
    for column in settings.REUSED_RULES:
        assert cur_mapping().rule(column).sql in sql
    assert params == [] and "WHERE" not in sql and '"cur"."cur2"' in sql


@pytest.mark.parametrize(
    "rule",
    [
        "json_extract_string(product, '$.x')",
        "x::DECIMAL",
        "product->>'x'",
        "(SELECT c FROM _aws_service_categories)",
    ],
)
def test_rules_athena_cannot_run_are_refused(rule: str) -> None:
    with pytest.raises(CapcostError, match="does not send to Athena"):
        check_portable("ServiceCategory", rule)


def test_names_are_checked_before_they_reach_sql() -> None:
    with pytest.raises(InputError, match="parameter --table"):
        rollup_query("cur", 'cur2"; DROP TABLE x; --')


def test_athena_rollup_equals_the_file_ingest_of_the_same_cur(
    fresh_store: Store, client: Any, tmp_path: Path
) -> None:
    from forecasting.ingest.focus import load_focus

    result = ingest_via_moto(fresh_store, client, CUR_ITEMS)
    with Store() as files:
        load_focus(files, [write_cur_csv(tmp_path / "cur.csv", CUR_ITEMS)])
        assert daily(fresh_store) == daily(files)
        totals = "SELECT sum(BilledCost) FROM cost_line_items"
        assert fresh_store.con.execute(totals).fetchone() == files.con.execute(totals).fetchone()
    assert result.detail["cur_line_items"] == len(CUR_ITEMS)
    # Spot-check the rules' outcome by hand: day 1 of EC2 in account 111111111111.
    by_key = {(r[0], r[2], r[4], r[5], r[6]): r[7:] for r in daily(fresh_store)}
    usage = by_key[
        (date(2025, 1, 1), "Amazon Elastic Compute Cloud", "111111111111", "Usage", "Standard")
    ]
    assert usage == (Decimal("1.2"), Decimal("1.2"), Decimal("1.334567"))  # net, net, list
    covered = by_key[
        (date(2025, 1, 1), "Amazon Elastic Compute Cloud", "111111111111", "Usage", "Committed")
    ]
    assert covered == (Decimal("0.096"), Decimal("0.06"), Decimal("0.096"))
    assert (date(2025, 1, 2), "AmazonS3", "222222222222", "Usage", "Standard") in by_key


def test_billing_period_filter_keeps_only_those_periods(fresh_store: Store, client: Any) -> None:
    query = AthenaQuery(
        database="cur",
        table="cur2",
        output="s3://results/x/",
        start=date(2025, 1, 1),
        end=date(2025, 1, 31),
    )
    ingest_via_moto(fresh_store, client, CUR_ITEMS, query)
    days = {r[0] for r in daily(fresh_store)}
    assert days == {date(2025, 1, 1), date(2025, 1, 2)}  # 2024-12-31 (December's bill) is out


# -- the calls ------------------------------------------------------------------------------
def test_sends_the_query_parameters_workgroup_and_output(fresh_store: Store, client: Any) -> None:
    query = AthenaQuery(
        database="cur",
        table="cur2",
        output="s3://results/capcost",
        start=date(2025, 1, 1),
        end=date(2025, 3, 31),
    )
    result = ingest_via_moto(fresh_store, client, CUR_ITEMS, query)
    sent = client.get_query_execution(QueryExecutionId=result.detail["execution_id"])
    execution = sent["QueryExecution"]
    expected_sql, expected_params = rollup_query("cur", "cur2", start=query.start, end=query.end)
    assert execution["Query"] == expected_sql
    assert execution["ExecutionParameters"] == ["'2025-01-01 00:00:00'", "'2025-04-01 00:00:00'"]
    assert expected_params == execution["ExecutionParameters"]
    assert execution["QueryExecutionContext"]["Database"] == "cur"
    # Athena names the result file after the execution, under the prefix we gave.
    output = execution["ResultConfiguration"]["OutputLocation"]
    assert output == f"s3://results/capcost/{result.detail['execution_id']}.csv"
    assert execution["WorkGroup"] == "primary"
    params = json.loads(fresh_store.runs()[0]["parameters"])
    assert params["query"] == expected_sql  # the run log keeps the exact query


def test_polls_with_backoff_until_the_query_succeeds(fresh_store: Store, client: Any) -> None:
    moto_api_backend.set_transition("athena::execution", {"progression": "manual", "times": 3})
    slept: list[float] = []
    inject(*athena_rows(duckdb.connect(), "SELECT 1 AS x"))
    with pytest.raises(CapcostError, match="expected"):  # wrong columns, but only after waiting
        query_rollup(client, QUERY, sleep=slept.append)
    assert slept == [0.5, 1.0, 2.0, 4.0, 8.0][: len(slept)] and len(slept) >= 2


def test_a_query_that_runs_too_long_is_stopped(client: Any) -> None:
    moto_api_backend.set_transition("athena::execution", {"progression": "manual", "times": 99})
    ticks = iter(range(0, 100_000, 1000))
    with pytest.raises(CapcostError, match=r"still .* after 3600 s: stopped"):
        query_rollup(client, QUERY, sleep=no_sleep, clock=lambda: float(next(ticks)))
    execution_id = client.list_query_executions()["QueryExecutionIds"][0]
    state = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]["Status"]
    assert state["State"] == "CANCELLED"


def stubbed(client: Any) -> Stubber:
    stub = Stubber(client)
    stub.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    return stub


def test_a_failed_query_is_logged_and_changes_nothing(fresh_store: Store, client: Any) -> None:
    ingest_via_moto(fresh_store, client, CUR_ITEMS)
    before = table_checksums(fresh_store, exclude=("ingest_runs",))
    stub = stubbed(client)
    stub.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "Status": {
                    "State": "FAILED",
                    "StateChangeReason": "COLUMN_NOT_FOUND: line 9: product",
                }
            }
        },
    )
    with stub, pytest.raises(CapcostError, match="q-1 FAILED: COLUMN_NOT_FOUND") as err:
        query_rollup(client, QUERY, sleep=no_sleep)
    record_failure(fresh_store, QUERY, err.value)
    assert table_checksums(fresh_store, exclude=("ingest_runs",)) == before
    last = fresh_store.runs()[0]
    assert last["status"] == "failed" and "COLUMN_NOT_FOUND" in last["error"]


def test_results_are_read_across_pages(fresh_store: Store, client: Any) -> None:
    con = duckdb.connect()
    cur_table(con, CUR_ITEMS)
    rows, _ = athena_rows(con, athena_sql_in_duckdb(*rollup_query("cur", "cur2")))
    stub = stubbed(client)
    stub.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "Status": {"State": "SUCCEEDED"},
                "Statistics": {"DataScannedInBytes": 5},
            }
        },
    )
    stub.add_response("get_query_results", {"ResultSet": {"Rows": rows[:4]}, "NextToken": "n2"})
    stub.add_response(
        "get_query_results",
        {"ResultSet": {"Rows": rows[4:]}},
        {"QueryExecutionId": "q-1", "NextToken": "n2", "MaxResults": 1000},
    )
    with stub:
        rollup = query_rollup(client, QUERY, sleep=no_sleep)
    assert rollup.table.num_rows == len(rows) - 1
    assert rollup.api_requests == 4  # start, one poll, two result pages
    result = load(fresh_store, QUERY, rollup)
    assert result.detail["athena_cost_usd"] == "0.0001"  # Athena's 10 MB minimum


def test_reingest_replaces_the_periods_instead_of_adding(
    fresh_store: Store, client: Any, tmp_path: Path
) -> None:
    from forecasting.ingest.focus import load_focus

    # A CUR file of the same payer first: Athena's rollup must replace it, not add to it.
    load_focus(fresh_store, [write_cur_csv(tmp_path / "cur.csv", CUR_ITEMS)])
    expected = daily(fresh_store)
    ingest_via_moto(fresh_store, client, CUR_ITEMS)
    assert daily(fresh_store) == expected
    once = table_checksums(fresh_store, exclude=("ingest_runs", "cost_line_items"))
    ingest_via_moto(fresh_store, client, CUR_ITEMS)
    assert table_checksums(fresh_store, exclude=("ingest_runs", "cost_line_items")) == once
    sources = fresh_store.con.execute("SELECT DISTINCT x_source FROM cost_line_items").fetchall()
    assert sources == [("athena",)]


def test_an_unreadable_result_cell_names_row_and_column(client: Any) -> None:
    con = duckdb.connect()
    cur_table(con, CUR_ITEMS[:2])
    rows, info = athena_rows(con, athena_sql_in_duckdb(*rollup_query("cur", "cur2")))
    billed = settings.RESULT_COLUMNS.index("billed_cost")
    rows[1]["Data"][billed] = {"VarCharValue": "12,5"}
    inject(rows, info)
    with pytest.raises(
        CapcostError, match=r"result row 1, column 'billed_cost': cannot read '12,5'"
    ):
        query_rollup(client, QUERY, sleep=no_sleep)


# -- CLI ------------------------------------------------------------------------------------
def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "athena", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for text in ("--database", "--table", "--workgroup", "--output", "$5 per TB"):
        assert text in out


def test_cli_ingests_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_aws: None
) -> None:
    con = duckdb.connect()
    cur_table(con, CUR_ITEMS)
    inject(*athena_rows(con, athena_sql_in_duckdb(*rollup_query("cur", "cur2"))))
    db = tmp_path / "a.duckdb"
    code = main(
        [
            "ingest",
            "athena",
            "--db",
            str(db),
            "--database",
            "cur",
            "--table",
            "cur2",
            "--output",
            "s3://results/capcost/",
            "--region",
            REGION,
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"summing {len(CUR_ITEMS)} CUR line items" in err
    with Store(db, read_only=True) as store:
        assert store.runs()[0]["status"] == "succeeded"


def test_cli_logs_a_failed_query(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_aws: None
) -> None:
    db = tmp_path / "a.duckdb"
    # moto's default result has no rows at all, not even a header.
    code = main(
        [
            "ingest",
            "athena",
            "--db",
            str(db),
            "--database",
            "cur",
            "--table",
            "cur2",
            "--output",
            "s3://results/capcost/",
            "--region",
            REGION,
        ]
    )
    assert code == 1
    assert "returned no header row" in capsys.readouterr().err
    with Store(db, read_only=True) as store:
        run = store.runs()[0]
        assert run["status"] == "failed" and "no header row" in run["error"]
        assert store.con.execute("SELECT count(*) FROM cost_line_items").fetchone() == (0,)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--table", "cur2; drop"], "parameter --table: 'cur2; drop' is not an Athena name"),
        (["--output", "https://bucket/x"], "parameter --output: not an s3://bucket/prefix URL"),
        (["--start", "2025-1-1"], "parameter --start: not a date"),
        (["--start", "2025-02-01", "--end", "2025-01-01"], "--end is before --start"),
    ],
)
def test_cli_bad_arguments(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = {"--database": "cur", "--table": "cur2", "--output": "s3://results/x/"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = ["ingest", "athena", "--db", str(tmp_path / "a.duckdb")]
    for flag, value in base.items():
        argv += [flag, value]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("capcost: error: ") and message in err
    assert len(err.strip().splitlines()) == 1
