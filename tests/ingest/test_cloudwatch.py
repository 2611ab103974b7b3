"""CloudWatch ingest against moto: derived req/s and daily peaks, batching, pages, config errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from forecasting.cli import main
from forecasting.errors import CapcostError, InputError
from forecasting.ingest import aws
from forecasting.ingest.cloudwatch import load, read_config
from forecasting.interface import Freq
from forecasting.store import Store
from tests.conftest import ROOT, table_checksums

EXAMPLE = ROOT / "data" / "cloudwatch.example.toml"
ALB = {"LoadBalancer": "app/web/123"}
DAY1 = datetime(2024, 3, 1)
NOW = datetime(2024, 3, 5)  # "now" for the retention check: the data is 4 days old
NO_CLIENT = object()  # config checks run before any AWS call

ALB_QUERY = """
[[query]]
name = "alb"
namespace = "AWS/ApplicationELB"
metric = "RequestCount"
dimensions = { LoadBalancer = "app/web/123" }
statistic = "Sum"
period = 300
capcost_metric = "requests_per_second"
unit = "req/s"
derive = "per_second"
peak_metric = "requests_per_second_peak"
fill_missing = 0
"""


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
def cw(fake_aws: None) -> Any:
    return aws.client(aws.session(), "cloudwatch", region="us-east-1")


def config(tmp_path: Path, text: str, name: str = "cw.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def put(
    cw: Any, namespace: str, metric: str, dims: dict[str, str], points: list[tuple[datetime, float]]
) -> None:
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
            "Timestamp": ts.replace(tzinfo=UTC),
            "Value": value,
        }
        for ts, value in points
    ]
    for lo in range(0, len(data), 1000):
        cw.put_metric_data(Namespace=namespace, MetricData=data[lo : lo + 1000])


def put_a_day_of_requests(cw: Any, day: date) -> None:
    """A day of the ALB's request counts, 5-minute sums of 600 (2 req/s)."""
    midnight = datetime.combine(day, datetime.min.time())
    points = [(midnight + timedelta(minutes=5 * i), 600.0) for i in range(288)]
    put(cw, "AWS/ApplicationELB", "RequestCount", ALB, points)


def alb_traffic() -> list[tuple[datetime, float]]:
    """Two days of request counts: two puts per 5-minute slot, a midday burst, idle slots."""
    points = []
    for slot in range(2 * 288):
        ts = DAY1 + timedelta(minutes=5 * slot)
        if slot in (36, 37, 300):  # idle: CloudWatch sends no datapoint at all
            continue
        burst = 10 if slot in (144, 440) else 1
        points += [(ts, 200.0 * burst), (ts + timedelta(minutes=2), 100.0 + slot % 7)]
    return points


def oracle(points: list[tuple[datetime, float]]) -> pd.DataFrame:
    """Plain pandas: sum per 5-minute slot, zeros for idle slots, / 300 s, then per day."""
    frame = pd.DataFrame(points, columns=["ts", "count"])
    slots = frame.groupby(frame["ts"].dt.floor("300s"))["count"].sum()
    grid = pd.date_range(DAY1, slots.index.max(), freq="300s")
    rps = slots.reindex(grid, fill_value=0.0) / 300.0
    return rps.groupby(rps.index.normalize()).agg(["mean", "max"])


def series(store: Store, metric: str, freq: Freq = Freq.DAY) -> list[float]:
    frame, _ = store.read_series(metric, freq)
    return [float(v) for v in frame["y"]]


# -- derived series -------------------------------------------------------------------------
def test_requests_per_second_and_daily_peak_match_a_plain_computation(
    fresh_store: Store, cw: Any, tmp_path: Path
) -> None:
    traffic = alb_traffic()
    put(cw, "AWS/ApplicationELB", "RequestCount", ALB, traffic)
    result = load(
        fresh_store,
        cw,
        config(tmp_path, ALB_QUERY),
        start=date(2024, 3, 1),
        end=date(2024, 3, 3),
        now=NOW,
    )
    expected = oracle(traffic)
    assert series(fresh_store, "requests_per_second") == pytest.approx(list(expected["mean"]))
    assert series(fresh_store, "requests_per_second_peak") == pytest.approx(list(expected["max"]))
    assert expected["max"].iloc[0] == pytest.approx((2000 + 100 + 144 % 7) / 300)
    # Monthly: the average of daily averages, and the highest daily peak.
    assert series(fresh_store, "requests_per_second_peak", Freq.MONTH) == pytest.approx(
        [expected["max"].max()]
    )
    # Raw series stored: 576 five-minute values (3 idle slots filled with 0) + 2 daily peaks.
    assert result.rows == 576 + 2
    assert result.detail["datapoints"] == {"alb": 573}
    assert result.detail["api_requests"] == 1
    assert result.detail["metrics_requested"] == 1


def test_fill_stops_at_the_last_datapoint(fresh_store: Store, cw: Any, tmp_path: Path) -> None:
    put(
        cw,
        "AWS/ApplicationELB",
        "RequestCount",
        ALB,
        [(DAY1, 300.0), (DAY1 + timedelta(minutes=15), 600.0)],
    )
    load(
        fresh_store,
        cw,
        config(tmp_path, ALB_QUERY),
        start=date(2024, 3, 1),
        end=date(2024, 3, 2),
        now=NOW,
    )
    values = fresh_store.con.execute(
        "SELECT value FROM metric_observations WHERE metric = 'requests_per_second' ORDER BY ts"
    ).fetchall()
    # 00:00, 00:05 (filled), 00:10 (filled), 00:15; nothing invented after 00:15.
    assert [v for (v,) in values] == [1.0, 0.0, 0.0, 2.0]


def test_average_statistic_with_a_custom_peak_name_rolls_up_by_max(
    fresh_store: Store, cw: Any, tmp_path: Path
) -> None:
    dims = {"ClusterName": "c", "ServiceName": "s"}
    put(
        cw,
        "AWS/ECS",
        "CPUUtilization",
        dims,
        [(DAY1 + timedelta(hours=h), 10.0 + h) for h in range(48)],
    )
    text = """
[[query]]
name = "cpu"
namespace = "AWS/ECS"
metric = "CPUUtilization"
dimensions = { ClusterName = "c", ServiceName = "s" }
statistic = "Average"
period = 3600
capcost_metric = "cpu_utilization"
unit = "%"
peak_metric = "cpu_busiest_hour"
"""
    load(
        fresh_store,
        cw,
        config(tmp_path, text),
        start=date(2024, 3, 1),
        end=date(2024, 3, 3),
        now=NOW,
    )
    assert series(fresh_store, "cpu_utilization") == pytest.approx([21.5, 45.5])
    assert series(fresh_store, "cpu_busiest_hour", Freq.MONTH) == [57.0]


def test_example_config_has_the_demo_shape(fresh_store: Store, cw: Any) -> None:
    queries = read_config(EXAMPLE)
    stored = {q.capcost_metric for q in queries} | {q.peak_metric for q in queries if q.peak_metric}
    assert {
        "requests_per_second",
        "requests_per_second_peak",
        "cpu_utilization",
        "memory_utilization",
        "instances",
        "db_connections",
        "db_free_storage",
    } <= stored
    for q in queries:
        put(
            cw,
            q.namespace,
            q.metric,
            q.dimensions,
            [(DAY1 + timedelta(minutes=m), 42.0) for m in range(0, 24 * 60, 60)],
        )
    result = load(
        fresh_store,
        cw,
        EXAMPLE,
        start=date(2024, 3, 1),
        end=date(2024, 3, 2),
        now=datetime(2024, 3, 2),
    )
    assert result.detail["empty_queries"] == []
    assert set(fresh_store.stored_metrics()) == stored
    assert series(fresh_store, "db_free_storage") == pytest.approx([42e-9])
    assert fresh_store.metric("requests_per_second").unit == "req/s"


# -- batching and pages ---------------------------------------------------------------------
def test_more_than_500_queries_go_in_batches(fresh_store: Store, cw: Any, tmp_path: Path) -> None:
    text = "".join(
        f"""
[[query]]
name = "q{i}"
namespace = "Custom"
metric = "Gauge"
dimensions = {{ Shard = "{i}" }}
statistic = "Average"
period = 3600
capcost_metric = "shard_load"
unit = "jobs"
"""
        for i in range(501)
    )
    put(cw, "Custom", "Gauge", {"Shard": "500"}, [(DAY1, 7.0)])
    result = load(
        fresh_store,
        cw,
        config(tmp_path, text),
        start=date(2024, 3, 1),
        end=date(2024, 3, 2),
        now=NOW,
    )
    assert result.detail["api_requests"] == 2
    assert result.detail["metrics_requested"] == 501
    assert result.detail["api_cost_usd"] == "0.00501"
    assert result.rows == 1
    assert len(result.detail["empty_queries"]) == 500


def stubbed_pages(cw: Any, pages: list[dict[str, Any]]) -> Stubber:
    stub = Stubber(cw)
    for page in pages:
        stub.add_response("get_metric_data", page)
    stub.activate()
    return stub


def cpu_page(hours: range, token: str | None = None, status: str = "Complete") -> dict[str, Any]:
    page: dict[str, Any] = {
        "MetricDataResults": [
            {
                "Id": "q0",
                "Label": "cpu",
                "StatusCode": status,
                "Timestamps": [(DAY1 + timedelta(hours=h)).replace(tzinfo=UTC) for h in hours],
                "Values": [float(h) for h in hours],
            }
        ]
    }
    if token:
        page["NextToken"] = token
    return page


CPU_QUERY = """
[[query]]
name = "cpu"
namespace = "AWS/EC2"
metric = "CPUUtilization"
statistic = "Average"
period = 3600
capcost_metric = "cpu_utilization"
unit = "%"
"""


def test_pages_are_followed_with_next_token(fresh_store: Store, cw: Any, tmp_path: Path) -> None:
    stub = stubbed_pages(cw, [cpu_page(range(12), "t2", "PartialData"), cpu_page(range(12, 24))])
    result = load(
        fresh_store,
        cw,
        config(tmp_path, CPU_QUERY),
        start=date(2024, 3, 1),
        end=date(2024, 3, 2),
        now=NOW,
    )
    stub.assert_no_pending_responses()
    assert result.detail["api_requests"] == 2
    assert result.rows == 24
    assert series(fresh_store, "cpu_utilization") == [11.5]


def test_a_failed_query_midway_leaves_the_database_unchanged(
    fresh_store: Store, cw: Any, tmp_path: Path
) -> None:
    path = config(tmp_path, CPU_QUERY)
    stub = stubbed_pages(cw, [cpu_page(range(24))])
    load(fresh_store, cw, path, start=date(2024, 3, 1), end=date(2024, 3, 2), now=NOW)
    stub.deactivate()
    before = table_checksums(fresh_store, exclude=("ingest_runs",))
    stub = stubbed_pages(cw, [cpu_page(range(24), "t2"), cpu_page(range(0), status="Forbidden")])
    with pytest.raises(CapcostError, match="query 'cpu': Forbidden"):
        load(fresh_store, cw, path, start=date(2024, 3, 1), end=date(2024, 3, 2), now=NOW)
    assert table_checksums(fresh_store, exclude=("ingest_runs",)) == before
    assert fresh_store.runs()[0]["status"] == "failed"


def test_reingest_replaces_instead_of_duplicating(
    fresh_store: Store, cw: Any, tmp_path: Path
) -> None:
    put(cw, "AWS/ApplicationELB", "RequestCount", ALB, alb_traffic())
    path = config(tmp_path, ALB_QUERY)
    load(fresh_store, cw, path, start=date(2024, 3, 1), end=date(2024, 3, 3), now=NOW)
    once = table_checksums(fresh_store, exclude=("ingest_runs", "metric_observations"))
    rows = fresh_store.con.execute("SELECT count(*) FROM metric_observations").fetchone()
    load(fresh_store, cw, path, start=date(2024, 3, 1), end=date(2024, 3, 3), now=NOW)
    assert table_checksums(fresh_store, exclude=("ingest_runs", "metric_observations")) == once
    assert fresh_store.con.execute("SELECT count(*) FROM metric_observations").fetchone() == rows


# -- config errors --------------------------------------------------------------------------
def _with(change: dict[str, str | None]) -> str:
    lines = []
    for line in ALB_QUERY.strip().splitlines():
        key = line.split(" = ")[0]
        if key in change:
            if change[key] is not None:
                lines.append(f"{key} = {change[key]}")
        else:
            lines.append(line)
    return (
        "\n".join(lines)
        + "\n"
        + "".join(f"{k} = {v}\n" for k, v in change.items() if v is not None and k not in ALB_QUERY)
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_with({"period": "45"}), "query 'alb' (#1), key 'period': 45 s: CloudWatch periods"),
        (_with({"statistic": '"Mean"'}), "key 'statistic': 'Mean' is not a statistic"),
        (_with({"statistic": '"Average"'}), "key 'derive': per_second divides a count"),
        (_with({"unit": None}), "query 'alb' (#1), key 'unit': missing (required)"),
        (_with({"colour": '"red"'}), "key 'colour': unknown key"),
        (_with({"dimensions": '"app/web"'}), "key 'dimensions': must be a table of strings"),
        (_with({"capcost_metric": '"Requests"'}), "key 'capcost_metric': 'Requests' is not"),
        (_with({"derive": '"per_minute"'}), "key 'derive': 'per_minute' is not one of"),
        (_with({"scale": "0"}), "key 'scale': must not be 0"),
        (_with({"peak_metric": '"requests_per_second"'}), "key 'peak_metric': must differ"),
        (ALB_QUERY + ALB_QUERY, "query 'alb' (#2), key 'name': repeats query #1"),
        (
            ALB_QUERY + ALB_QUERY.replace('"alb"', '"alb2"'),
            "query 'alb2' (#2), key 'capcost_metric': query 'alb' already stores",
        ),
        ("[[query]\nname = 1", "not valid TOML"),
        ("title = 'x'", "unknown top-level keys ['title']"),
        ("", "no [[query]] tables"),
    ],
)
def test_config_errors_name_file_query_and_key(
    text: str, message: str, fresh_store: Store, tmp_path: Path
) -> None:
    path = config(tmp_path, text)
    with pytest.raises(InputError) as err:
        load(fresh_store, NO_CLIENT, path, start=date(2024, 3, 1), end=date(2024, 3, 2), now=NOW)
    assert str(err.value).startswith(f"file {path}: ")
    assert message in str(err.value)
    assert fresh_store.runs() == []


def test_a_unit_clash_with_stored_data_names_the_key(fresh_store: Store, tmp_path: Path) -> None:
    path = config(tmp_path, ALB_QUERY.replace('unit = "req/s"', 'unit = "rpm"'))
    with pytest.raises(InputError, match=r"key 'unit': 'requests_per_second' is stored in 'req/s'"):
        load(fresh_store, NO_CLIENT, path, start=date(2024, 3, 1), end=date(2024, 3, 2), now=NOW)


def test_a_period_cloudwatch_no_longer_keeps_is_refused(
    fresh_store: Store, cw: Any, tmp_path: Path
) -> None:
    path = config(tmp_path, ALB_QUERY.replace("period = 300", "period = 60"))
    with pytest.raises(InputError, match=r"key 'period': 60 s is not kept for data from 20 days"):
        load(
            fresh_store,
            cw,
            path,
            start=date(2024, 3, 1),
            end=date(2024, 3, 2),
            now=datetime(2024, 3, 21),
        )
    with pytest.raises(InputError, match="15 months"):
        load(
            fresh_store,
            cw,
            path,
            start=date(2022, 3, 1),
            end=date(2022, 3, 2),
            now=datetime(2024, 3, 21),
        )


# -- CLI ------------------------------------------------------------------------------------
def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "cloudwatch", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--config" in out and "GetMetricData" in out and "cloudwatch.example.toml" in out


def test_cli_ingests_recent_days(
    cw: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = datetime.now(UTC).date() - timedelta(days=2)
    put_a_day_of_requests(cw, start)
    db = tmp_path / "c.duckdb"
    code = main(
        [
            "ingest",
            "cloudwatch",
            "--db",
            str(db),
            "--config",
            str(config(tmp_path, ALB_QUERY)),
            "--start",
            start.isoformat(),
            "--end",
            start.isoformat(),
            "--region",
            "us-east-1",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "cloudwatch: 289 observations from 1 queries" in err
    assert "1 API requests (1 metrics requested" in err
    with Store(db, read_only=True) as store:
        assert series(store, "requests_per_second") == [2.0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-02-30"], "parameter --start: not a date (YYYY-MM-DD): '2024-02-30'"),
        (["--start", "2024-03-05", "--end", "2024-03-01"], "--end is before --start"),
        (["--start", "2024-03-05", "--end", "2999-01-01"], "is in the future"),
        (
            ["--start", "2024-03-05", "--end", "2024-03-06", "--config", "missing.toml"],
            "file missing.toml: no such config file",
        ),
    ],
)
def test_cli_bad_arguments(
    args: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_aws: None,
) -> None:
    base = ["ingest", "cloudwatch", "--db", str(tmp_path / "c.duckdb")]
    if "--config" not in args:
        base += ["--config", str(config(tmp_path, ALB_QUERY))]
    code = main([*base, *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("capcost: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_cli_without_any_region_says_so(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_aws: None,
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    code = main(
        [
            "ingest",
            "cloudwatch",
            "--db",
            str(tmp_path / "c.duckdb"),
            "--config",
            str(config(tmp_path, ALB_QUERY)),
            "--start",
            "2024-03-01",
            "--end",
            "2024-03-01",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("capcost: error: AWS cloudwatch client: You must specify a region")
