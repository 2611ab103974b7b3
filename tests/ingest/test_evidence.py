"""CDN analytics and pg_stat_statements CSVs: happy paths, and bad rows refused whole."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from forecasting.cli import main
from forecasting.errors import InputError
from forecasting.ingest.evidence import load_cdn, load_query_stats
from forecasting.store import Store
from tests.conftest import table_checksums

# Cloudflare's GraphQL httpRequests1dGroups names, as an export writes them.
CDN_CSV = """date,requests,cachedRequests,bytes,cachedBytes
2026-11-01,1000000,620000,50000000000,44000000000
2026-11-02,1100000,700000,52000000000,46000000000
2026-11-03,900000,540000,48000000000,42000000000
"""
QUERIES_CSV = """queryid,query,calls,total_exec_time,rows,shared_blks_read
-7140264139151372311,SELECT * FROM events WHERE tenant_id = $1,1000,700000.5,5000,900
4361687089153298643,UPDATE sessions SET last_seen = $1 WHERE id = $2,50000,200000,50000,10
4361687089153298643,UPDATE sessions SET last_seen = $1 WHERE id = $2,10000,50000,10000,5
12,SELECT 1,10,49999.5,10,0
"""
START, END = datetime(2026, 11, 1), datetime(2026, 11, 15)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_cdn_analytics_are_stored_per_day_and_a_reingest_replaces_them(
    fresh_store: Store, tmp_path: Path
) -> None:
    path = _write(tmp_path, "cf.csv", CDN_CSV)
    result = load_cdn(fresh_store, path, zone="apexomnihub.com")
    assert result.rows == 3 and result.detail["days"] == 3
    load_cdn(fresh_store, path, zone="apexomnihub.com")
    stored = fresh_store.read_cdn_analytics()
    assert len(stored) == 3
    hit = stored["cached_requests"].sum() / stored["requests"].sum()
    assert hit == pytest.approx(1_860_000 / 3_000_000)
    assert set(stored["provider"]) == {"Cloudflare"}


def test_cloudfront_headers_and_a_zone_column_are_understood(
    fresh_store: Store, tmp_path: Path
) -> None:
    text = "Date,DistributionId,Requests,Hits,BytesDownloaded,Bytes Cached\n"
    text += "2026-11-01,E2ABC,100,80,1000,900\n2026-11-01,E9XYZ,50,10,500,100\n"
    load_cdn(fresh_store, _write(tmp_path, "cloudfront.csv", text), provider="CloudFront")
    stored = fresh_store.read_cdn_analytics()
    assert sorted(stored["zone"]) == ["E2ABC", "E9XYZ"]


@pytest.mark.parametrize(
    ("row", "cell", "column", "message"),
    [
        (3, "lots", "cached_requests", "'lots' is not a non-negative number"),
        (2, "-5", "requests", "'-5' is not a non-negative number"),
        (4, "", "bytes", "'' is not a non-negative number"),
    ],
)
def test_a_cdn_csv_with_a_bad_row_is_refused_naming_row_and_column(
    fresh_store: Store, tmp_path: Path, row: int, cell: str, column: str, message: str
) -> None:
    names = {"requests": 1, "cached_requests": 2, "bytes": 3}
    lines = CDN_CSV.splitlines()
    cells = lines[row - 1].split(",")
    cells[names[column]] = cell
    lines[row - 1] = ",".join(cells)
    path = _write(tmp_path, "bad.csv", "\n".join(lines) + "\n")
    before = table_checksums(fresh_store, exclude=("ingest_runs",))
    with pytest.raises(InputError) as info:
        load_cdn(fresh_store, path, zone="z")
    assert str(info.value) == f"file {path}, row {row}, column {column!r}: {message}"
    assert table_checksums(fresh_store, exclude=("ingest_runs",)) == before


def test_cdn_refusals_for_impossible_or_incomplete_files(
    fresh_store: Store, tmp_path: Path
) -> None:
    more = CDN_CSV.replace("2026-11-02,1100000,700000", "2026-11-02,1100000,1200000")
    with pytest.raises(InputError, match=r"row 3, column 'cached_requests': 1,200,000 cached"):
        load_cdn(fresh_store, _write(tmp_path, "a.csv", more), zone="z")
    day = CDN_CSV.replace("2026-11-03", "2026-13-03")
    with pytest.raises(InputError, match=r"row 4, column 'day': '2026-13-03' is not a date"):
        load_cdn(fresh_store, _write(tmp_path, "b.csv", day), zone="z")
    twice = CDN_CSV.replace("2026-11-03", "2026-11-02")
    with pytest.raises(InputError, match=r"row 4, column 'day': a second row"):
        load_cdn(fresh_store, _write(tmp_path, "c.csv", twice), zone="z")
    with pytest.raises(InputError, match=r"missing columns: cached_bytes"):
        load_cdn(
            fresh_store,
            _write(tmp_path, "d.csv", "date,requests,cachedRequests,bytes\n2026-11-01,1,1,1\n"),
            zone="z",
        )
    with pytest.raises(InputError, match=r"no zone column: name it with --zone"):
        load_cdn(fresh_store, _write(tmp_path, "e.csv", CDN_CSV))
    assert fresh_store.read_cdn_analytics().empty


def test_pg_stat_statements_are_summed_per_query_over_the_window(
    fresh_store: Store, tmp_path: Path
) -> None:
    result = load_query_stats(
        fresh_store, _write(tmp_path, "q.csv", QUERIES_CSV), start=START, end=END, database="app"
    )
    assert result.rows == 3
    assert result.detail["top3_share_of_time"] == 1.0
    stored = fresh_store.read_query_stats().set_index("queryid")
    assert stored.loc[4361687089153298643, "calls"] == 60_000
    assert stored.loc[-7140264139151372311, "total_exec_time"] == 700_000.5
    assert set(stored["database"]) == {"app"}
    assert stored["period_start"].iloc[0] == START and stored["period_end"].iloc[0] == END


@pytest.mark.parametrize(
    ("old", "new", "row", "column", "message"),
    [
        (",700000.5,", ",-3,", 2, "total_exec_time", "'-3' is not a non-negative number"),
        ("12,SELECT 1", "12x,SELECT 1", 5, "queryid", "'12x' is not a 64-bit integer query id"),
        (",200000,50000,", ",200000,many,", 3, "rows", "'many' is not a non-negative number"),
    ],
)
def test_a_pg_stat_statements_csv_with_a_bad_row_is_refused_naming_row_and_column(
    fresh_store: Store, tmp_path: Path, old: str, new: str, row: int, column: str, message: str
) -> None:
    path = _write(tmp_path, "bad.csv", QUERIES_CSV.replace(old, new, 1))
    before = table_checksums(fresh_store, exclude=("ingest_runs",))
    with pytest.raises(InputError) as info:
        load_query_stats(fresh_store, path, start=START, end=END)
    assert str(info.value) == f"file {path}, row {row}, column {column!r}: {message}"
    assert table_checksums(fresh_store, exclude=("ingest_runs",)) == before


def test_ingest_commands_report_and_refuse_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.duckdb")
    cdn = _write(tmp_path, "cf.csv", CDN_CSV)
    assert main(["ingest", "cdn", str(cdn), "--zone", "apex", "--db", db]) == 0
    assert "3 days of CDN analytics for apex (Cloudflare)" in capsys.readouterr().err
    q = _write(tmp_path, "q.csv", QUERIES_CSV)
    args = ["ingest", "pg-stat-statements", str(q), "--start", "2026-11-01", "--db", db]
    assert main([*args, "--end", "2026-11-15"]) == 0
    assert "3 queries of postgres" in capsys.readouterr().err
    bad = _write(tmp_path, "bad.csv", QUERIES_CSV.replace(",700000.5,", ",x,"))
    assert main([*args[:2], str(bad), *args[3:], "--end", "2026-11-15"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "row 2, column 'total_exec_time'" in err
    assert main([*args, "--end", "2026-10-01"]) == 2
    assert "parameter --end" in capsys.readouterr().err
