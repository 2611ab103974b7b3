"""Flat series: a fixed fee is forecast as its figure with no spread, the running month too."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models.api import forecast, series_frame
from forecasting.models.guards import is_constant
from forecasting.models.nowcast import RunningMonth, forecast_running

LEVELS = (50.0, 80.0, 95.0)


def fee_by_day(
    fee: float, start: str, end: str, uid: str = "fee", on_the_first: float = 0.0
) -> pd.DataFrame:
    """A fixed monthly fee billed by the day (each day the fee over its month's days), and
    ``on_the_first`` of it billed whole on each month's first day (a tax)."""
    ds = pd.date_range(start, end, freq="D")
    y = (fee - on_the_first) / ds.days_in_month.to_numpy() + on_the_first * (ds.day == 1)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": y})


def months_of(daily: pd.DataFrame) -> pd.DataFrame:
    month = daily["ds"].dt.to_period("M").dt.start_time
    out = daily.groupby(["unique_id", month])["y"].sum().reset_index()
    return out.rename(columns={"level_1": "ds"})


def test_float_noise_is_flat_and_a_real_change_is_not() -> None:
    assert is_constant(np.array([799.999988, 800.000006, 799.99999]))
    assert is_constant(np.zeros(5))
    assert not is_constant(np.array([800.0, 800.0, 800.01]))
    # Tiny figures are judged on their own scale, not on 1.
    assert not is_constant(np.array([1e-7, 2e-7, 1.5e-7]))


@pytest.mark.parametrize("model", ["auto", "ets", "theta"])
def test_a_fee_with_float_noise_is_forecast_as_its_figure(model: str) -> None:
    rng = np.random.default_rng(3)
    y = 800.0 + rng.uniform(-1.2e-5, 0.6e-5, 36)  # what the demo's Monitoring sums to
    result = forecast(series_frame(y), h=24, level=LEVELS, model=model)
    f = result.forecast
    np.testing.assert_allclose(f["forecast"], y[-1], rtol=1e-12)
    np.testing.assert_allclose(f["lower"], f["forecast"], rtol=1e-12)
    np.testing.assert_allclose(f["upper"], f["forecast"], rtol=1e-12)
    assert set(f["model"]) == {"constant"}


@pytest.mark.parametrize("tax", [0.0, 12.0])
def test_the_running_month_of_a_fee_is_the_fee_with_no_spread(tax: float) -> None:
    """800 USD a month billed by the day (the demo's Monitoring: its tax on the 1st), 26 of
    November's 30 days seen: November is 800 (not the daily model's 799.25 with a band of
    797-803) and so is every month after it, at every level and horizon; a series beside it
    that grows is nowcast as before."""
    daily = fee_by_day(800.0, "2024-01-01", "2026-11-26", on_the_first=tax)
    t = np.arange(len(daily))
    growing = daily.assign(unique_id="growing", y=100.0 * np.exp(t / 600) * (1 + 0.1 * (t % 7)))
    both = pd.concat([daily, growing], ignore_index=True)
    start = pd.Timestamp("2026-11-01")
    month = RunningMonth(start, 30, both[both["ds"] >= start], both)
    history = months_of(both[both["ds"] < start])

    def predict(frame: pd.DataFrame, h: int | None) -> object:
        return forecast(frame, h=h, freq="month", level=LEVELS, n_paths=50)

    outs = {
        h: forecast_running(history, h, month, "sum", predict, levels=LEVELS, n_paths=50)  # type: ignore[arg-type]
        for h in (3, 12)
    }
    for out in outs.values():
        fee = out.forecast[out.forecast["unique_id"] == "fee"]
        assert fee["ds"].min() == start
        np.testing.assert_allclose(fee["forecast"], 800.0, rtol=1e-9)
        np.testing.assert_allclose(fee["lower"], 800.0, rtol=1e-9)
        np.testing.assert_allclose(fee["upper"], 800.0, rtol=1e-9)
        np.testing.assert_allclose(out.paths["fee"], 800.0, rtol=1e-9)
        f = out.forecast
        grow = f[(f["unique_id"] == "growing") & (f["ds"] == start)]
        assert (grow["upper"] > grow["lower"]).all()


def test_a_fee_that_changes_inside_the_running_month_is_not_flat() -> None:
    """The fee rose to 900 on 15 November: the observed days say so, and the month is
    nowcast by the daily model (above 800, with a spread), not as the old figure."""
    daily = fee_by_day(800.0, "2024-01-01", "2026-11-26")
    daily.loc[daily["ds"] >= "2026-11-15", "y"] = 900.0 / 30
    start = pd.Timestamp("2026-11-01")
    month = RunningMonth(start, 30, daily[daily["ds"] >= start], daily)
    history = months_of(daily[daily["ds"] < start])

    def predict(frame: pd.DataFrame, h: int | None) -> object:
        return forecast(frame, h=h, freq="month", level=(80.0,))

    out = forecast_running(history, 3, month, "sum", predict, levels=(80.0,))  # type: ignore[arg-type]
    november = out.forecast.iloc[0]
    assert november["forecast"] > 840.0
    assert november["upper"] > november["lower"]
