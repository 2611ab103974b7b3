"""One-period outliers (a credit, a spike) are set aside before the models see a history, and
nothing else is: not a season, a turn of the trend, a lasting step or a spiky series."""

from __future__ import annotations

import re

import numpy as np
import pytest

from forecasting.models.api import forecast, series_frame
from forecasting.models.guards import one_offs, set_aside


def _growing(n: int = 36, rate: float = 0.05, noise: float = 0.01, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 4000 * np.exp(rate * np.arange(n) + rng.normal(0, noise, n))


def test_a_credit_and_a_spike_are_found_and_set_to_their_neighbours() -> None:
    y = _growing()
    y[15] -= 0.1 * y[15]  # a credit of a tenth of the month
    y[19] += 0.2 * y[19]  # a burst of a few days
    found = one_offs(y, 12)
    assert [i for i, _ in found] == [15, 19]
    clean = set_aside(y, found)
    # Each becomes its neighbours' geometric mean; every other period is kept as it was.
    for i in (15, 19):
        assert clean[i] == pytest.approx(np.sqrt(y[i - 1] * y[i + 1]), rel=1e-12)
    keep = np.setdiff1d(np.arange(len(y)), [15, 19])
    np.testing.assert_array_equal(clean[keep], y[keep])


@pytest.mark.parametrize(
    "y",
    [
        # A season that recurs every year: December's peak is the season, not a one-off.
        1000 * (1 + 0.6 * (np.arange(48) % 12 == 11)) * np.exp(0.01 * np.arange(48)),
        # Growth that speeds up from 1% to 8% a month: a turn of the trend.
        4000 * np.exp(np.cumsum(np.r_[np.full(20, 0.01), np.full(16, 0.08)])),
        # A lasting step of 30%.
        np.r_[np.full(20, 100.0), np.full(16, 130.0)] * np.exp(0.002 * np.arange(36)),
        # A series with a spike every few periods is spiky by nature.
        100 * (1 + 1.5 * (np.arange(36) % 5 == 2)),
    ],
    ids=["season", "faster-growth", "step", "spiky"],
)
def test_what_is_not_a_one_off(y: np.ndarray) -> None:
    y = y * np.exp(np.random.default_rng(1).normal(0, 0.005, len(y)))
    assert one_offs(y, 12) == []


def test_the_edges_days_and_series_that_reach_zero_are_not_judged() -> None:
    y = _growing()
    for i in (0, 1, len(y) - 2, len(y) - 1):
        spiked = y.copy()
        spiked[i] *= 1.5
        assert one_offs(spiked, 12) == []
    y[15] *= 1.5
    assert one_offs(y, 7) == []  # days: a spike on the 1st is often the calendar's
    y[3] = 0.0
    assert one_offs(y, 12) == []


def test_a_credit_does_not_hide_the_growth_and_the_forecast_says_so() -> None:
    """5% a month for three years with a credit and a spike in the middle: the automatic
    forecast a year out stays near the growth (within 15% of 36-month-on growth), and its
    excuse names the months set aside."""
    y = _growing()
    y[15] *= 0.9
    y[19] *= 1.2
    result = forecast(series_frame(y), h=12, level=(80,), n_jobs=1)
    truth = 4000 * np.exp(0.05 * (len(y) + 11))
    assert result.forecast["forecast"].iloc[-1] == pytest.approx(truth, rel=0.15)
    notes = " ".join(e.reason for e in result.excuses)
    assert re.search(r"Apr 2001 \(-1\d%\), Aug 2001 \(\+2\d%\) stand out", notes), notes
