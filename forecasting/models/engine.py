"""One series end to end: guard the history, fit, backtest, select, calibrate, simulate."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.interface import Excuse, reference_level
from forecasting.models import metrics
from forecasting.models.backtest import (
    Backtest,
    ModelBacktest,
    WindowPlan,
    calibration_errors,
    combine,
    keep_within,
    log_scale,
    plan_windows,
    run_backtest,
    score,
    step_mase,
    working_scale,
)
from forecasting.models.base import (
    FloatArray,
    Forecaster,
    ModelFailure,
    PointForecast,
    chained_normals,
    correlated_normals,
)
from forecasting.models.guards import absurd, adjust_history, ceiling, cleaned, is_constant
from forecasting.models.intervals import Calibration, bands, calibrate
from forecasting.models.registry import AUTO, make_model
from forecasting.models.result import SeriesForecast
from forecasting.models.validation import Frequency

# Candidates of automatic selection: the three model families that won the M competitions
# between them, and the benchmarks any forecast should beat (seasonal naive for seasonal
# data; naive and drift for data without a season, where they are hard to beat).
MODEL_FAMILIES = ("ets", "theta", "arima")
# Strictly positive series also get models of multiplicative growth: fitted on log(y), a
# trend is a growth rate and the band is asymmetric and stays above zero.
# (arima_log is registered but not a candidate: it doubled the cost of a forecast and
# seldom differed from ets_log, whose local trend is the same growth rate.)
LOG_FAMILIES = ("ets_log", "theta_log", "loglinear")
# The forecast is the median of every candidate whose backtest MASE is within this factor
# of the best one. On M1, Tourism and M3 this beat picking the single best on the backtest
# (the winner's backtest flatters it) and beat a fixed combination; factors from 1.5 to 3
# give nearly the same accuracy.
KEEP_WITHIN = 2.0
# Long histories are cut to their most recent stretch: fitting time grows with length, and
# years-old days rarely improve a forecast weeks ahead (two years of days: 3x faster).
MIN_RECENT = 240
RECENT_CYCLES = 20
# Without backtests (history too short), this order decides.
FALLBACK_ORDER = ("ets", "theta", "drift", "naive")
# Forecasts are judged sane or absurd over this many steps without a season (else a cycle).
SANITY_STEPS = 8
# Backtest coverage is scored on this many blocks of consecutive origins, each with a
# calibration from the others.
COVERAGE_FOLDS = 4


@dataclass(frozen=True)
class Working:
    """A forecast as the engine carries it: the point, and median and spread on the scale
    bands are calibrated on (log y for strictly positive series, y otherwise)."""

    mean: FloatArray
    centre: FloatArray
    spread: FloatArray


@dataclass(frozen=True)
class SeriesJob:
    """Everything one series' forecast needs; picklable, for the process pool."""

    unique_id: str
    y: FloatArray
    last: pd.Timestamp
    freq: Frequency
    h: int
    levels: tuple[float, ...]
    model: str = AUTO
    n_paths: int = 0
    seed: int = 0


def series_seed(seed: int, unique_id: str) -> int:
    """A per-series seed that does not depend on which other series are in the batch."""
    return (seed * 1_000_003 + zlib.crc32(unique_id.encode())) % 2**32


@dataclass(frozen=True)
class Selection:
    """What the engine chose for one history before any band is drawn: the history its
    models saw, every candidate's forecast, their backtest and the forecast chosen from
    them (``choose``). Benchmarks that study calibration start here, as the forecast does."""

    y: FloatArray
    """The history the models saw: its recent stretch, a lasting level shift moved, one-offs
    set aside."""
    positive: bool
    """Bands live on the log scale (a strictly positive history)."""
    work: dict[str, Working]
    """Every candidate that fitted, as the engine carries it."""
    backtest: Backtest | None
    """Their rolling-origin backtest (None: too short to backtest)."""
    model: str
    """The chosen model, or ``combo(...)`` for the median of several."""
    final: Working
    """The chosen forecast."""
    record: ModelBacktest | None
    """The chosen forecast's own backtest (a combination's is the median of its members')."""
    excuses: tuple[Excuse, ...] = ()
    """What was adjusted or could not be fitted, and why."""

    @property
    def absolute(self) -> bool:
        """Whether the band is calibrated on log errors as they are, not per spread."""
        return (
            self.backtest is not None
            and self.record is not None
            and _absolute(self.backtest, self.record)
        )

    def calibration(self, table: Sequence[tuple[float, float, float]] | None = None) -> Calibration:
        """The chosen forecast's band calibration; ``table`` stands in for the population
        prior's table of this season length (``intervals.PRIOR``) when given."""
        return _calibration(self.backtest, self.record, table)


def choose(job: SeriesJob) -> Selection | SeriesForecast:
    """The models fitted to ``job``'s history, backtested, and the forecast chosen from them;
    or the finished forecast where the history decides without a choice (too short,
    constant, or no model fitted at all: its last value carried)."""
    uid, y, m = job.unique_id, job.y, job.freq.season_length
    ds = job.freq.future(job.last, job.h)
    if len(y) < 3:
        return _too_short(job, ds)
    if is_constant(y):
        return _constant(job, ds)
    recent = y[-recent_length(m) :]
    dates = pd.date_range(end=job.last, periods=len(recent), freq=job.freq.alias)
    y_fit, y_scored, excuses = adjust_history(uid, recent, m, dates)
    if is_constant(y_fit):
        # Constant once adjusted (a flat fee with a credit set aside, a step moved) or over
        # the recent stretch the models see: models fitted on it read its float noise as
        # signal, as on any constant history.
        return _constant(job, ds, _constant_why(uid, excuses, len(recent), len(y)), excuses)
    positive, _ = log_scale(y_fit)
    names = auto_candidates(m, positive) if job.model == AUTO else [job.model]
    fitted, points, failures = fit_candidates(names, y_fit, job.h, m)
    excuses += _failure_excuses(uid, failures, explicit=job.model != AUTO)
    if not fitted:
        fitted, points, more = fit_candidates(["naive"], y_fit, job.h, m)
        excuses += _failure_excuses(uid, more, explicit=True)
        why = f"series {uid!r}: every model failed; naive forecast used"
        excuses.append(Excuse(why, {"unique_id": uid}))
        if not fitted:
            return _constant(job, ds, f"series {uid!r}: no model fitted; last value carried")
    plan, histories = origin_histories(y_scored, plan_windows(len(y_fit), m), m, positive)
    bt = run_backtest(y_fit, fitted, plan, m, y_scored, histories) if plan is not None else None
    work = {k: _working(p, positive, y_fit) for k, p in points.items()}
    chosen, final, rec = _select(job, bt, work)
    return Selection(y_fit, positive, work, bt, chosen, final, rec, tuple(excuses))


def origin_histories(
    y: FloatArray, plan: WindowPlan | None, m: int, positive: bool
) -> tuple[WindowPlan | None, list[FloatArray]]:
    """Each backtest origin's training history: ``y`` (as scored: its one-offs as they
    were) up to the origin, with the one-offs that history alone tells set aside.

    Cleaned with the whole history, the origin right after a one-off would train on a
    value set from the month after it (the neighbours' geometric mean), information the
    forecast made there would not have had; and whether a period is a one-off at all rests
    on the periods around it. So each origin judges its own history, as the forecast at
    the last origin does: a one-off among an origin's last two periods is not judged yet
    and is trained on as it was. On a positive history (log-scale models among the
    candidates), an origin whose history ends on such a credit to zero or below is not
    scored: no log-scale model can be fitted there, and a model that fails at one origin
    is no candidate at all.
    """
    if plan is None:
        return None, []
    histories = {o: cleaned(y[:o], m) for o in plan.origins}
    keep = tuple(o for o in plan.origins if not positive or bool((histories[o] > 0).all()))
    if not keep:
        return None, []
    return replace(plan, origins=keep), [histories[o] for o in keep]


def forecast_series(job: SeriesJob) -> SeriesForecast:
    """Forecast one series; never raises for data reasons: a problem becomes an Excuse.

    Nothing but the history decides the model and its calibration: backtests score one
    seasonal cycle ahead whatever ``h`` is, so a month's forecast is the same at every
    horizon and for every set of levels.
    """
    chosen = choose(job)
    if isinstance(chosen, SeriesForecast):
        return chosen
    y, bt = job.y, chosen.backtest
    ds = job.freq.future(job.last, job.h)
    calibration = chosen.calibration()
    excuses = [
        *chosen.excuses,
        *_band_excuses(job.unique_id, len(y), chosen.model, bt, calibration),
    ]
    out = _finish(job, ds, y, chosen.positive, chosen.model, chosen.final, calibration, bt, excuses)
    return replace(out, candidates=_candidates(job, y, chosen.positive, chosen.work, bt))


def _working(point: PointForecast, positive: bool, y: FloatArray) -> Working:
    centre, spread = working_scale(point, *log_scale(y))
    return Working(point.mean, centre, spread)


def _too_short(job: SeriesJob, ds: pd.DatetimeIndex) -> SeriesForecast:
    uid, n = job.unique_id, len(job.y)
    why = f"series {uid!r} has {n} observation(s); at least 3 are needed to forecast"
    excuse = Excuse(why, {"unique_id": uid, "observations": n})
    return SeriesForecast(uid, "none", ds[:0], np.empty(0), {}, np.empty((0, 0)), [], [excuse])


def _band_excuses(
    uid: str, n: int, chosen: str, bt: Backtest | None, calibration: Calibration
) -> list[Excuse]:
    if bt is None:
        why = (
            f"series {uid!r}: {n} observations are too few to backtest; {chosen} chosen "
            "without validation and its bands are the model's own"
        )
        return [Excuse(why, {"unique_id": uid, "observations": n})]
    if not calibration.calibrated:
        why = (
            f"series {uid!r}: only {len(calibration.scores)} backtest errors; bands are the "
            "model's own, not calibrated"
        )
        return [Excuse(why, {"unique_id": uid})]
    return []


def recent_length(m: int) -> int:
    """How many of the latest observations the models see: 20 cycles, or 240."""
    return max(MIN_RECENT, RECENT_CYCLES * m)


def auto_candidates(m: int, positive: bool = False) -> list[str]:
    """Candidates of automatic selection for a season length (and a positive series)."""
    benchmarks = ["seasonal_naive"] if m > 1 else ["naive", "drift"]
    growth = list(LOG_FAMILIES) if positive else []
    return [*MODEL_FAMILIES, *growth, *benchmarks]


def fit_candidates(
    names: Sequence[str], y: FloatArray, h: int, m: int
) -> tuple[dict[str, Forecaster], dict[str, PointForecast], dict[str, str]]:
    """Fit each model on the whole history; keep those whose forecast is finite and sane.

    Sanity is judged over one seasonal cycle (8 periods without one) whatever ``h`` is, so
    a growth model is not dropped because a long ``--horizon`` compounds it past the
    linear bound (that would make the model, and every month's forecast, depend on the
    horizon asked for).
    """
    fitted: dict[str, Forecaster] = {}
    points: dict[str, PointForecast] = {}
    failures: dict[str, str] = {}
    judged = SANITY_STEPS if m <= 1 else m
    for name in names:
        try:
            model = make_model(name, m).fit(y)
            point = model.forecast(max(h, judged))
        except (ModelFailure, ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            failures[name] = str(exc)
            continue
        problem = absurd(_head(point, judged), y)
        if problem is not None:
            failures[name] = f"{name}: {problem}"
            continue
        fitted[name], points[name] = model, _head(point, h)
    return fitted, points, failures


def _head(point: PointForecast, k: int) -> PointForecast:
    def cut(a: FloatArray | None) -> FloatArray | None:
        return None if a is None else a[:k]

    return PointForecast(point.mean[:k], point.sd[:k], cut(point.log_median), cut(point.log_sd))


def _failure_excuses(uid: str, failures: dict[str, str], *, explicit: bool) -> list[Excuse]:
    # In automatic mode a model that cannot fit (log-linear on credits) is simply not a
    # candidate; a model the user asked for by name deserves the reason.
    if not explicit:
        return []
    return [
        Excuse(f"series {uid!r}: {why}", {"unique_id": uid, "model": name})
        for name, why in failures.items()
    ]


def _select(
    job: SeriesJob, bt: Backtest | None, work: dict[str, Working]
) -> tuple[str, Working, ModelBacktest | None]:
    """The model to use: the named one, or the median of the candidates that backtest well."""
    if bt is None:
        name = next((n for n in FALLBACK_ORDER if n in work), next(iter(work)))
        return name, work[name], None
    usable = [k for k, r in bt.models.items() if r.ok and k in work]
    if not usable:
        name = next(iter(work))
        return name, work[name], bt.models.get(name)
    scores = {k: score(bt, bt.models[k]) for k in usable}
    best = min(scores, key=lambda k: scores[k])
    if job.model != AUTO or len(usable) < 2:
        return best, work[best], bt.models[best]
    members = keep_within(bt, usable, KEEP_WITHIN)
    if len(members) == 1:
        return best, work[best], bt.models[best]
    name = f"combo({'+'.join(members)})"
    bt.models[name] = combine(bt, members, name)

    def median(field: str) -> FloatArray:
        return np.asarray(np.median(np.stack([getattr(work[k], field) for k in members]), 0))

    return name, Working(median("mean"), median("centre"), median("spread")), bt.models[name]


def _absolute(bt: Backtest, rec: ModelBacktest) -> bool:
    """Whether ``rec``'s band is calibrated on its log errors as they are, not per spread.

    A combination's spread is the median of its members' spreads, the spread of no model:
    often flat where every member's grows, and at the last origin unlike any origin's in
    the backtest (the demo's users: 0.085 against 0.047). Its log errors, relative errors
    comparable across origins, say more. A single model's spread is its own statement of
    how uncertain each origin is (Theta fitted on 29 points is wider than on 48), so its
    errors are scored per spread.
    """
    return bt.log and bool(rec.members)


def _calibration(
    bt: Backtest | None,
    rec: ModelBacktest | None,
    table: Sequence[tuple[float, float, float]] | None = None,
) -> Calibration:
    if bt is None or rec is None:
        return Calibration(np.empty(0))
    return calibrate(
        *calibration_errors(bt, rec),
        absolute=_absolute(bt, rec),
        season=bt.season,
        drift=bt.drift,
        table=table,
    )


def _finish(
    job: SeriesJob,
    ds: pd.DatetimeIndex,
    y: FloatArray,
    positive: bool,
    chosen: str,
    final: Working,
    calibration: Calibration,
    bt: Backtest | None,
    excuses: list[Excuse],
) -> SeriesForecast:
    floor = 0.0 if bool((y >= 0).all()) else -np.inf
    top = ceiling(y, len(ds))

    def clipped(cal: Calibration) -> dict[float, tuple[FloatArray, FloatArray]]:
        # Spend and usage cannot go below zero; the band and paths say so too.
        return {
            level: (np.clip(lo, floor, top), np.clip(hi, floor, top))
            for level, (lo, hi) in bands(
                final.centre, final.spread, cal, job.levels, log=positive
            ).items()
        }

    out_bands = clipped(calibration)
    # The same band from the backtest's own errors alone: the prior is the one difference.
    own_bands = (
        clipped(replace(calibration, prior=None)) if calibration.prior is not None else out_bands
    )
    mean = final.mean
    if positive:
        # A lognormal's mean leaves its central half when the spread is huge (above 1.3 on
        # the log scale), and a level model's trend can run below zero: a forecast outside
        # its own 50% band reads as a mistake, so the point stays inside that band.
        low, high = calibration.band(50.0, final.centre, final.spread)
        lowest, highest = np.exp(np.minimum(low, 700.0)), np.exp(np.minimum(high, 700.0))
        mean = np.clip(mean, lowest, highest)
    paths = sample(final, calibration, positive, job.n_paths, series_seed(job.seed, job.unique_id))
    table = backtest_rows(job.unique_id, bt, chosen, job.levels) if bt is not None else []
    return SeriesForecast(
        job.unique_id,
        chosen,
        ds,
        np.clip(mean, floor, top),
        out_bands,
        np.clip(paths, floor, top),
        table,
        excuses,
        own_bands=own_bands,
    )


def sample(
    final: Working, calibration: Calibration, positive: bool, n_paths: int, seed: int
) -> FloatArray:
    """Sample paths whose every step has the calibrated distribution (all levels at once),
    correlated across steps as the backtest errors were; exp'ed back on the log scale.

    The correlation of consecutive steps comes from the calibrated spread and how far an
    error moved from one step to the next in the backtests (``Calibration.step_change``):
    a forecast 10% low at step 3 was about as low at step 4, so a path that starts low
    stays low, and its month-to-month changes are the series' own plus the growth of the
    uncertainty, not draws as wide as the band. Without that evidence the model's own
    spread decides (``correlated_normals``).
    """
    if n_paths <= 0:
        # No paths asked for: skip mapping none of them through a hundred calibrated levels.
        return np.empty((0, len(final.centre)))
    rho = calibration.correlation(final.spread)
    gaussian = (
        correlated_normals(final.spread, n_paths, seed)
        if rho is None
        else chained_normals(rho, n_paths, seed)
    )
    paths = final.centre + calibration.standardised(gaussian, final.spread)
    return np.exp(np.minimum(paths, 700.0)) if positive else paths


def _candidates(
    job: SeriesJob, y: FloatArray, positive: bool, work: dict[str, Working], bt: Backtest | None
) -> dict[str, tuple[FloatArray, FloatArray, FloatArray]]:
    """Every model tried, as if named alone: its forecast and calibrated first-level band."""
    floor = 0.0 if (y >= 0).all() else -np.inf
    out = {}
    for name, w in work.items():
        rec = bt.models.get(name) if bt is not None else None
        cal = _calibration(bt, rec if rec is not None and rec.ok else None)
        lo, hi = bands(w.centre, w.spread, cal, job.levels[:1], log=positive)[job.levels[0]]
        out[name] = (np.maximum(w.mean, floor), np.maximum(lo, floor), np.maximum(hi, floor))
    return out


def _constant_why(uid: str, excuses: list[Excuse], seen: int, n: int) -> str:
    how = [
        "its one-offs set aside" if "one_offs" in e.context else "its earlier level moved"
        for e in excuses
    ]
    if seen < n:
        how.append(f"over the last {seen} periods the models see")
    said = f" ({', '.join(how)})" if how else ""
    return f"series {uid!r} is constant{said}: forecast is that constant, no spread"


def _constant(
    job: SeriesJob,
    ds: pd.DatetimeIndex,
    why: str | None = None,
    excuses: Sequence[Excuse] = (),
) -> SeriesForecast:
    # Neither a one-off nor a level shift moves the last period.
    value = float(job.y[-1])
    mean = np.full(job.h, value)
    flat = {level: (mean.copy(), mean.copy()) for level in job.levels}
    why = why or f"series {job.unique_id!r} is constant: forecast is that constant, no spread"
    return SeriesForecast(
        job.unique_id,
        "constant",
        ds,
        mean,
        flat,
        np.tile(mean, (max(job.n_paths, 0), 1)),
        [],
        [*excuses, Excuse(why, {"unique_id": job.unique_id})],
        own_bands=flat,
    )


def backtest_rows(
    uid: str, bt: Backtest, chosen: str, levels: tuple[float, ...]
) -> list[dict[str, object]]:
    """One accuracy row per model, each scoring exactly that model's (or combination's)
    forecasts from every origin: errors over origins and steps, honest coverage."""
    level = reference_level(levels)
    rows = []
    for name, rec in bt.models.items():
        if not rec.ok:
            continue
        keep = np.isfinite(bt.actual) & np.isfinite(rec.mean)
        a, f = bt.actual[keep], rec.mean[keep]
        per_step = step_mase(bt, rec)
        rows.append(
            {
                "unique_id": uid,
                "model": name,
                "selected": name == chosen,
                "horizon": bt.plan.horizon,
                "windows": len(bt.plan.origins),
                "errors": int(keep.sum()),
                "mase": float(np.nanmean(per_step)) if np.isfinite(per_step).any() else np.nan,
                "smape": metrics.smape(a, f),
                "mape": metrics.mape(a, f),
                "bias": metrics.bias(a, f),
                "bias_pct": metrics.bias_pct(a, f),
                "level": level,
            }
        )
        rows[-1]["coverage"], rows[-1]["coverage_no_prior"] = cross_coverages(bt, rec, level)
    return rows


@cache
def coverage_folds(w: int) -> tuple[tuple[npt.NDArray[np.intp], FloatArray], ...]:
    """Blocks of consecutive origins and, for each, the other origins (as calibration rows)."""
    out = []
    for fold in np.array_split(np.arange(w), min(COVERAGE_FOLDS, w)):
        others = np.setdiff1d(np.arange(w), fold).astype(float)
        fold.flags.writeable = others.flags.writeable = False  # shared by every call
        out.append((fold, others))
    return tuple(out)


def cross_coverages(bt: Backtest, rec: ModelBacktest, level: float) -> tuple[float, float]:
    """Coverage of the calibrated band with and without the population prior, each block
    of origins scored with a calibration from the other blocks. Without the prior, bands
    come from the backtest errors alone (the prior only widens them), so a page can show
    how much of the coverage is the prior's.

    Scoring an origin with a calibration that saw it would report the level back to us.
    With a single origin, the model's own band is what is scored.

    The prior is the one thing the two calibrations differ in (``calibrate`` with
    ``season=None`` is the same calibration with ``prior=None``: the scores, their growth,
    lean and step change do not read it), so the fold's calibration is made once and the
    bands without the prior are its copy without it.
    """
    actual = bt.working_actual
    inside: tuple[list[npt.NDArray[np.bool_]], list[npt.NDArray[np.bool_]]] = ([], [])
    absolute = _absolute(bt, rec)
    for fold, others in coverage_folds(len(bt.plan.origins)):
        cal = (
            calibrate(
                *calibration_errors(bt, rec, others),
                absolute=absolute,
                season=bt.season,
                drift=bt.drift,
            )
            if len(others)
            else Calibration(np.empty(0))
        )
        a, c, sd = actual[fold], rec.centre[fold], rec.spread[fold]
        # -inf: a credit to zero or below on the log scale, outside every band (NaN: past
        # the history).
        ok = ~np.isnan(a) & np.isfinite(c)
        for kept, each in zip(inside, (cal, replace(cal, prior=None)), strict=True):
            lo, hi = each.band(level, c, sd)
            kept.append(((a >= lo) & (a <= hi))[ok])
    with_prior, without = (float(100.0 * np.mean(np.concatenate(k))) for k in inside)
    return with_prior, without
