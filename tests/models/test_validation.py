"""The long-format contract: bad frames fail naming row and column; frequencies and gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputError
from forecasting.models.validation import (
    frequency_from_alias,
    infer_frequency,
    regularize,
    user_frequency,
    validate_series,
)


def _frame(ds: list[str], y: list[object], uid: str = "a") -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": y})


def test_missing_column_is_named() -> None:
    with pytest.raises(InputError, match="missing column"):
        validate_series(pd.DataFrame({"ds": ["2024-01-01"], "value": [1]}), source="x.csv")


def test_bad_date_names_row_and_column() -> None:
    with pytest.raises(InputError) as info:
        validate_series(_frame(["2024-01-01", "soon"], [1, 2]), source="x.csv")
    assert "file x.csv, row 2, column 'ds'" in str(info.value)


def test_text_value_names_row_and_column() -> None:
    with pytest.raises(InputError) as info:
        validate_series(_frame(["2024-01-01", "2024-02-01", "2024-03-01"], [1, "n/a", 3]))
    assert "row 2, column 'y'" in str(info.value) and "n/a" in str(info.value)


def test_blank_value_is_a_gap_not_an_error() -> None:
    out = validate_series(_frame(["2024-01-01", "2024-02-01", "2024-03-01"], [1, "", 3]))
    assert np.isnan(out["y"].iloc[1])


def test_repeated_date_is_refused() -> None:
    with pytest.raises(InputError, match="repeats"):
        validate_series(_frame(["2024-01-01", "2024-01-01"], [1, 2]))


def test_infinite_value_is_refused() -> None:
    with pytest.raises(InputError, match="finite"):
        validate_series(_frame(["2024-01-01", "2024-02-01"], [1, "inf"]))


@pytest.mark.parametrize(
    ("alias", "label", "season"),
    [
        ("D", "day", 7),
        ("W-MON", "week", 52),
        ("MS", "month", 12),
        ("ME", "month", 12),
        ("QS-JAN", "quarter", 4),
        ("YS-JAN", "year", 1),
        ("h", "hour", 24),
    ],
)
def test_frequency_is_inferred(alias: str, label: str, season: int) -> None:
    ds = pd.Series(pd.date_range("2021-01-04", periods=30, freq=alias))
    freq = infer_frequency(ds)
    assert (freq.label, freq.season_length) == (label, season)
    gappy = ds.drop(index=[5, 11])  # gaps do not hide the frequency
    assert infer_frequency(gappy).label == label


def test_irregular_dates_ask_for_freq() -> None:
    ds = pd.Series(
        pd.to_datetime(
            ["2024-01-01", "2024-01-04", "2024-01-05 10:00", "2024-01-12"], format="mixed"
        )
    )
    with pytest.raises(InputError, match="--freq"):
        infer_frequency(ds)


def test_user_frequency_anchors_on_first_date() -> None:
    freq = user_frequency("quarter", pd.Timestamp("2024-02-01"))
    assert list(freq.future(pd.Timestamp("2024-02-01"), 2)) == [
        pd.Timestamp("2024-05-01"),
        pd.Timestamp("2024-08-01"),
    ]
    with pytest.raises(InputError, match="unknown frequency"):
        user_frequency("fortnight", pd.Timestamp("2024-01-01"))


def test_few_gaps_are_interpolated_with_an_excuse() -> None:
    ds = pd.date_range("2020-01-01", periods=24, freq="MS")
    frame = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(24.0)}).drop(index=[5, 6])
    series, excuses = regularize(validate_series(frame), frequency_from_alias("MS"))
    y, last = series["a"]
    np.testing.assert_allclose(y, np.arange(24.0))
    assert last == ds[-1]
    assert len(excuses) == 1 and "2 missing period(s) filled" in str(excuses[0])


def test_mostly_missing_history_keeps_the_last_stretch() -> None:
    ds = pd.date_range("2020-01-01", periods=24, freq="MS")
    keep = [0, 3, 7, 12, *range(14, 24)]
    frame = pd.DataFrame({"unique_id": "a", "ds": ds[keep], "y": np.arange(24.0)[keep]})
    series, excuses = regularize(validate_series(frame), frequency_from_alias("MS"))
    np.testing.assert_allclose(series["a"][0], np.arange(14.0, 24.0))
    assert "only the 10 periods after the last gap" in str(excuses[0])


def test_off_grid_date_is_refused() -> None:
    frame = _frame(["2024-01-01", "2024-02-01", "2024-02-15", "2024-03-01"], [1, 2, 3, 4])
    with pytest.raises(InputError, match="not on the month grid"):
        regularize(validate_series(frame), frequency_from_alias("MS"))


def test_one_sparse_series_gets_its_reason_and_the_others_are_kept() -> None:
    """Issue 12 item 3: one service billed in two months 10 apart failed every --by forecast."""
    ds = pd.date_range("2023-01-01", periods=24, freq="MS")
    regular = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(24.0)})
    sparse = _frame(["2023-11-01", "2024-09-01"], [1.0, 2.0], uid="b")
    series, excuses = regularize(
        validate_series(pd.concat([regular, sparse])), frequency_from_alias("MS")
    )
    assert list(series) == ["a"]
    assert [e.context["unique_id"] for e in excuses] == ["b"]
    assert "2 values 10 months apart, too sparse to forecast per month" in str(excuses[0])
    with pytest.raises(InputError, match="state the right --freq"):  # alone, it is the freq
        regularize(validate_series(sparse), frequency_from_alias("MS"))
