"""Driver models on synthetic history with known coefficients, and scenarios on users paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.errors import InputError, UnknownNameError
from forecasting.models.drivers import (
    TOTAL,
    cost_paths,
    fit_cost_drivers,
    fit_driver,
    rps_per_user,
    unit_economics,
)
from forecasting.models.scenarios import BUILT_IN, Scenario, apply_scenario, bend, load_scenario
from forecasting.store import Store

MONTHS = pd.date_range("2023-01-01", periods=30, freq="MS")


def _users(seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(20_000 * 1.04 ** np.arange(30) * rng.lognormal(0, 0.01, 30), index=MONTHS)


def _cost(users: pd.Series, fixed: float, per_user: float, seed: int) -> pd.Series:
    noise = np.random.default_rng(seed).normal(0, 20, len(users))
    return fixed + per_user * users + noise


def test_fit_recovers_known_coefficients_within_its_band() -> None:
    users = _users()
    fit = fit_driver("Compute", _cost(users, 1500, 0.05, 1), users)
    assert abs(fit.fixed - 1500) < 3 * fit.fixed_se
    assert abs(fit.per_unit - 0.05) < 3 * fit.per_unit_se
    assert fit.months == 30 and fit.resid_sd == pytest.approx(20, rel=0.5)


def test_one_off_month_does_not_tilt_the_fit() -> None:
    users = _users()
    cost = _cost(users, 1500, 0.05, 2)
    cost.iloc[20] += 5_000  # an upfront fee in one month
    fit = fit_driver("Compute", cost, users)
    assert fit.per_unit == pytest.approx(0.05, rel=0.02)


def test_groups_and_total_and_flat_fees() -> None:
    users = _users()
    frames = [
        pd.DataFrame({"unique_id": g, "ds": MONTHS, "y": _cost(users, f, b, i)})
        for i, (g, f, b) in enumerate([("Compute", 1500, 0.05), ("Database", 1000, 0.02)])
    ]
    frames.append(pd.DataFrame({"unique_id": "Misc", "ds": MONTHS, "y": 400.0}))
    fits = {f.group: f for f in fit_cost_drivers(pd.concat(frames), users)}
    assert set(fits) == {"Compute", "Database", "Misc", TOTAL}
    assert fits["Misc"].fixed == 400 and fits["Misc"].per_unit == 0
    assert fits[TOTAL].fixed == pytest.approx(2900, rel=0.02)
    assert fits[TOTAL].per_unit == pytest.approx(0.07, rel=0.02)


def test_too_little_history_is_an_input_error() -> None:
    users = _users()
    with pytest.raises(InputError, match="at least 6"):
        fit_driver("Compute", users.iloc[:4] * 0.05, users)


def test_unit_economics_per_million_requests() -> None:
    users = _users()
    fit = fit_driver("Compute", _cost(users, 1500, 0.05, 3), users)
    rps = rps_per_user(users * 0.03, users)
    assert rps[0] == pytest.approx(0.03)
    table = unit_economics([fit], rps, level=80, hours_per_month=730)
    row = table.iloc[0]
    # 0.03 req/s per user is 78,840 requests a month: $0.05 per user is $0.634 per million.
    assert row["per_million_requests"] == pytest.approx(0.05 / 0.07884, rel=0.02)
    assert row["per_user_lower"] < row["per_user"] < row["per_user_upper"]
    assert row["per_million_requests_lower"] < row["per_million_requests_upper"]


def test_cost_paths_carry_parameter_and_noise_uncertainty() -> None:
    users = _users()
    fit = fit_driver("Compute", _cost(users, 1500, 0.05, 4), users)
    flat = np.full((4000, 3), 50_000.0)
    paths = cost_paths(fit, flat, seed=1)
    assert paths.mean() == pytest.approx(1500 + 0.05 * 50_000, rel=0.01)
    assert paths.std() > fit.resid_sd * 0.9
    np.testing.assert_array_equal(paths, cost_paths(fit, flat, seed=1))


def test_scenarios_bend_growth_and_hit_targets() -> None:
    ds = pd.date_range("2027-01-01", periods=6, freq="MS")
    paths = np.tile(100.0 + 10 * np.arange(1, 7), (5, 1))
    base = apply_scenario(paths, ds, 100.0, BUILT_IN["base"])
    high = apply_scenario(paths, ds, 100.0, BUILT_IN["high"])
    low = apply_scenario(paths, ds, 100.0, BUILT_IN["low"])
    np.testing.assert_allclose(base, paths)
    assert (low < base).all() and (base < high).all()
    target = apply_scenario(paths, ds, 100.0, Scenario("plan", targets={"2027Q2": 500.0}))
    assert target[:, 3:].mean() == pytest.approx(500.0)
    np.testing.assert_allclose(target[:, :3], paths[:, :3])


QUANTILES = np.linspace(0.0, 1.0, 21)


@given(
    paths=arrays(float, (40, 6), elements=st.floats(1.0, 1e6)),
    last=st.floats(1.0, 1e6),
    growth=st.floats(0.0, 3.0),
    running=st.booleans(),
)
def test_a_faster_growth_never_lowers_a_quantile(
    paths: np.ndarray, last: float, growth: float, running: bool
) -> None:
    # Paths wide enough that some fall below the last month (where stretching each path's
    # own change pushed high's P10 under the base's), the point their mean.
    ds = pd.date_range("2027-01-01", periods=6, freq="MS")
    point = paths.mean(axis=0)
    base = np.quantile(paths, QUANTILES, axis=0)
    for name, scenario in (("scenario", Scenario("s", growth=growth)), *BUILT_IN.items()):
        bent, mid = bend(paths, point, ds, last, scenario, running=running)
        q = np.quantile(bent, QUANTILES, axis=0)
        if scenario.growth >= 1:
            assert (q >= base * (1 - 1e-12)).all(), name
            assert (mid >= point * (1 - 1e-12)).all(), name
        if scenario.growth <= 1:
            assert (q <= base * (1 + 1e-12)).all(), name
            assert (mid <= point * (1 + 1e-12)).all(), name
        assert (bent >= 0).all()


def test_high_and_low_keep_their_side_where_paths_fall_below_the_last_month() -> None:
    ds = pd.date_range("2027-01-01", periods=6, freq="MS")
    growth = 100.0 * 1.05 ** np.arange(1, 7)
    paths = growth * np.random.default_rng(3).lognormal(0, 0.3, (400, 1))
    point = paths.mean(axis=0)
    assert (np.quantile(paths, 0.1, axis=0) < 100).all()  # P10 below the last month
    p10 = {
        name: np.quantile(bend(paths, point, ds, 100.0, BUILT_IN[name])[0], 0.1, axis=0)
        for name in ("low", "base", "high")
    }
    assert (p10["low"] < p10["base"]).all() and (p10["base"] < p10["high"]).all()


def test_stored_and_unknown_scenarios(fresh_store: Store) -> None:
    fresh_store.save_assumptions("board", {"users_growth": 0.8, "users_by_quarter": {"2027Q1": 9}})
    fresh_store.save_assumptions("capacity-only", {"rps_per_instance": 150})
    board = load_scenario(fresh_store, "board")
    assert board.growth == 0.8 and board.targets == {"2027Q1": 9.0}
    with pytest.raises(InputError, match="has none of"):
        load_scenario(fresh_store, "capacity-only")
    with pytest.raises(UnknownNameError, match="Try: base, board, capacity-only, high, low, plan"):
        load_scenario(fresh_store, "moonshot")


def test_base_scenario_bends_nothing() -> None:
    ds = pd.date_range("2027-01-01", periods=6, freq="MS")
    paths = np.random.default_rng(1).normal(100, 30, (50, 6))  # some below zero on purpose
    point = paths.mean(axis=0) + 1.0
    bent, mid = bend(paths, point, ds, 100.0, BUILT_IN["base"])
    assert bent is paths and mid is point


def test_a_target_is_the_quarters_average_with_its_observed_months() -> None:
    # The plan says 2026Q4 averages 150; October and November were 140 and 163, so December
    # must be 147 whatever the forecast said (here 170), and every path moves by 147 / 170.
    ds = pd.date_range("2026-12-01", periods=4, freq="MS")
    point = np.array([170.0, 180.0, 190.0, 200.0])
    paths = np.vstack([point * 0.9, point, point * 1.1])
    plan = Scenario("plan", targets={"2026Q4": 150.0}, carry=True)
    seen = {pd.Timestamp("2026-10-01"): 140.0, pd.Timestamp("2026-11-01"): 163.0}
    bent, mid = bend(paths, point, ds, 163.0, plan, seen)
    assert mid[0] == pytest.approx(147.0)
    # After the plan ends the forecast's growth continues from where the plan left users.
    np.testing.assert_allclose(mid[1:], point[1:] * 147 / 170)
    np.testing.assert_allclose(bent, paths * 147 / 170)
    # A stated quarter the observed months already exceed cannot be met: left as forecast.
    _, kept = bend(paths, point, ds, 163.0, Scenario("p", targets={"2026Q4": 90.0}), seen)
    np.testing.assert_allclose(kept, point)


def test_a_scenario_leaves_the_running_months_nowcast_as_it_is() -> None:
    # November runs (its nowcast 160, mostly observed); the high scenario bends December on
    # from November's level, and a quarter target counts November as one of its months.
    ds = pd.date_range("2026-11-01", periods=3, freq="MS")
    point = np.array([160.0, 170.0, 180.0])
    paths = np.vstack([point * 0.9, point, point * 1.1])
    paths[:, 0] = [159.0, 160.0, 161.0]
    high = Scenario("high", growth=1.5)
    bent, mid = bend(paths, point, ds, 140.0, high, running=True)
    np.testing.assert_allclose(bent[:, 0], paths[:, 0])
    assert mid[0] == 160.0 and mid[1] == pytest.approx(160 + 1.5 * 10)
    plan = Scenario("plan", targets={"2026Q4": 150.0})
    seen = {pd.Timestamp("2026-10-01"): 140.0}
    _, mid = bend(paths, point, ds, 140.0, plan, seen, running=True)
    assert mid[0] == 160.0 and mid[1] == pytest.approx(150.0)  # (140 + 160 + 150) / 3


def test_the_plan_of_record_drives_the_plan_scenario(demo_store: Store) -> None:
    plan = load_scenario(demo_store, "plan")
    assert plan.carry and plan.targets == {
        "2026Q1": 50_000,
        "2026Q2": 75_000,
        "2026Q3": 100_000,
        "2026Q4": 150_000,
    }


def test_no_plan_of_record_is_a_clear_error(fresh_store: Store) -> None:
    with pytest.raises(InputError, match="no plan of record for users"):
        load_scenario(fresh_store, "plan")
