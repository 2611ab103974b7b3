"""The demand chain users -> req/s -> peak -> instances -> cost: oracle and properties."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.demand.chain import (
    CHAIN,
    DIRECT,
    DemandChain,
    DemandHistory,
    RatioFit,
    backtest_cost,
    fit_chain,
    fit_ratio,
    run_chain,
    running_line,
)
from forecasting.errors import InputError
from forecasting.models.drivers import DriverFit
from forecasting.scenario.assumptions import CapacityAssumptions

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
        {
            "users": users,
            "requests_per_second": rps,
            "requests_per_second_peak": peak,
            "instances": running,
        },
        index=ds,
    )
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


def test_the_running_share_grows_with_the_fleet_as_the_history_shows() -> None:
    """An autoscaler that never runs the N+1 spare: running = 0.7 x sized - 1. Held at its
    mean share (0.63 over 10-21 sized instances), a fleet of 81 would be priced 8% short of
    the hours it runs; the line through the history prices it as it runs."""
    ds = pd.date_range("2025-01-01", periods=12, freq="MS")
    sized = pd.Series(np.linspace(10, 21, 12).round(), ds)
    running = 0.7 * sized - 1
    share, offset = running_line(running, sized)
    assert (share, offset) == (pytest.approx(0.7), pytest.approx(-1.0))
    chain = DemandChain(
        requests_per_user=RatioFit("rpu", math.log(0.03), 0.0, 12),
        peak_to_average=RatioFit("peak", math.log(2.0), 0.0, 12),
        costs=(DriverFit("Compute", "instance_hours", 0.0, 1.0, ZERO, 0.0, 12),),
        running_share=share,
        compute_group="Compute",
        running_offset=offset,
    )
    # 140,000 users: 4,200 req/s, peak 8,400, ceil(80) + 1 = 81 sized, 55.7 running.
    run = run_chain(chain, np.array([[140_000.0]]), MONTHS[:1], DOC)
    assert run.instances[0, 0] == 81
    np.testing.assert_allclose(run.instance_hours, [[(0.7 * 81 - 1) * 730]])
    mean_share = float((running / sized).mean())
    assert mean_share * 81 < 0.93 * (0.7 * 81 - 1)


def test_a_fleet_that_never_changed_size_keeps_its_mean_share() -> None:
    ds = pd.date_range("2025-01-01", periods=6, freq="MS")
    sized = pd.Series([12.0, 12, 12, 13, 12, 13], ds)
    share, offset = running_line(0.6 * sized, sized)
    assert (share, offset) == (pytest.approx(0.6), 0.0)
    # A line that falls (noise on a flat fleet) is no evidence of how size moves the share.
    grown, falling = sized + np.arange(6), pd.Series([9.0, 8, 8, 7, 6, 6], ds)
    share, offset = running_line(falling, grown)
    assert offset == 0.0 and share == pytest.approx(float((falling / grown).mean()))


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


FITTED = _noisy_chain()


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
    low = run_chain(FITTED, users, ds, DOC, seed=seed)
    high = run_chain(FITTED, users + extra, ds, DOC, seed=seed)
    assert (high.instances >= low.instances).all()
    assert (high.requests_per_second_peak >= low.requests_per_second_peak).all()
    for group in FITTED.groups:
        assert (high.cost[group] >= low.cost[group] - 1e-9).all()
        assert (low.cost[group] >= 0).all()


def test_chain_is_deterministic_for_a_seed() -> None:
    ds = pd.date_range("2027-01-01", periods=12, freq="MS")
    users = np.linspace(50_000, 90_000, 12)[None, :] * np.linspace(0.8, 1.2, 50)[:, None]
    one, two = (run_chain(FITTED, users, ds, DOC, seed=5) for _ in range(2))
    np.testing.assert_array_equal(one.total_cost, two.total_cost)
    np.testing.assert_array_equal(one.instances, two.instances)
    other = run_chain(FITTED, users, ds, DOC, seed=6)
    assert not np.array_equal(one.total_cost, other.total_cost)
    # Req/s per user is a level each path keeps; the peak ratio varies month to month.
    ratio = one.requests_per_second / users
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:, [0]], ratio.shape))
    assert np.ptp(one.requests_per_second_peak / one.requests_per_second, axis=1).min() > 0


def _history_store(months: int = 24) -> DemandHistory:
    demand, cost = _history(months)
    return DemandHistory(demand, cost, "USD")


def _predictor(history: DemandHistory, users_factor: float) -> Any:
    """Users: what happened x ``users_factor`` (as 20 identical paths); cost: the last bill."""
    truth = history.demand["users"]

    def predict(frame: pd.DataFrame, h: int) -> Any:
        paths, series = {}, {}
        for uid, part in frame.groupby("unique_id"):
            ds = pd.date_range(part["ds"].max() + pd.offsets.MonthBegin(1), periods=h, freq="MS")
            if str(uid).startswith("users"):
                future = truth.reindex(ds).to_numpy(float) * users_factor
            else:
                future = np.full(h, float(part["y"].iloc[-1]))
            paths[uid] = np.tile(future, (20, 1))
            series[uid] = SimpleNamespace(mean=future)
        return SimpleNamespace(paths=paths, series=series)

    return predict


def test_backtest_picks_the_chain_when_it_knows_the_users() -> None:
    history = _history_store()
    tested = backtest_cost(history, DOC, _predictor(history, 1.0), origins=3, h=3)
    scores = tested.scores.set_index("method")
    assert scores.loc[CHAIN, "selected"] and not scores.loc[DIRECT, "selected"]
    # The last three months are origins, scored on what is left of three months after each.
    assert (scores["windows"] == 3).all() and (scores["errors"] == 3 + 2 + 1).all()
    assert (scores["horizon"] == 3).all()
    # The bill is linear in its drivers, so knowing the users leaves only the peak's spread.
    assert scores.loc[CHAIN, "smape"] < scores.loc[DIRECT, "smape"]
    # Oracle: the last bill carried forward from each of the last 3 origins (a plain loop).
    bill = history.total_cost.to_numpy()
    f, y = [], []
    for origin in (len(bill) - 3, len(bill) - 2, len(bill) - 1):
        seen = bill[origin : origin + 3]
        f += [bill[origin - 1]] * len(seen)
        y += list(seen)
    bias = 100 * (sum(f) - sum(y)) / sum(y)
    assert scores.loc[DIRECT, "bias_pct"] == pytest.approx(bias) and bias < -2
    # Every forecast scored is kept, by method and origin (the last month it knew).
    fits = tested.fits.set_index(["method", "origin", "ds"])["fit"]
    assert len(fits) == 2 * 6
    last = history.total_cost.index[-4]
    assert fits[(DIRECT, last, last + pd.offsets.MonthBegin(1))] == pytest.approx(bill[-4])


def test_backtest_scores_a_dozen_origins_up_to_a_year_ahead() -> None:
    history = _history_store(30)
    scores = backtest_cost(history, DOC, _predictor(history, 1.0)).scores
    # 12 origins, the earliest 12 months from the end: 12 + 11 + ... + 1 months scored.
    assert (scores["windows"] == 12).all() and (scores["errors"] == 78).all()
    assert (scores["horizon"] == 12).all()


def test_backtest_picks_the_direct_forecast_when_users_are_forecast_badly() -> None:
    history = _history_store()
    scores = backtest_cost(history, DOC, _predictor(history, 2.0)).scores.set_index("method")
    assert scores.loc[DIRECT, "selected"] and scores.loc[CHAIN, "bias_pct"] > 50


def test_backtest_needs_enough_months() -> None:
    history = _history_store(10)
    with pytest.raises(InputError, match="10 months of cost and users"):
        backtest_cost(history, DOC, _predictor(history, 1.0))
