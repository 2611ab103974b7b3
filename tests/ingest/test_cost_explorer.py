"""Cost Explorer ingest against moto: pages, FOCUS mapping, throttling, watermarks, failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from moto.moto_api._internal.models import moto_api_backend

from forecasting.cli import main
from forecasting.errors import CapcostError, InputError
from forecasting.ingest import aws
from forecasting.ingest.cost_explorer import CostExplorerQuery, load, source_name
from forecasting.ingest.cost_explorer.helpers import resolve_window
from forecasting.interface import CostBasis, Freq, GroupBy
from forecasting.store import Store
from tests.conftest import table_checksums

ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Offline: fake credentials, no real config files, every AWS call answered by moto."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    with mock_aws():
        yield


@pytest.fixture
def ce(fake_aws: None) -> Any:
    return aws.client(aws.session(), "ce", region="us-east-1", max_attempts=3)


def amount(value: str) -> dict[str, str]:
    return {"Amount": value, "Unit": "USD"}


def group(service: str, account: str, unblended: str, amortized: str) -> dict[str, Any]:
    return {
        "Keys": [service, account],
        "Metrics": {"UnblendedCost": amount(unblended), "AmortizedCost": amount(amortized)},
    }


def day(
    start: str, end: str, groups: list[dict[str, Any]], estimated: bool = False
) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": start, "End": end},
        "Total": {},
        "Groups": groups,
        "Estimated": estimated,
    }


def page(results: list[dict[str, Any]], token: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ResultsByTime": results,
        "DimensionValueAttributes": [
            {"Value": "111111111111", "Attributes": {"description": "prod"}},
            {"Value": "222222222222", "Attributes": {"description": "staging"}},
        ],
        "GroupDefinitions": [
            {"Type": "DIMENSION", "Key": "SERVICE"},
            {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
        ],
    }
    if token:
        out["NextPageToken"] = token
    return out


def inject(*pages: dict[str, Any]) -> None:
    """Queue CE responses: moto hands them out in order, one per distinct request body."""
    for p in pages:
        moto_api_backend.set_ce_cost_usage(p, ACCOUNT)


EC2 = "Amazon Elastic Compute Cloud - Compute"
RDS = "Amazon Relational Database Service"

# Three pages for 2024-01-01..03; page 2 continues day 2's groups (CE splits anywhere).
THREE_PAGES = (
    page(
        [
            day(
                "2024-01-01",
                "2024-01-02",
                [
                    group(EC2, "111111111111", "10.0000000001", "8.5"),
                    group(RDS, "111111111111", "4.25", "4.25"),
                ],
            ),
            day("2024-01-02", "2024-01-03", [group(EC2, "111111111111", "11.5", "9")]),
        ],
        "p2",
    ),
    page(
        [day("2024-01-02", "2024-01-03", [group(RDS, "222222222222", "0.0000002778", "0")])], "p3"
    ),
    page([day("2024-01-03", "2024-01-04", [group(EC2, "111111111111", "-1.10", "-1.10")])]),
)


def capture_requests(client: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.ce.GetCostAndUsage", lambda params, **_: seen.append(dict(params))
    )
    return seen


def throttle_first(client: Any, times: int = 1) -> dict[str, int]:
    """Answer the first ``times`` HTTP attempts with a 400 ThrottlingException (before moto)."""
    calls = {"n": 0}

    class Body:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def stream(self, **_: Any) -> Iterator[bytes]:
            yield self.data

    def handler(request: Any, **_: Any) -> AWSResponse | None:
        calls["n"] += 1
        if calls["n"] > times:
            return None
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
        headers = {
            "x-amzn-ErrorType": "ThrottlingException",
            "Content-Type": "application/x-amz-json-1.1",
        }
        return AWSResponse(request.url, 400, headers, Body(body.encode()))

    client.meta.events.register_first("before-send.ce.GetCostAndUsage", handler)
    return calls


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoff delays, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    return slept


def scalar(store: Store, sql: str, params: list[Any] | None = None) -> Any:
    row = store.con.execute(sql, params or []).fetchone()
    assert row is not None
    return row[0]


# -- pages, mapping, counting ---------------------------------------------------------------
def test_follows_every_page_and_counts_requests(fresh_store: Store, ce: Any) -> None:
    inject(*THREE_PAGES)
    sent = capture_requests(ce)
    result = load(fresh_store, ce, start=date(2024, 1, 1), end=date(2024, 1, 4), account=ACCOUNT)
    assert [r.get("NextPageToken") for r in sent] == [None, "p2", "p3"]
    assert sent[0]["TimePeriod"] == {"Start": "2024-01-01", "End": "2024-01-04"}
    assert sent[0]["Granularity"] == "DAILY"
    assert sent[0]["Metrics"] == ["UnblendedCost", "AmortizedCost"]
    assert result.rows == 5
    assert result.detail["api_requests"] == 3
    assert result.detail["api_cost_usd"] == "0.03"
    assert result.detail["retried_attempts"] == 0
    billed = scalar(fresh_store, "SELECT sum(BilledCost) FROM cost_line_items")
    # Exact decimal sum of the amounts CE sent, sub-cent digits included.
    assert billed == Decimal("10.0000000001") + Decimal("4.25") + Decimal("11.5") + Decimal(
        "0.0000002778"
    ) + Decimal("-1.10")


def test_groups_fill_focus_columns_and_the_rest_stay_null(fresh_store: Store, ce: Any) -> None:
    inject(*THREE_PAGES)
    load(fresh_store, ce, start=date(2024, 1, 1), end=date(2024, 1, 4), account=ACCOUNT)
    row = fresh_store.con.execute(
        "SELECT ChargePeriodStart, ChargePeriodEnd, BillingPeriodStart, BillingPeriodEnd, "
        "BillingCurrency, BilledCost, EffectiveCost, ListCost, ProviderName, ServiceName, "
        "ServiceCategory, SubAccountId, SubAccountName, ChargeCategory, x_source "
        "FROM cost_line_items WHERE SubAccountId = '222222222222'"
    ).fetchone()
    assert row is not None
    assert [str(v) for v in row[:4]] == [
        "2024-01-02 00:00:00",
        "2024-01-03 00:00:00",
        "2024-01-01 00:00:00",
        "2024-02-01 00:00:00",
    ]
    assert list(row[4:]) == [
        "USD",
        Decimal("0.0000002778"),
        Decimal(0),
        None,
        "AWS",
        RDS,
        None,
        "222222222222",
        "staging",
        None,
        f"cost-explorer:{ACCOUNT}",
    ]
    params = json.loads(fresh_store.runs()[0]["parameters"])
    assert params["metric_columns"] == {
        "UnblendedCost": "BilledCost",
        "AmortizedCost": "EffectiveCost",
    }
    assert {"ListCost", "ServiceCategory", "ChargeCategory", "PricingCategory"} <= set(
        params["null_columns"]
    )
    assert "BilledCost" not in params["null_columns"]


def test_rollup_uses_amortized_for_effective_and_falls_back_for_list(
    fresh_store: Store, ce: Any
) -> None:
    inject(*THREE_PAGES)
    load(fresh_store, ce, start=date(2024, 1, 1), end=date(2024, 1, 4), account=ACCOUNT)

    def total(basis: CostBasis) -> float:
        frame, currency = fresh_store.read_cost_series(Freq.MONTH, basis=basis)
        assert currency == "USD"
        return float(frame["y"].sum())

    assert total(CostBasis.BILLED) == pytest.approx(24.6500002779)
    assert total(CostBasis.EFFECTIVE) == pytest.approx(8.5 + 4.25 + 9 + 0 - 1.10)
    assert total(CostBasis.LIST) == total(CostBasis.EFFECTIVE)  # CE has no list price
    by_service, _ = fresh_store.read_cost_series(Freq.DAY, GroupBy.SERVICE, basis=CostBasis.BILLED)
    assert set(by_service["unique_id"]) == {EC2, RDS}


def test_no_group_by_reads_totals(fresh_store: Store, ce: Any) -> None:
    inject(
        {
            "ResultsByTime": [
                {
                    "TimePeriod": {"Start": "2024-01-01", "End": "2024-01-02"},
                    "Total": {"UnblendedCost": amount("3.5")},
                    "Groups": [],
                    "Estimated": False,
                }
            ]
        }
    )
    query = CostExplorerQuery(metrics=("UnblendedCost",), group_by=())
    result = load(fresh_store, ce, query, start=date(2024, 1, 1), end=date(2024, 1, 2))
    assert result.rows == 1
    assert result.source == "cost-explorer"
    assert scalar(fresh_store, "SELECT EffectiveCost IS NULL FROM cost_line_items")
    assert scalar(fresh_store, "SELECT sum(EffectiveCost) FROM cost_daily") == Decimal("3.5")


# -- throttling -----------------------------------------------------------------------------
def test_a_throttling_error_is_retried_and_counted(
    fresh_store: Store, ce: Any, sleeps: list[float]
) -> None:
    inject(THREE_PAGES[2])
    calls = throttle_first(ce)
    result = load(fresh_store, ce, start=date(2024, 1, 3), end=date(2024, 1, 4), account=ACCOUNT)
    assert calls["n"] == 2  # one throttled attempt, then moto answered
    assert len(sleeps) == 1 and sleeps[0] >= 0  # botocore backed off before retrying
    assert result.detail["api_requests"] == 1
    assert result.detail["retried_attempts"] == 1
    assert result.rows == 1


def test_throttling_that_never_stops_fails_cleanly(
    fresh_store: Store, ce: Any, sleeps: list[float]
) -> None:
    inject(*THREE_PAGES)
    load(fresh_store, ce, start=date(2024, 1, 1), end=date(2024, 1, 4), account=ACCOUNT)
    before = table_checksums(fresh_store, exclude=("ingest_runs",))
    impatient = aws.client(aws.session(), "ce", region="us-east-1", max_attempts=2)
    calls = throttle_first(impatient, times=99)
    with pytest.raises(CapcostError, match="ThrottlingException"):
        load(fresh_store, impatient, start=date(2024, 1, 1), end=date(2024, 1, 4), account=ACCOUNT)
    assert calls["n"] == 2 and len(sleeps) == 1
    assert table_checksums(fresh_store, exclude=("ingest_runs",)) == before
    last = fresh_store.runs()[0]
    assert last["status"] == "failed" and "ThrottlingException" in last["error"]


# -- incremental ----------------------------------------------------------------------------
def test_incremental_resumes_before_the_watermark_and_replaces_restated_days(
    fresh_store: Store, ce: Any
) -> None:
    first = [
        day(f"2024-01-{d:02d}", f"2024-01-{d + 1:02d}", [group(EC2, "111111111111", "10", "10")])
        for d in range(1, 11)
    ]
    inject(page(first))
    one = load(
        fresh_store,
        ce,
        start=date(2024, 1, 1),
        end=date(2024, 1, 11),
        account=ACCOUNT,
        trailing_days=3,
    )
    assert fresh_store.last_watermark(source_name(ACCOUNT)) == "2024-01-11"
    assert one.rows == 10
    # CE restated Jan 8-10 (12 instead of 10) and added Jan 11-14.
    second = [
        day(f"2024-01-{d:02d}", f"2024-01-{d + 1:02d}", [group(EC2, "111111111111", "12", "12")])
        for d in range(8, 15)
    ]
    inject(page(second))
    sent = capture_requests(ce)
    two = load(fresh_store, ce, end=date(2024, 1, 15), account=ACCOUNT, trailing_days=3)
    assert sent[0]["TimePeriod"] == {"Start": "2024-01-08", "End": "2024-01-15"}
    assert two.rows == 7
    days = fresh_store.con.execute(
        "SELECT CAST(ChargePeriodStart AS DATE), count(*), sum(BilledCost) FROM cost_line_items "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert len(days) == 14
    assert all(n == 1 for _, n, _ in days)  # no duplicates
    assert [float(v) for _, _, v in days] == [10.0] * 7 + [12.0] * 7
    assert fresh_store.last_watermark(source_name(ACCOUNT)) == "2024-01-15"


def test_estimated_periods_hold_the_watermark_back(fresh_store: Store, ce: Any) -> None:
    results = [
        day("2024-01-01", "2024-01-02", [group(EC2, "111111111111", "1", "1")]),
        day("2024-01-02", "2024-01-03", [group(EC2, "111111111111", "1", "1")], True),
        day("2024-01-03", "2024-01-04", [group(EC2, "111111111111", "1", "1")], True),
    ]
    inject(page(results))
    result = load(fresh_store, ce, start=date(2024, 1, 1), end=date(2024, 1, 4), account=ACCOUNT)
    assert result.detail["first_estimated_period"] == "2024-01-02"
    assert fresh_store.last_watermark(source_name(ACCOUNT)) == "2024-01-02"


def test_first_incremental_run_needs_a_start(fresh_store: Store, ce: Any) -> None:
    with pytest.raises(InputError, match="give --start"):
        load(fresh_store, ce, end=date(2024, 1, 4), account=ACCOUNT)
    assert fresh_store.runs() == []  # refused before any run was logged


def test_reingest_is_idempotent(fresh_store: Store, ce: Any) -> None:
    inject(*THREE_PAGES)
    load(fresh_store, ce, start=date(2024, 1, 1), end=date(2024, 1, 4), account=ACCOUNT)
    once = table_checksums(fresh_store, exclude=("ingest_runs",))
    # moto answers the same request bodies with the same (cached) pages.
    load(fresh_store, ce, start=date(2024, 1, 1), end=date(2024, 1, 4), account=ACCOUNT)
    twice = table_checksums(fresh_store, exclude=("ingest_runs",))
    # Same rows and rollup; only x_run_id of the line items differs.
    assert twice["cost_daily"] == once["cost_daily"]
    assert twice["cost_line_items"][0] == once["cost_line_items"][0] == 5


def test_two_accounts_never_replace_each_other(fresh_store: Store, ce: Any) -> None:
    inject(THREE_PAGES[2])
    load(fresh_store, ce, start=date(2024, 1, 3), end=date(2024, 1, 4), account="999999999999")
    load(fresh_store, ce, start=date(2024, 1, 3), end=date(2024, 1, 4), account=ACCOUNT)
    sources = fresh_store.con.execute(
        "SELECT x_source, count(*) FROM cost_line_items GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert sources == [(f"cost-explorer:{ACCOUNT}", 1), ("cost-explorer:999999999999", 1)]


# -- failures leave the database unchanged --------------------------------------------------
def test_bad_page_midway_leaves_the_database_unchanged(fresh_store: Store, ce: Any) -> None:
    inject(THREE_PAGES[2])
    load(fresh_store, ce, start=date(2024, 1, 3), end=date(2024, 1, 4), account=ACCOUNT)
    before = table_checksums(fresh_store, exclude=("ingest_runs",))
    broken = page(
        [day("2024-01-02", "2024-01-03", [group(RDS, "111111111111", "not-a-number", "1")])]
    )
    inject(THREE_PAGES[0], broken)
    with pytest.raises(CapcostError, match="not an amount"):
        load(fresh_store, ce, start=date(2024, 1, 1), end=date(2024, 1, 4), account=ACCOUNT)
    assert table_checksums(fresh_store, exclude=("ingest_runs",)) == before
    runs = fresh_store.runs()
    assert [r["status"] for r in runs] == ["failed", "succeeded"]
    assert fresh_store.last_watermark(source_name(ACCOUNT)) == "2024-01-04"


def test_mixed_currencies_are_refused(fresh_store: Store, ce: Any) -> None:
    bad = group(EC2, "111111111111", "1", "1")
    bad["Metrics"]["AmortizedCost"]["Unit"] = "EUR"
    inject(page([day("2024-01-01", "2024-01-02", [bad])]))
    with pytest.raises(CapcostError, match="never adds different currencies"):
        load(fresh_store, ce, start=date(2024, 1, 1), end=date(2024, 1, 2), account=ACCOUNT)
    assert scalar(fresh_store, "SELECT count(*) FROM cost_line_items") == 0


# -- query validation and windows -----------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"granularity": "HOURLY"}, "unknown granularity 'HOURLY'. Try: DAILY, MONTHLY"),
        ({"metrics": ("UsageQuantity",)}, "unknown metric 'UsageQuantity'"),
        ({"metrics": ("AmortizedCost",)}, "FOCUS BilledCost is required"),
        ({"metrics": ("UnblendedCost", "BlendedCost")}, "both fill FOCUS BilledCost"),
        ({"group_by": ("SERVICE", "REGION", "LINKED_ACCOUNT")}, "at most 2"),
        ({"group_by": ("USAGE_TYPE",)}, "unknown group-by dimension"),
    ],
)
def test_bad_queries_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        CostExplorerQuery(**kwargs)


def test_monthly_pulls_whole_months_only() -> None:
    kw: dict[str, Any] = {"watermark": None, "monthly_windows": []}
    assert resolve_window("MONTHLY", start=date(2024, 1, 1), end=date(2024, 3, 1), **kw) == (
        date(2024, 1, 1),
        date(2024, 3, 1),
    )
    with pytest.raises(InputError, match="first day of a month"):
        resolve_window("MONTHLY", start=date(2024, 1, 2), end=date(2024, 3, 1), **kw)
    with pytest.raises(InputError, match="last day of a month"):
        resolve_window("MONTHLY", start=date(2024, 1, 1), end=date(2024, 3, 5), **kw)
    # Incremental MONTHLY resumes at the month holding watermark - trailing days.
    assert resolve_window(
        "MONTHLY",
        start=None,
        end=date(2024, 5, 1),
        watermark=date(2024, 4, 1),
        monthly_windows=[],
        trailing_days=3,
    ) == (date(2024, 3, 1), date(2024, 5, 1))


def test_daily_window_widens_over_months_stored_monthly() -> None:
    monthly = [(date(2024, 1, 1), date(2024, 4, 1))]
    # A DAILY pull inside a month stored as one MONTHLY row must replace that whole month.
    assert resolve_window(
        "DAILY",
        start=date(2024, 2, 10),
        end=date(2024, 3, 5),
        watermark=None,
        monthly_windows=monthly,
    ) == (date(2024, 2, 1), date(2024, 4, 1))
    assert resolve_window(
        "DAILY",
        start=date(2024, 4, 10),
        end=date(2024, 4, 12),
        watermark=None,
        monthly_windows=monthly,
    ) == (date(2024, 4, 10), date(2024, 4, 12))


def test_daily_after_monthly_backfill_never_double_counts(fresh_store: Store, ce: Any) -> None:
    monthly = {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": "2024-01-01", "End": "2024-02-01"},
                "Total": {},
                "Groups": [group(EC2, "111111111111", "310", "310")],
                "Estimated": False,
            }
        ]
    }
    inject(monthly)
    load(
        fresh_store,
        ce,
        CostExplorerQuery(granularity="MONTHLY"),
        start=date(2024, 1, 1),
        end=date(2024, 2, 1),
        account=ACCOUNT,
    )
    daily = [
        day(
            f"2024-01-{d:02d}",
            f"2024-01-{d + 1:02d}" if d < 31 else "2024-02-01",
            [group(EC2, "111111111111", "10", "10")],
        )
        for d in range(1, 32)
    ]
    inject(page(daily))
    sent = capture_requests(ce)
    load(fresh_store, ce, start=date(2024, 1, 20), end=date(2024, 1, 25), account=ACCOUNT)
    assert sent[0]["TimePeriod"] == {"Start": "2024-01-01", "End": "2024-02-01"}
    assert scalar(fresh_store, "SELECT sum(BilledCost) FROM cost_line_items") == Decimal("310")
    assert scalar(fresh_store, "SELECT count(*) FROM cost_line_items") == 31


# -- CLI ------------------------------------------------------------------------------------
def test_cli_help_describes_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "cost-explorer", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for text in (
        "--granularity",
        "--metric",
        "--group-by",
        "--profile",
        "--region",
        "AmortizedCost -> EffectiveCost",
        "$0.01",
    ):
        assert text in out


def test_cli_ingests_and_reports_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_aws: None
) -> None:
    inject(*THREE_PAGES)
    db = tmp_path / "c.duckdb"
    code = main(
        ["ingest", "cost-explorer", "--db", str(db), "--start", "2024-01-01", "--end", "2024-01-03"]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"cost-explorer:{ACCOUNT}: 5 cost rows" in err
    assert "3 API requests (~$0.03)" in err
    with Store(db, read_only=True) as store:
        assert scalar(store, "SELECT count(*) FROM cost_line_items") == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-13-01"], "parameter --start: not a date (YYYY-MM-DD): '2024-13-01'"),
        (["--start", "2024-01-05", "--end", "2024-01-01"], "--end is before --start"),
        (["--start", "2024-01-01", "--granularity", "hourly"], "unknown granularity 'HOURLY'"),
        (["--start", "2024-01-01", "--metric", "Bogus"], "unknown metric 'BOGUS'"),
        (["--start", "2024-01-01", "--group-by", "SERVICE,SERVICE"], "repeated"),
        (["--start", "2024-01-01", "--profile", "nope"], "no AWS profile named 'nope'"),
    ],
)
def test_cli_bad_arguments_exit_with_one_line(
    args: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_aws: None,
) -> None:
    code = main(["ingest", "cost-explorer", "--db", str(tmp_path / "c.duckdb"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("capcost: error: ") and message in err
    assert len(err.strip().splitlines()) == 1
