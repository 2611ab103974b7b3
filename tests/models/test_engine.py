"""The public forecast(): unhappy series end in a forecast or an Excuse, never a crash or NaN."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputError, UnknownNameError
from forecasting.models.api import forecast, series_frame
from forecasting.models.backtest import plan_windows
from forecasting.models.base import BaseForecaster, FloatArray
from forecasting.models.guards import level_shift
from forecasting.models.registry import MODELS, ModelInfo
from forecasting.models.result import BACKTEST_COLUMNS, FORECAST_COLUMNS
from tests.models.conftest import seasonal_series


def _finite(result_frame: pd.DataFrame) -> bool:
    values = result_frame[["forecast", "lower", "upper"]].to_numpy(dtype=float)
    return bool(np.isfinite(values).all())


def test_forecast_frame_backtest_and_dates(monthly: np.ndarray) -> None:
    result = forecast(series_frame(monthly, start="2021-03-01"), h=6, model="theta")
    assert list(result.forecast.columns) == list(FORECAST_COLUMNS)
    assert list(result.backtest.columns) == list(BACKTEST_COLUMNS)
    assert result.forecast["ds"].iloc[0] == pd.Timestamp("2025-03-01")
    assert len(result.forecast) == 6 and _finite(result.forecast)
    assert result.backtest["selected"].sum() == 1
    # The backtest horizon is the history's (two cycles, cut to what 48 months can score),
    # whatever h is.
    assert result.backtest["horizon"].iloc[0] == plan_windows(48, 12).horizon == 19


def test_default_horizon_is_one_season(monthly: np.ndarray) -> None:
    result = forecast(series_frame(monthly), model="seasonal_naive")
    assert len(result.forecast) == 12
    yearly = forecast(series_frame(monthly[:20], freq="YS"), model="naive")
    assert len(yearly.forecast) == 8


def test_auto_selects_from_the_backtest(monthly: np.ndarray) -> None:
    result = forecast(series_frame(monthly), h=12)
    table = result.backtest
    chosen = table.loc[table["selected"], "model"].item()
    assert chosen == result.forecast["model"].iloc[0]
    assert {"ets", "theta", "arima", "seasonal_naive"} <= set(table["model"])
    # On a trending seasonal series ETS beats repeating last year.
    mase = table.set_index("model")["mase"]
    assert mase["ets"] < mase["seasonal_naive"]


def test_too_short_series_is_an_excuse() -> None:
    frame = pd.concat(
        [series_frame([5.0, 6.0], unique_id="short"), series_frame(seasonal_series())]
    )
    result = forecast(frame, h=3, model="theta")
    assert set(result.forecast["unique_id"]) == {"series"}
    assert any("'short' has 2 observation(s)" in str(e) for e in result.excuses)


def test_constant_series_forecasts_the_constant() -> None:
    result = forecast(series_frame(np.full(30, 7.5)), h=4)
    assert (result.forecast["forecast"] == 7.5).all()
    assert any("constant" in str(e) for e in result.excuses)


def test_very_short_series_forecasts_without_backtest() -> None:
    result = forecast(series_frame([10.0, 12.0, 11.0, 13.0]), h=3)
    assert _finite(result.forecast) and len(result.forecast) == 3
    assert any("too few to backtest" in str(e) for e in result.excuses)


@pytest.mark.parametrize(
    "values",
    [
        np.r_[np.zeros(20), np.ones(4) * 3, np.zeros(12)],  # mostly zeros
        seasonal_series(seed=5) - 110.0,  # credits make it negative
        np.r_[np.full(18, 100.0), np.full(18, 1e6)],  # a jump of four orders of magnitude
        np.exp(np.linspace(0, 12, 36)),  # explosive growth
    ],
    ids=["zeros", "credits", "jump", "explosive"],
)
def test_awkward_series_give_finite_forecasts(values: np.ndarray) -> None:
    result = forecast(series_frame(values), h=12, level=(50, 80, 95))
    assert _finite(result.forecast)
    if (values >= 0).all():
        assert (result.forecast["lower"] >= 0).all()
    top = np.abs(values).max()
    assert (result.forecast["forecast"].abs() < 100 * top + 1).all()


def test_gaps_are_filled_and_said() -> None:
    frame = series_frame(seasonal_series()).drop(index=[10, 11])
    result = forecast(frame, h=6, model="theta")
    assert len(result.forecast) == 6
    assert any("filled by linear interpolation" in str(e) for e in result.excuses)


def test_level_shift_moves_history_to_the_new_level() -> None:
    rng = np.random.default_rng(4)
    y = np.r_[np.full(30, 100.0), np.full(12, 160.0)] + rng.normal(0, 1, 42)
    assert level_shift(y, 12) is not None
    result = forecast(series_frame(y), h=6)
    assert any(re.search(r"level shift of \+6\d%", str(e)) for e in result.excuses)
    assert abs(result.forecast["forecast"].mean() - 160) < 10


def test_seasonal_peaks_are_not_level_shifts() -> None:
    t = np.arange(48)
    y = 100 + 80 * (t % 12 == 11) + np.random.default_rng(1).normal(0, 1, 48)
    assert level_shift(y, 12) is None


def test_named_model_that_cannot_fit_falls_back_with_reason() -> None:
    result = forecast(series_frame(seasonal_series() - 110.0), h=6, model="loglinear")
    assert result.forecast["model"].iloc[0] == "naive"
    text = " ".join(str(e) for e in result.excuses)
    assert "needs positive values" in text and "naive forecast used" in text


class _Diverging(BaseForecaster):
    name = "diverging"

    def _fit(self, y: FloatArray) -> None:
        self.last_ = float(y[-1])

    def _forecast(self, h: int) -> tuple[FloatArray, FloatArray]:
        return self.last_ * 10.0 ** np.arange(1, h + 1), np.ones(h)


def test_divergent_model_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODELS, "diverging", ModelInfo("diverging", _Diverging, "test"))
    result = forecast(series_frame(seasonal_series()), h=12, model="diverging")
    assert result.forecast["model"].iloc[0] == "naive"
    assert any("far outside" in str(e) for e in result.excuses)
    assert _finite(result.forecast)


def test_bad_arguments_raise_input_errors(monthly: np.ndarray) -> None:
    frame = series_frame(monthly)
    with pytest.raises(UnknownNameError, match="Try: arima, arima_log, auto"):
        forecast(frame, model="nope")
    with pytest.raises(InputError, match="between 0 and 100"):
        forecast(frame, level=(80, 120))
    with pytest.raises(InputError, match="horizon"):
        forecast(frame, h=0)
    with pytest.raises(InputError, match="unknown frequency"):
        forecast(frame, freq="fortnightly")


def test_many_series_in_parallel_equal_serial() -> None:
    frame = pd.concat(
        [series_frame(seasonal_series(n=36, seed=s), unique_id=f"s{s}") for s in range(4)]
    )
    serial = forecast(frame, h=6, model="theta", n_paths=50, seed=3, n_jobs=1)
    parallel = forecast(frame, h=6, model="theta", n_paths=50, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(serial.forecast, parallel.forecast)
    for uid, paths in serial.paths.items():
        np.testing.assert_array_equal(paths, parallel.paths[uid])


def test_pool_started_from_a_threaded_process_equals_serial(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Inside the app's server the pool's workers fork from a forkserver that preloaded the
    model libraries: every model still fits there, to the same numbers as serially."""
    import threading

    frame = pd.concat(
        [series_frame(seasonal_series(n=30, seed=s), unique_id=f"s{s}") for s in range(3)]
    )
    serial = forecast(frame, h=4, n_paths=20, seed=1, n_jobs=1)
    monkeypatch.setattr(threading, "active_count", lambda: 3)
    pooled = forecast(frame, h=4, n_paths=20, seed=1, n_jobs=2)
    pd.testing.assert_frame_equal(serial.forecast, pooled.forecast)
    pd.testing.assert_frame_equal(serial.backtest, pooled.backtest)
    for uid, paths in serial.paths.items():
        np.testing.assert_array_equal(paths, pooled.paths[uid])


def test_wide_frame_uses_model_columns(monthly: np.ndarray) -> None:
    wide = forecast(series_frame(monthly), h=3, model="theta", level=(80, 95)).wide()
    assert list(wide.columns) == [
        "unique_id",
        "ds",
        "theta",
        "theta-lo-80",
        "theta-hi-80",
        "theta-lo-95",
        "theta-hi-95",
    ]


def test_candidates_match_the_models_named_alone(monthly: np.ndarray) -> None:
    auto = forecast(series_frame(monthly), h=6)
    tried = auto.candidates()
    assert {"ets", "theta", "arima", "seasonal_naive"} <= set(tried["model"])
    alone = forecast(series_frame(monthly), h=6, model="theta").forecast
    mine = tried[tried["model"] == "theta"].reset_index(drop=True)
    for col in ("forecast", "lower", "upper"):
        np.testing.assert_allclose(mine[col], alone[col], rtol=1e-9)


def test_quarter_band_of_independent_months_grows_with_sqrt_3() -> None:
    """Seasonal naive's errors inside one cycle are independent for a season plus noise: a
    quarter's band is about sqrt(3) times a month's, not 3 times (the sum of three monthly
    percentiles). (With a trend they are not: every error carries the same year's growth,
    and the paths carry that from month to month as the backtest errors did.)"""
    t = np.arange(60)
    rng = np.random.default_rng(8)
    y = 100 + 12 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 3.0, len(t))
    result = forecast(
        series_frame(y, start="2020-01-01"), h=12, model="seasonal_naive", n_paths=8000, seed=5
    )
    months = result.forecast.iloc[:3]
    quarter = result.aggregate("quarter").iloc[0]
    # Independent months: widths add in quadrature (sqrt(3) times one month's when equal),
    # not linearly (three times).
    widths = (months["upper"] - months["lower"]).to_numpy()
    ratio = (quarter["upper"] - quarter["lower"]) / np.sqrt(np.sum(widths**2))
    assert ratio == pytest.approx(1.0, rel=0.05)
    assert quarter["forecast"] == pytest.approx(result.forecast["forecast"].iloc[:3].sum())


def test_pool_from_a_threaded_process_does_not_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from forecasting.models import api

    monkeypatch.setattr(threading, "active_count", lambda: 3)
    assert api._context().get_start_method() in ("forkserver", "spawn")


def test_choose_is_what_the_forecast_is_made_from(monkeypatch: pytest.MonkeyPatch) -> None:
    """``engine.choose`` (what benchmarks of calibration start from) is the forecast's own
    choice: its model, its forecast before bands, and a calibration that makes the same
    band; a stand-in prior table is the same as swapping the module's table."""
    from dataclasses import replace

    from forecasting.models import engine, intervals
    from forecasting.models.intervals import bands
    from forecasting.models.validation import frequency_from_alias

    rng = np.random.default_rng(5)
    y = 1000 * 1.04 ** np.arange(36) * np.exp(rng.normal(0, 0.04, 36))
    job = engine.SeriesJob(
        "s", y, pd.Timestamp("2020-12-01"), frequency_from_alias("MS"), 12, (80.0,)
    )
    chosen = engine.choose(job)
    made = engine.forecast_series(job)
    assert isinstance(chosen, engine.Selection) and chosen.model == made.model
    lo, hi = bands(
        chosen.final.centre, chosen.final.spread, chosen.calibration(), [80.0], log=True
    )[80.0]
    np.testing.assert_allclose(lo, made.bands[80.0][0], rtol=1e-12)
    np.testing.assert_allclose(hi, made.bands[80.0][1], rtol=1e-12)
    table = ((1.0, 0.0, 0.0), (1.5, 0.5, 3.0))
    stand_in = chosen.calibration(table)
    monkeypatch.setitem(intervals.PRIOR, 12, table)
    swapped = chosen.calibration()
    assert stand_in.prior is not None and swapped.prior is not None
    assert stand_in.prior.table == swapped.prior.table == table
    np.testing.assert_array_equal(
        stand_in.halfwidth(80.0, chosen.final.spread), swapped.halfwidth(80.0, chosen.final.spread)
    )
    # A constant history is decided without a choice: the finished forecast comes back.
    flat = replace(job, y=np.full(36, 5.0))
    assert engine.choose(flat).model == "constant"
