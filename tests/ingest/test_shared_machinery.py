"""Ingest machinery shared by every source: files and globs, read errors, currencies, progress."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from forecasting.errors import InputError
from forecasting.ingest.currency import check_currency_codes
from forecasting.ingest.files import expand_paths
from forecasting.ingest.progress import Reporter, watch_query
from forecasting.ingest.read_errors import (
    clear_csv_rejects,
    first_bad_cell,
    gzip_damage,
    raise_csv_rejects,
)


def test_expand_paths_files_globs_folders(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.csv").write_text("h\n1\n")
    (tmp_path / "a" / "y.csv.gz").write_bytes(gzip.compress(b"h\n1\n"))
    (tmp_path / "a" / "manifest.json").write_text("{}")
    (tmp_path / "z.parquet").write_bytes(b"")
    found = expand_paths([tmp_path / "a", str(tmp_path / "*.parquet"), tmp_path / "a/x.csv"])
    assert [p.name for p in found] == ["x.csv", "y.csv.gz", "z.parquet"]


def test_expand_paths_nothing_found_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no CSV, CSV\.gz or Parquet files"):
        expand_paths([str(tmp_path / "nope*.csv")])


def test_csv_rejects_name_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("cost,ts\n1.5,2024-01-01\n2.5,2024-01-02\nabc,2024-01-03\n")
    con = duckdb.connect()
    clear_csv_rejects(con)
    rel = con.read_csv(
        str(path),
        header=True,
        columns={"cost": "DECIMAL(38,12)", "ts": "TIMESTAMP"},
        store_rejects=True,
    )
    rel.project("cost").fetchall()  # read only some columns, as an ingest's checks do
    with pytest.raises(InputError) as err:
        raise_csv_rejects(con, {str(path): {"cost": "DECIMAL(38,12)", "ts": "TIMESTAMP"}})
    assert (err.value.file, err.value.row, err.value.column) == (str(path), 3, "cost")
    assert "cannot read 'abc' as a number" in str(err.value)


def test_no_rejects_is_silent() -> None:
    con = duckdb.connect()
    clear_csv_rejects(con)
    raise_csv_rejects(con, {})


def test_gzip_damage_counts_the_rows_that_survived(tmp_path: Path) -> None:
    data = b"h\n" + b"".join(b"%d\n" % i for i in range(50_000))
    packed = gzip.compress(data)
    broken = tmp_path / "cut.csv.gz"
    broken.write_bytes(packed[: len(packed) // 2])
    message = gzip_damage(broken)
    assert message is not None and "truncated or corrupt gzip" in message
    good = tmp_path / "ok.csv.gz"
    good.write_bytes(packed)
    assert gzip_damage(good) is None


def test_first_bad_cell_names_the_column() -> None:
    types = {"a": "VARCHAR", "cost": "DECIMAL(38,12)", "ts": "TIMESTAMPTZ"}
    assert first_bad_cell(["x", "1.5", "2024-01-01T00:00:00Z"], types) is None
    assert first_bad_cell(["x", "NULL", "soon"], types) == ("ts", "soon", "TIMESTAMPTZ")


def test_currency_codes() -> None:
    check_currency_codes(["USD", "EUR"], where="x")
    with pytest.raises(InputError, match="unknown currency 'US'"):
        check_currency_codes(["US"], where="x")


def test_reporter_calls_back_and_never_goes_backwards() -> None:
    seen: list[tuple[float, str]] = []
    with Reporter("t", lambda f, m: seen.append((f, m))) as reporter:
        reporter.update(0.5, "half")
        reporter.update(0.2, "late")
        reporter.update(2.0, "done")
    assert [f for f, _ in seen] == [0.5, 0.5, 1.0]


def test_watch_query_reports_progress_of_a_long_statement() -> None:
    con = duckdb.connect()
    seen: list[float] = []
    reporter = Reporter("t", lambda f, m: seen.append(f))
    with watch_query(con, reporter, 0.1, 0.9, "work"):
        con.execute("SELECT count(*) FROM range(100000000) WHERE range % 7 = 3").fetchall()
    assert seen[0] == 0.1 and seen[-1] == 0.9
    assert seen == sorted(seen)
