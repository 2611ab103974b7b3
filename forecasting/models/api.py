"""The public entry: validate a long frame once, forecast every series (in parallel when many)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from forecasting.errors import InputError
from forecasting.interface import Excuse, check_level
from forecasting.models import stored
from forecasting.models.base import FloatArray
from forecasting.models.engine import SeriesJob, forecast_series
from forecasting.models.registry import AUTO, check_model
from forecasting.models.result import (
    BACKTEST_COLUMNS,
    FORECAST_COLUMNS,
    ForecastResult,
    SeriesForecast,
)
from forecasting.models.validation import (
    Frequency,
    frequency_from_alias,
    infer_frequency,
    regularize,
    user_frequency,
    validate_series,
)

DEFAULT_LEVELS = (80.0,)
# Below this many series a process pool costs more (start-up, pickling) than it saves.
PARALLEL_MIN_SERIES = 16
# A horizon longer than this many seasonal cycles (or periods) is extrapolation, not forecasting.
MAX_HORIZON = 1000
# What a pool worker imports to fit every model (the model modules import these lazily).
WORKER_PRELOAD = (
    "forecasting.models.engine",
    "forecasting.models.compiled",
    "scipy.optimize",
    "statsforecast.arima",
    "statsforecast.ets",
    "statsmodels.api",
)


def default_horizon(freq: Frequency) -> int:
    """One seasonal cycle, or 8 periods for data without one."""
    return freq.season_length if freq.season_length > 1 else 8


def resolve_frequency(frame: pd.DataFrame, freq: str | Frequency | None) -> Frequency:
    """The frequency stated (``month``, a pandas alias such as ``QS-JAN``) or inferred."""
    if isinstance(freq, Frequency):
        return freq
    first = pd.Timestamp(frame["ds"].min())
    if freq is None:
        inferred = [
            infer_frequency(part["ds"])
            for _, part in frame.groupby("unique_id")
            if part["ds"].nunique() >= 3
        ]
        if not inferred:
            return infer_frequency(frame["ds"])
        aliases = {f.alias for f in inferred}
        if len(aliases) > 1:
            raise InputError(
                f"series have different frequencies ({', '.join(sorted(aliases))})", column="ds"
            )
        return inferred[0]
    try:
        return user_frequency(freq, first)
    except InputError:
        try:
            return frequency_from_alias(freq)
        except ValueError:
            raise InputError(
                f"unknown frequency {freq!r}; use year, quarter, month, week, day, hour "
                "or a pandas alias such as QS-JAN",
                parameter="freq",
            ) from None


def check_levels(level: float | Iterable[float]) -> tuple[float, ...]:
    """Interval levels in percent, each strictly between 0 and 100, in the order given."""
    levels = (level,) if isinstance(level, int | float) else tuple(level)
    if not levels:
        raise InputError("at least one interval level is needed", parameter="level")
    return tuple(check_level(lv) for lv in dict.fromkeys(levels))


def forecast(
    frame: pd.DataFrame,
    h: int | None = None,
    freq: str | Frequency | None = None,
    level: float | Sequence[float] = DEFAULT_LEVELS,
    model: str = AUTO,
    n_paths: int = 0,
    seed: int = 0,
    n_jobs: int | None = None,
) -> ForecastResult:
    """Forecast every series of a long frame ``unique_id, ds, y`` ``h`` periods ahead.

    ``model`` is ``auto`` (selection by rolling-origin backtest) or a registered name.
    ``n_paths`` > 0 adds that many simulated futures per series (deterministic for ``seed``).
    ``n_jobs`` None uses both cores for many series and stays serial for few.
    """
    check_model(model)
    levels = check_levels(level)
    if n_paths < 0:
        raise InputError("n_paths cannot be negative", parameter="n_paths")
    clean = validate_series(frame)
    frequency = resolve_frequency(clean, freq)
    series, excuses = regularize(clean, frequency)
    horizon = default_horizon(frequency) if h is None else h
    if not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON:
        raise InputError(f"horizon must be a whole number from 1 to {MAX_HORIZON}", parameter="h")
    jobs = [
        SeriesJob(uid, y, last, frequency, horizon, levels, model, n_paths, seed)
        for uid, (y, last) in series.items()
    ]
    # Served from the store where a page or a refresh asked for it (models/stored.py).
    results = stored.run(jobs, lambda todo: run_jobs(todo, n_jobs))
    return assemble(results, excuses, frequency, levels)


def backtest(
    frame: pd.DataFrame,
    h: int | None = None,
    freq: str | Frequency | None = None,
    level: float | Sequence[float] = DEFAULT_LEVELS,
    model: str = AUTO,
) -> pd.DataFrame:
    """Only the accuracy table of :func:`forecast` (one row per series and model tried)."""
    return forecast(frame, h, freq=freq, level=level, model=model).backtest


def run_jobs(jobs: list[SeriesJob], n_jobs: int | None = None) -> list[SeriesForecast]:
    """Serial for few series; a process pool over the cores for many.

    Automatic parallelism only in a single-threaded process (the CLI, a batch job): inside a
    server a pool must start from a forkserver, whose workers re-import everything.
    """
    many = len(jobs) >= PARALLEL_MIN_SERIES and threading.active_count() == 1
    workers = n_jobs if n_jobs is not None else (min(os.cpu_count() or 1, 2) if many else 1)
    if workers <= 1 or len(jobs) < 2:
        # Fits run on one BLAS thread here too, as in the pool's workers: a multi-threaded BLAS
        # sums in another order, so the same history gave a forecast differing in the 4th
        # decimal depending on whether it ran in a pool (seen in the golden CLI outputs).
        with threadpool_limits(1):
            return [forecast_series(job) for job in jobs]
    # One series a task, as statsforecast's own loop: a series takes 0.1-1 s against well
    # under a millisecond to pass it and its result, and with larger chunks one worker sat
    # idle while the other finished the last chunk (two workers ran 1.7x one, not 1.9x).
    with ProcessPoolExecutor(workers, mp_context=_context(), initializer=_limit_threads) as pool:
        return list(pool.map(forecast_series, jobs, chunksize=1))


def _context() -> multiprocessing.context.BaseContext:
    # fork starts workers instantly with the models' compiled code already loaded. Forking a
    # process with other threads running (the app's server) can copy a lock some thread
    # holds and hang the child, so there workers start from a clean forkserver (or spawn).
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The forkserver (one clean process per server) imports the model libraries once, so a
    # worker forks from it with them loaded instead of importing them itself (2-3 s a
    # worker, every forecast a page computes in a pool). Only the first call counts.
    context.set_forkserver_preload(list(WORKER_PRELOAD))
    return context


def _limit_threads() -> None:
    # One BLAS thread per worker: with one per core each, workers fight over the cores and
    # statsmodels ran 5x slower in a pool than serially.
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ["OMP_NUM_THREADS"] = "1"
    threadpool_limits(1)


def assemble(
    results: list[SeriesForecast], excuses: list[Excuse], freq: Frequency, levels: tuple[float, ...]
) -> ForecastResult:
    """Stack per-series results into the public frames."""
    frames, rows, paths, notes = [], [], {}, list(excuses)
    for r in results:
        for level in levels:
            if r.unique_id and len(r.mean):
                lo, hi = r.bands[level]
                frames.append(
                    pd.DataFrame(
                        {
                            "unique_id": r.unique_id,
                            "ds": r.ds,
                            "forecast": r.mean,
                            "lower": lo,
                            "upper": hi,
                            "level": level,
                            "model": r.model,
                        }
                    )
                )
        rows.extend(r.backtest)
        paths[r.unique_id] = r.paths
        notes.extend(r.excuses)
    out = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(FORECAST_COLUMNS))
    )
    if len(out):
        out = out.sort_values(["unique_id", "level", "ds"], kind="stable").reset_index(drop=True)
    table = pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))
    return ForecastResult(
        out, table, paths, tuple(notes), freq, levels, {r.unique_id: r for r in results}
    )


def series_frame(
    y: FloatArray | Sequence[float],
    start: str = "2000-01-01",
    freq: str = "MS",
    unique_id: str = "series",
) -> pd.DataFrame:
    """A long frame for one array of values (handy in tests and notebooks)."""
    values = np.asarray(y, dtype=float)
    return pd.DataFrame(
        {
            "unique_id": unique_id,
            "ds": pd.date_range(start, periods=len(values), freq=freq),
            "y": values,
        }
    )
