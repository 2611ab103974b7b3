"""A price catalogue keys a stored plan or lever set by its tables, digested once per version
of its files: the same key as its frames give, a new one when a file is edited."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from forecasting.capacity import service as capacity
from forecasting.models import stored_fits
from forecasting.models.options import run_models
from forecasting.savings import service as savings
from forecasting.scenario import load_savings
from forecasting.scenario.catalogue import DEFAULT_FOLDER, load_catalogue
from forecasting.store import Store

START, END = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01")


@pytest.fixture
def prices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "prices"
    shutil.copytree(DEFAULT_FOLDER, folder)
    monkeypatch.setenv("CAPCOST_PRICES", str(folder))
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    made = Store(tmp_path / "capcost.duckdb")
    yield made
    made.close()


def keys(store: Store) -> tuple[str, str]:
    """The fit keys of the capacity plan and of the savings levers, as served."""
    options = capacity.CapacityOptions()
    plan = capacity._capacity_key(store, options, run_models)
    scenario = load_savings(store, None)
    catalogue = load_catalogue()
    part = stored_fits.forecast_part(options)
    levers = savings._levers_key(store, scenario, catalogue, {}, START, END, part, run_models)
    assert plan is not None and levers is not None
    return stored_fits.fit_key("v", plan, {}), stored_fits.fit_key("v", levers, {})


def tables_keys(store: Store) -> tuple[str, str]:
    """The same keys with the catalogue's frames in place of its digest (the key before)."""
    catalogue = load_catalogue()
    tables = (catalogue.compute, catalogue.database, catalogue.metered)
    scenario = load_savings(store, None)
    options = capacity.CapacityOptions()
    part = stored_fits.forecast_part(options)
    plan = (stored_fits.store_part(store), options, *tables)
    levers = (stored_fits.store_part(store), scenario, *tables, START, END, part)
    return stored_fits.fit_key("v", plan, {}), stored_fits.fit_key("v", levers, {})


def test_the_digest_keys_as_the_tables_did_and_is_made_once(prices: Path, store: Store) -> None:
    assert keys(store) == tables_keys(store)  # results stored before are still found
    catalogue = load_catalogue()
    assert stored_fits.catalogue_part(catalogue) is stored_fits.catalogue_part(catalogue)


def test_editing_a_catalogue_file_changes_the_keys(prices: Path, store: Store) -> None:
    before = keys(store)
    compute = prices / "compute.csv"
    table = pd.read_csv(compute, dtype=str, keep_default_na=False)
    table.loc[0, "hourly_usd"] = str(float(table.loc[0, "hourly_usd"]) + 0.0001)
    table.to_csv(compute, index=False)
    stat = compute.stat()  # a second edit within the clock's tick still reads as new
    os.utime(compute, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = keys(store)
    assert after[0] != before[0] and after[1] != before[1]
    assert after == tables_keys(store)
