"""capcost ingest metrics: real NAB CloudWatch series against pandas, own files, broken files."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecasting.cli import main
from forecasting.errors import InputError
from forecasting.ingest.metrics import load_metrics
from forecasting.ingest.metrics.helpers import parse_dimensions
from forecasting.interface import Freq
from forecasting.store import Store
from tests.conftest import SHARED_DATA, table_checksums

NAB_FILES = sorted((SHARED_DATA / "nab").glob("*.csv")) if SHARED_DATA.is_dir() else []


def daily(store: Store, metric: str) -> pd.DataFrame:
    return store.con.execute(
        "SELECT day, mean, max, min, sum, n FROM metric_daily WHERE metric = ? ORDER BY day",
        [metric],
    ).df()


@pytest.mark.parametrize("name", [p.name for p in NAB_FILES] or ["(shared data absent)"])
def test_nab_daily_average_and_peak_match_pandas(
    fresh_store: Store, shared_data: Path, name: str
) -> None:
    path = shared_data / "nab" / name
    result = load_metrics(fresh_store, path, metric="nab", unit="1")
    raw = pd.read_csv(path, parse_dates=["timestamp"])
    assert result.detail["repeated_timestamps"] == len(raw) - raw["timestamp"].nunique()
    expected = raw.groupby(raw["timestamp"].dt.date)["value"].agg(
        ["mean", "max", "min", "sum", "count"]
    )
    got = daily(fresh_store, "nab")
    assert result.rows == len(raw) == got["n"].sum()
    assert [d.date() for d in pd.to_datetime(got["day"])] == list(expected.index)
    for column in ("mean", "max", "min", "sum"):
        assert got[column].to_numpy() == pytest.approx(expected[column].to_numpy(), rel=1e-12)
    # The forecasting read path sees the same daily averages.
    series = fresh_store.read_metric_series("nab", Freq.DAY)
    assert series["y"].to_numpy() == pytest.approx(expected["mean"].to_numpy(), rel=1e-12)


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_offsets_become_utc_and_empty_values_are_skipped(
    fresh_store: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "users.csv",
        "date,active_users,note\n"
        "2024-03-01T23:30:00-02:00,120,x\n"  # 2024-03-02 01:30 UTC
        "2024-03-02T08:00:00Z,80,\n"
        "2024-03-03,,holiday\n",
    )
    result = load_metrics(
        fresh_store,
        path,
        metric="users",
        value_column="active_users",
        dimensions={"product": "app"},
    )
    assert result.detail["observations"] == 2 and result.detail["skipped_without_value"] == 1
    got = daily(fresh_store, "users")
    assert [str(d)[:10] for d in got["day"]] == ["2024-03-02"]
    assert got["mean"].tolist() == [100.0] and got["max"].tolist() == [120.0]
    dims = fresh_store.con.execute("SELECT DISTINCT dimensions FROM metric_daily").fetchall()
    assert dims == [('{"product":"app"}',)]


def test_parquet_and_reingest(fresh_store: Store, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"ts": pd.date_range("2024-01-01", periods=96, freq="h"), "value": range(96)}
    )
    path = tmp_path / "rps.parquet"
    frame.to_parquet(path)
    load_metrics(fresh_store, path, metric="api_rps", unit="req/s")
    before = table_checksums(fresh_store, exclude=("ingest_runs", "metric_observations"))
    load_metrics(fresh_store, path, metric="api_rps", unit="req/s")
    assert table_checksums(fresh_store, exclude=("ingest_runs", "metric_observations")) == before
    assert daily(fresh_store, "api_rps")["mean"].tolist() == [11.5, 35.5, 59.5, 83.5]
    # A restated last day replaces that range only.
    frame.iloc[72:].assign(value=1.0).to_parquet(tmp_path / "day4.parquet")
    load_metrics(fresh_store, tmp_path / "day4.parquet", metric="api_rps")
    assert daily(fresh_store, "api_rps")["mean"].tolist() == [11.5, 35.5, 59.5, 1.0]


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [([], {}), (["a=1", " b = x y "], {"a": "1", "b": "x y"})],
)
def test_parse_dimensions(pairs: list[str], expected: dict[str, str]) -> None:
    assert parse_dimensions(pairs) == expected


@pytest.mark.parametrize("pairs", [["nokey"], ["=v"], ["a=1", "a=2"]])
def test_bad_dimensions(pairs: list[str]) -> None:
    with pytest.raises(InputError, match="--dimension"):
        parse_dimensions(pairs)


def truncated_gzip(tmp: Path) -> Path:
    path = tmp / "m.csv.gz"
    rows = "".join(
        f"2024-01-{1 + i // 288:02d} {i % 288 // 12:02d}:{i % 12 * 5:02d}:00,{i}\n"
        for i in range(8000)
    )
    packed = gzip.compress(("timestamp,value\n" + rows).encode())
    path.write_bytes(packed[: len(packed) // 2])
    return path


GOOD = "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,2\n2024-01-01 00:10:00,3\n"
BROKEN: dict[str, tuple[Callable[[Path], Path], dict[str, object], str, int | None, str | None]] = {
    "bad timestamp": (
        lambda t: write(t, "m.csv", GOOD + "2024-02-30 00:00:00,4\n"),
        {},
        "cannot read '2024-02-30 00:00:00' as a date/time",
        4,
        "timestamp",
    ),
    "text value": (
        lambda t: write(t, "m.csv", GOOD + "2024-01-01 00:15:00,12%\n"),
        {},
        "cannot read '12%' as a number",
        4,
        "value",
    ),
    "missing timestamp": (
        lambda t: write(t, "m.csv", GOOD + ",4\n"),
        {},
        "1 rows have no timestamp",
        4,
        "timestamp",
    ),
    "not finite": (
        lambda t: write(t, "m.csv", GOOD + "2024-01-01 00:15:00,nan\n"),
        {},
        "values are not finite numbers",
        4,
        "value",
    ),
    "unknown time column": (
        lambda t: write(t, "m.csv", GOOD),
        {"time_column": "when"},
        "no time column 'when'",
        None,
        None,
    ),
    "ambiguous value": (
        lambda t: write(t, "m.csv", "timestamp,a,b\n2024-01-01,1,2\n"),
        {},
        "cannot tell which column holds the value",
        None,
        None,
    ),
    "unit clash": (
        lambda t: write(t, "m.csv", GOOD),
        {"unit": "req/s"},
        "is stored in '%'",
        None,
        None,
    ),
    "new metric without unit": (
        lambda t: write(t, "m.csv", GOOD),
        {"metric": "brand_new", "unit": None},
        "give its unit with --unit",
        None,
        None,
    ),
    "bad metric name": (
        lambda t: write(t, "m.csv", GOOD),
        {"metric": "cost"},
        "not a usable metric name",
        None,
        None,
    ),
    "empty file": (lambda t: write(t, "m.csv", ""), {}, "the file is empty", None, None),
    "truncated gzip": (truncated_gzip, {}, "truncated or corrupt gzip", None, None),
    "duplicate header": (
        lambda t: write(t, "m.csv", "timestamp,value,value\n2024-01-01,1,2\n"),
        {},
        "the header names this column twice",
        None,
        "value",
    ),
    "year 0000": (
        lambda t: write(t, "m.csv", GOOD + "0000-01-01 00:00:00,4\n"),
        {},
        "1 rows have a timestamp outside 1990-01-01..2100-12-31",
        4,
        "timestamp",
    ),
    "year 9999": (
        lambda t: write(t, "m.csv", GOOD + "9999-12-31T23:00:00Z,4\n"),
        {},
        "a timestamp outside 1990-01-01..2100-12-31",
        4,
        "timestamp",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_metric_files_change_nothing(fresh_store: Store, tmp_path: Path, case: str) -> None:
    good = write(tmp_path, "good.csv", GOOD.replace(",1\n", ",5\n"))
    load_metrics(fresh_store, good, metric="cpu_utilization")
    before = table_checksums(fresh_store, exclude=("ingest_runs",))
    build, options, message, row, column = BROKEN[case]
    kwargs: dict[str, object] = {"metric": "cpu_utilization"} | options
    with pytest.raises(InputError) as err:
        load_metrics(fresh_store, build(tmp_path), **kwargs)  # type: ignore[arg-type]
    assert message in str(err.value)
    assert (err.value.row, err.value.column) == (row, column)
    assert table_checksums(fresh_store, exclude=("ingest_runs",)) == before
    assert fresh_store.runs(limit=1)[0]["status"] == "failed"


def test_ingest_metrics_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["ingest", "metrics", "--help"])
    assert done.value.code == 0 and "--dimension KEY=VALUE" in capsys.readouterr().out
    path = write(tmp_path, "m.csv", GOOD)
    db = str(tmp_path / "capcost.duckdb")
    args = ["ingest", "metrics", "--db", db, str(path), "--metric", "queue_depth"]
    assert main([*args, "--unit", "messages", "--dimension", "queue=orders"]) == 0
    assert "3 observations of queue_depth (messages)" in capsys.readouterr().err
    assert main([*args, "--dimension", "queue"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("capcost: error: parameter --dimension")


def test_a_metric_file_named_like_a_glob_is_read_alone(fresh_store: Store, tmp_path: Path) -> None:
    write(tmp_path, "m1.csv", GOOD.replace(",1\n", ",100\n"))
    path = write(tmp_path, "m?.csv", GOOD)
    result = load_metrics(fresh_store, path, metric="cpu_utilization")
    assert result.detail["observations"] == 3
    write(tmp_path, "m?.csv", GOOD + "2024-01-01 00:15:00,12%\n")
    with pytest.raises(InputError) as err:
        load_metrics(fresh_store, path, metric="cpu_utilization")
    assert (err.value.file, err.value.row, err.value.column) == (str(path), 4, "value")


def test_a_second_users_source_is_announced_and_can_replace_the_demo(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12 item 12: a users file beside the demo's was silently averaged with it."""
    db = tmp_path / "d.duckdb"
    db.write_bytes(demo_db.read_bytes())
    path = write(tmp_path, "users.csv", "ts,value\n2026-01-01,109\n2026-01-02,110\n")
    args = ["ingest", "metrics", str(path), "--metric", "users", "--db", str(db)]

    def users() -> list[float]:
        with Store(db, read_only=True) as store:
            frame = store.read_metric_series("users", Freq.DAY, start=date(2026, 1, 1))
        return frame["y"].head(2).tolist()

    demo_days = users()
    capsys.readouterr()
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "warning: users also has observations from demo on 2 days of this range" in err
    assert "Re-run with --replace" in err
    assert users() == [(demo_days[0] + 109) / 2, (demo_days[1] + 110) / 2]
    assert main([*args, "--replace"]) == 0
    assert (
        "replaced what other sources held in this range: demo on 2 days" in capsys.readouterr().err
    )
    assert users() == [109.0, 110.0]
    with Store(db, read_only=True) as store:  # days outside the file keep the demo's values
        assert len(store.read_metric_series("users", Freq.DAY)) > 1000
