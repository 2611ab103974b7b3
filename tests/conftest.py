"""Shared fixtures: a fresh in-memory store, the demo database, the shared real data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from forecasting.store import Store

# Hypothesis' per-example deadline is a timing assertion, and the suite runs on a shared
# machine where an example can take 4x longer than usual; speed is measured in benchmarks/.
# Under CI the examples are derandomized, so a landing is judged on the same examples every
# run; locally each run explores new ones (and the example database replays any failure).
settings.register_profile("capcost", deadline=None, derandomize=os.environ.get("CI") == "true")
settings.load_profile("capcost")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
# A fixed end date keeps the demo (and every number derived from it) the same on every run.
DEMO_UNTIL = date(2026, 11, 26)
DEMO_SEED = 7
IN_CI = os.environ.get("CI", "").lower() == "true"
# The commands that write data refresh the stored forecasts after them, seconds each: the
# suite's many ingests leave that to the tests of the refresh (tests/results), which turn it on.
os.environ.setdefault("CAPCOST_REFRESH", "0")


@pytest.fixture
def fresh_store() -> Iterator[Store]:
    store = Store()
    yield store
    store.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, built once per session; open it read-only in tests."""
    from forecasting.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "capcost.duckdb"
    build_demo(path, until=DEMO_UNTIL, seed=DEMO_SEED)
    return path


@pytest.fixture
def demo_store(demo_db: Path) -> Iterator[Store]:
    store = Store(demo_db, read_only=True)
    yield store
    store.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real public billing and CloudWatch files); skipped outside CI if absent."""
    if not SHARED_DATA.is_dir():
        if IN_CI:
            pytest.fail(f"{SHARED_DATA} is missing in CI: the real-data tests must run there")
        pytest.skip(f"{SHARED_DATA} is absent (it ships beside the repository, not in it)")
    return SHARED_DATA


def table_checksums(store: Store, exclude: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent content hash of every table (before/after checks).

    Pass ``exclude=("ingest_runs",)`` where a failed run is expected to leave its log entry.
    """
    tables = [
        r[0]
        for r in store.con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
    ]
    out: dict[str, tuple[int, str]] = {}
    for table in (t for t in tables if t not in exclude):
        row = store.con.execute(
            f"SELECT count(*), coalesce(CAST(sum(hash(t)) AS VARCHAR), '0') FROM \"{table}\" t"
        ).fetchone()
        assert row is not None
        out[table] = (int(row[0]), str(row[1]))
    return out
