"""Sample paths wander as the backtest errors did: step-to-step correlation, increments."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.models.api import forecast, series_frame
from forecasting.models.base import chained_normals, step_correlation
from forecasting.models.intervals import Calibration, calibrate


def test_step_correlation_of_known_error_processes() -> None:
    k = np.arange(1, 13, dtype=float)
    # A random walk: S_k^2 = k, each step adds one unit of variance.
    walk = step_correlation(np.sqrt(k), 1.0)
    np.testing.assert_allclose(walk[1:], np.sqrt((k[1:] - 1) / k[1:]))
    # Noise around a known line: flat spread, consecutive errors independent.
    np.testing.assert_allclose(step_correlation(np.ones(12), 2.0), 0.0)
    # A wrong slope: the error grows by one unit a step and never turns.
    np.testing.assert_allclose(step_correlation(k, 1.0)[1:], 1.0)
    assert step_correlation(np.ones(1), 1.0).tolist() == [0.0]


def test_chained_normals_have_the_correlation_asked_and_ignore_the_horizon() -> None:
    rho = np.array([0.0, 0.9, 0.5, 0.0, 0.99])
    z = chained_normals(rho, 20_000, seed=3)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=0.02)
    assert abs(z.mean()) < 1e-12  # antithetic pairs
    got = [np.corrcoef(z[:, i - 1], z[:, i])[0, 1] for i in range(1, 5)]
    np.testing.assert_allclose(got, rho[1:], atol=0.02)
    np.testing.assert_array_equal(
        chained_normals(rho[:3], 100, seed=3), chained_normals(rho, 100, seed=3)[:, :3]
    )


def test_calibration_reads_the_growth_of_errors_off_the_backtest() -> None:
    """Errors that grow linearly with the step from one wrong slope per origin: the band
    grows with the step as they did, the first step's is the first step's errors', and
    consecutive steps move together."""
    slope = np.random.default_rng(0).normal(0, 0.02, 24)
    steps = np.arange(1, 13, dtype=float)
    err = slope[:, None] * steps[None, :]
    cal = calibrate(err, np.zeros_like(err), np.full_like(err, 0.5), absolute=True)
    np.testing.assert_allclose(cal.shape, steps, rtol=1e-6)
    half = cal.halfwidth(80, np.full(12, 1e-9))
    np.testing.assert_allclose(half / half[0], steps, rtol=1e-6)
    # About 80% of the first step's errors inside its band (24 origins: +-1 of them).
    inside = np.mean(np.abs(err[:, 0]) <= half[0])
    assert 0.75 <= inside <= 0.92
    rho = cal.correlation(np.full(12, 1e-9))
    assert rho is not None and (rho[1:] > 0.95).all()


def test_uncalibrated_has_no_step_evidence() -> None:
    assert Calibration(np.empty(0)).correlation(np.ones(4)) is None


@pytest.mark.parametrize("level", [0.0, 1000.0])
def test_random_walk_paths_step_by_the_walks_sd(level: float) -> None:
    """Naive on a random walk: simulated increments have the walk's step sd, and a month's
    change is far smaller than the spread of the level a year out."""
    y = level + np.cumsum(np.random.default_rng(5).normal(0, 1, 120))
    result = forecast(series_frame(y), h=12, model="naive", n_paths=4000, seed=1)
    paths = next(iter(result.paths.values()))
    steps = np.diff(paths, axis=1).std(axis=0)
    sigma = np.diff(y).std()
    assert np.all(np.abs(steps / sigma - 1) < 0.35), steps / sigma
    assert np.median(steps) < 0.5 * paths[:, -1].std()


@pytest.mark.parametrize("model", ["auto", "loglinear"])
def test_paths_of_a_smooth_growing_series_move_like_it(model: str) -> None:
    """Monthly users growing faster each month with 1% noise (the demo's shape): the
    forecasts ran low from every origin, so the band grows with the horizon, but a path's
    month-to-month change stays far below the spread of its level. Log-linear's own spread
    is flat: its paths used to be independent draws, each month as wide as the band."""
    t = np.arange(36, dtype=float)
    noise = np.random.default_rng(2).normal(0, 0.01, len(t))
    y = 2000 * np.exp(0.03 * t + 0.0015 * t**2 + noise)
    result = forecast(series_frame(y), h=12, model=model, n_paths=2000, seed=0)
    paths = np.log(next(iter(result.paths.values())))
    change = np.diff(paths, axis=1).std(axis=0)
    level = paths.std(axis=0)
    assert (change < 0.35 * level[-1]).all(), (change, level)
    width = np.log(result.forecast["upper"] / result.forecast["lower"]).to_numpy()
    assert width[0] < width[-1] / 2
    if model == "auto":
        assert (result.forecast["lower"] > 0.5 * y[-1]).all()
