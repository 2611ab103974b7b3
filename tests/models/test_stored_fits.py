"""Model fits stored as JSON and served by key (models.stored_fits): the same fit back, a key
that ignores summation noise but not a change, and the plain call outside a reading block."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecasting.demand.chain import DemandChain, RatioFit
from forecasting.interface import Excuse
from forecasting.models import stored, stored_fits
from forecasting.models.drivers import DriverFit
from forecasting.scenario.assumptions import Redundancy
from forecasting.store import Store


def a_chain(log_sd: float = 0.05) -> DemandChain:
    cost = DriverFit(
        "Compute",
        "instance_hours",
        1200.5,
        0.1234567890123,
        ((1.5, -0.01), (-0.01, 2e-9)),
        33.3,
        12,
    )
    flat = DriverFit("Support", "users", 99.0, 0.0, ((0.0, 0.0), (0.0, 0.0)), 0.0, 12)
    return DemandChain(
        RatioFit("req/s per user", -6.123456789, log_sd, 12),
        RatioFit("peak / average req/s", 0.9, 0.02, 11),
        (cost, flat),
        0.8123,
        "Compute",
    )


def test_a_fit_reads_back_as_it_was_made() -> None:
    chain = a_chain()
    back = stored_fits.decode(DemandChain, json.loads(stored_fits.encode(chain)))
    assert back == chain
    assert isinstance(back.costs, tuple) and isinstance(back.costs[0].cov[0], tuple)
    assert isinstance(back.costs[0].months, int)


def test_a_nan_reads_back_as_nan() -> None:
    back = stored_fits.decode(DemandChain, json.loads(stored_fits.encode(a_chain(math.nan))))
    assert math.isnan(back.requests_per_user.log_sd)


def test_only_dataclasses_of_numbers_are_stored() -> None:
    with pytest.raises(TypeError, match="cannot be stored"):
        stored_fits.decode(set[float], [1.0])
    with pytest.raises(TypeError, match="cannot be stored"):  # which of the two is it?
        stored_fits.decode(float | str, 1.0)


def test_a_key_ignores_summation_noise_but_not_a_change() -> None:
    months = pd.date_range("2025-01-01", periods=12, freq="MS")
    demand = pd.DataFrame({"users": np.linspace(1e4, 2e4, 12)}, index=months)
    cost = pd.DataFrame({"unique_id": "Compute", "ds": months, "y": np.linspace(5e3, 6e3, 12)})

    def key(demand: pd.DataFrame = demand, cost: pd.DataFrame = cost, **kwargs: Any) -> str:
        return stored_fits.fit_key("v1", (demand, cost), kwargs)

    noisy = cost.assign(y=cost["y"] * (1 + 2e-16))
    assert key(cost=noisy) == key()
    moved = cost.assign(y=cost["y"] + np.eye(12)[-1])
    renamed = cost.assign(unique_id="Storage")
    later = demand.set_axis(months + pd.DateOffset(months=1))
    keys = {key(), key(cost=moved), key(cost=renamed), key(demand=later), key(months=6)}
    assert len(keys) == 5
    assert stored_fits.fit_key("v2", (demand, cost), {}) != key()


def test_outside_a_reading_block_the_fit_is_the_plain_call() -> None:
    calls = []

    @stored_fits.fitted("test ratio")
    def fit(x: float) -> RatioFit:
        calls.append(x)
        return RatioFit("r", x, 0.1, 3)

    assert fit(1.0) == fit(1.0) == RatioFit("r", 1.0, 0.1, 3)
    assert calls == [1.0, 1.0]
    with stored.recording(None) as memo:
        assert fit(2.0) == fit(2.0)  # the second served from what the block made
    assert calls == [1.0, 1.0, 2.0]
    assert memo.fit_misses == 1 and [kind for _, kind, _ in memo.fit_rows()] == ["test ratio"]


def test_a_frame_reads_back_with_its_types() -> None:
    """What a stored backtest is made of: text, whole numbers, floats (NaN too), flags,
    months; each column as it was, bit for bit."""
    from forecasting.demand.chain import CostBacktest

    months = pd.date_range("2025-01-01", periods=3, freq="MS")
    scores = pd.DataFrame(
        {
            "method": ["demand chain", "direct cost forecast", "x"],
            "windows": [12, 12, 3],
            "smape": [6.123456789012345, math.nan, 1e-300],
            "selected": [True, False, False],
        }
    )
    fits = pd.DataFrame({"method": "demand chain", "origin": months, "ds": months, "fit": 0.1})
    made = CostBacktest(scores, fits)
    back = stored_fits.decode(CostBacktest, json.loads(stored_fits.encode(made)))
    pd.testing.assert_frame_equal(back.scores, scores)
    pd.testing.assert_frame_equal(back.fits, fits)


def test_a_keyed_result_is_found_only_for_what_its_key_names(tmp_path: Any) -> None:
    """``keyed`` names what a result depends on: a callable it ignores, a store by the
    version of its inputs and the day its reads stop (``as_it_stood``)."""
    calls = []

    def key(store: Store, x: float, forecaster: Any) -> tuple[Any, ...]:
        return (stored_fits.store_part(store), x)

    @stored_fits.fitted("test keyed", keyed=key)
    def fit(store: Store, x: float, forecaster: Any) -> RatioFit:
        calls.append(x)
        return RatioFit("r", forecaster(x), 0.1, 3)

    with Store(tmp_path / "k.duckdb") as store, stored.recording(store) as memo:
        assert fit(store, 1.0, lambda v: v) == fit(store, 1.0, lambda v: 2 * v)
        assert calls == [1.0]  # the second callable keys nothing: served
        fit(store, 2.0, lambda v: v)
        fit(store.as_it_stood(date(2025, 1, 31)), 1.0, lambda v: v)
        assert calls == [1.0, 2.0, 1.0]
        store.save_assumptions("other", {"users_growth": 0.1}, "")  # the inputs moved on
        fit(store, 1.0, lambda v: v)
    assert calls == [1.0, 2.0, 1.0, 1.0] and memo.fit_misses == 4


@dataclass(frozen=True)
class Sized:
    table: pd.DataFrame
    demand: pd.DataFrame | Excuse
    label: str


def test_an_answer_or_its_excuse_reads_back_as_it_was() -> None:
    frame = pd.DataFrame({"month": [1, 2], "P10": [-5.5, 1.25], "when": ["Jan", None]})
    for demand in (frame, Excuse("no usage to cover", {"full_months": 2, "scope": "x"})):
        made = Sized(frame, demand, "a")
        back = stored_fits.decode(Sized, json.loads(stored_fits.encode(made)))
        pd.testing.assert_frame_equal(back.table, frame)
        if isinstance(demand, Excuse):
            assert back.demand == demand
        else:
            pd.testing.assert_frame_equal(back.demand, frame)


def test_options_a_widget_gives_as_whole_numbers_key_as_the_refreshs() -> None:
    """A select slider's 80 and the refresh's 80.0 are one level: a result stored for one
    is found for the other."""
    from forecasting.capacity.service import CapacityOptions
    from forecasting.models.options import ForecastOptions
    from forecasting.savings.service import SavingsOptions

    for kind in (ForecastOptions, CapacityOptions, SavingsOptions):
        widget, refresh = kind(level=80, paths=1000), kind(level=80.0, paths=1000)
        assert isinstance(widget.level, float) and widget == refresh
        key = stored_fits.fit_key("v1", (stored_fits.forecast_part(widget),), {})
        assert key == stored_fits.fit_key("v1", (stored_fits.forecast_part(refresh),), {})


@dataclass(frozen=True)
class Planned:
    """A result with every kind of field the Capacity page's stored plan and runway hold."""

    redundancy: Redundancy
    scenario: str | None
    when: date | Excuse
    cost: float | Excuse | None
    thresholds: dict[str, float]
    settings: tuple[tuple[str, Any], ...]
    start: pd.Timestamp
    cells: pd.DataFrame


@pytest.mark.parametrize(
    "fields",
    [
        {"scenario": None, "when": date(2027, 3, 25), "cost": None},
        {"scenario": "bench-tight", "when": Excuse("fewer than 1 path in 10 crossed", {"n": 3})},
        {"cost": Excuse("not priced", {}), "settings": (("zones", 2), ("instance_type", "c6i"))},
    ],
)
def test_enums_nones_excuses_dates_and_dicts_read_back_as_they_were(
    fields: dict[str, Any],
) -> None:
    cells = pd.DataFrame(
        {
            "date_p50": [date(2027, 3, 25), "not within the horizon"],  # a runway's column
            "days_p50": [119.0, math.nan],
            "cost_group": ["Compute", None],
        }
    )
    made = Planned(
        **{
            "redundancy": Redundancy.PER_ZONE,
            "scenario": "apex-capacity",
            "when": date(2026, 12, 1),
            "cost": 12.5,
            "thresholds": {"cpu_utilization": 70.0, "disk_utilization": 80.0},
            "settings": (),
            "start": pd.Timestamp("2026-01-01"),
            "cells": cells,
            **fields,
        }
    )
    back = stored_fits.decode(Planned, json.loads(stored_fits.encode(made)))
    pd.testing.assert_frame_equal(back.cells, made.cells)
    assert dataclasses.replace(back, cells=made.cells) == made
    assert type(back.redundancy) is Redundancy and type(back.cells["date_p50"][0]) is date
