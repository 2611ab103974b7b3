"""Where the one-off rule switches: the robust threshold, the floor, and the spiky-series share."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.models import guards
from forecasting.models.guards import one_offs


def _from_residuals(r: np.ndarray, growth: float = 0.01) -> np.ndarray:
    """A positive series whose log residuals r_t = z_t - (z_{t-1} + z_{t+1}) / 2 are ``r``
    (t = 1 .. n - 2): z_{t+1} = 2 z_t - z_{t-1} - 2 r_t from z_0 = log 1000, z_1 = z_0 + growth."""
    z = np.empty(len(r) + 2)
    z[0], z[1] = np.log(1000.0), np.log(1000.0) + growth
    for t in range(1, len(r) + 1):
        z[t + 1] = 2 * z[t] - z[t - 1] - 2 * r[t - 1]
    return np.exp(z)


def _zigzag(n: int, c: float) -> np.ndarray:
    """Residuals +c at even t, -c at odd t: their median is 0 and their MAD exactly c, so the
    robust deviation is 1.4826 c, before and after one spike (which moves three of them)."""
    t = np.arange(1, n - 1)
    return np.where(t % 2 == 0, c, -c)


@pytest.mark.parametrize("n", [24, 36, 60])
def test_the_robust_threshold_is_where_a_spike_starts_to_count(n: int) -> None:
    """A spike at an even period of a zigzag of residuals +-c stands c + s out; it is a one-off
    from ONE_OFF_THRESHOLD robust deviations (1.4826 c each) on, just under it it is not."""
    c = 0.02  # 6 robust deviations (0.178) are well past the 5% floor (0.049)
    assert guards.ONE_OFF_THRESHOLD * 1.4826 * c > guards.ONE_OFF_FLOOR
    switch = guards.ONE_OFF_THRESHOLD * 1.4826 * c - c
    i = 2 * (n // 4)
    for factor, found in ((0.99, False), (1.01, True)):
        r = _zigzag(n, c)
        y = _from_residuals(r)
        y[i] *= np.exp(factor * switch)
        assert [k for k, _ in one_offs(y, 12)] == ([i] if found else []), factor


def test_the_floor_is_where_a_spike_on_a_smooth_series_starts_to_count() -> None:
    """On a series with no noise at all (residuals of 0, a robust deviation of 0) the floor
    decides: 5% off its neighbours, give or take a thousandth of it."""
    y = 4000 * np.exp(0.03 * np.arange(36))
    for factor, found in ((0.999, False), (1.001, True)):
        for sign in (1, -1):
            spiked = y.copy()
            spiked[17] *= np.exp(sign * factor * guards.ONE_OFF_FLOOR)
            assert [k for k, _ in one_offs(spiked, 12)] == ([17] if found else [])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(24, 72),
    extra=st.integers(-2, 1),
    seed=st.integers(0, 2**32 - 1),
    credit=st.booleans(),
)
def test_a_series_with_more_one_offs_than_one_in_twelve_is_spiky(
    n: int, extra: int, seed: int, credit: bool
) -> None:
    """k well-separated one-offs (spikes and credits, one of them to zero when ``credit``) are
    all found while 12 k <= n, and none at all from one more: the series is spiky by nature."""
    allowed = n // guards.ONE_OFF_SHARE
    k = max(1, allowed + extra)
    rng = np.random.default_rng(seed)
    y = 4000 * np.exp(0.02 * np.arange(n) + rng.normal(0, 0.01, n))
    at: list[int] = []
    for i in rng.permutation(np.arange(2, n - 2)):
        # Three apart (no shared neighbours), and neither they nor their neighbours a cycle
        # apart (a same phase standing out the same way is a season).
        if all(abs(i - j) >= 3 and abs(abs(i - j) - 12) > 1 for j in at):
            at.append(int(i))
        if len(at) == k:
            break
    if len(at) < k:
        return  # no room for that many one-offs this far apart
    for j, i in enumerate(at):
        y[i] *= 1.6 if j % 2 else 0.5
    if credit:
        y[at[0]] = 0.0
    found = [i for i, _ in one_offs(y, 12)]
    assert found == (sorted(at) if k * guards.ONE_OFF_SHARE <= n else [])


@pytest.mark.parametrize("apart", [3, 4, 6])
def test_one_offs_close_together_are_each_found_and_their_echoes_are_not(apart: int) -> None:
    """A credit and a spike a few periods apart: each is found, and the periods between them,
    whose residuals echo both (three apart, each leans away from its one-off and toward the
    other), are not one-offs."""
    y = 4000 * np.exp(0.02 * np.arange(36) + np.random.default_rng(5).normal(0, 0.01, 36))
    y[14] *= 0.5
    y[14 + apart] *= 1.6
    assert [i for i, _ in one_offs(y, 12)] == [14, 14 + apart]


def test_a_one_off_at_the_edge_of_floats_is_set_to_its_neighbours() -> None:
    """A credit of 1e-300 among values of 1e300 (hypothesis found one): its log ratio's exp
    overflows, its neighbours' roots do not."""
    y = 1e300 * np.exp(0.01 * np.arange(36))
    y[17] = 1e-300
    found = one_offs(y, 12)
    assert [i for i, _ in found] == [17]
    with np.errstate(all="raise"):
        out = guards.set_aside(y, found)
    assert out[17] == pytest.approx(np.sqrt(y[16]) * np.sqrt(y[18]), rel=1e-12)
