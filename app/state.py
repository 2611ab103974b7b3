"""Cached wrappers around forecasting.*: the database is opened read-only per query.

Never keep a DuckDB file connection open across reruns: DuckDB locks the file per process,
and a held connection would block an ingest running from cron in another process. Results
are cached with st.cache_data keyed on the file's modification time, so the app shows new
data as soon as a writer commits, and a widget change recomputes only what it touches.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from forecasting.errors import CapcostError
from forecasting.ingest.quality import DataStatus, data_status
from forecasting.interface import Excuse, IngestResult
from forecasting.overview import Overview, build_overview
from forecasting.review import Review, build_review, months_with_cost
from forecasting.store import Store

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
        with Store(path, read_only=True, lock_timeout=LOCK_WAIT_SECONDS) as store:
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
