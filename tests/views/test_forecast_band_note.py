"""The Forecast page's note on why a band is as wide as it is, on a view built by hand: its
figures worked out here, apart from the code that writes them."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd

from forecasting.views.forecast import ForecastView


def _view(
    months: int,
    own_share: float,
    *,
    data_to: date | None = None,
    windows: int = 12,
    horizon: int = 12,
) -> ForecastView:
    """Users forecast from Dec 2026: forecast 100 + k, band (forecast - 20, forecast + 80)
    at step k, and the band without the prior ``own_share`` of that width around the same
    middle."""
    ds = pd.date_range("2026-12-01", periods=months, freq="MS")
    point = 100.0 + np.arange(months)
    table = pd.DataFrame(
        {
            "unique_id": "users",
            "ds": ds,
            "forecast": point,
            "lower": point - 20,
            "upper": point + 80,
            "level": 80.0,
            "model": "ets_log",
        }
    )
    middle = point + 30
    own = pd.DataFrame(
        {
            "unique_id": "users",
            "ds": ds,
            "lower": middle - 50 * own_share,
            "upper": middle + 50 * own_share,
        }
    )
    backtest = pd.DataFrame(
        [
            {
                "unique_id": "users",
                "model": "ets_log",
                "selected": True,
                "horizon": horizon,
                "windows": windows,
                "errors": sum(windows - k + 1 for k in range(1, horizon + 1)),
            }
        ]
    )
    empty = pd.DataFrame(columns=["unique_id", "ds", "y"])
    return ForecastView(
        metric="users",
        unit="users",
        level=80.0,
        history=empty,
        table=table,
        quarters=table.iloc[:0],
        backtest=backtest,
        fits=pd.DataFrame(columns=["unique_id", "origin", "ds", "fit"]),
        excuses=(),
        data_to=data_to,
        own_band=own,
    )


def test_the_note_splits_the_width_between_the_series_and_the_prior() -> None:
    # Month 12 (Nov 2027): 91 to 191 around 111; the band without the prior is a quarter
    # of the 100 wide, and 12 - 12 + 1 = 1 origin of 12 reaches step 12.
    note = _view(12, 0.25).band_note
    assert note == (
        "**Why the band is this wide.** In Nov 2027 the 80% band runs from 91 to 191 users "
        "around a forecast of 111: its top is 1.7x the forecast, its bottom 0.82x. The "
        "series' own backtest errors (78 errors from 12 origins, up to 12 months ahead) would "
        "alone give 129 to 154, 25% of that width: only 1 of the 12 reaches this far. The "
        "other 75% is the population prior: how far series like this one, moving as fast, "
        "erred that far ahead in public forecasting-competition series (M1, M3, Tourism)."
    )


def test_past_the_backtests_the_band_is_the_priors() -> None:
    # 15 months: steps 13-15 (Dec 2027 on) no origin reaches.
    note = _view(15, 0.25).band_note
    assert "(78 errors from 12 origins, up to 12 months ahead)" in note
    assert ": none of them reaches this far." in note
    assert note.endswith(
        "No backtest reaches past Nov 2027: from Dec 2027 the band is the prior's alone."
    )


def test_a_running_month_is_not_a_step_ahead() -> None:
    # Data to 3 Dec 2026: December is nowcast, so Nov 2027 is step 11 (2 origins of 12).
    note = _view(12, 0.5, data_to=date(2026, 12, 3)).band_note
    assert "50% of that width: only 2 of the 12 reach this far. The other 50% is" in note


def test_a_band_the_prior_does_not_widen_says_so() -> None:
    note = _view(14, 1.0, windows=30).band_note
    assert (
        "(294 errors from 30 origins, up to 12 months ahead) set all of it: the population " in note
    )
    assert "prior adds nothing here." in note
    assert note.endswith(
        "No backtest reaches past Nov 2027: the band there carries the furthest backtested "
        "errors on."
    )


def test_the_note_follows_the_horizon_and_the_series_shown() -> None:
    view = _view(24, 0.25)
    assert "In May 2027 the 80% band runs from 85 to 185 users" in view.upto(6).band_note
    assert view.only("users").band_note == view.band_note


def test_a_band_clipped_at_zero_says_so() -> None:
    """A bottom edge at zero reads "reaches zero", not a ratio printed as 0.00x."""
    view = _view(12, 0.25)
    table = view.table.assign(lower=0.0)
    note = dataclasses.replace(view, table=table).band_note
    assert "its bottom reaches zero." in note and "0.00x" not in note
    kept = dataclasses.replace(view, table=view.table.assign(lower=view.table["forecast"] * 0.01))
    assert "its bottom 0.01x." in kept.band_note


def test_a_bottom_near_zero_is_not_called_zero() -> None:
    """Under 0.5% of the forecast but above zero, the bottom says so: not "reaches zero"
    (it does not) nor 0.00x (which reads as zero); a bottom below zero says that."""
    view = _view(12, 0.25)
    near = dataclasses.replace(view, table=view.table.assign(lower=view.table["forecast"] * 1e-3))
    note = near.band_note
    assert "its bottom above zero but under 0.005x." in note
    assert "reaches zero" not in note and "0.00x" not in note
    below = dataclasses.replace(view, table=view.table.assign(lower=-5.0))
    assert "its bottom below zero." in below.band_note


def test_too_few_errors_to_calibrate_say_the_band_is_the_models_own() -> None:
    """Under five backtest errors the engine draws the model's own band, the same with the
    prior or without: the note does not credit the errors (or deny the prior) with it."""
    view = _view(3, 1.0, windows=2, horizon=2)  # 2 + 1 = 3 errors
    note = view.band_note
    assert "only 3 errors from 2 origins, up to 2 months ahead: too few to calibrate" in note
    assert "the band is the model's own spread" in note
    assert "set all of it" not in note and "adds nothing" not in note
    one = _view(2, 1.0, windows=1, horizon=1).band_note
    assert "only 1 error from 1 origin, up to 1 month ahead" in one


def test_a_prior_that_moves_the_band_without_widening_it_is_named() -> None:
    """The band without the prior as wide as (or wider than) the band, but not the same band:
    the prior weighed in (the lean it shapes, a bottom clipped at zero), so the note does not
    say the series' errors set all of it."""
    view = _view(12, 1.0)
    assert "set all of it" in view.band_note
    for shift, share in ((5.0, 1.0), (0.0, 1.2)):
        own = view.own_band
        assert own is not None
        middle = (own["lower"] + own["upper"]) / 2 + shift
        half = (own["upper"] - own["lower"]) / 2 * share
        moved = dataclasses.replace(
            view, own_band=own.assign(lower=middle - half, upper=middle + half)
        )
        note = moved.band_note
        assert "set all of it" not in note and "adds nothing" not in note
        assert "as wide or wider: the population prior weighed in too" in note


def test_the_chain_band_is_said_where_the_view_says_so() -> None:
    """Whose band it is comes from the view's own flag, not from a missing band without the
    prior: a series' band with no such band is described by its edges alone."""
    view = _view(12, 0.25)
    scores = pd.DataFrame({"method": ["chain"], "selected": [True], "smape": [5.0]})
    bare = dataclasses.replace(view, own_band=None, method_scores=scores)
    assert "demand chain" not in bare.band_note
    assert bare.band_note.endswith("its bottom 0.82x.")
    chain = dataclasses.replace(bare, chain_band=True)
    assert "The band is the demand chain's" in chain.band_note
