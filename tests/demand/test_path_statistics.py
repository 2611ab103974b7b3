"""Every consumer of sample paths states the median as its point, never the mean.

The demo's users paths a year out average about twice their median (their bands lean up), so
a consumer that takes the paths' mean reads a figure most futures never reach. Here the
paths are skewed on purpose (log-normal with a wide spread): the mean sits far above the
median, and each consumer must give the median (or the roll-up of its periods' medians).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.capacity.plan import quarterly_plan
from forecasting.capacity.service import CapacityOptions, plan
from forecasting.demand.paths import DemandPaths
from forecasting.models.api import forecast
from forecasting.models.scenarios import BUILT_IN, Scenario, apply_scenario, from_paths
from forecasting.models.service import forecast_store
from forecasting.scenario.assumptions import CapacityAssumptions
from forecasting.store import Store

DS = pd.date_range("2027-01-01", periods=6, freq="MS")


def skewed(n: int = 2001, seed: int = 0) -> np.ndarray:
    """Paths growing 10% a month with a log spread of 1: mean about 1.65x the median."""
    rng = np.random.default_rng(seed)
    level = 1000.0 * 1.1 ** np.arange(1, len(DS) + 1)
    out: np.ndarray = level * np.exp(
        rng.standard_normal((n, 1)) + 0.1 * rng.standard_normal((n, len(DS)))
    )
    return out


def test_the_skewed_paths_separate_mean_and_median() -> None:
    p = skewed()
    assert (p.mean(axis=0) > 1.4 * np.median(p, axis=0)).all()


def test_a_result_from_paths_states_their_median() -> None:
    p = skewed()
    base = forecast(
        pd.DataFrame({"unique_id": "u", "ds": DS, "y": np.arange(1.0, 7.0)}), h=6, freq="month"
    )
    result = from_paths({"u": p}, DS, base, (80.0,), "skewed")
    np.testing.assert_allclose(result.series["u"].mean, np.median(p, axis=0))


def test_a_quarters_maximum_states_the_median_of_the_paths_maxima() -> None:
    p = skewed()
    base = forecast(
        pd.DataFrame({"unique_id": "u", "ds": DS, "y": np.arange(1.0, 7.0)}), h=6, freq="month"
    )
    result = from_paths({"u": p}, DS, base, (80.0,), "skewed")
    table = result.aggregate("quarter", how="max").set_index("ds")
    expected = [np.median(p[:, :3].max(axis=1)), np.median(p[:, 3:].max(axis=1))]
    np.testing.assert_allclose(table["forecast"].to_numpy(), expected)


def test_a_scenario_target_is_met_on_the_median() -> None:
    p = skewed()
    target = Scenario("plan", targets={"2027Q2": 5000.0})
    bent = apply_scenario(p, DS, 1000.0, target)
    assert np.median(bent[:, 3:], axis=0).mean() == pytest.approx(5000.0)
    # The base scenario moves nothing, and the paths keep their spread under a target.
    np.testing.assert_array_equal(apply_scenario(p, DS, 1000.0, BUILT_IN["base"]), p)


def test_the_plans_quarter_points_roll_up_the_months_medians() -> None:
    p = skewed()
    paths = {
        "users": p,
        "requests_per_second": 0.03 * p,
        "requests_per_second_peak": 0.06 * p,
        "cost_per_month": 4000 + 0.08 * p,
    }
    demand = DemandPaths(DS, paths, pd.DataFrame())
    table = quarterly_plan(demand, CapacityAssumptions()).set_index("quarter")
    for metric, values in paths.items():
        medians = np.median(values, axis=0)
        expected = (
            [medians[:3].max(), medians[3:].max()]
            if metric.endswith("_peak")
            else [medians[:3].mean(), medians[3:].mean()]
        )
        np.testing.assert_allclose(table[metric].to_numpy(), expected, rtol=1e-12)
        means = np.array([values[:, :3].mean(), values[:, 3:].mean()])
        assert (table[metric].to_numpy() < means).all(), metric


def test_the_plans_users_are_the_users_forecast_by_quarter(demo_db: Path) -> None:
    """One story: the plan shows the users ``capcost forecast users --freq quarter`` shows,
    point and band (the plan's own 1,000 paths put the median of their quarter means 1-2%
    under the forecast's point and a far P90 9% off its 4,000 paths' on the demo)."""
    with Store(demo_db, read_only=True) as store:
        table = plan(store, CapacityOptions()).table.set_index("quarter")
        users = forecast_store(store, "users", freq="quarter", h=5).table
    users = users.assign(quarter=pd.PeriodIndex(users["ds"], freq="Q").astype(str))
    users = users.set_index("quarter")
    ahead = table[table["source"] != "actual"]
    assert len(ahead) == 5
    for column, edge in (("users", "forecast"), ("users_lower", "lower"), ("users_upper", "upper")):
        np.testing.assert_allclose(
            ahead[column].to_numpy(), users.loc[ahead.index, edge].to_numpy(), rtol=1e-9
        )
