"""Growth in the model space: the log back-transform, coverage of compounding series, coherence."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from forecasting.models import intervals
from forecasting.models.api import forecast, series_frame
from forecasting.models.base import lognormal_point
from forecasting.models.logscale import LogScale
from forecasting.models.registry import make_model
from forecasting.models.simple import Naive


def _growing(n: int, seed: int, rate: float = 0.05, noise: float = 0.03) -> np.ndarray:
    """Compounding growth with a wandering rate: log(y) is a random walk with drift."""
    rng = np.random.default_rng(seed)
    steps = rate + rng.normal(0, noise, n)
    return 1000.0 * np.exp(np.cumsum(steps))


def test_lognormal_mean_is_the_bias_adjusted_back_transform() -> None:
    """Oracle: the point of a log-scale model is the mean of exp(normal), not exp(median)."""
    mu, sd = np.array([2.0, 3.0, 4.5]), np.array([0.1, 0.4, 0.8])
    point = lognormal_point(mu, sd)
    draws = np.exp(mu + sd * np.random.default_rng(0).standard_normal((400_000, 3)))
    np.testing.assert_allclose(point.mean, draws.mean(axis=0), rtol=5e-3)
    np.testing.assert_allclose(point.sd, draws.std(axis=0), rtol=2e-2)
    assert (point.mean > np.exp(mu)).all()  # above the median, more so the wider


def test_log_naive_matches_a_plain_loop() -> None:
    """LogScale(naive): mean exp(log y_n + k s^2 / 2) with s the rms of log differences."""
    y = _growing(30, seed=2)
    logs = [float(np.log(v)) for v in y]
    diffs = [b - a for a, b in itertools.pairwise(logs)]
    s2 = sum(d * d for d in diffs) / len(diffs)
    expected = [np.exp(logs[-1] + k * s2 / 2) for k in range(1, 7)]
    model = LogScale(1, Naive, "log_naive").fit(y)
    np.testing.assert_allclose(model.forecast(6).mean, expected, rtol=1e-12)
    lo, hi = model.forecast(6).band(1.0)
    median = np.exp(logs[-1])
    assert np.allclose(lo * hi, median**2)  # symmetric on the log scale, so asymmetric here
    assert (hi - median > median - lo).all()


def test_log_models_refuse_zeros_with_a_reason() -> None:
    with pytest.raises(Exception, match="positive"):
        make_model("ets_log", 12).fit(np.r_[np.ones(20), 0.0])


def test_bands_hold_on_simulated_exponential_series(monkeypatch: pytest.MonkeyPatch) -> None:
    """80% bands of automatic forecasts of compounding series (36 months, a year ahead)
    cover most of what happens, never reach zero, and the point tracks the growth (no
    level model flattening it).

    Measured: 66% (the members' own bands 69-85%): twelve overlapping origins of a
    three-year history see few errors a year ahead, and model spreads leave out the
    uncertainty of the growth rate itself. The floor below guards against a regression
    to the 20-40% of level-scale models, not the 80% goal.
    """
    # These series' growth rate never changes: the population prior of far steps' errors
    # (real series' growth rates do) would widen their bands past 90% (96%).
    monkeypatch.setattr(intervals, "PRIOR", {})
    n_series, history, h = 40, 36, 12
    series = {f"g{i}": _growing(history + h, seed=100 + i) for i in range(n_series)}
    frame = pd.concat(
        [series_frame(y[:history], unique_id=uid) for uid, y in series.items()],
        ignore_index=True,
    )
    result = forecast(frame, h=h, level=(80,), n_jobs=1)
    inside, totals = [], []
    for uid, part in result.forecast.groupby("unique_id"):
        actual = series[str(uid)][history:]
        inside.append((actual >= part["lower"]) & (actual <= part["upper"]))
        totals.append(part["forecast"].sum() / actual.sum() - 1)
        assert (part["lower"] > 0).all()
    coverage = 100 * float(np.mean(np.concatenate(inside)))
    assert 60 <= coverage <= 90, f"{coverage:.1f}% inside the 80% band"
    assert abs(float(np.median(totals))) < 0.05


@pytest.fixture(scope="module")
def grown() -> pd.DataFrame:
    return series_frame(_growing(35, seed=7, rate=0.08), start="2024-01-01")


def test_a_month_is_the_same_whatever_the_horizon(grown: pd.DataFrame) -> None:
    runs = {h: forecast(grown, h=h, n_paths=200).forecast for h in (3, 6, 12, 24)}
    first = runs[3].set_index("ds")
    for h, table in runs.items():
        same = table.set_index("ds").loc[first.index]
        np.testing.assert_allclose(same["forecast"], first["forecast"], rtol=1e-9, err_msg=str(h))
        np.testing.assert_allclose(same["lower"], first["lower"], rtol=1e-9, err_msg=str(h))
        assert (same["model"] == first["model"]).all()


def test_levels_in_any_order_give_the_same_nested_bands(grown: pd.DataFrame) -> None:
    one = forecast(grown, h=12, level=(50, 80, 95), n_paths=500)
    other = forecast(grown, h=12, level=(95, 50, 80), n_paths=500)
    pd.testing.assert_frame_equal(one.forecast, other.forecast)
    np.testing.assert_array_equal(one.paths["series"], other.paths["series"])
    for a, b in ((one, 50.0), (one, 80.0)):
        narrow = a.forecast[a.forecast["level"] == b].reset_index(drop=True)
        wide = a.forecast[a.forecast["level"] == {50.0: 80.0, 80.0: 95.0}[b]]
        assert (wide["lower"].to_numpy() <= narrow["lower"].to_numpy() + 1e-9).all()
        assert (wide["upper"].to_numpy() >= narrow["upper"].to_numpy() - 1e-9).all()
    quarters = {
        lv: one.aggregate("quarter", level=lv, how="mean").set_index("ds") for lv in (50, 80, 95)
    }
    assert (quarters[95]["lower"] <= quarters[80]["lower"]).all()
    assert (quarters[80]["lower"] <= quarters[50]["lower"]).all()
    assert (quarters[50]["upper"] <= quarters[80]["upper"]).all()


def test_paths_reproduce_the_band_at_every_level(grown: pd.DataFrame) -> None:
    result = forecast(grown, h=12, level=(50, 80, 95), n_paths=4000)
    paths = result.paths["series"]
    for level, part in result.forecast.groupby("level"):
        tail = (100 - float(level)) / 200
        lo, hi = np.quantile(paths, tail, axis=0), np.quantile(paths, 1 - tail, axis=0)
        np.testing.assert_allclose(lo, part["lower"], rtol=0.03)
        np.testing.assert_allclose(hi, part["upper"], rtol=0.03)


def test_quarters_equal_their_months(grown: pd.DataFrame) -> None:
    result = forecast(grown, h=12, n_paths=1000)
    months = result.forecast.assign(q=result.forecast["ds"].dt.to_period("Q").dt.start_time)
    for how, reduce in (("sum", "sum"), ("mean", "mean")):
        quarters = result.aggregate("quarter", how=how).set_index("ds")["forecast"]
        expected = months.groupby("q")["forecast"].agg(reduce)
        np.testing.assert_allclose(quarters, expected.loc[quarters.index], rtol=1e-9)


def test_positive_growth_bands_stay_above_half_the_last_value(grown: pd.DataFrame) -> None:
    result = forecast(grown, h=12, level=(80,))
    assert (result.forecast["lower"] > 0.5 * grown["y"].iloc[-1]).all()
    assert (np.diff(result.forecast["forecast"]) > 0).all()


def test_forecasts_are_deterministic(grown: pd.DataFrame) -> None:
    a, b = (forecast(grown, h=12, n_paths=100, seed=3) for _ in range(2))
    pd.testing.assert_frame_equal(a.forecast, b.forecast)
    pd.testing.assert_frame_equal(a.backtest, b.backtest)
    np.testing.assert_array_equal(a.paths["series"], b.paths["series"])


def test_backtest_rows_say_what_stands_behind_them(grown: pd.DataFrame) -> None:
    table = forecast(grown, h=12).backtest
    assert {"ets_log", "loglinear", "theta_log"} <= set(table["model"])
    assert (table["windows"] >= 10).all() and (table["errors"] >= table["windows"]).all()
    chosen = table[table["selected"]]
    assert len(chosen) == 1
    # A combination's row scores the median of exactly the members it names.
    name = str(chosen["model"].item())
    if name.startswith("combo("):
        members = name[len("combo(") : -1].split("+")
        assert set(members) <= set(table["model"])
