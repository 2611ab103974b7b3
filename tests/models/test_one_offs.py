"""One-period outliers (a credit, a spike) are set aside before the models see a history, and
nothing else is: not a season, a turn of the trend, a lasting step or a spiky series."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from forecasting.models import guards
from forecasting.models.api import forecast, series_frame
from forecasting.models.guards import adjust_history, one_offs, set_aside


def _growing(n: int = 36, rate: float = 0.05, noise: float = 0.01, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 4000 * np.exp(rate * np.arange(n) + rng.normal(0, noise, n))


def test_a_credit_and_a_spike_are_found_and_set_to_their_neighbours() -> None:
    y = _growing()
    y[15] -= 0.1 * y[15]  # a credit of a tenth of the month
    y[19] += 0.2 * y[19]  # a burst of a few days
    found = one_offs(y, 12)
    assert [i for i, _ in found] == [15, 19]
    clean = set_aside(y, found)
    # Each becomes its neighbours' geometric mean; every other period is kept as it was.
    for i in (15, 19):
        assert clean[i] == pytest.approx(np.sqrt(y[i - 1] * y[i + 1]), rel=1e-12)
    keep = np.setdiff1d(np.arange(len(y)), [15, 19])
    np.testing.assert_array_equal(clean[keep], y[keep])


@pytest.mark.parametrize(
    "y",
    [
        # A season that recurs every year: December's peak is the season, not a one-off.
        1000 * (1 + 0.6 * (np.arange(48) % 12 == 11)) * np.exp(0.01 * np.arange(48)),
        # Growth that speeds up from 1% to 8% a month: a turn of the trend.
        4000 * np.exp(np.cumsum(np.r_[np.full(20, 0.01), np.full(16, 0.08)])),
        # A lasting step of 30%.
        np.r_[np.full(20, 100.0), np.full(16, 130.0)] * np.exp(0.002 * np.arange(36)),
        # A series with a spike every few periods is spiky by nature.
        100 * (1 + 1.5 * (np.arange(36) % 5 == 2)),
    ],
    ids=["season", "faster-growth", "step", "spiky"],
)
def test_what_is_not_a_one_off(y: np.ndarray) -> None:
    y = y * np.exp(np.random.default_rng(1).normal(0, 0.005, len(y)))
    assert one_offs(y, 12) == []


@pytest.mark.parametrize("start", ["2025-01-01", "2025-05-01"])
def test_a_young_series_seasonal_peak_is_not_a_one_off(start: str) -> None:
    """December +60% in a series of under three cycles: the second December is the last
    period (no residual of its own), and the first may have no December before it; the
    season is told from a one-off by the last period against the one before it."""
    dates = pd.date_range(start, "2026-12-01", freq="MS")
    noise = np.random.default_rng(2).normal(0, 0.02, len(dates))
    y = 1000 * (1 + 0.6 * (dates.month == 12)) * np.exp(0.01 * np.arange(len(dates)) + noise)
    assert one_offs(y, 12) == []
    # Where no same month lies a cycle away, nothing is judged: one cycle cannot tell.
    assert one_offs(y[:-1], 12) == []
    # The same December with an ordinary December after it is a one-off.
    flat = y.copy()
    flat[-1] = np.sqrt(flat[-2] * flat[-2] * 1.01)
    assert [i for i, _ in one_offs(flat, 12)] == [int(np.flatnonzero(dates.month == 12)[0])]


def test_a_small_departure_is_not_a_one_off() -> None:
    """On a very smooth series +3% clears the robust threshold but is under the floor."""
    y = _growing(noise=0.001)
    y[15] *= 1.03
    assert one_offs(y, 12) == []
    y[15] *= 1.05
    assert [i for i, _ in one_offs(y, 12)] == [15]


def test_the_note_names_quarters_and_years_as_people_do() -> None:
    for freq, m, named in [("QS", 4, "2004 Q4"), ("YS", 1, "2016")]:
        y = _growing(n=24, rate=0.0)
        y[15] *= 0.8
        dates = pd.date_range("2001-01-01", periods=24, freq=freq)
        _, _, excuses = adjust_history("s", y, m, dates)
        assert f"{named} (-20%) stands out" in excuses[-1].reason


def test_the_edges_and_days_are_not_judged() -> None:
    y = _growing()
    for i in (0, 1, len(y) - 2, len(y) - 1):
        spiked = y.copy()
        spiked[i] *= 1.5
        assert one_offs(spiked, 12) == []
        credited = y.copy()
        credited[i] = 0.0  # nor a credit there: the series is simply not strictly positive
        assert one_offs(credited, 12) == []
    y[15] *= 1.5
    assert one_offs(y, 7) == []  # days: a spike on the 1st is often the calendar's


@pytest.mark.parametrize("value", [0.0, -300.0])
def test_a_credit_to_zero_or_below_is_the_clearest_one_off(value: float) -> None:
    """A month's bill credited to nothing or less between months of thousands: a one-off of
    the whole month, set aside as any other (its log ratio is -inf), named with what the
    month was, and scored as it happened; the series' bands stay on the log scale."""
    y = _growing()
    y[20] = value
    assert one_offs(y, 12) == [(20, -np.inf)]
    dates = pd.date_range("2001-01-01", periods=len(y), freq="MS")
    fit, scored, excuses = adjust_history("s", y, 12, dates)
    assert fit[20] == pytest.approx(np.sqrt(y[19] * y[21]), rel=1e-12)
    assert scored[20] == value and (fit > 0).all()
    depth = (value / np.sqrt(y[19] * y[21]) - 1) * 100
    assert f"Sep 2002 ({depth:+.0f}%, to {value:,.4g}) stands out" in excuses[-1].reason
    # At any scale: neighbours of 1e-200 multiply to 0, their roots do not.
    for scale in (1e-200, 1e150):
        with np.errstate(all="raise"):
            assert one_offs(y * scale, 12) == [(20, -np.inf)]
            assert (set_aside(y * scale, [(20, -np.inf)]) > 0).all()
    # A spike elsewhere in the same series is still found beside it.
    y[10] *= 1.3
    assert [i for i, _ in one_offs(y, 12)] == [10, 20]


def test_zeros_a_count_series_has_by_nature_are_not_one_offs() -> None:
    """A small count (1 to 8 a month) that falls to 0 once: on the level scale its zero is
    within its own noise, so the series is not judged; a zero a year after another zero
    (the same month of each year) is a season, not a credit."""
    y = np.random.default_rng(4).poisson(4.0, 36).clip(1, None).astype(float)
    y[20] = 0.0
    assert one_offs(y, 12) == []
    yearly = _growing()
    yearly[[8, 20, 32]] = 0.0
    assert one_offs(yearly, 12) == []


@pytest.mark.parametrize("other", [600.0, 1000.0])
def test_a_flat_fee_with_one_different_month(other: float) -> None:
    """A fixed fee whose residuals are all 0 but one month's (a robust deviation of 0): the
    month is a one-off, found without dividing by that 0, as it is with the fee's float
    noise (the demo's Monitoring) and at zero. The fee with it set aside is constant, and
    the forecast is the fee, with no spread and the month named."""
    noise = np.random.default_rng(3).uniform(-1.2e-5, 0.6e-5, 36)
    for fee in (np.full(36, 800.0), 800.0 + noise):
        y = fee.copy()
        y[20] = other
        assert [i for i, _ in one_offs(y, 12)] == [20]
        y[20] = 0.0
        assert one_offs(y, 12) == [(20, -np.inf)]
    y = np.full(36, 800.0)
    y[20] = other
    result = forecast(series_frame(y), h=6, level=(50, 80), n_jobs=1)
    f = result.forecast
    assert set(f["model"]) == {"constant"}
    np.testing.assert_array_equal(f["forecast"], 800.0)
    np.testing.assert_array_equal(f["lower"], f["upper"])
    notes = " ".join(e.reason for e in result.excuses)
    assert "stands out" in notes and "is constant (its one-offs set aside)" in notes, notes
    # A flat fee with a different month every few months is not: its share rule holds.
    assert one_offs(800.0 * (1 + 0.25 * (np.arange(36) % 5 == 2)), 12) == []


def test_a_history_constant_once_its_level_moves_is_forecast_as_constant() -> None:
    """A fee of 100 raised to 130 for good: the earlier months moved to the new level leave a
    constant history, which is forecast as the constant (no models fitted on a flat line)."""
    y = np.r_[np.full(28, 100.0), np.full(8, 130.0)]
    result = forecast(series_frame(y), h=6, level=(80,), n_jobs=1)
    f = result.forecast
    assert set(f["model"]) == {"constant"}
    np.testing.assert_array_equal(f["forecast"], 130.0)
    np.testing.assert_array_equal(f["lower"], f["upper"])
    notes = " ".join(e.reason for e in result.excuses)
    assert "is constant (its earlier level moved)" in notes, notes


def test_a_credit_does_not_hide_the_growth_and_the_forecast_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Growth that speeds up from 1% to 6% a month (the demo bill's shape), with a credit and
    a spike in its fourth year: the next year's total forecast from 36 months is nearer
    what happened with them set aside than with them read as noise, and the excuse names
    the months set aside."""
    rng = np.random.default_rng(0)
    y_all = np.exp(np.log(4000) + np.cumsum(np.linspace(0.01, 0.06, 48)) + rng.normal(0, 0.01, 48))
    y = y_all[:36].copy()
    y[15] *= 0.9
    y[19] *= 1.2

    def year_total() -> tuple[float, str]:
        result = forecast(series_frame(y), h=12, level=(80,), n_jobs=1)
        ratio = float(result.forecast["forecast"].sum() / y_all[36:].sum())
        return ratio, " ".join(e.reason for e in result.excuses)

    kept, notes = year_total()
    monkeypatch.setattr(guards, "ONE_OFF_THRESHOLD", np.inf)
    read_as_noise, _ = year_total()
    # Measured: 0.93 of the year set aside, 0.81 read as noise.
    assert abs(kept - 1) < 0.10 and abs(read_as_noise - 1) > abs(kept - 1) + 0.05
    assert re.search(r"Apr 2001 \(-1\d%\), Aug 2001 \(\+2\d%\) stand out", notes), notes


def test_the_backtest_scores_the_month_as_it_happened() -> None:
    """A credit inside the backtest's window: the models see the neighbours' level there,
    the backtest's actuals hold the credit (errors are measured against what happened)."""
    from forecasting.models import engine
    from forecasting.models.validation import frequency_from_alias

    y = _growing()
    y[30] *= 0.8  # inside the last year, where the origins forecast
    job = engine.SeriesJob(
        "s", y, pd.Timestamp("2002-12-01"), frequency_from_alias("MS"), 12, (80.0,)
    )
    chosen = engine.choose(job)
    assert isinstance(chosen, engine.Selection) and chosen.backtest is not None
    assert chosen.y[30] == pytest.approx(np.sqrt(y[29] * y[31]), rel=1e-12)
    bt = chosen.backtest
    seen = {
        float(bt.actual[i, k])
        for i, o in enumerate(bt.plan.origins)
        for k in range(bt.plan.horizon)
        if o + k == 30
    }
    assert seen == {float(y[30])}


def test_a_credit_to_zero_inside_the_backtest_is_outside_every_band() -> None:
    """The backtest scores the credit as it happened: on the log scale a month at 0 is -inf,
    no error to calibrate a band on, and a miss of every band in the coverage."""
    from forecasting.models import engine
    from forecasting.models.validation import frequency_from_alias

    y = _growing()
    y[30] = 0.0
    job = engine.SeriesJob(
        "s", y, pd.Timestamp("2002-12-01"), frequency_from_alias("MS"), 12, (80.0,)
    )
    chosen = engine.choose(job)
    assert isinstance(chosen, engine.Selection) and chosen.backtest is not None
    assert chosen.positive and chosen.y[30] > 0
    bt = chosen.backtest
    at_credit = bt.actual == 0.0
    assert at_credit.any() and (bt.working_actual[at_credit] == -np.inf).all()
    assert np.isnan(bt.working_actual[np.isnan(bt.actual)]).all()
    assert chosen.calibration().calibrated
    result = engine.forecast_series(job)
    assert (result.bands[80.0][0] > 0).all()


@pytest.mark.parametrize("model", ["naive", "drift", "theta"])
def test_no_origin_trains_on_what_came_after_it(model: str) -> None:
    """Each backtest origin's history is cleaned with the data up to it alone: changing the
    month right after an origin (here 10% up) leaves that origin's forecasts as they were.
    With the whole history cleaned, the origin after a credit trained on the credit set to
    its neighbours' geometric mean, the month after it included."""
    from forecasting.models import engine
    from forecasting.models.validation import frequency_from_alias

    y = _growing()
    y[30] *= 0.8  # inside the backtest's origins
    month = frequency_from_alias("MS")

    def backtest(values: np.ndarray) -> engine.Backtest:
        job = engine.SeriesJob("s", values, pd.Timestamp("2002-12-01"), month, 12, (80.0,), model)
        chosen = engine.choose(job)
        assert isinstance(chosen, engine.Selection) and chosen.backtest is not None
        return chosen.backtest

    base = backtest(y)
    origins = base.plan.origins
    assert 31 in origins and 33 in origins
    for k, origin in enumerate(origins[:-1]):
        moved = y.copy()
        moved[origin] *= 1.1
        again = backtest(moved)
        assert again.plan.origins == origins
        np.testing.assert_array_equal(again.models[model].mean[k], base.models[model].mean[k])
    if model == "naive":
        # Origins 31 and 32 end on the credit and its neighbour: not judged yet, trained on as
        # it was; from 33 on the history tells it and the credit is set aside.
        step1 = dict(zip(origins, base.models["naive"].mean[:, 0], strict=True))
        assert step1[31] == y[30]
        assert step1[33] == y[32]
        seen = [float(h[30]) for o, h in zip(origins, _histories(y), strict=True) if o >= 33]
        assert seen == pytest.approx([np.sqrt(y[29] * y[31])] * len(seen), rel=1e-12)


def _histories(y: np.ndarray) -> list[np.ndarray]:
    from forecasting.models import engine
    from forecasting.models.backtest import plan_windows

    _, out = engine.origin_histories(y, plan_windows(len(y), 12), 12, True)
    return out


def test_an_origin_that_ends_on_a_credit_to_zero_is_not_scored() -> None:
    """On a positive history, the two origins whose history ends on a credit to 0 not yet
    judged are left out: log-scale models cannot be fitted there. Every other origin is
    scored, the credit set aside once the history tells it."""
    from forecasting.models import engine
    from forecasting.models.backtest import plan_windows

    y = _growing()
    y[30] = 0.0
    plan = plan_windows(len(y), 12)
    assert plan is not None
    kept, histories = engine.origin_histories(y, plan, 12, True)
    assert kept is not None
    assert set(plan.origins) - set(kept.origins) == {31, 32}
    assert all((h > 0).all() for h in histories)
    # Level-scale models train on the credit as it was wherever it is not set aside yet.
    level, raw = engine.origin_histories(y, plan, 12, False)
    assert level == plan and [h[30] for h in raw if len(h) in (31, 32)] == [0.0, 0.0]
