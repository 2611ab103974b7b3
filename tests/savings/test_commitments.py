"""Commitment maths (coverage, utilisation, savings, break-even, ESR) against hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.errors import InputError
from forecasting.interface import Excuse
from forecasting.savings.commitments import (
    LookBack,
    Outcome,
    Terms,
    best_covered_level,
    break_even_month,
    diurnal_profile,
    effective_savings_rate,
    effective_savings_rates,
    evaluate,
    look_back,
    recommend,
    score_hours,
    under_demand,
)

YEAR = Terms(discount=0.28, term_months=12)  # 1-year Compute SP, no upfront, 730 h/month
FLAT = np.full((1, 12), 10.0)  # $10/h of on-demand-equivalent usage, every month


def test_full_use_matches_hand_calculation() -> None:
    # $7.20/h committed at 28% off covers 7.2 / 0.72 = $10/h: all of the usage.
    out = evaluate(FLAT, 7.2, YEAR, "manual")
    assert out.covered_usd_per_hour == pytest.approx(10)
    assert out.coverage == pytest.approx(1.0)
    assert out.utilisation == pytest.approx(1.0)
    assert out.expected_monthly_savings_usd == pytest.approx((10 - 7.2) * 730)  # 2,044
    assert out.expected_savings_usd == pytest.approx(2.8 * 8760)  # 24,528
    assert out.break_even_month == 1 and out.upfront_usd == 0


def test_over_commitment_matches_hand_calculation() -> None:
    # $9/h covers up to 12.5/h; usage is 10/h, so $7.20 of the $9 is used (80%).
    out = evaluate(FLAT, 9.0, YEAR, "manual")
    assert out.utilisation == pytest.approx(0.8)
    assert out.coverage == pytest.approx(1.0)
    assert out.expected_monthly_savings_usd == pytest.approx((10 - 9) * 730)


def test_under_commitment_matches_hand_calculation() -> None:
    # $3.60/h covers 5/h of the 10: half the usage, fully used, saving 1.40/h.
    out = evaluate(FLAT, 3.6, YEAR, "manual")
    assert out.coverage == pytest.approx(0.5)
    assert out.utilisation == pytest.approx(1.0)
    assert out.expected_monthly_savings_usd == pytest.approx(1.4 * 730)


@pytest.mark.parametrize(
    ("share", "month"),
    [
        # All upfront: 7.2 x 8,760 = 63,072 paid at purchase; 7,300 avoided a month -> month 9.
        (1.0, 9),
        # Partial: 31,536 up front; 7,300 - 3.6 x 730 = 4,672 net a month -> 6.75 -> month 7.
        (0.5, 7),
        (0.0, 1),
    ],
)
def test_break_even_month_matches_hand_calculation(share: float, month: int) -> None:
    terms = Terms(discount=0.28, term_months=12, upfront_share=share)
    out = evaluate(FLAT, 7.2, terms, "manual")
    assert out.break_even_month == month
    assert out.upfront_usd == pytest.approx(share * 7.2 * 8760)


def test_commitment_that_never_pays_back_is_an_excuse() -> None:
    low = np.full((1, 12), 1.0)
    out = evaluate(low, 7.2, Terms(0.28, 12, upfront_share=1.0), "manual")
    assert isinstance(out.break_even_month, Excuse)
    assert out.expected_savings_usd == pytest.approx((1 - 7.2) * 8760)


def test_break_even_is_when_the_saving_stays_positive() -> None:
    # No upfront, usage 10/h for six months then 3/h: $7.20/h saves 2.80/h, then loses 4.20/h
    # (it covers only 3 of its 10). Month 1 is ahead, but the term ends 7,358 behind.
    falling = np.r_[np.full(6, 10.0), np.full(6, 3.0)][None, :]
    out = evaluate(falling, 7.2, YEAR, "manual")
    assert isinstance(out.break_even_month, Excuse)
    # A dip that recovers: behind in month 2 only, so ahead for good from month 3.
    cumulative = np.array([1.0, -1.0, 2.0, 3.0])
    assert break_even_month(cumulative, Terms(0.28, 4)) == 3


def test_downside_uses_the_p10_of_usage() -> None:
    # 11 paths at 5, 6, ..., 15 $/h: P10 is 6/h. A $7.20 commitment then covers 6 of 10.
    paths = np.repeat(np.arange(5.0, 16.0)[:, None], 12, axis=1)
    out = evaluate(paths, 7.2, YEAR, "manual")
    assert out.downside_savings_usd == pytest.approx((6 - 7.2) * 8760)
    assert out.downside_utilisation == pytest.approx(6 * 0.72 / 7.2)
    assert isinstance(out.downside_break_even_month, Excuse)
    # Across paths: min(u, 10) over 5..15 is 5+6+7+8+9 + 6 x 10 = 95, so 95/11 - 7.2 per hour.
    assert out.expected_savings_usd == pytest.approx((95 / 11 - 7.2) * 8760)


def test_under_demand_matches_hand_calculation() -> None:
    # 11 flat paths at 5..15 $/h: P10 6, P50 10, P90 14. $7.20/h covers up to 10/h.
    paths = np.repeat(np.arange(5.0, 16.0)[:, None], 12, axis=1)
    table, cumulative = under_demand(paths, 7.2, YEAR)
    rows = table.set_index("demand")
    assert list(rows.index) == ["P10", "P50", "P90"]
    assert rows["usage_usd_per_hour"].tolist() == pytest.approx([6, 10, 14])
    assert rows["coverage"].tolist() == pytest.approx([1, 1, 10 / 14])
    assert rows["utilisation"].tolist() == pytest.approx([6 * 0.72 / 7.2, 1, 1])
    assert rows["monthly_savings_usd"].tolist() == pytest.approx(
        [(6 - 7.2) * 730, 2.8 * 730, 2.8 * 730]
    )
    assert rows.loc["P10", "break_even_month"] == "does not break even within the term"
    assert rows.loc["P50", "break_even_month"] == "1"
    assert list(cumulative.columns) == ["month", "P10", "P50", "P90"]
    assert cumulative["P50"].iloc[-1] == pytest.approx(2.8 * 730 * 12)
    # The P10 row is the Outcome's downside, computed the same way.
    out = evaluate(paths, 7.2, YEAR, "manual")
    assert rows.loc["P10", "monthly_savings_usd"] == pytest.approx(out.downside_savings_usd / 12)


def test_best_level_is_the_discount_quantile_of_usage() -> None:
    # Newsvendor: the optimum covered level is the d-quantile of usage. Usage 1..100, d = 0.3:
    # covering K gains P(u > K) - 0.7 per extra dollar: positive below 30, zero from 30 to 31
    # (a tie, which goes to the smaller commitment), negative above.
    usage = np.arange(1.0, 101.0).reshape(4, 25)
    assert best_covered_level(usage, 0.3) == 30
    # Brute force over a fine grid agrees (no level saves more).
    grid = np.linspace(0, 100, 2001)
    gains = [np.minimum(usage, k).mean() - 0.7 * k for k in grid]
    best = np.minimum(usage, 30).mean() - 0.7 * 30
    assert max(gains) <= best + 1e-9


def test_whole_units_for_reserved_instances() -> None:
    # One m6i.xlarge is $0.192/h on demand; 10.0/h of usage is 52.08 instances: 52 or 53.
    level = best_covered_level(np.full((1, 12), 10.0), 0.4, step=0.192)
    assert level / 0.192 == pytest.approx(52)


def test_savings_bounds_are_the_bands_quantiles_of_the_paths() -> None:
    # 11 paths at 5, 6, ..., 15 $/h: a $7.20 commitment saves min(u, 10) - 7.2 an hour on each.
    paths = np.repeat(np.arange(5.0, 16.0)[:, None], 12, axis=1)
    per_path = (np.minimum(np.arange(5.0, 16.0), 10) - 7.2) * 8760
    default = evaluate(paths, 7.2, YEAR, "manual")
    assert default.savings_lower_usd == pytest.approx(np.quantile(per_path, 0.1))
    assert default.savings_upper_usd == pytest.approx(np.quantile(per_path, 0.9))
    half = evaluate(paths, 7.2, YEAR, "manual", band=(0.25, 0.75))  # a 50% interval
    assert half.savings_lower_usd == pytest.approx(np.quantile(per_path, 0.25))
    assert half.savings_upper_usd == pytest.approx(np.quantile(per_path, 0.75))
    assert default.savings_lower_usd < half.savings_lower_usd <= half.savings_upper_usd
    assert half.expected_savings_usd == default.expected_savings_usd
    best = recommend(paths, YEAR, band=(0.25, 0.75))
    assert (
        isinstance(best, Outcome)
        and best.savings_upper_usd <= recommend(paths, YEAR).savings_upper_usd
    )  # type: ignore[union-attr]


def test_recommend_from_paths() -> None:
    paths = np.repeat(np.arange(5.0, 16.0)[:, None], 12, axis=1)
    out = recommend(paths, YEAR)
    assert isinstance(out, Outcome) and out.method == "forecast"
    # d = 0.28: the 0.28-quantile of {5..15} on the observed levels is 8 (P(u > 8) = 7/11 < 0.72
    # and P(u > 7) = 8/11 > 0.72).
    assert out.covered_usd_per_hour == pytest.approx(8)
    assert out.hourly_commitment_usd == pytest.approx(8 * 0.72)


def test_nothing_worth_buying_is_an_excuse() -> None:
    out = recommend(np.zeros((5, 12)), YEAR)
    assert isinstance(out, Excuse) and "no commitment" in out.reason


def _hours(pattern: list[tuple[int, float]], days: int, start: str) -> pd.Series:
    """A day of ``(hours, $/h)`` blocks repeated for ``days`` days, one value per clock hour."""
    day = np.concatenate([np.full(n, v) for n, v in pattern])
    index = pd.date_range(start, periods=24 * days, freq="h")
    return pd.Series(np.tile(day, days), index=index)


# 12 busy hours at $10/h and 12 quiet ones at $4/h (mean $7/h): covering the busy hours too
# needs them busy more than 72% of the time (the 28% discount), so the best level is $4/h.
HALF_BUSY = [(12, 10.0), (12, 4.0)]
# Busy 18 hours of 24 (75% > 72%): now covering $10/h pays.
MOSTLY_BUSY = [(18, 10.0), (6, 4.0)]


def test_aws_look_back_on_a_known_hourly_profile() -> None:
    out = look_back(_hours(HALF_BUSY, 30, "2026-10-01"), 30, YEAR)
    assert isinstance(out, LookBack)
    # K = $4/h: commitment 4 x 0.72 = $2.88/h, saving 4 - 2.88 = $1.12/h = $817.60/month.
    assert out.hourly_commitment_usd == pytest.approx(2.88)
    assert out.covered_usd_per_hour == pytest.approx(4.0)
    assert out.estimated_monthly_savings_usd == pytest.approx(1.12 * 730)
    assert out.utilisation == pytest.approx(1.0)
    assert out.coverage == pytest.approx(4 / 7)
    assert out.average_hourly_on_demand_usd == pytest.approx(7.0)
    assert out.estimated_savings_percentage == pytest.approx(1.12 / 7)
    assert (out.minimum_hourly_on_demand_usd, out.maximum_hourly_on_demand_usd) == (4, 10)
    assert out.hours == 720 and out.break_even_month == 1


def test_aws_look_back_covers_hours_busy_more_often_than_the_discount() -> None:
    out = look_back(_hours(MOSTLY_BUSY, 30, "2026-10-01"), 30, YEAR)
    assert isinstance(out, LookBack)
    # K = $10/h: $7.20/h committed; covered (18 x 10 + 6 x 4) / 24 = $8.50/h on average.
    assert out.hourly_commitment_usd == pytest.approx(7.2)
    assert out.estimated_monthly_savings_usd == pytest.approx((8.5 - 7.2) * 730)  # $949
    assert out.utilisation == pytest.approx(0.85)
    assert out.coverage == pytest.approx(1.0)


def test_each_look_back_sees_only_its_own_window() -> None:
    # 30 mostly-busy days, then 30 half-busy ones: the last 7 and 30 days are half busy; over
    # 60 days the busy share is (18 + 12) / 48 = 62.5% < 72%, so $4/h again.
    history = pd.concat(
        [_hours(MOSTLY_BUSY, 30, "2026-09-01"), _hours(HALF_BUSY, 30, "2026-10-01")]
    )
    for days in (7, 30, 60):
        out = look_back(history, days, YEAR)
        assert isinstance(out, LookBack)
        assert out.hours == 24 * days
        assert out.covered_usd_per_hour == pytest.approx(4.0)
    recent = look_back(_hours(MOSTLY_BUSY, 60, "2026-09-01"), 7, YEAR)
    assert isinstance(recent, LookBack) and recent.covered_usd_per_hour == pytest.approx(10)


def test_look_back_break_even_with_upfront() -> None:
    # All upfront: 2.88 x 8,760 = $25,228.80 paid at purchase, $2,920 of on-demand avoided a
    # month -> 8.64 months -> month 9.
    terms = Terms(discount=0.28, term_months=12, upfront_share=1.0)
    out = look_back(_hours(HALF_BUSY, 30, "2026-10-01"), 30, terms)
    assert isinstance(out, LookBack)
    assert out.upfront_usd == pytest.approx(2.88 * 8760)
    assert out.break_even_month == 9


def test_look_back_without_usage_is_an_excuse() -> None:
    assert isinstance(look_back(pd.Series(dtype=float), 30, YEAR), Excuse)
    idle = look_back(_hours([(24, 0.0)], 30, "2026-10-01"), 30, YEAR)
    assert isinstance(idle, Excuse) and "no commitment would have paid" in str(idle)
    with pytest.raises(InputError, match="days"):
        look_back(_hours(HALF_BUSY, 3, "2026-10-01"), 0, YEAR)


def test_score_hours_matches_hand_calculation() -> None:
    # $4.32/h (covers $6/h) on the half-busy day: covered (12 x 6 + 12 x 4) / 24 = $5/h.
    out = score_hours(_hours(HALF_BUSY, 2, "2026-10-01").to_numpy(), 4.32, YEAR, 2)
    assert out.estimated_monthly_savings_usd == pytest.approx((5 - 4.32) * 730)
    assert out.utilisation == pytest.approx(5 / 6)
    assert out.coverage == pytest.approx(5 / 7)


def test_commitment_on_partly_covered_usage() -> None:
    # $10/h of eligible usage of which a plan already owned covers $4/h: a new plan sizes on
    # the $6/h left. $4.32/h covers exactly that: coverage 100% of the uncovered, saving
    # 6 - 4.32 = $1.68/h.
    terms = Terms(discount=0.28, term_months=12, existing_covered_usd_per_hour=4.0)
    out = evaluate(FLAT, 4.32, terms, "manual")
    assert out.coverage == pytest.approx(1.0) and out.utilisation == pytest.approx(1.0)
    assert out.expected_monthly_savings_usd == pytest.approx(1.68 * 730)
    best = recommend(FLAT, terms)
    assert isinstance(best, Outcome)
    assert best.covered_usd_per_hour == pytest.approx(6.0)
    # Busy half the day at $15/h, quiet at $5/h (mean 10): the plan owned leaves $11 and $1;
    # busy hours are only half the day, so the best new level is the $1/h left at night.
    swing = Terms(
        discount=0.28, term_months=12, hourly_profile=(1.5, 0.5), existing_covered_usd_per_hour=4.0
    )
    night = recommend(FLAT, swing)
    assert isinstance(night, Outcome)
    assert night.covered_usd_per_hour == pytest.approx(1.0)
    assert night.expected_monthly_savings_usd == pytest.approx((1 - 0.72) * 730)
    # $4.32/h on that swing covers (6 + 1) / 2 = $3.50/h: a loss of $0.82/h.
    assert evaluate(FLAT, 4.32, swing, "manual").expected_monthly_savings_usd == pytest.approx(
        (3.5 - 4.32) * 730
    )


def test_effective_savings_rate_matches_hand_calculation() -> None:
    assert effective_savings_rate(1000.0, 870.0) == pytest.approx(0.13)
    assert isinstance(effective_savings_rate(0.0, 0.0), Excuse)
    costs = pd.DataFrame(
        {
            "cost_group": ["Compute", "Compute", "Database", "Misc"],
            "ListCost": [100.0, 66.67, 50.0, 0.0],
            "EffectiveCost": [100.0, 48.0, 50.0, 0.0],
        }
    )
    rates = effective_savings_rates(costs, "cost_group").set_index("cost_group")
    assert rates.loc["Compute", "effective_savings_rate"] == pytest.approx(1 - 148 / 166.67)
    assert rates.loc["Compute", "savings_usd"] == pytest.approx(18.67)
    assert rates.loc["Database", "effective_savings_rate"] == 0
    assert np.isnan(rates.loc["Misc", "effective_savings_rate"])


@pytest.mark.parametrize(
    ("usage", "commitment", "message"),
    [
        (np.full((1, 11), 1.0), 1.0, "12 months"),
        (np.full((1, 12), -1.0), 1.0, "non-negative"),
        (np.full((1, 12), np.nan), 1.0, "non-negative"),
        (np.full((1, 12), 1.0), -1.0, "commitment"),
    ],
)
def test_bad_input_is_rejected(usage: np.ndarray, commitment: float, message: str) -> None:
    with pytest.raises(InputError, match=message):
        evaluate(usage, commitment, YEAR, "manual")


USAGE = arrays(np.float64, st.tuples(st.integers(1, 6), st.just(12)), elements=st.floats(0, 1e4))


@settings(max_examples=60, deadline=None)
@given(USAGE, st.floats(0, 1e4), st.floats(0.05, 0.7), st.sampled_from([0.0, 0.5, 1.0]))
def test_savings_never_exceed_spend(usage: np.ndarray, c: float, d: float, share: float) -> None:
    terms = Terms(d, 12, upfront_share=share)
    out = evaluate(usage, c, terms, "any")
    spend = usage.sum(axis=1).mean() * terms.hours_per_month
    assert out.expected_savings_usd <= spend + 1e-6
    assert 0 <= out.coverage <= 1 + 1e-12 and 0 <= out.utilisation <= 1 + 1e-12


@settings(max_examples=60, deadline=None)
@given(USAGE, st.floats(0.05, 0.7))
def test_zero_commitment_saves_nothing_and_recommendation_never_loses_in_expectation(
    usage: np.ndarray, d: float
) -> None:
    terms = Terms(d, 12)
    assert evaluate(usage, 0.0, terms, "none").expected_savings_usd == 0
    best = recommend(usage, terms)
    if isinstance(best, Outcome):
        assert best.expected_savings_usd >= -1e-6


@settings(max_examples=60, deadline=None)
@given(USAGE, st.floats(0, 1e4), st.floats(1.0, 3.0))
def test_more_demand_never_saves_less(usage: np.ndarray, c: float, factor: float) -> None:
    low = evaluate(usage, c, YEAR, "x").expected_savings_usd
    high = evaluate(usage * factor, c, YEAR, "x").expected_savings_usd
    assert high >= low - 1e-6


def test_usage_that_swings_within_the_day_covers_less() -> None:
    # $10/h on average, but $5/h half the day and $15/h the other half.
    swing = Terms(discount=0.28, term_months=12, hourly_profile=(0.5, 1.5))
    out = evaluate(FLAT, 7.2, swing, "manual")
    # Covers min(5, 10) and min(15, 10): 7.5/h on average, 75% of usage; 7.5 x 0.72 / 7.2 used.
    assert out.coverage == pytest.approx(0.75)
    assert out.utilisation == pytest.approx(0.75)
    assert out.expected_monthly_savings_usd == pytest.approx((7.5 - 7.2) * 730)
    # The best commitment on the swinging usage covers the night level only: 5 x 0.72 = 3.60/h.
    best = recommend(FLAT, swing)
    assert isinstance(best, Outcome) and best.hourly_commitment_usd == pytest.approx(3.6)
    assert best.expected_monthly_savings_usd == pytest.approx((5 - 3.6) * 730)


def test_diurnal_profile_has_the_stated_peak() -> None:
    profile = diurnal_profile(1.7)
    assert np.mean(profile) == pytest.approx(1) and max(profile) == pytest.approx(1.7)
    assert min(diurnal_profile(3.0)) == pytest.approx(0)  # capped: no negative hours
    with pytest.raises(ValueError, match="average 1"):
        Terms(0.28, 12, hourly_profile=(1.0, 2.0))
