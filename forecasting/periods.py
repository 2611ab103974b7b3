"""Whether a day, month or quarter has ended in the data, and the same days of the one before.

One helper decides it for every table, chart and CSV: a period is complete when the data
covers its last day and that day is over (today, UTC, is still running). The running month
and quarter are partial: tables carry ``complete = False`` and comparisons take the same
number of days from the period before, never a whole period against part of one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd

from forecasting.interface import STORED_FREQS, Freq

_MONTHS = {Freq.MONTH: 1, Freq.QUARTER: 3}


def today_utc() -> date:
    return datetime.now(UTC).date()


def last_full_day(last_day: date | None, today: date | None = None) -> date | None:
    """The last day the data covers completely: its last day, unless that is today (UTC),
    which is still running (a Cost Explorer pull at noon holds half a day).

    Data dated after today (a demo drawn ahead, a test fixture) is taken as it stands.
    """
    if last_day is None:
        return None
    return last_day - timedelta(days=1) if last_day == (today or today_utc()) else last_day


def _stored(freq: Freq | str) -> Freq:
    """The buckets the store sums into; a week or a year is not one of them."""
    freq = Freq(freq)
    if freq not in STORED_FREQS:
        raise ValueError(f"periods are days, months or quarters, not {freq}")
    return freq


def period_start(day: date, freq: Freq | str) -> date:
    """The first day of the day, month or quarter holding ``day``."""
    freq = _stored(freq)
    if freq is Freq.DAY:
        return day
    if freq is Freq.MONTH:
        return day.replace(day=1)
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def period_end(start: date, freq: Freq | str) -> date:
    """The first day after the period that starts on ``start``."""
    freq = _stored(freq)
    if freq is Freq.DAY:
        return start + timedelta(days=1)
    month = start.month - 1 + _MONTHS[freq]
    return date(start.year + month // 12, month % 12 + 1, 1)


def is_complete(start: date, freq: Freq | str, last_full: date | None) -> bool:
    """True when the data covers the period's last day."""
    return last_full is not None and period_end(start, freq) - timedelta(days=1) <= last_full


def first_incomplete(last_full: date | None, freq: Freq | str) -> date:
    """The start of the first period the data does not cover to its end."""
    if last_full is None:
        return date.min
    start = period_start(last_full, freq)
    return period_end(start, freq) if is_complete(start, freq, last_full) else start


def complete_column(ds: pd.Series, freq: Freq | str, last_full: date | None) -> pd.Series:
    """``complete`` for each period start in ``ds`` (a frame's ``ds`` column)."""
    cutoff = pd.Timestamp(first_incomplete(last_full, freq))
    return pd.Series(pd.to_datetime(ds) < cutoff, index=ds.index, dtype=bool)


def days_covered(start: date, freq: Freq | str, last_full: date | None) -> int:
    """Days of the period that the data covers (all of them once it has ended)."""
    end = period_end(start, freq)
    if last_full is None or last_full < start:
        return 0
    return (min(end - timedelta(days=1), last_full) - start).days + 1


def comparable_window(
    start: date, freq: Freq | str, last_full: date | None, back: int = 1
) -> tuple[date, date]:
    """``[first, end)`` of the period ``back`` periods earlier, cut to the days covered of
    this one: Q4 to 30 Nov (61 days) compares with 1 Jul to 30 Aug, not with all of Q3."""
    earlier = start
    for _ in range(back):
        earlier = period_start(earlier - timedelta(days=1), freq)
    length = (period_end(earlier, freq) - earlier).days
    if is_complete(start, freq, last_full):
        return earlier, period_end(earlier, freq)
    days = min(days_covered(start, freq, last_full), length)
    return earlier, earlier + timedelta(days=days)
