"""The pages' one way into forecasting.views: cached reads of a database opened per query.

Never keep a DuckDB file connection open across reruns: DuckDB locks the file per process,
and a held connection would block an ingest running from cron in another process. Results
are cached with st.cache_data keyed on the file's modification time, so the app shows new
data as soon as a writer commits, and a widget change recomputes only what it touches.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

import streamlit as st

from forecasting import views
from forecasting.capacity.service import CapacityOptions
from forecasting.errors import CapcostError
from forecasting.interface import COST_METRIC, Excuse, IngestResult
from forecasting.models import options as forecasting_options
from forecasting.models import stored
from forecasting.models.options import ForecastOptions
from forecasting.results.refresh import SHARED_READS, freshness_note
from forecasting.savings.service import SavingsOptions
from forecasting.store import Store
from forecasting.views.capacity import CapacityView
from forecasting.views.savings import SavingsView

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.excel import ReviewTables
    from forecasting.models.result import ForecastResult

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
P = ParamSpec("P")
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
    return read_noted(fn, path)[0]


def read_noted(fn: Callable[[Store], T], path: Path) -> tuple[T | Excuse, str]:
    """``with_store``, forecasts served from the store where it holds them, and the line
    saying that some had to be computed now ("" when none had)."""
    if not path.exists():
        return Excuse(
            f"no database at {path}: run `make demo` (or `capcost demo`) or ingest your data",
            {"path": str(path)},
        ), ""
    try:
        with (
            Store.reader(path, lock_timeout=LOCK_WAIT_SECONDS) as store,
            stored.reading(store) as found,
        ):
            value = fn(sharing(store, path))
            return value, freshness_note(store, found, path)
    except CapcostError as exc:
        return Excuse(str(exc), {"path": str(path)}), ""


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _shared_read(
    path: str, version: float, method: str, args: tuple[Any, ...], _store: Store
) -> Any:
    return getattr(type(_store), method)(_store, *args)  # the class's: the instance's is this


def sharing(store: Store, path: Path) -> Store:
    """``store`` with its SHARED_READS (those a refresh shares too) answered from the cache
    of this data version."""
    version = db_version(path)
    for method in SHARED_READS:

        def read(*args: Any, _method: str = method, **kwargs: Any) -> Any:
            if kwargs:  # keyword arguments: not shared (none of the callers uses them)
                return getattr(type(store), _method)(store, *args, **kwargs)
            return _shared_read(str(path), version, _method, args, store)

        setattr(store, method, read)  # this connection's only: it closes after the read
    return store


class Cached(Generic[P, T]):
    """``build(store, *args)`` as ``page_call(*args)``: read-only store, cached per data version."""

    def __init__(self, build: Callable[Concatenate[Store, P], T], cache: Any) -> None:
        self._build, self._cache = build, cache
        functools.update_wrapper(self, build)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T | Excuse:
        path = db_path()
        result: T | Excuse
        result, note = self._cache(str(path), db_version(path), *args, **kwargs)
        if note:
            st.caption(f":material/history: {note}")
        return result

    def clear(self) -> None:
        self._cache.clear()


def cached(
    *, ttl: int = 3600, max_entries: int = 16, spinner: str | bool = False
) -> Callable[[Callable[Concatenate[Store, P], T]], Cached[P, T]]:
    """Cache a view builder with st.cache_data on (database path, its mtime, the arguments).

    The arguments must be hashable by st.cache_data (frozen dataclasses, strings, numbers);
    a new commit changes the mtime, so the next call reads the new data.
    """

    def decorate(build: Callable[Concatenate[Store, P], T]) -> Cached[P, T]:
        def read(path: str, version: float, *args: Any, **kwargs: Any) -> tuple[T | Excuse, str]:
            return read_noted(lambda store: build(store, *args, **kwargs), Path(path))

        # st.cache_data keys a function on its module, qualified name and source: every
        # ``read`` has the same source, so the builder's name keeps their caches apart.
        read.__module__, read.__qualname__ = build.__module__, f"{build.__qualname__}.read"
        cache = st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=spinner)(read)
        return Cached(build, cache)

    return decorate


# -- reads: one per page, each a forecasting.views builder --------------------------------------
overview = cached()(views.build_overview)
# Forecasts: cached apart so the Overview draws its other figures first (a day's ttl: the
# key holds the data version, so new data recomputes them on the next visit).
outlook = cached(ttl=86_400, max_entries=8, spinner="Forecasting...")(views.build_outlook)
data = cached(ttl=600, max_entries=8)(views.build_data)
choices = cached()(views.build_choices)
"""Stored assumption sets, the chosen set's values, full months and catalogue names."""
forecast = cached(ttl=86_400, max_entries=32, spinner="Forecasting with backtests...")(
    views.build_forecast
)
review_months = cached()(views.months_with_cost)


@cached()
def cost_data_to(store: Store) -> date | None:
    """The last day with cost data (a month through it is still running)."""
    return store.last_day(COST_METRIC)


review = cached(max_entries=32, spinner="Building the review...")(views.build_review)
anomalies = cached(spinner="Looking for anomalous days...")(views.build_anomalies)


@cached(max_entries=8)
def plans(store: Store) -> pd.DataFrame:
    return store.plans()


def review_pack(review: ReviewTables) -> bytes:
    """The review's Excel pack, built when its download is clicked (not on every run; nor is
    XlsxWriter imported before)."""
    from forecasting.excel import review_pack as build_review_pack

    pack = with_store(lambda store: build_review_pack(store, review), db_path())
    if isinstance(pack, Excuse):
        raise CapcostError(pack.reason)
    return pack


def ingest_upload(name: str, content: bytes, kind: str, **options: Any) -> IngestResult:
    """Run an uploaded file through the ingest (read-write, never cached); new data shows on
    the next read because the cache keys on the database file's modification time."""
    from forecasting.ingest.upload import UploadKind, ingest_upload

    with Store(db_path(), lock_timeout=LOCK_WAIT_SECONDS) as store:
        return ingest_upload(store, name, content, UploadKind(kind), **options)


# -- capacity and savings ----------------------------------------------------------------------
# Keyed on the history's content, not on the data version: a forecast never goes stale, and
# saving an assumption set (which touches the file) reuses the paths. A day's ttl only bounds
# memory (a runway of 1,000 paths x 365 days x 4 metrics is about 12 MB).
@st.cache_data(ttl=86_400, max_entries=24, show_spinner="Forecasting (first time only)...")
def _forecast(
    frame: pd.DataFrame, h: int, freq: str, level: float, model: str, paths: int, seed: int
) -> ForecastResult:
    options = ForecastOptions(level=level, model=model, paths=paths, seed=seed)
    # Looked up on its module at call time, so a test can count the forecasts run.
    return forecasting_options.run_models(frame, h, freq, options)


@stored.engine_forecaster
def cached_forecast(
    frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions
) -> ForecastResult:
    """The services' forecaster, cached on the history's content and the forecast's own options
    only: editing an assumption, or saving a set (which touches the file), reuses the paths."""
    return _forecast(frame, h, freq, options.level, options.model, options.paths, options.seed)


@cached(spinner="Sizing the plan...")
def capacity(store: Store, options: CapacityOptions, section: str) -> CapacityView:
    """The one section the page shows (a widget of the other section changes nothing)."""
    return views.build_capacity(store, options, cached_forecast, (section,))


@cached(spinner="Modelling the savings...")
def savings(
    store: Store,
    options: SavingsOptions,
    section: str,
    stated: str | bytes | None = None,
    source: str = "",
) -> SavingsView:
    """The one section the page shows; ``stated``: a stored stated plan's name, an uploaded
    plan's CSV bytes, or None."""
    return views.build_savings(store, options, stated, cached_forecast, source, (section,))


def write(fn: Callable[[Store], T]) -> T | Excuse:
    """Run ``fn`` on a read-write store opened only for the write; ``fn``'s result, or why not.

    Another session's read-only connection in this process, or an ingest from cron, can hold
    the file for a moment: the Store waits for it (bounded), as every writer does.
    """
    path = db_path()
    try:
        with Store(path, lock_timeout=LOCK_WAIT_SECONDS) as store:
            return fn(store)
    except CapcostError as exc:
        return Excuse(str(exc), {"path": str(path)})


def save_assumptions(name: str, payload: dict[str, Any], note: str = "") -> int | Excuse:
    """Store a new version of a named assumption set; returns the version, or why it failed."""
    version = write(lambda store: store.save_assumptions(name, payload, note))
    # The reads key on the file's mtime already; clearing them makes the next run certain to
    # see the new set. Forecasts stay: the history they read has not changed.
    for read in (choices, capacity, savings):
        read.clear()
    return version


# -- writes -------------------------------------------------------------------------------------
def freeze_plan_of_record() -> list[int] | Excuse:
    """Forecast cost and users from complete months and store them as the plan of record."""
    plan_ids = write(views.freeze_plan_of_record)
    for read in (plans, review):
        read.clear()
    return plan_ids


def model_choices() -> list[str]:
    from forecasting.models.registry import AUTO, model_names

    return [AUTO, *model_names()]


# -- pulls from AWS (the Data page) -------------------------------------------------------------
PULLS = {"cost-explorer": "Cost Explorer", "cloudwatch": "CloudWatch"}
"""The configured pulls the Data page runs, as the CLI names them."""


def cloudwatch_config() -> Path:
    """The CloudWatch queries file: $CAPCOST_CLOUDWATCH_CONFIG, else the shipped example."""
    default = ROOT / "data" / "cloudwatch.example.toml"
    return Path(os.environ.get("CAPCOST_CLOUDWATCH_CONFIG", default))


def run_pull(source: str, start: Any, progress: Callable[[float, str], None]) -> IngestResult:
    """Run a Cost Explorer or CloudWatch pull from ``start`` (a date) to yesterday, as the CLI
    does: boto3's default credential chain, adaptive retries, one run in the run log. AWS
    failures (no credentials, throttling past the retries) raise CapcostError in one line."""
    from datetime import UTC, datetime

    from forecasting.ingest import aws, cloudwatch, cost_explorer

    session = aws.session()
    today = datetime.now(UTC).date()
    with aws.api_errors(PULLS[source]):
        if source == "cost-explorer":
            client = aws.client(session, "ce", region=None)
            account = aws.caller_account(session)
            with Store(db_path(), lock_timeout=LOCK_WAIT_SECONDS) as store:
                return cost_explorer.load(
                    store, client, start=start, account=account, progress=progress
                )
        client = aws.client(session, "cloudwatch", region=None)
        with Store(db_path(), lock_timeout=LOCK_WAIT_SECONDS) as store:
            return cloudwatch.load(
                store, client, cloudwatch_config(), start=start, end=today, progress=progress
            )
    raise AssertionError("unreachable")  # pragma: no cover


def start_refresh() -> subprocess.Popen[bytes] | None:
    """After a write from the Data page: refresh the stored forecasts in a process of its own,
    `capcost refresh` exec'd (never a fork of this threaded server), so the page returns at
    once; its output goes to ``<db>.refresh.log``. None when refreshes are turned off."""
    from forecasting.results.commands import refresh_enabled

    if not refresh_enabled():
        return None
    path = db_path()
    command = [sys.executable, "-m", "forecasting.cli", "refresh", "--db", str(path)]
    with Path(f"{path}.refresh.log").open("ab") as log:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    # Reaped when it ends, so the server keeps no zombie.
    threading.Thread(target=proc.wait, name="capcost-refresh", daemon=True).start()
    return proc


def refresh_cron_line() -> str:
    """The crontab line that refreshes the stored forecasts daily: the pulls refresh after
    themselves, this catches a new day (the running month) and files loaded otherwise."""
    capcost = ROOT / ".venv" / "bin" / "capcost"
    return f"45 6 * * * {capcost} refresh --db {db_path()} >> /var/log/capcost.log 2>&1"


def cron_line(source: str) -> str:
    """The crontab line that keeps ``source`` fresh (daily, after AWS has published the day)."""
    capcost = ROOT / ".venv" / "bin" / "capcost"
    args = {
        "cost-explorer": "cost-explorer",
        "cloudwatch": f"cloudwatch --config {cloudwatch_config()} "
        "--start $(date -u -d yesterday +\\%F)",
    }[source]
    return f"30 6 * * * {capcost} ingest {args} --db {db_path()} >> /var/log/capcost.log 2>&1"
