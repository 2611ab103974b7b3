"""Migrations apply once on a fresh file, are a no-op on re-open, and refuse newer schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasting.errors import StoreError
from forecasting.store import Store
from forecasting.store import core as store_core
from forecasting.store.migrations import MIGRATIONS

LATEST = MIGRATIONS[-1][0]


def test_fresh_file_gets_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    with Store(path) as store:
        assert store.schema_version() == LATEST
        applied = store.con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        assert [r[0] for r in applied] == [m[0] for m in MIGRATIONS]


def test_reopen_keeps_data_and_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    with Store(path) as store:
        store.save_assumptions("caps", {"a": 1})
    with Store(path) as store:
        assert store.load_assumptions("caps") == {"a": 1}
        count = store.con.execute("SELECT count(*) FROM schema_migrations").fetchone()
        assert count == (len(MIGRATIONS),)


def test_a_new_migration_applies_on_reopen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.duckdb"
    Store(path).close()
    extra = (LATEST + 1, "test column", "ALTER TABLE plans ADD COLUMN note VARCHAR")
    monkeypatch.setattr(store_core, "MIGRATIONS", [*MIGRATIONS, extra])
    with Store(path) as store:
        assert store.schema_version() == LATEST + 1
        cols = store.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'plans'"
        ).fetchall()
        assert ("note",) in cols


def test_a_failed_migration_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.duckdb"
    Store(path).close()
    bad = (LATEST + 1, "broken", "ALTER TABLE plans ADD COLUMN ok VARCHAR; SELECT * FROM nope")
    monkeypatch.setattr(store_core, "MIGRATIONS", [*MIGRATIONS, bad])
    with pytest.raises(Exception, match="nope"):
        Store(path)
    monkeypatch.setattr(store_core, "MIGRATIONS", MIGRATIONS)
    with Store(path) as store:
        assert store.schema_version() == LATEST
        cols = store.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'plans'"
        ).fetchall()
        assert ("ok",) not in cols


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    with Store(path) as store:
        store.con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    with pytest.raises(StoreError, match="newer than this capcost"):
        Store(path)


def test_read_only_open_of_missing_file_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="capcost demo"):
        Store(tmp_path / "absent.duckdb", read_only=True)


def test_reader_migrates_an_older_file_then_opens_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.duckdb"
    monkeypatch.setattr(store_core, "MIGRATIONS", MIGRATIONS[:1])
    Store(path).close()
    monkeypatch.setattr(store_core, "MIGRATIONS", MIGRATIONS)
    with pytest.raises(StoreError, match="open it read-write once"):
        Store(path, read_only=True)
    with Store.reader(path) as store:
        assert store.read_only and store.schema_version() == LATEST


def test_stored_paths_move_to_their_shared_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 5 keeps what a refresh stored before it: forecasts whose levels drew the same
    paths name one stored array, read back as it was."""
    path = tmp_path / "x.duckdb"
    monkeypatch.setattr(store_core, "MIGRATIONS", [m for m in MIGRATIONS if m[0] <= 4])
    paths = [1.5, 2.25, 3.0, 4.125]
    with Store(path) as store:
        for key in ("at-80", "at-95"):
            store.con.execute(
                "INSERT INTO forecast_results VALUES (?, 2, 'users', 'ets', "
                "['2026-12-01'::TIMESTAMP, '2027-01-01'], [1.0, 2.0], 2, ?, 1)",
                [key, paths],
            )
    monkeypatch.setattr(store_core, "MIGRATIONS", MIGRATIONS)
    with Store(path) as store:
        assert store.con.execute("SELECT count(*) FROM forecast_paths").fetchone() == (1,)
        found = store.read_forecast_results(["at-80", "at-95"])
    for key in ("at-80", "at-95"):
        assert found[key]["paths"].tolist() == [[1.5, 2.25], [3.0, 4.125]]


def test_bands_stored_before_the_own_band_read_back_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 9 adds the band without the prior beside each stored band: a file written
    at version 8 keeps its bands, reads no own band (the page then says only the edges),
    and applying the migration again changes nothing."""
    path = tmp_path / "x.duckdb"
    monkeypatch.setattr(store_core, "MIGRATIONS", [m for m in MIGRATIONS if m[0] <= 8])
    with Store(path) as store:
        store.con.execute(
            "INSERT INTO forecast_results (key, horizon, unique_id, model, ds, mean, n_paths, "
            "paths_digest, refresh_id) VALUES (?, 2, 'users', 'ets', "
            "['2026-12-01'::TIMESTAMP, '2027-01-01'], [1.0, 2.0], 0, 'd', 1)",
            ["k"],
        )
        store.con.execute("INSERT INTO forecast_paths VALUES ('d', [])")
        store.con.execute("INSERT INTO forecast_bands VALUES ('k', 80, [0.5, 1.0], [1.5, 3.0])")
    monkeypatch.setattr(store_core, "MIGRATIONS", MIGRATIONS)
    nine = next(sql for version, _, sql in MIGRATIONS if version == 9)
    with Store(path) as store:
        assert store.schema_version() == LATEST
        found = store.read_forecast_results(["k"])
        store.con.execute(nine)  # again: a no-op
        again = store.read_forecast_results(["k"])
    assert found["k"]["bands"][80.0][0].tolist() == [0.5, 1.0]
    assert found["k"]["bands"][80.0][1].tolist() == [1.5, 3.0]
    assert found["k"]["own_bands"] == {} and again["k"]["own_bands"] == {}
