"""Runway to alert thresholds and the cost of headroom, against hand calculations."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.demand.runway import (
    NOT_WITHIN_HORIZON,
    HeadroomPrice,
    estimate_runway,
    first_crossing,
    headroom,
    runway_table,
)
from forecasting.errors import InputError
from forecasting.interface import Excuse

DS = pd.date_range("2027-01-01", periods=100, freq="D")


def _ramps(slopes: np.ndarray, start: float) -> np.ndarray:
    """One straight path per slope: start + slope * day (day 0 = 2027-01-01)."""
    return start + slopes[:, None] * np.arange(len(DS))[None, :]


def test_first_crossing_is_the_first_day_at_or_above() -> None:
    curve = np.array([80.0, 85.0, 90.0, 95.0])
    assert first_crossing(DS[:4], curve, 90) == date(2027, 1, 3)
    missed = first_crossing(DS[:4], curve, 96)
    assert isinstance(missed, Excuse) and str(missed) == NOT_WITHIN_HORIZON
    assert missed.context["horizon_end"] == date(2027, 1, 4)


def test_runway_dates_at_p50_and_the_early_warning() -> None:
    # 101 paths from 60%, rising 0.0 .. 1.0 percentage points a day. Half the paths (51 of
    # 101: slopes 1.00 .. 0.50) have crossed 90% once the 0.5/day path does, on day 60; one in
    # ten (11: slopes 1.00 .. 0.90) once the 0.9/day path does, on day 34 (33.3 -> 34).
    paths = _ramps(np.linspace(0, 1, 101), 60.0)
    r = estimate_runway("db_connection_pool_utilization", DS, paths, 90, current_pct=59.0)
    assert r.p50 == date(2027, 3, 2)  # day 60
    assert r.early == date(2027, 2, 4)  # day 34
    # Paths reaching 90 within 100 days need slope >= 30/99: slopes 0.31 .. 1.0 -> 70 of 101.
    assert r.probability_within_horizon == pytest.approx(70 / 101)
    assert r.max_upper_pct == pytest.approx(60 + 0.9 * 99)
    assert r.headroom_factor == pytest.approx((60 + 0.9 * 99) / 90)


def test_runway_not_reached_is_an_excuse_not_an_error() -> None:
    paths = _ramps(np.linspace(0, 0.05, 11), 50.0)
    r = estimate_runway("memory_utilization", DS, paths, 80)
    assert isinstance(r.p50, Excuse) and isinstance(r.early, Excuse)
    assert r.probability_within_horizon == 0
    assert r.headroom_factor == 1 and r.headroom_monthly == 0
    table = runway_table([r], as_of=date(2026, 12, 31))
    assert table.loc[0, "date_p50"] == NOT_WITHIN_HORIZON
    assert table.loc[0, "date_p10"] == NOT_WITHIN_HORIZON
    assert pd.isna(table.loc[0, "days_p50"])


def test_runway_is_each_paths_first_crossing_not_the_median_curve() -> None:
    # Ten paths at 50% that each spike to 95% for one day, path i on day 5 i. The pointwise
    # median never reaches 90%, yet every path alerts: half have by day 20 (the fifth path),
    # one in ten on day 0.
    paths = np.full((10, len(DS)), 50.0)
    paths[np.arange(10), 5 * np.arange(10)] = 95.0
    r = estimate_runway("cpu_utilization", DS, paths, 90)
    assert isinstance(first_crossing(DS, np.median(paths, axis=0), 90), Excuse)
    assert r.p50 == DS[20].date() and r.early == DS[0].date()
    assert r.probability_within_horizon == 1.0
    # Headroom too: every path peaks at 95%, so keeping 9 in 10 under 90% takes 95/90, where
    # the pointwise P90 (54.5% on each day: one path in ten at 95%) would buy none.
    assert np.quantile(paths, 0.9, axis=0).max() == pytest.approx(54.5)
    assert r.max_upper_pct == pytest.approx(95.0)
    assert r.headroom_factor == pytest.approx(95 / 90)


def test_runway_p50_needs_half_the_paths_to_cross() -> None:
    # 4 of 10 paths cross: the early warning exists, the median crossing does not.
    paths = np.full((10, len(DS)), 50.0)
    paths[:4, 30:] = 91.0
    r = estimate_runway("cpu_utilization", DS, paths, 90)
    assert r.early == DS[30].date()
    assert isinstance(r.p50, Excuse) and r.p50.context["share_of_paths"] == 0.5
    assert r.probability_within_horizon == pytest.approx(0.4)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (12, 15), elements=st.floats(0, 100)),
    st.floats(1, 100),
    st.floats(0.01, 0.49),
)
def test_early_warning_never_comes_after_the_p50_date(
    paths: np.ndarray, threshold: float, early: float
) -> None:
    r = estimate_runway("cpu_utilization", DS[:15], paths, threshold, early_quantile=early)
    if not isinstance(r.p50, Excuse):
        assert not isinstance(r.early, Excuse) and r.early <= r.p50
    crossed = (paths >= threshold).any(axis=1).mean()
    assert r.probability_within_horizon == pytest.approx(crossed)


def test_headroom_rounds_whole_instances_up() -> None:
    # 20% more capacity on 11 instances costing $1,540/month: ceil(13.2) = 14, 3 more at $140.
    units, usd = headroom(1.2, HeadroomPrice("Compute", 1540.0, units=11))
    assert units == 3 and usd == pytest.approx(420.0)
    # Exactly 12 x 1.25 = 15: float noise must not buy a 16th.
    units, usd = headroom(1.25, HeadroomPrice("Compute", 1200.0, units=12))
    assert units == 3 and usd == pytest.approx(300.0)


def test_headroom_scales_continuous_capacity_linearly() -> None:
    units, usd = headroom(1.1, HeadroomPrice("Database", 2000.0))
    assert units == 0 and usd == pytest.approx(200.0)
    assert headroom(0.8, HeadroomPrice("Database", 2000.0)) == (0.0, 0.0)
    _, missing = headroom(1.5, None)
    assert isinstance(missing, Excuse)


def test_runway_table_reports_days_and_cost() -> None:
    paths = _ramps(np.linspace(0, 1, 101), 60.0)
    price = HeadroomPrice("Database", 2000.0)
    r = estimate_runway("db_connection_pool_utilization", DS, paths, 90, price=price)
    row = runway_table([r], as_of=date(2026, 12, 31)).iloc[0]
    assert row["date_p50"] == date(2027, 3, 2) and row["days_p50"] == 61
    assert row["days_p10"] == 35
    # Money in the table is rounded to the cent.
    assert row["headroom_monthly_usd"] == round(2000 * ((60 + 0.9 * 99) / 90 - 1), 2)
    assert row["cost_group"] == "Database"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold_pct": 0}, "threshold"),
        ({"threshold_pct": 120}, "threshold"),
        ({"paths": np.zeros((3, 5))}, "paths"),
        ({"upper_quantile": 0.4}, "upper_quantile"),
        ({"early_quantile": 0.6}, "early_quantile"),
    ],
)
def test_runway_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"paths": np.zeros((3, len(DS))), "threshold_pct": 80.0}
    args |= kwargs
    with pytest.raises(InputError, match=message):
        estimate_runway("cpu_utilization", DS, **args)  # type: ignore[arg-type]
