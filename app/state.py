"""Cached wrappers around forecasting.*: the database is opened read-only per query.

Never keep a DuckDB file connection open across reruns: DuckDB locks the file per process,
and a held connection would block an ingest running from cron in another process. Results
are cached with st.cache_data keyed on the file's modification time, so the app shows new
data as soon as a writer commits, and a widget change recomputes only what it touches.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import streamlit as st

from forecasting.errors import CapcostError
from forecasting.ingest.quality import DataStatus, data_status
from forecasting.interface import Excuse, IngestResult
from forecasting.overview import Overview, build_overview
from forecasting.review import Review, build_review, months_with_cost
from forecasting.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.capacity.choices import Choices
    from forecasting.capacity.service import CapacityOptions, CapacityReport
    from forecasting.forecast_view import ForecastView
    from forecasting.models.options import ForecastOptions
    from forecasting.models.result import ForecastResult
    from forecasting.savings.service import SavingsOptions, SavingsReport

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
# How long a page waits for a writer (an ingest) to release the file before saying so.
LOCK_WAIT_SECONDS = 10.0


def db_path() -> Path:
    return Path(os.environ.get("CAPCOST_DB", ROOT / "data" / "capcost.duckdb")).resolve()


def db_version(path: Path | None = None) -> float:
    """Changes whenever a writer commits: the newest mtime of the file and its WAL."""
    path = path or db_path()
    stamps = [p.stat().st_mtime_ns for p in (path, Path(f"{path}.wal")) if p.exists()]
    return float(max(stamps)) if stamps else 0.0


def with_store(fn: Callable[[Store], T], path: Path) -> T | Excuse:
    """Run ``fn`` on a read-only store, or explain why the data cannot be read."""
    if not path.exists():
        return Excuse(
            f"no database at {path}: run `make demo` (or `capcost demo`) or ingest your data",
            {"path": str(path)},
        )
    try:
        with Store.reader(path, lock_timeout=LOCK_WAIT_SECONDS) as store:
            return fn(store)
    except CapcostError as exc:
        return Excuse(str(exc), {"path": str(path)})


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def _overview(path: str, version: float) -> Overview | Excuse:
    result = with_store(build_overview, Path(path))
    return result


def overview() -> Overview | Excuse:
    path = db_path()
    return _overview(str(path), db_version(path))


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def _review_months(path: str, version: float) -> list[str] | Excuse:
    return with_store(months_with_cost, Path(path))


def review_months() -> list[str] | Excuse:
    path = db_path()
    return _review_months(str(path), db_version(path))


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Building the review...")
def _review(path: str, version: float, month: str) -> Review | Excuse:
    return with_store(lambda store: build_review(store, month), Path(path))


def review(month: str) -> Review | Excuse:
    path = db_path()
    return _review(str(path), db_version(path), month)


@st.cache_data(ttl=600, max_entries=8, show_spinner=False)
def _data_status(path: str, version: float) -> DataStatus | Excuse:
    return with_store(data_status, Path(path))


def data(path: Path | None = None) -> DataStatus | Excuse:
    path = path or db_path()
    return _data_status(str(path), db_version(path))


def ingest_upload(name: str, content: bytes, kind: str, **options: Any) -> IngestResult:
    """Run an uploaded file through the ingest (read-write, never cached); new data shows on
    the next read because the cache keys on the database file's modification time."""
    from forecasting.ingest.upload import UploadKind, ingest_upload

    with Store(db_path(), lock_timeout=LOCK_WAIT_SECONDS) as store:
        return ingest_upload(store, name, content, UploadKind(kind), **options)


# -- capacity and savings ----------------------------------------------------------------------
# Keyed on the history's content, a forecast never goes stale: a day's ttl only bounds memory
# (a runway of 1,000 paths x 365 days x 4 metrics is about 12 MB).
@st.cache_data(ttl=86_400, max_entries=24, show_spinner="Forecasting (first time only)...")
def _forecast(
    frame: pd.DataFrame, h: int, freq: str, level: float, model: str, paths: int, seed: int
) -> ForecastResult:
    from forecasting.models.options import ForecastOptions, run_models

    options = ForecastOptions(level=level, model=model, paths=paths, seed=seed)
    return run_models(frame, h, freq, options)


def cached_forecast(
    frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions
) -> ForecastResult:
    """The services' forecaster, cached on the history's content and the forecast's own options
    only: editing an assumption, or saving a set (which touches the file), reuses the paths."""
    return _forecast(frame, h, freq, options.level, options.model, options.paths, options.seed)


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def _choices(path: str, version: float, scenario: str | None) -> Choices | Excuse:
    from forecasting.capacity.choices import choices as build

    return with_store(lambda store: build(store, scenario), Path(path))


def choices(scenario: str | None) -> Choices | Excuse:
    """Stored assumption sets, the chosen set's values, full months and catalogue names."""
    path = db_path()
    return _choices(str(path), db_version(path), scenario)


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Sizing the plan...")
def _capacity(path: str, version: float, options: CapacityOptions) -> CapacityReport | Excuse:
    from forecasting.capacity.service import capacity_report

    return with_store(lambda store: capacity_report(store, options, cached_forecast), Path(path))


def capacity(options: CapacityOptions) -> CapacityReport | Excuse:
    path = db_path()
    return _capacity(str(path), db_version(path), options)


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Modelling the savings...")
def _savings(
    path: str,
    version: float,
    options: SavingsOptions,
    stated: str | bytes | None,
    source: str,
) -> SavingsReport | Excuse:
    from forecasting.savings.service import savings_report

    return with_store(
        lambda store: savings_report(store, options, stated, cached_forecast, source), Path(path)
    )


def savings(
    options: SavingsOptions, stated: str | bytes | None = None, source: str = ""
) -> SavingsReport | Excuse:
    """``stated``: a stored stated plan's name, an uploaded plan's CSV bytes, or None."""
    path = db_path()
    return _savings(str(path), db_version(path), options, stated, source)


def write(fn: Callable[[Store], T]) -> T | Excuse:
    """Run ``fn`` on a read-write store opened only for the write; ``fn``'s result, or why not.

    Another session's read-only connection in this process makes DuckDB refuse a read-write
    one for a moment, and an ingest from cron holds the file while it runs: retry, bounded.
    """
    import duckdb

    path = db_path()
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            with Store(path, lock_timeout=LOCK_WAIT_SECONDS) as store:
                return fn(store)
        except CapcostError as exc:
            return Excuse(str(exc), {"path": str(path)})
        except duckdb.Error as exc:
            if time.monotonic() >= deadline:
                return Excuse(f"could not write to {path}: {exc}", {"path": str(path)})
            time.sleep(0.2)


def save_assumptions(name: str, payload: dict[str, Any], note: str = "") -> int | Excuse:
    """Store a new version of a named assumption set; returns the version, or why it failed."""
    version = write(lambda store: store.save_assumptions(name, payload, note))
    # The reads key on the file's mtime already; clearing them makes the next run certain to
    # see the new set. Forecasts stay: the history they read has not changed.
    for cached in (_choices, _capacity, _savings):
        cached.clear()
    return version


# -- cost review -------------------------------------------------------------------------------
@st.cache_data(ttl=3600, max_entries=16, show_spinner="Looking for anomalous days...")
def _anomalies(path: str, version: float, month: str) -> pd.DataFrame | Excuse:
    from forecasting.review import anomalies as find

    return with_store(lambda store: find(store, month), Path(path))


def anomalies(month: str) -> pd.DataFrame | Excuse:
    path = db_path()
    return _anomalies(str(path), db_version(path), month)


@st.cache_data(ttl=3600, max_entries=8, show_spinner=False)
def _plans(path: str, version: float) -> pd.DataFrame | Excuse:
    return with_store(lambda store: store.plans(), Path(path))


def plans() -> pd.DataFrame | Excuse:
    path = db_path()
    return _plans(str(path), db_version(path))


def freeze_plan_of_record() -> list[int] | Excuse:
    """Forecast cost and users from complete months and store them as the plan of record."""
    from forecasting.review import freeze_plan_of_record as freeze

    plan_ids = write(freeze)
    for cached in (_plans, _review):
        cached.clear()
    return plan_ids


# -- forecast ----------------------------------------------------------------------------------
@st.cache_data(ttl=86_400, max_entries=32, show_spinner="Forecasting with backtests...")
def _forecast_view(
    path: str, version: float, choice: str, horizon: int, level: float, model: str
) -> ForecastView | Excuse:
    from forecasting.forecast_view import build_forecast_view

    return with_store(
        lambda store: build_forecast_view(store, choice, horizon=horizon, level=level, model=model),
        Path(path),
    )


def forecast_view(choice: str, horizon: int, level: float, model: str) -> ForecastView | Excuse:
    path = db_path()
    return _forecast_view(str(path), db_version(path), choice, horizon, level, model)


def model_choices() -> list[str]:
    from forecasting.models.registry import AUTO, model_names

    return [AUTO, *model_names()]
