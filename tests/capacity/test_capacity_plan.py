"""Instances from peak demand, the quarterly plan and unit costs, against hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st

from forecasting.capacity.plan import band, quarterly_plan
from forecasting.demand.paths import DemandPaths
from forecasting.errors import InputError
from forecasting.scenario.assumptions import CapacityAssumptions

DOC = CapacityAssumptions()  # 150 req/s per instance at 100% CPU, target 70%, N+1, floor 3


# Request rates are 0 or at least a millionth of a request/s (a denormal float divided by the
# per-instance capacity underflows to exactly 0, which is not a demand anyone plans for).
DEMAND = st.one_of(st.just(0.0), st.floats(1e-6, 1e6))


# No deadline: on a shared machine a slow example is not a failure of the property.


def test_band_maps_level_to_quantiles() -> None:
    assert band(80) == pytest.approx((0.1, 0.9))
    assert band(95) == pytest.approx((0.025, 0.975))
    with pytest.raises(InputError, match="level"):
        band(100)


def _demand() -> DemandPaths:
    """Q1 2026 observed (flat), then three paths for 2026-04-01..2026-06-30 (91 days)."""
    observed = pd.date_range("2026-01-01", "2026-03-31", freq="D")
    actuals = pd.DataFrame(
        {
            "users": 50_000.0,
            "requests_per_second": 1500.0,
            "requests_per_second_peak": 2550.0,
            "cost_per_month": 4_400.0,
        },
        index=observed,
    )
    ds = pd.date_range("2026-04-01", "2026-06-30", freq="D")
    level = np.array([[60_000.0], [75_000.0], [90_000.0]])
    users = np.repeat(level, len(ds), axis=1)
    peak = users * 0.03 * 1.7
    peak[:, 10] *= 2  # one spiky day per path: the quarter's peak is its max, not its mean
    paths = {
        "users": users,
        "requests_per_second": users * 0.03,
        "requests_per_second_peak": peak,
        "cost_per_month": 1500 + 0.05 * users + 400,
    }
    return DemandPaths(ds=ds, paths=paths, actuals=actuals)


def test_quarterly_plan_matches_hand_calculation() -> None:
    plan = quarterly_plan(_demand(), DOC, level=80).set_index("quarter")
    q1, q2 = plan.loc["2026Q1"], plan.loc["2026Q2"]
    assert q1["source"] == "actual" and q2["source"] == "forecast"
    assert q1["users"] == q1["users_lower"] == q1["users_upper"] == 50_000
    assert q1["instances"] == 26  # ceil(2550 / 105) = 25, +1
    assert q1["cost_per_month"] == 4_400  # what was billed, not a model of it
    assert q1["peak_to_average"] == pytest.approx(2550 / 1500)
    # Three paths: P50 is the middle one, P10/P90 interpolate linearly (numpy's default).
    assert q2["users"] == pytest.approx(75_000)
    assert q2["users_lower"] == pytest.approx(60_000 + 0.2 * 15_000)
    assert q2["users_upper"] == pytest.approx(90_000 - 0.2 * 15_000)
    assert q2["requests_per_second_peak"] == pytest.approx(75_000 * 0.03 * 1.7 * 2)
    assert q2["peak_to_average"] == pytest.approx(1.7 * 2)
    assert q2["instances"] == int(np.ceil(75_000 * 0.03 * 1.7 * 2 / 105)) + 1 == 74
    assert q2["instances_lower"] <= q2["instances"] <= q2["instances_upper"]
    assert q2["cost_per_month_upper"] == pytest.approx(1500 + 0.05 * 87_000 + 400)
    assert q2["peak_cpu_utilisation"] == pytest.approx(100 * 7650 / (74 * 150))
    assert list(plan.columns[-3:]) == [
        "cost_per_month",
        "cost_per_month_lower",
        "cost_per_month_upper",
    ]


def test_partly_observed_quarter_combines_actuals_with_each_path() -> None:
    demand = _demand()
    cut = pd.Timestamp("2026-04-15")
    extra = pd.DataFrame(
        {"users": 70_000.0, "requests_per_second": 2100.0, "requests_per_second_peak": 3570.0},
        index=pd.date_range("2026-04-01", cut, freq="D"),
    )
    paths = {k: v for k, v in demand.paths.items() if k != "cost_per_month"}
    mixed = DemandPaths(demand.ds, paths, pd.concat([demand.actuals, extra]))
    q2 = quarterly_plan(mixed, DOC, level=80).set_index("quarter").loc["2026Q2"]
    assert q2["source"] == "actual+forecast"
    # 15 observed days at 70K, then 76 days of the middle path at 75K.
    assert q2["users"] == pytest.approx((15 * 70_000 + 76 * 75_000) / 91)
    # Path peaks are taken only on days after the last observed one (the spike was day 11).
    assert q2["requests_per_second_peak"] == pytest.approx(75_000 * 0.03 * 1.7)
    assert "cost_per_month" not in q2.index


def test_a_peak_point_is_not_the_luckiest_month_of_wobbling_paths() -> None:
    """Paths whose months wobble around a flat median, each month's peak 2x its average: the
    plan's peak point over its average point is 2 (the median of the paths' quarter maxima
    picks each path's highest month: 2.46 here); those maxima stay the band."""
    ds = pd.date_range("2026-04-01", periods=3, freq="MS")
    rng = np.random.default_rng(0)
    users = 100_000 * np.exp(rng.normal(0.0, 0.3, (401, 3)))
    rps = users * 0.03
    paths = {"users": users, "requests_per_second": rps, "requests_per_second_peak": 2 * rps}
    empty = pd.DataFrame(columns=list(paths), index=pd.DatetimeIndex([]), dtype=float)
    q = quarterly_plan(DemandPaths(ds, paths, empty), DOC).set_index("quarter").loc["2026Q2"]
    ratio = q["requests_per_second_peak"] / q["requests_per_second"]
    assert q["peak_to_average"] == pytest.approx(ratio)
    assert ratio == pytest.approx(2.0, rel=0.05)
    maxima = np.quantile((2 * rps).max(axis=1), [0.1, 0.9])
    assert [q["requests_per_second_peak_lower"], q["requests_per_second_peak_upper"]] == (
        pytest.approx(list(maxima))
    )


def test_plan_of_record_sits_beside_the_forecast() -> None:
    stated = pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q2"],
            "users": [50_000, 75_000],
            "requests_per_second": [1500, 2250],
        }
    )
    plan = quarterly_plan(_demand(), DOC, plan_of_record=stated)
    assert plan["plan_users"].tolist() == [50_000, 75_000]
    assert plan["plan_requests_per_second"].tolist() == [1500, 2250]


def test_unknown_quarter_is_bad_input() -> None:
    with pytest.raises(InputError, match="2027Q1"):
        quarterly_plan(_demand(), DOC, quarters=["2027Q1"])
