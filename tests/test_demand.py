"""The demand chain users -> req/s -> peak -> instances -> cost: oracle and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.capacity import CapacityAssumptions
from forecasting.demand import DemandChain, RatioFit, fit_chain, fit_ratio, run_chain
from forecasting.errors import InputError
from forecasting.models.drivers import DriverFit

DOC = CapacityAssumptions()  # 150 req/s per instance at 100% CPU, target 70%, N+1, floor 3
ZERO = ((0.0, 0.0), (0.0, 0.0))
MONTHS = pd.date_range("2026-01-01", periods=2, freq="MS")


def _exact_chain() -> DemandChain:
    """No spread anywhere: every path is the hand calculation."""
    return DemandChain(
        requests_per_user=RatioFit("rpu", math.log(0.03), 0.0, 12),
        peak_to_average=RatioFit("peak", math.log(2.0), 0.0, 12),
        costs=(
            DriverFit("Compute", "instance_hours", 1000.0, 0.2, ZERO, 0.0, 12),
            DriverFit("Database", "users", 500.0, 0.02, ZERO, 0.0, 12),
        ),
        running_share=0.7,
        compute_group="Compute",
    )


def test_chain_matches_hand_calculation() -> None:
    run = run_chain(_exact_chain(), np.array([[100_000.0, 150_000.0]]), MONTHS, DOC)
    # req/s = users x 0.03; peak = 2 x req/s.
    np.testing.assert_allclose(run.requests_per_second, [[3000, 4500]])
    np.testing.assert_allclose(run.requests_per_second_peak, [[6000, 9000]])
    # ceil(6000 / 105) = ceil(57.14) = 58, + 1 (N+1); ceil(85.71) = 86, + 1.
    np.testing.assert_array_equal(run.instances, [[59, 87]])
    # Compute: 59 instances x 70% running x 730 h = 30,149 instance-hours at $0.20 + $1,000.
    np.testing.assert_allclose(run.instance_hours, [[59 * 0.7 * 730, 87 * 0.7 * 730]])
    np.testing.assert_allclose(run.cost["Compute"], [[1000 + 0.2 * 30_149, 1000 + 0.2 * 44_457]])
    np.testing.assert_allclose(run.cost["Database"], [[500 + 0.02 * 100_000, 3500]])
    np.testing.assert_allclose(run.total_cost, [[7029.8 + 2500, 9891.4 + 3500]])


def _history(months: int = 18) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A bill that is exactly linear in its drivers, and noisy ratios with known centres."""
    ds = pd.date_range("2025-01-01", periods=months, freq="MS")
    rng = np.random.default_rng(3)
    users = 20_000 * 1.05 ** np.arange(months)
    rps = users * 0.03 * np.exp(rng.normal(0, 0.01, months))
    peak = rps * 1.9 * np.exp(rng.normal(0, 0.03, months))
    sized = np.maximum(np.ceil(peak / 105) + 1, 3)
    running = 0.65 * sized
    demand = pd.DataFrame(
        {"users": users, "requests_per_second": rps, "requests_per_second_peak": peak,
         "instances": running},
        index=ds,
    )  # fmt: skip
    cost = pd.concat(
        [
            pd.DataFrame({"unique_id": "Compute", "ds": ds, "y": 1200 + 0.18 * running * 730}),
            pd.DataFrame({"unique_id": "Database", "ds": ds, "y": 900 + 0.02 * users}),
            pd.DataFrame({"unique_id": "Misc", "ds": ds, "y": 400.0}),
        ]
    )
    return demand, cost


def test_fit_chain_recovers_the_links_from_history() -> None:
    demand, cost = _history()
    chain = fit_chain(demand, cost, DOC)
    assert chain.requests_per_user.median == pytest.approx(0.03, rel=0.01)
    assert chain.peak_to_average.median == pytest.approx(1.9, rel=0.03)
    assert chain.running_share == pytest.approx(0.65)
    fits = {f.group: f for f in chain.costs}
    assert fits["Compute"].driver == "instance_hours"
    assert fits["Compute"].per_unit == pytest.approx(0.18, rel=1e-3)
    assert fits["Compute"].fixed == pytest.approx(1200, rel=1e-2)
    assert (fits["Database"].driver, fits["Database"].per_unit) == ("users", pytest.approx(0.02))
    assert (fits["Misc"].fixed, fits["Misc"].per_unit) == (400.0, 0.0)
    # The fit uses the last 12 months only: today's mix, not 2025's.
    assert chain.requests_per_user.months == 12


def test_without_running_instances_the_fleet_runs_its_sized_count() -> None:
    demand, cost = _history()
    chain = fit_chain(demand.drop(columns="instances"), cost, DOC)
    assert chain.running_share == 1.0
    assert {f.group: f.driver for f in chain.costs}["Compute"] == "instance_hours"


def test_ratio_needs_three_positive_months() -> None:
    ds = pd.date_range("2026-01-01", periods=3, freq="MS")
    with pytest.raises(InputError, match="req/s per user: 2 month"):
        fit_ratio(pd.Series([1.0, 2.0, 0.0], ds), pd.Series([1.0, 1.0, 1.0], ds), "req/s per user")


def test_chain_rejects_paths_of_the_wrong_shape() -> None:
    with pytest.raises(InputError, match="n_paths x 2"):
        run_chain(_exact_chain(), np.ones((3, 5)), MONTHS, DOC)


def _noisy_chain() -> DemandChain:
    demand, cost = _history()
    return fit_chain(demand, cost, DOC)


CHAIN = _noisy_chain()


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, (6, 4), elements=st.floats(0, 1e6)),
    arrays(np.float64, (6, 4), elements=st.floats(0, 1e5)),
    st.integers(0, 2**31),
)
def test_more_users_never_fewer_instances_or_lower_cost(
    users: np.ndarray, extra: np.ndarray, seed: int
) -> None:
    ds = pd.date_range("2027-01-01", periods=4, freq="MS")
    low = run_chain(CHAIN, users, ds, DOC, seed=seed)
    high = run_chain(CHAIN, users + extra, ds, DOC, seed=seed)
    assert (high.instances >= low.instances).all()
    assert (high.requests_per_second_peak >= low.requests_per_second_peak).all()
    for group in CHAIN.groups:
        assert (high.cost[group] >= low.cost[group] - 1e-9).all()
        assert (low.cost[group] >= 0).all()


def test_chain_is_deterministic_for_a_seed() -> None:
    ds = pd.date_range("2027-01-01", periods=12, freq="MS")
    users = np.linspace(50_000, 90_000, 12)[None, :] * np.linspace(0.8, 1.2, 50)[:, None]
    one, two = (run_chain(CHAIN, users, ds, DOC, seed=5) for _ in range(2))
    np.testing.assert_array_equal(one.total_cost, two.total_cost)
    np.testing.assert_array_equal(one.instances, two.instances)
    other = run_chain(CHAIN, users, ds, DOC, seed=6)
    assert not np.array_equal(one.total_cost, other.total_cost)
    # Req/s per user is a level each path keeps; the peak ratio varies month to month.
    ratio = one.requests_per_second / users
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:, [0]], ratio.shape))
    assert np.ptp(one.requests_per_second_peak / one.requests_per_second, axis=1).min() > 0
