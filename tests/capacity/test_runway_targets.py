"""The runway on the demo with the automatic model, as the Capacity page opens it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.capacity.service import CapacityOptions, runway
from forecasting.demand.runway import NOT_WITHIN_HORIZON
from forecasting.store import Store


@pytest.fixture(scope="module")
def auto_runway(demo_db: Path) -> pd.DataFrame:
    with Store(demo_db, read_only=True) as store:
        return runway(store, CapacityOptions(seed=3)).table.set_index("metric")


def test_autoscaling_keeps_cpu_under_its_trigger_while_the_pool_fills(
    auto_runway: pd.DataFrame,
) -> None:
    cpu, pool = (
        auto_runway.loc["cpu_utilization"],
        auto_runway.loc["db_connection_pool_utilization"],
    )
    assert cpu["date_p50"] == NOT_WITHIN_HORIZON and cpu["probability_within_horizon"] < 0.1
    # The pool grows with users: its early warning comes, and no later than its median date.
    assert pool["date_p10"] != NOT_WITHIN_HORIZON
    assert pool["probability_within_horizon"] > cpu["probability_within_horizon"]
    if pool["date_p50"] != NOT_WITHIN_HORIZON:
        assert pool["date_p10"] <= pool["date_p50"]
