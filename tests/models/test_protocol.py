"""Every registered model meets the protocol: fit, forecast, predict frame, paths, refit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import UnknownNameError
from forecasting.models.base import Forecaster, ModelFailure
from forecasting.models.logscale import LogScale
from forecasting.models.registry import check_model, make_model, model_names
from tests.models.conftest import seasonal_series

# The statsmodels yardsticks are slow (seconds): they get the protocol checks on one series.
SLOW = {"ets_statsmodels", "theta_statsmodels"}


@pytest.mark.parametrize("name", model_names())
def test_model_meets_protocol(name: str, monthly: np.ndarray) -> None:
    model = make_model(name, 1 if name in SLOW else 12)
    assert isinstance(model, Forecaster)
    assert model.fit(monthly) is model
    point = model.forecast(18)
    assert point.mean.shape == point.sd.shape == (18,)
    assert np.isfinite(point.mean).all() and (point.sd >= 0).all()
    # A 48-month series trending from 100 to 140 does not forecast outside 80..250.
    assert (point.mean > 80).all() and (point.mean < 250).all()

    frame = model.predict(18, level=(80, 95))
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "step",
        name,
        f"{name}-lo-80",
        f"{name}-hi-80",
        f"{name}-lo-95",
        f"{name}-hi-95",
    ]
    assert (frame[f"{name}-lo-95"] <= frame[f"{name}-lo-80"]).all()
    assert (frame[f"{name}-lo-80"] <= frame[name]).all()
    assert (frame[name] <= frame[f"{name}-hi-80"]).all()

    paths = model.sample_paths(18, 200, seed=1)
    assert paths.shape == (200, 18) and np.isfinite(paths).all()
    np.testing.assert_array_equal(paths, model.sample_paths(18, 200, seed=1))

    refitted = model.refit(monthly[:36])
    assert refitted is not model
    assert np.isfinite(refitted.forecast(6).mean).all()


@pytest.mark.parametrize("name", sorted(set(model_names()) - SLOW))
@pytest.mark.parametrize("seed", [1, 2])
def test_model_handles_credits_or_says_why(name: str, seed: int) -> None:
    """Negative values (credits) either fit or fail with a reason, never NaN."""
    y = seasonal_series(seed=seed) - 110.0
    model = make_model(name, 12)
    try:
        point = model.fit(y).forecast(12)
    except ModelFailure as exc:
        assert isinstance(model, LogScale) and "positive" in str(exc)
        return
    assert np.isfinite(point.mean).all()


@pytest.mark.parametrize("name", sorted(set(model_names()) - SLOW))
def test_model_refuses_too_short_history(name: str) -> None:
    with pytest.raises(ModelFailure, match="at least"):
        make_model(name, 12).fit(np.array([1.0, 2.0]))


@pytest.mark.parametrize("name", model_names())
def test_model_refuses_non_finite(name: str) -> None:
    with pytest.raises(ModelFailure, match="finite"):
        make_model(name, 1).fit(np.array([1.0, np.nan, 3.0, 4.0, 5.0, 6.0]))


def test_unknown_model_lists_valid_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        make_model("prophet")
    message = str(info.value)
    assert "unknown model 'prophet'. Try:" in message
    assert "auto" in message and "ets" in message and "theta" in message


def test_auto_is_a_valid_choice_but_not_a_model() -> None:
    assert check_model("auto") == "auto"
    assert "auto" not in model_names()
