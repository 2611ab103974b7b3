"""app/state.py's one caching decorator: a cache per builder, keyed on the data version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st

from app import state
from forecasting.interface import Excuse
from forecasting.store import Store

CALLS: list[str] = []


def sets(store: Store) -> list[str]:
    CALLS.append("sets")
    return store.assumption_set_names()


def sources(store: Store) -> list[str]:
    CALLS.append("sources")
    return sorted(store.freshness()["source"])


@pytest.fixture
def db(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "capcost.duckdb"
    shutil.copy(demo_db, copy)
    monkeypatch.setenv("CAPCOST_DB", str(copy))
    st.cache_data.clear()
    CALLS.clear()
    return copy


def test_builders_with_the_same_arguments_keep_their_own_caches(db: Path) -> None:
    # Every wrapper has the same source: without its builder's name the two would share one.
    cached_sets, cached_sources = state.cached()(sets), state.cached()(sources)
    assert cached_sets() == ["apex-capacity"]
    assert "demo" in cached_sources()
    assert cached_sets() == ["apex-capacity"] and CALLS == ["sets", "sources"]


def test_a_commit_is_read_on_the_next_call(db: Path) -> None:
    cached_sets = state.cached()(sets)
    assert cached_sets() == ["apex-capacity"]
    with Store(db) as store:
        store.save_assumptions("cfo-review", {"zones": 2}, "test")
    assert cached_sets() == ["apex-capacity", "cfo-review"]
    assert CALLS == ["sets", "sets"]
    cached_sets.clear()
    cached_sets()
    assert CALLS == ["sets", "sets", "sets"]


def test_a_missing_database_is_an_excuse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPCOST_DB", str(tmp_path / "absent.duckdb"))
    st.cache_data.clear()
    CALLS.clear()
    found = state.cached()(sets)()
    assert isinstance(found, Excuse) and "no database at" in found.reason and not CALLS


def test_a_scan_of_the_bill_is_shared_by_builds_of_one_data_version(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The levers ask for the same month's resource costs four times, and every widget change
    rebuilds them: the scan runs once per data version, and again after a commit."""
    from datetime import date

    scans: list[tuple[date, date]] = []
    real = Store.resource_costs

    def counting(self: Store, start: date, end: date) -> object:
        scans.append((start, end))
        return real(self, start, end)

    monkeypatch.setattr(Store, "resource_costs", counting)
    window = (date(2026, 10, 1), date(2026, 11, 1))

    def twice(store: Store) -> list[int]:
        return [len(store.resource_costs(*window)) for _ in range(2)]

    first, _ = state.read_noted(twice, db)
    again, _ = state.read_noted(twice, db)
    assert first == again and first[0] > 0 and scans == [window]
    with Store(db) as store:
        store.save_assumptions("cfo-review", {"zones": 2}, "test")
    assert state.read_noted(twice, db)[0] == first and scans == [window, window]
