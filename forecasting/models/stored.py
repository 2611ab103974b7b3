"""Every series forecast served from the store when it holds it, recorded when asked.

``forecasting.models.api.forecast`` hands its per-series jobs to :func:`run`. Outside a
:func:`reading` or :func:`recording` block that is the plain computation. Inside one, a job
whose key is stored is served from the store: the key digests the series' values, where it
ends, its frequency, the levels, model, paths, seed and the engine's own source, so a result
is found only for exactly the inputs it was computed from (an ingest, a cost group rule or an
upgrade of capcost changes the key: a stale result is never found). The horizon is not in
the key: the engine's month k does not depend on how far it forecasts (models are chosen and
calibrated on backtests one season ahead, and paths are drawn step by step), so the longest
horizon is stored and sliced.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from forecasting.interface import Excuse
from forecasting.models.result import SeriesForecast

if TYPE_CHECKING:
    from forecasting.models.engine import SeriesJob
    from forecasting.store.results import ResultsMixin


@dataclass
class Memo:
    """What one page build (or one refresh) was served and had to compute."""

    store: ResultsMixin | None
    """Where stored forecasts are read (None: nothing stored to read)."""
    record: bool = False
    """Keep what is computed, for a refresh to store."""
    computed: dict[str, tuple[SeriesJob, SeriesForecast]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    """Stored keys that served a job."""
    misses: int = 0
    """Series forecasts that had to be fitted."""
    fits: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Model fits made in the block (``stored_fits``): key -> (kind, the fit as JSON)."""
    fits_used: set[str] = field(default_factory=set)
    """Stored fit keys that served a fit."""
    fits_read: dict[str, dict[str, str]] = field(default_factory=dict)
    """Stored fits read so far, per kind (each kind is read once per block)."""
    fit_misses: int = 0
    """Model fits that had to be made."""
    rows_read: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Stored forecasts read so far by key (None: not stored): each read once per block (a
    refresh asks for the same series from page after page)."""
    touched: list[set[str]] = field(default_factory=list)
    """The forecasts and fits asked for by each stored result being made, innermost last
    (``stored_fits.fitted(..., keeps_inputs=True)``)."""

    def touch(self, keys: Iterable[str]) -> None:
        """Note ``keys`` as asked for by the stored result being made (if any)."""
        if self.touched:
            self.touched[-1].update(keys)

    def rows(self) -> list[dict[str, Any]]:
        """What was computed, as the store's rows."""
        return [to_row(key, job.h, result) for key, (job, result) in self.computed.items()]

    def fit_rows(self) -> list[tuple[str, str, str]]:
        """The fits made, as the store's rows: (key, kind, value)."""
        return [(key, kind, value) for key, (kind, value) in self.fits.items()]


F = TypeVar("F")

_ACTIVE: ContextVar[Memo | None] = ContextVar("capcost_results_memo", default=None)


@contextlib.contextmanager
def reading(store: ResultsMixin | None) -> Iterator[Memo]:
    """Serve forecasts from ``store`` within the block; count what had to be computed."""
    memo = Memo(store)
    token = _ACTIVE.set(memo)
    try:
        yield memo
    finally:
        _ACTIVE.reset(token)


@contextlib.contextmanager
def recording(store: ResultsMixin | None) -> Iterator[Memo]:
    """As :func:`reading`, and keep every forecast computed (``memo.rows()``) to store."""
    memo = Memo(store, record=True)
    token = _ACTIVE.set(memo)
    try:
        yield memo
    finally:
        _ACTIVE.reset(token)


def engine_forecaster(fn: F) -> F:
    """Mark ``fn`` as a forecaster whose forecasts are the engine's (``run_models``, or a
    cache of it): a result made with it is the one a refresh stores."""
    setattr(fn, "capcost_engine", True)  # noqa: B010 (a function's attribute)
    return fn


def is_engine(forecaster: Any) -> bool:
    """Whether ``forecaster`` makes the engine's forecasts (a stand-in, e.g. an oracle in a
    benchmark or a test's, makes its own: those are never stored nor served)."""
    return bool(getattr(forecaster, "capcost_engine", False))


def active() -> Memo | None:
    """The memo of the enclosing :func:`reading` or :func:`recording` block (None outside)."""
    return _ACTIVE.get()


def run(
    jobs: Sequence[SeriesJob], compute: Callable[[list[SeriesJob]], list[SeriesForecast]]
) -> list[SeriesForecast]:
    """``compute(jobs)``, except for jobs the active memo can serve."""
    memo = _ACTIVE.get()
    if memo is None:
        return compute(list(jobs))
    keys = [job_key(job) for job in jobs]
    memo.touch(keys)
    stored = _read(memo, keys)
    out: list[SeriesForecast | None] = []
    todo: list[int] = []
    for i, (job, key) in enumerate(zip(jobs, keys, strict=True)):
        served = _serve(memo, job, key, stored.get(key))
        out.append(served)
        if served is None:
            todo.append(i)
    if todo:
        fresh = compute([jobs[i] for i in todo])
        for i, result in zip(todo, fresh, strict=True):
            out[i] = result
            memo.misses += 1
            if memo.record:
                memo.computed[keys[i]] = (jobs[i], result)
    return [r for r in out if r is not None]


def _read(memo: Memo, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The stored forecasts of ``keys`` (those stored), read from the store once per block;
    each caller gets its own copy (a caller may change its arrays in place)."""
    missing = [key for key in dict.fromkeys(keys) if key not in memo.rows_read]
    if missing and memo.store is not None:
        found = memo.store.read_forecast_results(missing)
        memo.rows_read.update({key: found.get(key) for key in missing})
    rows = {key: memo.rows_read.get(key) for key in keys}
    return {key: copy.deepcopy(row) for key, row in rows.items() if row is not None}


def _serve(
    memo: Memo, job: SeriesJob, key: str, stored: dict[str, Any] | None
) -> SeriesForecast | None:
    if key in memo.computed:
        done, result = memo.computed[key]
        if done.h >= job.h:
            return sliced(result, job)
    if stored is not None and stored["horizon"] >= job.h:
        memo.used.add(key)
        return sliced(from_row(stored), job)
    return None


def sliced(result: SeriesForecast, job: SeriesJob) -> SeriesForecast:
    """The first ``job.h`` steps of a longer forecast of the same series, at the job's levels."""
    h = job.h
    steps = min(h, len(result.mean))

    def cut(values: np.ndarray) -> np.ndarray:
        return values[:steps]

    return SeriesForecast(
        unique_id=result.unique_id,
        model=result.model,
        ds=job.freq.future(job.last, h)[:steps] if len(result.ds) else result.ds[:0],
        mean=cut(result.mean),
        bands={lv: (cut(result.bands[lv][0]), cut(result.bands[lv][1])) for lv in job.levels}
        if result.bands
        else {},
        paths=result.paths[:, :steps] if result.paths.ndim == 2 else result.paths,
        backtest=[dict(row) for row in result.backtest],
        excuses=list(result.excuses),
        candidates={
            name: (cut(f), cut(lo), cut(hi)) for name, (f, lo, hi) in result.candidates.items()
        },
        own_bands={
            lv: (cut(result.own_bands[lv][0]), cut(result.own_bands[lv][1]))
            for lv in job.levels
            if lv in result.own_bands
        },
    )


def to_row(key: str, horizon: int, result: SeriesForecast) -> dict[str, Any]:
    return {
        "key": key,
        "horizon": horizon,
        "unique_id": result.unique_id,
        "model": result.model,
        "ds": result.ds,
        "mean": result.mean,
        "paths": result.paths if result.paths.ndim == 2 else result.paths.reshape(0, 0),
        "bands": result.bands,
        "own_bands": result.own_bands,
        "candidates": result.candidates,
        "backtest": result.backtest,
        "excuses": [(e.reason, e.context) for e in result.excuses],
    }


def from_row(row: dict[str, Any]) -> SeriesForecast:
    return SeriesForecast(
        unique_id=row["unique_id"],
        model=row["model"],
        ds=row["ds"],
        mean=row["mean"],
        bands=row["bands"],
        paths=row["paths"],
        backtest=row["backtest"],
        excuses=[Excuse(reason, context) for reason, context in row["excuses"]],
        candidates=row["candidates"],
        own_bands=row.get("own_bands", {}),
    )


def job_key(job: SeriesJob) -> str:
    """Everything a series forecast depends on but its horizon, digested (the values to the
    precision a forecast can tell apart)."""
    digest = hashlib.sha256(engine_version().encode())
    for part in (
        job.unique_id,
        job.last.isoformat(),
        job.freq.alias,
        job.freq.season_length,
        tuple(float(lv) for lv in job.levels),
        job.model,
        job.n_paths,
        job.seed,
    ):
        digest.update(repr(part).encode() + b"\0")
    # Values at single precision (7 significant digits): DuckDB sums in parallel, in whatever
    # order its threads finish, so one history read twice can differ in its last bits, and
    # a key over every bit would miss a forecast stored moments before.
    digest.update(np.ascontiguousarray(job.y, dtype=np.float32).tobytes())
    return digest.hexdigest()[:32]


# Modules that take a forecast once made (nowcasts, quarters, scenarios, commands) or serve it.
AFTER_THE_ENGINE = frozenset(
    {
        "__init__.py",
        "asof.py",
        "commands.py",
        "drivers.py",
        "nowcast.py",
        "options.py",
        "scenarios.py",
        "service.py",
        "stored.py",
        "stored_fits.py",
    }
)


@cache
def engine_version() -> str:
    """A digest of the forecasting engine's source: a new capcost never serves an old result.

    Every module of the package counts (a new one too) but those that only use a series
    forecast once made: they run on every read, stored or not."""
    here = Path(__file__).resolve()
    digest = hashlib.sha256()
    for path in sorted(here.parent.glob("*.py")):
        if path.name not in AFTER_THE_ENGINE:
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]
