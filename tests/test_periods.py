"""Partial periods: one helper says whether a period has ended, and what compares with it."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from forecasting.interface import STORED_FREQS, Freq
from forecasting.periods import (
    comparable_window,
    complete_column,
    days_covered,
    first_incomplete,
    is_complete,
    last_full_day,
    period_end,
    period_start,
)
from forecasting.store import Store

NOV_30 = date(2026, 11, 30)


def test_a_partial_quarter_is_marked_and_compared_day_for_day() -> None:
    q4 = date(2026, 10, 1)
    assert not is_complete(q4, Freq.QUARTER, NOV_30)
    assert is_complete(date(2026, 11, 1), Freq.MONTH, NOV_30)
    assert days_covered(q4, Freq.QUARTER, NOV_30) == 61
    # Q4 to 30 Nov (61 days) against 1 Jul - 30 Aug, never against all of Q3.
    assert comparable_window(q4, Freq.QUARTER, NOV_30) == (date(2026, 7, 1), date(2026, 8, 31))
    assert comparable_window(q4, Freq.QUARTER, NOV_30, back=4) == (
        date(2025, 10, 1),
        date(2025, 12, 1),
    )
    assert first_incomplete(NOV_30, Freq.QUARTER) == q4
    assert first_incomplete(NOV_30, Freq.MONTH) == date(2026, 12, 1)


def test_a_complete_period_compares_with_the_whole_one_before() -> None:
    assert comparable_window(date(2026, 3, 1), Freq.MONTH, NOV_30) == (
        date(2026, 2, 1),
        date(2026, 3, 1),
    )
    # 30 of 31 March days against all 28 of February, not past its end.
    mar_30 = date(2026, 3, 30)
    assert comparable_window(date(2026, 3, 1), Freq.MONTH, mar_30) == (
        date(2026, 2, 1),
        date(2026, 3, 1),
    )


def test_today_is_never_a_full_day() -> None:
    assert last_full_day(date(2026, 12, 1), today=date(2026, 12, 1)) == NOV_30
    assert last_full_day(NOV_30, today=date(2026, 12, 1)) == NOV_30
    assert last_full_day(date(2026, 11, 20), today=date(2026, 12, 1)) == date(2026, 11, 20)
    # A demo drawn ahead of the clock is taken as it stands.
    assert last_full_day(date(2027, 1, 15), today=date(2026, 12, 1)) == date(2027, 1, 15)
    assert last_full_day(None) is None
    assert first_incomplete(None, Freq.MONTH) == date.min


def test_complete_column_of_a_frame() -> None:
    ds = pd.Series(pd.to_datetime(["2026-07-01", "2026-10-01", "2027-01-01"]))
    assert complete_column(ds, "quarter", NOV_30).tolist() == [True, False, False]
    assert complete_column(ds.iloc[:0], "quarter", NOV_30).tolist() == []
    assert complete_column(ds, "month", None).tolist() == [False, False, False]


def test_actuals_mark_the_running_month_and_quarter(demo_store: Store) -> None:
    # The demo runs to 26 November: November and Q4 are partial, October and Q3 complete.
    quarters = demo_store.actuals("cost", Freq.QUARTER)
    assert quarters["complete"].tolist()[-2:] == [True, False]
    assert quarters["period"].iloc[-1] == "2026Q4"
    months = demo_store.actuals("cost", Freq.MONTH)
    assert months.set_index("period")["complete"].tail(2).to_dict() == {
        "2026-10": True,
        "2026-11": False,
    }
    assert months["complete"].iloc[:-1].all()


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
freqs = st.sampled_from(STORED_FREQS)


@given(days, days, freqs)
def test_complete_means_every_day_covered(day: date, last_full: date, freq: Freq) -> None:
    start = period_start(day, freq)
    length = (period_end(start, freq) - start).days
    covered = days_covered(start, freq, last_full)
    assert 0 <= covered <= length
    assert is_complete(start, freq, last_full) == (covered == length)
    assert (start < first_incomplete(last_full, freq)) == is_complete(start, freq, last_full)


@given(days, days, freqs)
def test_a_comparison_never_takes_more_days_than_are_covered(
    day: date, last_full: date, freq: Freq
) -> None:
    start = period_start(day, freq)
    first, end = comparable_window(start, freq, last_full)
    assert first == period_start(start - timedelta(days=1), freq)
    assert first <= end <= period_end(first, freq)
    if not is_complete(start, freq, last_full):
        assert (end - first).days <= days_covered(start, freq, last_full)
