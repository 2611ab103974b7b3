"""The plan's targets on the demo, with the automatic model: peak/average and a P10 cost."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.capacity.service import CapacityOptions, plan
from forecasting.interface import Freq
from forecasting.store import Store


@pytest.fixture(scope="module")
def auto_plan(demo_db: Path) -> pd.DataFrame:
    with Store(demo_db, read_only=True) as store:
        return plan(store, CapacityOptions(seed=3)).table.set_index("quarter")


def _history_peak_to_average(store: Store) -> float:
    """Median over the last four complete quarters of quarter peak / quarter average req/s."""
    peak, _ = store.read_series("requests_per_second_peak", Freq.QUARTER, complete_only=True)
    average, _ = store.read_series("requests_per_second", Freq.QUARTER, complete_only=True)
    ratio = peak.set_index("ds")["y"] / average.set_index("ds")["y"]
    return float(ratio.dropna().tail(4).median())


def test_the_plan_keeps_the_historys_peak_to_average(
    auto_plan: pd.DataFrame, demo_store: Store
) -> None:
    history = _history_peak_to_average(demo_store)
    future = auto_plan[auto_plan["source"] == "forecast"]
    assert len(future) == 4
    assert (abs(future["peak_to_average"] / history - 1) <= 0.2).all(), (history, future)
    # As a reader checks it: the peak column over the average column beside it.
    shown = future["requests_per_second_peak"] / future["requests_per_second"]
    assert (abs(shown / history - 1) <= 0.2).all(), (history, shown)


def test_the_plans_p10_cost_stays_above_half_the_last_quarter(
    auto_plan: pd.DataFrame,
) -> None:
    last = auto_plan[auto_plan["source"] == "actual"].iloc[-1]
    future = auto_plan[auto_plan["source"] != "actual"]
    assert (future["cost_per_month_lower"] > last["cost_per_month"] / 2).all()
    # No P10 with zero users either: the chain starts from the users paths.
    assert (future["users_lower"] > last["users"] / 2).all()
