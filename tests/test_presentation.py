"""The presentation module: oracle values for each formatter and properties over any input."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.presentation import (
    MISSING,
    cell_text,
    column_formats,
    display_table,
    format_date,
    format_datetime,
    format_money,
    format_month,
    format_month_days,
    format_number,
    format_percent,
    format_period,
    format_quarter,
    format_rate,
    header,
    model_label,
    readable_note,
    readable_notes,
    readable_text,
    running_label,
)
from tests.readable import code_name_header, machine_label, machine_printed, machine_prose

CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF", "INR"]


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (49694.555949156944, "USD", "49,695 USD"),
        (1035.2787380000009, "USD", "1,035 USD"),
        (-1035.2787380000009, "EUR", "-1,035 EUR"),
        (12.4, "EUR", "12.40 EUR"),
        (-12.4, "GBP", "-12.40 GBP"),
        (0.0, "USD", "0 USD"),
        (-0.001, "USD", "0.00 USD"),
        (1234.56, "JPY", "1,235 JPY"),
        (12.4, "JPY", "12 JPY"),
        (1.23e12, "CHF", "1,230,000,000,000 CHF"),
        (float("nan"), "USD", MISSING),
        (None, "USD", MISSING),
    ],
)
def test_money_oracle(value: float | None, currency: str, expected: str) -> None:
    assert format_money(value, currency) == expected


def test_a_change_is_signed_and_zero_is_not() -> None:
    assert format_money(1018.4, "USD", cents=False, signed=True) == "+1,018 USD"
    assert format_money(-1018.4, "EUR", cents=False, signed=True) == "-1,018 EUR"
    assert format_money(-0.3, "USD", cents=False, signed=True) == "0 USD"
    assert format_money(0.0, "GBP", signed=True) == "0 GBP"


def test_money_cents_can_be_asked_for_or_refused() -> None:
    assert format_money(17035.28, "USD", cents=True) == "17,035.28 USD"
    assert format_money(12.4, "USD", cents=False) == "12 USD"
    assert format_money(12.4, "JPY", cents=True) == "12 JPY"


def test_rates_keep_their_precision() -> None:
    assert format_rate(0.0416, "USD", "hour") == "0.0416 USD/hour"
    assert format_rate(0.632183, "USD") == "0.6322 USD"
    assert format_rate(140.1645) == "140.16"
    assert format_rate(float("nan")) == MISSING


def test_numbers_and_percent_oracle() -> None:
    assert format_number(1234567.891, 0) == "1,234,568"
    assert format_number(-0.002340788589073009) == "-0.0023"
    assert format_number(-0.0001, 2) == "0.00"
    assert format_number(float("inf")) == "∞"
    assert format_percent(12.345) == "12.3%"
    assert format_percent(-2.34) == "-2.3%"
    assert format_percent(0.2435, fraction=True) == "24.4%"
    assert format_percent(0) == "0.0%"
    assert format_percent(float("nan")) == MISSING


def test_periods_oracle() -> None:
    assert format_month(date(2026, 11, 1)) == "Nov 2026"
    assert format_month("2026-11") == "Nov 2026"
    assert format_month(pd.Timestamp("2026-11-01 00:00:00")) == "Nov 2026"
    assert format_quarter(pd.Timestamp("2026-10-01")) == "2026 Q4"
    assert format_quarter(date(2026, 11, 30)) == "2026 Q4"
    assert format_quarter("2026Q4") == "2026 Q4"
    assert format_date(pd.Timestamp("2026-10-01 00:00:00")) == "1 Oct 2026"
    assert format_datetime(datetime(2026, 11, 30, 14, 5, 59)) == "30 Nov 2026 14:05 UTC"
    assert format_datetime(pd.Timestamp("2026-11-30")) == "30 Nov 2026"
    assert format_period(date(2026, 2, 1), "quarter") == "2026 Q1"
    assert format_period(date(2026, 2, 1), "month") == "Feb 2026"
    assert format_period(date(2026, 2, 1), "day") == "1 Feb 2026"
    assert format_month(pd.NaT) == MISSING


def test_model_labels_keep_the_spec_for_the_tooltip() -> None:
    assert model_label("combo(ets+theta+arima+seasonal_naive)") == "Median of 4 models"
    assert model_label("combo(theta)") == "Theta"
    assert model_label("ets") == "Exponential smoothing"
    assert model_label("something_new") == "Something new"
    frame = pd.DataFrame({"model": ["combo(ets+theta)", "naive"]})
    (fmt,) = column_formats(frame)
    assert fmt.kind == "model"
    assert fmt.help is not None and "combo(ets+theta)" in fmt.help
    assert display_table(frame).frame["Model"].tolist() == ["Median of 2 models", "Last value"]


@pytest.mark.parametrize(
    "name",
    [
        "unique_id",
        "ds",
        "y",
        "last_finished",
        "run_id",
        "monthly_cost",
        "users_lower",
        "cost_per_million_requests",
        "hourly_commitment_usd",
        "threshold_pct",
        "change_percent",
    ],
)
def test_headers_are_words(name: str) -> None:
    assert not code_name_header(header(name)), header(name)
    assert "_" not in header(name)


def test_header_oracle() -> None:
    assert header("unique_id") == "Series"
    assert header("last_finished") == "Last run finished"
    assert header("users_lower") == "Users (low)"
    assert header("requests_per_second_peak_upper") == "Peak requests/s (high)"
    assert header("monthly_savings") == "Monthly savings"


def _demo_like() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": ["total"] * 3,
            "ds": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-11-01"]),
            "forecast": [49694.555949156944, 1035.2787380000009, 17035.28],
            "lower": [-0.002340788589073009, 900.0, 16000.0],
            "upper": [60000.123456, 1100.0, 18000.0],
            "level": [80.0, 80.0, 80.0],
            "coverage": [0.2435, 0.5, 1.0],
            "per_user": [0.0100081, 0.049844, 0.0201],
            "run_id": [1, 2, 3],
            "complete": [True, True, False],
        }
    )


def test_display_table_of_a_forecast_frame() -> None:
    table = display_table(_demo_like(), currency="EUR")
    expected = "Series|Period|Forecast (EUR)|Low (EUR)|High (EUR)|Level|Coverage|Per user (EUR)"
    assert list(table.frame.columns) == [*expected.split("|"), "Run", "Complete period"]
    assert table.frame["Period"].tolist() == ["Sep 2026", "Oct 2026", "Nov 2026"]
    # The band shares the centre's precision; cents follow its typical amount (thousands),
    # not the one value near zero.
    assert table.frame["Forecast (EUR)"].tolist() == [49695.0, 1035.0, 17035.0]
    config = table.column_config()
    assert config["Forecast (EUR)"] == {"type": "number", "format": "%,.0f", "help": None}
    assert config["Coverage"]["format"] == "%.1f%%"
    assert config["Level"]["format"] == "%.0f%%"
    # One precision down the column: 24.4%, 50.0%, 100.0% (never "100%" beside "24.4%").
    assert table.frame["Coverage"].tolist() == [24.4, 50.0, 100.0]
    raw = display_table(_demo_like(), currency="EUR", round_numbers=False)
    assert raw.frame["Forecast (EUR)"].iloc[0] == 49694.555949156944
    assert config["Per user (EUR)"]["format"] == "%,.4f"
    assert config["Run"]["format"] == "%d"
    assert config["Complete period"]["type"] == "checkbox"
    assert table.columns["Level"].excel == '0"%"'
    assert table.columns["Coverage"].excel == "0.0%"


def test_daily_dates_drop_the_midnight_and_quarters_read_as_quarters() -> None:
    frame = pd.DataFrame(
        {
            "ds": pd.to_datetime(["2026-10-01", "2026-10-02"]),
            "quarter": ["2026Q3", "2026Q4"],
            "origin": pd.to_datetime(["2026-07-01", "2026-10-01"]),
        }
    )
    table = display_table(frame)
    assert table.frame["Period"].tolist() == [date(2026, 10, 1), date(2026, 10, 2)]
    assert table.frame["Quarter"].tolist() == ["2026 Q3", "2026 Q4"]
    assert table.frame["Origin"].tolist() == ["2026 Q3", "2026 Q4"]
    assert table.column_config()["Period"] == {
        "type": "date",
        "format": "D MMM YYYY",
        "help": None,
    }
    single = display_table(frame.head(1)[["ds"]], freq="month")
    assert single.frame["Period"].tolist() == ["Oct 2026"]


def test_actuals_frame_takes_its_currency_from_the_unit() -> None:
    frame = pd.DataFrame(
        {
            "ds": ["2026-07-01", "2026-10-01"],
            "period": ["2026Q3", "2026Q4"],
            "value": [37055.952906, 32466.438344],
            "unit": ["USD", "USD"],
        }
    )
    table = display_table(frame)
    assert list(table.frame.columns) == ["Period", "Value (USD)"]
    assert table.frame["Value (USD)"].tolist() == [37056.0, 32466.0]


def test_empty_and_all_missing_frames() -> None:
    empty = display_table(pd.DataFrame(columns=["ds", "y"]))
    assert list(empty.frame.columns) == ["Period", "Value"]
    blank = display_table(pd.DataFrame({"tag_key": [None, None], "cost": [np.nan, np.nan]}))
    assert blank.columns["Tag key"].kind == "text"


amounts = st.floats(min_value=-1e13, max_value=1e13, allow_nan=False, allow_infinity=False)


@given(amounts, st.sampled_from(CURRENCIES))
def test_money_reads_back_within_its_shown_precision(value: float, currency: str) -> None:
    text = format_money(value, currency)
    number, code = text.rsplit(" ", 1)
    assert code == currency
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d{2})?", number), text
    decimals = len(number.partition(".")[2])
    shown = float(number.replace(",", ""))
    assert math.isclose(shown, value, rel_tol=1e-12, abs_tol=0.5 * 10**-decimals + 1e-9)
    assert not re.fullmatch(r"-0(\.0+)?", number), "negative zero"
    assert not machine_printed(text)


# No deadline: building a frame per example takes tens of milliseconds on a busy machine.
@settings(deadline=None)
@given(st.lists(amounts, min_size=1, max_size=20), st.sampled_from(CURRENCIES))
def test_any_money_column_reads_as_a_person_reads_it(values: list[float], currency: str) -> None:
    frame = pd.DataFrame({"monthly_cost": values, "change_percent": values})
    table = display_table(frame, currency=currency)
    for label, fmt in table.columns.items():
        assert not code_name_header(label)
        for raw, shown in zip(frame[fmt.name], table.frame[label], strict=True):
            assert not machine_printed(fmt.text(raw))
            assert shown == round(shown, fmt.decimals)


@given(st.floats(min_value=1e-6, max_value=1e6), st.sampled_from(CURRENCIES))
def test_rates_never_round_to_nothing(value: float, currency: str) -> None:
    shown = format_rate(value, currency).split(" ")[0]
    assert float(shown.replace(",", "")) > 0 or value < 5e-5


def test_machine_printed_check_catches_the_issues_examples() -> None:
    machine = "49694.555949156944|2026-10-01 00:00:00|-0.002340788589073009|1035.2787380000009"
    for cell in [*machine.split("|"), "1,035.279"]:
        assert machine_printed(cell), cell
    for cell in ["49,695", "1,035.28", "0.0416", "-0.0023", "Nov 2026", "2026 Q4", "12.3%"]:
        assert not machine_printed(cell), cell


def test_a_running_period_says_so_in_words() -> None:
    to = date(2026, 11, 26)
    assert running_label("2026-11-01", "month", to, whole=False) == "Nov 2026 (to 26 Nov)"
    assert running_label("2026-10-01", "quarter", to, whole=True) == (
        "2026 Q4 (running, data to 26 Nov)"
    )
    # Ended periods and periods the data has not reached (a forecast) keep their label.
    assert running_label("2026-10-01", "month", to, whole=False) == "Oct 2026"
    assert running_label("2026-12-01", "month", to, whole=True) == "Dec 2026"
    assert running_label("2026-11-01", "month", date(2026, 11, 30), whole=False) == "Nov 2026"
    assert running_label("2026-11-01", "month", None, whole=False) == "Nov 2026"
    assert running_label("2026-11-26", "day", to, whole=False) == "26 Nov 2026"


def test_display_table_writes_the_running_mark_into_the_period_label() -> None:
    actuals = pd.DataFrame(
        {
            "ds": pd.to_datetime(["2026-10-01", "2026-11-01"]),
            "period": ["2026-10", "2026-11"],
            "value": [16_000.4, 13_705.2],
            "unit": "USD",
            "complete": [True, False],
        }
    )
    shown = display_table(actuals, data_to=date(2026, 11, 26)).frame
    assert shown.columns.tolist() == ["Period", "Value (USD)"]  # complete: in the label
    assert shown["Period"].tolist() == ["Oct 2026", "Nov 2026 (to 26 Nov)"]
    plan = pd.DataFrame(
        {"quarter": ["2026Q3", "2026Q4", "2027Q1"], "users": [1.0, 2.0, 3.0], "complete": [1, 0, 0]}
    )
    shown = display_table(plan, data_to=date(2026, 11, 26), whole=True).frame
    assert shown["Quarter"].tolist() == ["2026 Q3", "2026 Q4 (running, data to 26 Nov)", "2027 Q1"]
    # Without the day the data runs to, the complete column is shown as it is.
    assert "Complete period" in display_table(actuals).frame.columns


def test_cents_follow_a_columns_typical_amount() -> None:
    changes = pd.DataFrame({"change": [1066.89, 439.58, 218.98, 22.13, 11.18]})
    assert column_formats(changes, currency="USD")[0].decimals == 0
    fees = pd.DataFrame({"fee": [12.4, 8.15, 150.0]})
    assert column_formats(fees, currency="USD")[0].decimals == 2
    stated = pd.DataFrame({"modelled_monthly": [223.8, 81.7], "implied_base": [4000.0, None]})
    kinds = [f.kind for f in column_formats(stated, currency="USD")]
    assert kinds == ["money", "money"]


def test_machine_label_check_catches_code_names_and_machine_periods() -> None:
    for cell in ("db_connection_pool_utilization", "no_upfront", "2026-11", "2026Q4", "{}"):
        assert machine_label(cell), cell
    assert machine_label('{"database":"apex-prod-db"}')
    for cell in ("Nov 2026", "2026 Q4", "forecast", "look-back 7 days", "m6i.xlarge", "n+1"):
        assert not machine_label(cell), cell


def test_dimensions_stored_as_json_read_as_words() -> None:
    """The Data page's gaps name each series' dimensions as the store keeps them (JSON)."""
    frame = pd.DataFrame(
        {"dimensions": ['{"database":"apex-prod-db"}', "{}", '{"a":"x","b":"y"}', "{not json}"]}
    )
    shown = display_table(frame).frame.iloc[:, 0].tolist()
    assert shown == ["database: apex-prod-db", MISSING, "a: x, b: y", "{not json}"]


def test_series_and_metric_columns_read_in_words() -> None:
    frame = pd.DataFrame(
        {"metric": ["db_connection_pool_utilization", "users"], "unique_id": ["total", "CDN"]}
    )
    shown = display_table(frame).frame
    assert shown["Metric"].tolist() == ["DB connection pool utilization", "Users"]
    assert shown["Series"].tolist() == ["Total", "CDN"]


def test_a_library_note_names_its_series_in_words() -> None:
    running = "series 'users': Dec 2026 is running (1 of 31 days observed): its figure is ..."
    assert (
        readable_note(running)
        == "Users: Dec 2026 is running (1 of 31 days observed): its figure is ..."
    )
    assert readable_note("series 'requests_per_second' is constant: forecast is that constant") == (
        "Requests/s is constant: forecast is that constant"
    )
    # A cost group keeps its own name; a note about no series, or a quote later on, is kept.
    assert readable_note("series 'Amazon CloudFront': level shift of +40%").startswith(
        "Amazon CloudFront: level shift"
    )
    assert readable_note("no series 'x' here") == "no series 'x' here"


def test_dates_inside_a_sentence_read_as_people_write_them() -> None:
    """The library's evidence and reasons keep ISO dates (the CLI's, a script's); a page
    reads them as "18 Nov 2026", "Nov 2026", "2026 Q4", never inside a path or a name."""
    text = (
        "14 days (2026-11-18 to 2026-12-01); the bill ($1,781 in 2026-11); base month "
        "2026-02 (the month the plan describes); 2026Q4; see /data/2026-11-01.csv and v1.2026-11"
    )
    assert readable_text(text) == (
        "14 days (18 Nov 2026 to 1 Dec 2026); the bill ($1,781 in Nov 2026); base month "
        "Feb 2026 (the month the plan describes); 2026 Q4; see /data/2026-11-01.csv and v1.2026-11"
    )
    assert machine_prose(readable_text(text)) == []
    assert machine_prose(text) == ["2026-11-18", "2026-12-01", "2026-11", "2026-02", "2026Q4"]
    # A library note on a page goes through the same words.
    assert readable_note("series 'users': runs to 2026-11-26") == "Users: runs to 26 Nov 2026"


def test_accuracy_figures_carry_their_unit_in_sentences_and_tables() -> None:
    """sMAPE and MAPE are percentages: "sMAPE 10.0" is refused, "sMAPE 10.0%" is read."""
    assert machine_prose("sMAPE 10.0 for the chain against 25.7") == ["sMAPE 10.0"]
    assert machine_prose("sMAPE 10.0% for the chain against 25.7%; bias -10.1%") == []
    scores = pd.DataFrame({"method": ["demand chain"], "smape": [9.95], "mape": [9.2381]})
    kinds = {f.name: (f.kind, f.label) for f in column_formats(scores)}
    assert kinds["smape"] == ("percent", "sMAPE %") and kinds["mape"] == ("percent", "MAPE %")
    shown = display_table(scores).frame
    assert list(shown["sMAPE %"]) == [10.0] and list(shown["MAPE %"]) == [9.2]


def test_a_quarter_per_month_is_money_with_its_currency() -> None:
    """A quarter's forecast / 3 (and its band) is money: headed with its currency."""
    frame = pd.DataFrame(
        {
            "ds": pd.to_datetime(["2027-01-01", "2027-04-01"]),
            "forecast": [53749.2, 62304.1],
            "forecast_per_month": [17916.4, 20768.03],
            "lower_per_month": [16104.2, 16635.7],
            "upper_per_month": [22002.9, 33154.4],
            "unit": ["USD", "USD"],
        }
    )
    labels = {f.name: (f.kind, f.label) for f in column_formats(frame)}
    assert labels["forecast_per_month"] == ("money", "Forecast per month (USD)")
    assert labels["lower_per_month"] == ("money", "Lower per month (USD)")
    assert labels["upper_per_month"] == ("money", "Upper per month (USD)")


def test_a_running_month_compared_day_for_day_names_its_days() -> None:
    assert format_month_days("2026-11", 26) == "Nov 2026 1–26"
    assert format_month_days("2026-12-01", 1) == "1 Dec 2026"  # not "Dec 2026 1–1"
    assert format_month_days("2026-11", None) == "Nov 2026"


def test_a_variance_reads_as_the_difference_of_its_shown_figures() -> None:
    """A reader subtracts the two figures shown: 1,781 - 1,594 is 187, though the exact change
    (187.5) rounds to 188 on its own. The change shares their precision, even where the
    changes alone are small enough for cents; the CSV keeps the exact figure."""
    frame = pd.DataFrame(
        {
            "group": ["Compute", "CDN", "Misc"],
            "previous": [8000.6, 1593.6, 400.0],
            "current": [8884.2, 1781.1, 400.2],
            "change": [883.6, 187.5, 0.2],
            "change_percent": [11.04, 11.77, 0.05],
        }
    )
    shown = display_table(frame, currency="USD").frame
    assert shown["Previous (USD)"].tolist() == [8001.0, 1594.0, 400.0]
    assert shown["Current (USD)"].tolist() == [8884.0, 1781.0, 400.0]
    assert shown["Change (USD)"].tolist() == [883.0, 187.0, 0.0]
    steady = frame.assign(current=frame["previous"] + [9.7, 4.2, 0.0])
    steady["change"] = steady["current"] - steady["previous"]
    shown = display_table(steady, currency="USD")
    assert shown.columns["Change (USD)"].decimals == 0  # alone, 9.7 and 4.2 would show cents
    assert shown.frame["Change (USD)"].tolist() == [9.0, 4.0, 0.0]  # 8,010 - 8,001
    small = frame.assign(previous=[10.0, 20.0, 30.0], current=[10.5, 21.25, 30.0])
    small["change"] = small["current"] - small["previous"]
    assert display_table(small, currency="USD").frame["Change (USD)"].tolist() == [0.5, 1.25, 0.0]
    exact = display_table(frame, currency="USD", round_numbers=False)
    assert exact.frame["Change (USD)"].tolist() == [883.6, 187.5, 0.2]


def test_a_card_reads_a_tables_figure_at_the_columns_precision() -> None:
    # A column of whole shares prints no decimals, one with a tenth prints one: a card
    # repeating the table's figure follows the column, not a fixed precision.
    whole = pd.DataFrame({"utilisation": [1.0, 0.98]})
    tenths = pd.DataFrame({"utilisation": [1.0, 0.768]})
    assert cell_text(whole, "utilisation", 1.0) == "100%"
    assert cell_text(tenths, "utilisation", 1.0) == "100.0%"
    assert cell_text(tenths, "utilisation", 0.768) == "76.8%"
    money = pd.DataFrame({"monthly_savings_usd": [1234.5, 20.25], "currency": ["USD", "USD"]})
    (fmt,) = [f for f in column_formats(money) if f.name == "monthly_savings_usd"]
    assert fmt.kind == "money"
    assert cell_text(money, "monthly_savings_usd", 1234.5) == "1,235"


def test_notes_saying_the_same_of_several_series_are_one_line() -> None:
    running = "Dec 2026 is running (2 of 31 days observed): its figure is partial"
    notes = [
        f"series 'users': {running}",
        f"series 'total': {running}",
        "series 'users' is constant: forecast is that constant",
        f"series 'total': {running}",
        "series 'cdn': runs to 2026-11-26",
    ]
    assert readable_notes(notes) == [
        f"Users and Total: {running}",
        "Users is constant: forecast is that constant",
        "CDN: runs to 26 Nov 2026",
    ]
    assert readable_notes([]) == []


def test_amounts_in_running_text_keep_their_currency() -> None:
    from forecasting.presentation.figures import format_amount

    assert format_amount(1026.67, "USD") == "$1,027"
    assert format_amount(-1026.67, "USD") == "-$1,027"
    assert format_amount(-0.2, "USD") == "$0"
    assert format_amount(1026.67, "EUR") == "1,027 EUR"
    assert format_amount(float("nan"), "EUR") == "—"


def test_numbers_longer_than_decimals_default_precision_still_print() -> None:
    from decimal import Decimal

    assert format_number(8.280397574032637e45, 0) == f"{Decimal('8.280397574032637e45'):,.0f}"
    assert format_number(1.5e30, 2).endswith(".00")


def test_a_cells_text_reads_its_band_alone_as_the_whole_table_formats_it() -> None:
    """``cell_text`` formats a card's figure from its column's band only (a commitments
    table's every column took ~180 ms to classify per card): each column, alone, has the
    kind, precision and currency it has in the whole table, and reads its cells alike."""
    frames = [
        pd.DataFrame(
            {
                "scope": ["Compute Savings Plan", "EC2 Instance"],
                "method": ["forecast", "look-back 30 d"],
                "hourly_commitment_usd": [1.23456, 0.5],
                "expected_monthly_savings_usd": [412.345, 98.2],
                "lower": [300.12, 80.0],
                "upper": [501.0, 120.5],
                "utilisation": [0.9734, 0.88],
                "lookback_utilisation": [0.9912, 0.95],
                "break_even_month": [3, 5],
            }
        ),
        pd.DataFrame(
            {
                "group": ["Compute", "CDN"],
                "previous": [8001.2, 1594.4],
                "current": [8884.9, 1781.6],
                "change": [883.7, 187.2],
                "change_pct": [0.11, 0.117],
                "currency": ["EUR", "EUR"],
            }
        ),
        pd.DataFrame(
            {
                "ds": pd.to_datetime(["2026-10-01", "2026-11-01"]),
                "forecast": [17203.4, 18002.9],
                "lower": [12745.1, 13000.0],
                "upper": [21661.0, 23000.2],
                "users_per_month": [25000.5, 26000.25],
                "complete": [1, 0],
            }
        ),
    ]
    for frame in frames:
        whole = {f.name: f for f in column_formats(frame)}
        for name in frame.columns:
            (alone,) = [f for f in column_formats(frame, band_of=name) if f.name == name]
            got = (alone.kind, alone.decimals, alone.currency, alone.help)
            assert got == (
                whole[name].kind,
                whole[name].decimals,
                whole[name].currency,
                whole[name].help,
            ), name
            for value in frame[name]:
                assert cell_text(frame, name, value) == whole[name].text(value), (name, value)
