"""The Forecast page: chart of actuals, backtests and forecast; tables; widgets recompute."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from forecasting.presentation import format_date
from forecasting.store import Store
from forecasting.views.forecast import as_of_dates
from tests.app.conftest import tables
from tests.readable import rounded_text


def _chart(at: AppTest) -> dict[str, object]:
    spec: dict[str, object] = json.loads(at.get("plotly_chart")[0].proto.spec)
    return spec


def test_forecast_page_renders_cost_with_backtests(app_at: Callable[[str | None], AppTest]) -> None:
    at = app_at("app_pages/forecast.py")
    assert not at.exception
    assert at.title[0].value == "Forecast"
    names = [trace["name"] for trace in _chart(at)["data"]]  # type: ignore[index]
    assert names[0] == "actual" and names[-2] == "forecast"
    labels = [m.label for m in at.metric]
    # The dotted lines are the backtests of the forecast of record, and say so.
    assert f"backtest forecasts, {at.metric[0].value.lower()}" in names
    # Total cost: the forecast of record and both methods' backtest errors, in words.
    assert labels[0] == "Cost forecast of record"
    assert at.metric[0].value in ("Demand chain", "Direct cost forecast")
    assert sum(label.endswith("(of record)") for label in labels) == 1
    # The direct forecast's card scores the forecast as made at each origin (its models
    # chosen there), not the backtest table's row of today's choice, and says so.
    helps = {m.label: m.help for m in at.metric}
    direct = next(v for k, v in helps.items() if "direct cost forecast" in k)
    chain = next(v for k, v in helps.items() if "demand chain" in k)
    assert "choosing its models from the history before it" in direct
    assert "choosing its models" not in chain
    assert any("The cost forecast of record is the" in c.value for c in at.caption)
    quarterly, backtest, methods, scores, monthly = tables(at)
    assert set(methods["method"]) == {"demand chain", "direct cost forecast"}
    assert methods["of_record"].sum() == len(quarterly)
    assert scores["selected"].sum() == 1
    # Beside the two forecasts: why they part ways by the last quarter shown, from its rows.
    last = methods[methods["ds"] == methods["ds"].max()].set_index("method")["forecast"]
    gap = next(c.value for c in at.caption if c.value.startswith("**Why the two differ by"))
    high, low = sorted(last, reverse=True)
    assert f"{round(high):,} USD/quarter is {high / low:.2f}x" in gap
    assert "the chain follows users, forecast to grow" in gap and "sMAPE" in gap
    # `complete` is written into the period's label on the page (the CSV keeps the column).
    assert list(monthly.columns) == [
        "unique_id",
        "ds",
        "forecast",
        "lower",
        "upper",
        "level",
        "model",
    ]
    assert len(monthly) == 12
    assert backtest["selected"].sum() == 1
    assert (quarterly["lower"] <= quarterly["forecast"]).all()
    # One grid: the quarter's band per month (its band / 3) stays in the CSV, off the page.
    assert sum(grid.value.equals(quarterly) for grid in at.dataframe) == 1
    assert "forecast_per_month" in quarterly and "lower_per_month" not in quarterly


def test_the_running_month_and_quarter_are_marked(
    app_at: Callable[[str | None], AppTest], demo_db: Path
) -> None:
    """The demo stops inside Nov 2026: its row is a nowcast, ringed on the chart and named in
    the legend and over the point; the tables say it in the period's label."""
    with Store(demo_db, read_only=True) as store:
        to = store.last_full_day("cost")
    assert to is not None and to.month == 11
    at = app_at("app_pages/forecast.py")
    chart = _chart(at)
    running = chart["data"][-1]  # type: ignore[index]
    assert running["name"] == "Nov 2026: nowcast"
    assert running["marker"]["symbol"] == "circle-open"
    assert [x[:10] for x in running["x"]] == ["2026-11-01"]
    notes = [a["text"].replace("<br>", " ") for a in chart["layout"]["annotations"]]  # type: ignore[index]
    assert notes == [f"running, data to {format_date(to)}: observed days + forecast"]
    quarterly, _, methods, _, monthly = tables(at)
    mark = f" (running, data to {to.day} {to:%b})"
    assert monthly["ds"].tolist()[:2] == ["Nov 2026" + mark, "Dec 2026"]
    assert quarterly["ds"].tolist()[:2] == ["2026 Q4" + mark, "2027 Q1"]
    # Both cost methods' quarters: the running one marked, no bare "complete" checkboxes.
    assert (methods["ds"] == "2026 Q4" + mark).sum() == 2 and "complete" not in methods
    running_notes = [s.proto.body for s in at.caption if "Nov 2026 is running" in s.proto.body]
    # Each note names its series as the page does ("Total: ..."), never by its quoted id.
    assert running_notes and not [n for n in running_notes if "series '" in n], running_notes


def test_changing_the_horizon_and_series_recomputes(
    app_at: Callable[[str | None], AppTest],
) -> None:
    at = app_at("app_pages/forecast.py")
    at.slider[0].set_value(6).run()
    assert not at.exception
    assert len(tables(at)[-1]) == 6
    at.selectbox[0].select("Cost by cost group").run()
    assert not at.exception
    assert at.selectbox[3].value == "Compute"  # the largest group is shown first
    traces = {t["name"]: t for t in _chart(at)["data"]}  # type: ignore[index]
    assert len(traces["forecast"]["x"]) == 6


def test_users_band_coverage_is_shown_with_and_without_the_prior(
    app_at: Callable[[str | None], AppTest],
) -> None:
    """The prior widens the band beyond the backtest's own errors: the page shows the
    coverage they alone would give beside the band's, both from the backtest table shown."""
    at = app_at("app_pages/forecast.py")
    at.selectbox[0].select("Users").run()
    assert not at.exception
    cards = {m.label: m.value for m in at.metric}
    backtest = tables(at)[1]
    row = backtest[backtest["selected"]].iloc[0]
    assert cards["Backtest coverage, 80% band"] == rounded_text(row["coverage"], 0, "%")
    assert cards["Without the population prior"] == rounded_text(row["coverage_no_prior"], 0, "%")
    assert row["coverage_no_prior"] <= row["coverage"]
    assert any("*without the population prior*" in m.value for m in at.markdown)


def test_the_page_says_why_the_band_is_as_wide_as_it_is(
    app_at: Callable[[str | None], AppTest],
) -> None:
    """Under the chart: the last month's band against its forecast, how much of its width
    the series' own backtest errors set (the demo's users: a short history, so the prior
    widens the far months) and how many backtest origins reach that far."""
    at = app_at("app_pages/forecast.py")
    at.selectbox[0].select("Users").run()
    assert not at.exception
    note = next(c.value for c in at.caption if c.value.startswith("**Why the band is this wide"))
    last = tables(at)[-1].iloc[-1]
    backtest = tables(at)[1]
    row = backtest[backtest["selected"]].iloc[0]
    assert (
        f"runs from {rounded_text(last['lower'], 0)} to {rounded_text(last['upper'], 0)} " in note
    )
    ratio = rounded_text(last["upper"] / last["forecast"], 1)
    assert f"around a forecast of {rounded_text(last['forecast'], 0)}: its top is {ratio}x" in note
    evidence = (
        f"({row['errors']:.0f} errors from {row['windows']:.0f} origins, "
        f"up to {row['horizon']:.0f} months"
    )
    assert evidence in note
    assert "The other " in note and "is the population prior" in note
    # Total cost of record is the demand chain's band, and the note says whose it is.
    at.selectbox[0].select("Cost, total").run()
    notes = [c.value for c in at.caption if c.value.startswith("**Why the band is this wide")]
    assert len(notes) == 1 and ("demand chain's" in notes[0]) == (
        at.metric[0].value == "Demand chain"
    )


def test_the_forecast_as_of_a_month_end_beside_what_happened(
    app_at: Callable[[str | None], AppTest],
) -> None:
    at = app_at("app_pages/forecast.py")
    as_of = at.selectbox[2]
    assert as_of.value is None and "End of Nov 2025" in as_of.options
    as_of.set_value(date(2025, 11, 30)).run()
    assert not at.exception
    assert [m.label for m in at.metric] == [
        "Forecast then, total",
        "Actual total",
        "Error of the total",
    ]
    assert any(
        "As of 30 Nov 2025 the cost forecast of record was the" in c.value for c in at.caption
    )
    chart = _chart(at)
    assert "forecast made" in [a["text"] for a in chart["layout"]["annotations"]]  # type: ignore[index]
    backtest, methods, monthly = tables(at)
    assert set(methods["method"]) == {"demand chain", "direct cost forecast"}
    assert set(backtest["method"]) == set(methods["method"]) and backtest["selected"].sum() == 1
    assert monthly["ds"].iloc[0] == "Dec 2025" and len(monthly) == 12
    # The demo stops inside Nov 2026: December 2025 to October 2026 happened.
    assert monthly["actual"].notna().tolist() == [True] * 11 + [False]
    # Whole dollars on the page: a rounded error may differ by one from rounded forecast - actual.
    np.testing.assert_allclose(monthly["error"], monthly["forecast"] - monthly["actual"], atol=1)


def test_no_data_is_an_info(empty_app_at: Callable[[str], AppTest]) -> None:
    at = empty_app_at("app_pages/forecast.py")
    assert "no cost data stored yet" in at.info[0].value
    assert not at.get("plotly_chart") and not at.dataframe
    at.selectbox[0].select("Users").run()
    assert not at.exception
    assert "no users stored: ingest it with `capcost ingest metrics FILE`" in at.info[0].value


def test_each_as_of_choice_has_a_whole_month_after_it(
    app_at: Callable[[str | None], AppTest],
) -> None:
    """The demo stops inside Nov 2026: the end of Oct 2026 has no whole month after it
    (nothing to set beside the forecast) and is not offered; every choice renders."""
    at = app_at("app_pages/forecast.py")
    options = at.selectbox[2].options
    assert options[:2] == ["Latest data", "End of Sep 2026"], options
    at.selectbox[2].set_value(date(2026, 9, 30)).run()
    assert not at.exception
    assert [m.value for m in at.metric][1].endswith(" USD")  # the actual total of October


def test_as_of_dates_need_an_ended_month_after_them() -> None:
    months = ["2026-09", "2026-10", "2026-11", "2026-12"]
    assert as_of_dates(months) == [date(2026, 11, 30), date(2026, 10, 31), date(2026, 9, 30)]
    assert as_of_dates(months, data_to=date(2026, 12, 1)) == [date(2026, 10, 31), date(2026, 9, 30)]
    assert as_of_dates(months, data_to=date(2026, 12, 31)) == as_of_dates(months)
    assert as_of_dates(months, back=1, data_to=date(2026, 11, 30)) == [date(2026, 10, 31)]
