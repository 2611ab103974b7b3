"""The Overview and Forecast views: headline cards as people read them, and their no-data path."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecasting.demo import build_demo
from forecasting.interface import Excuse, Freq
from forecasting.presentation import MISSING
from forecasting.store import Store
from forecasting.views import ForecastRequest, build_forecast, build_outlook, build_overview
from forecasting.views.display import Tone
from tests.readable import rounded_text


def test_overview_cards_on_the_demo(demo_store: Store) -> None:
    view = build_overview(demo_store)
    assert not isinstance(view, Excuse)
    labels = [c.label for c in view.cards]
    assert labels == [
        "Spend Oct 2026",
        "Plan of record, Oct 2026",
        "Year to date 2026",
        "Users (7-day average)",
    ]
    month = view.cards[0]
    assert month.value == f"{view.last_month_cost:,.0f} USD" and month.tone is Tone.RISE_IS_BAD
    assert month.note.endswith("USD vs Sep 2026")
    assert view.cards[1].note.endswith("USD actual vs plan")
    assert view.cards[2].note.endswith("USD vs plan")
    running = view.running_card
    assert running.label == "Nov 2026 so far (26 days)"
    # The days compared, in the card's one short line (a longer note is cut off on screen).
    assert running.note.endswith(" USD vs Oct 2026 1–26") and len(running.note) <= 30
    assert "Oct 2026 1–26" in running.help
    assert "Data runs to **26 Nov 2026**" in view.notes


def test_the_running_month_compares_day_for_day(demo_store: Store) -> None:
    view = build_overview(demo_store)
    assert not isinstance(view, Excuse)
    daily, _ = demo_store.read_series("cost", Freq.DAY)
    days = daily.set_index("ds")["y"]
    assert view.running_cost == pytest.approx(days["2026-11-01":"2026-11-26"].sum())
    assert view.running_before_cost == pytest.approx(days["2026-10-01":"2026-10-26"].sum())
    assert view.year_to_date.actual_cost == pytest.approx(days["2026-01-01":"2026-11-26"].sum())
    partial = view.monthly_by_group.loc[~view.monthly_by_group["complete"], "ds"]
    assert set(partial) == {pd.Timestamp("2026-11-01")}


def test_overview_cards_never_repeat_a_figure(demo_store: Store) -> None:
    view = build_overview(demo_store)
    outlook = build_outlook(demo_store)
    assert not isinstance(view, Excuse) and not isinstance(outlook, Excuse)
    values = [c.value for c in [*view.cards, view.running_card, *outlook.cards]]
    assert len(values) == len(set(values)), values
    nowcast, quarter = outlook.running, outlook.next_quarter
    assert (nowcast.period, quarter.period) == ("Nov 2026", "2027 Q1")
    for band in (nowcast, quarter):
        assert 0 < band.lower < band.forecast < band.upper
    # the nowcast holds at least the month's spend so far
    assert nowcast.upper > view.running_cost
    assert outlook.cards[0].label == "Nowcast Nov 2026"
    assert outlook.cards[1].note.startswith("80% band ")


def test_a_month_with_no_day_yet_says_so(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    build_demo(db, until=date(2026, 10, 31), seed=7)
    with Store(db, read_only=True) as store:
        view = build_overview(store)
    assert not isinstance(view, Excuse)
    assert view.cards[0].label == "Spend Oct 2026"
    assert view.running_card.value == "no day yet"
    assert view.running_card.label == "Nov 2026 so far"


def test_an_empty_store_is_an_excuse(fresh_store: Store) -> None:
    assert isinstance(build_overview(fresh_store), Excuse)


def test_forecast_cards_name_the_level(demo_store: Store) -> None:
    view = build_forecast(demo_store, ForecastRequest("Users", 6, 95.0, "drift"))
    assert not isinstance(view, Excuse)
    one = view.only(view.largest)
    assert [c.label for c in one.cards] == [
        "Model",
        "Backtest MASE",
        "Backtest coverage, 95% band",
        "Without the population prior",
    ]
    # Both coverages are the chosen backtest row's, as the backtest CSV has them.
    row = one.chosen.iloc[0]
    assert one.cards[1].value == rounded_text(row["mase"], 2)
    assert one.cards[2].value == rounded_text(row["coverage"], 0, "%")
    assert one.cards[3].value == rounded_text(row["coverage_no_prior"], 0, "%")
    assert 0 <= row["coverage_no_prior"] <= row["coverage"] <= 100
    assert one.cards[0].value == "Drift"
    assert one.cards[0].help == "Full spec: drift"
    assert set(one.table["unique_id"]) == {view.largest}


def test_forecast_cards_show_a_missing_backtest_figure_as_missing(demo_store: Store) -> None:
    """A backtest row stored before a figure existed (migration 8 added coverage_no_prior)
    reads back as NULL: its card says the figure is missing rather than printing nan%."""
    view = build_forecast(demo_store, ForecastRequest("Users", 6, 80.0, "drift"))
    assert not isinstance(view, Excuse)
    one = view.only(view.largest)
    backtest = one.backtest.copy()
    backtest["coverage_no_prior"] = float("nan")
    backtest["mase"] = float("nan")
    cards = {c.label: c.value for c in dataclasses.replace(one, backtest=backtest).cards}
    assert cards["Without the population prior"] == MISSING
    assert cards["Backtest MASE"] == MISSING
    assert cards["Backtest coverage, 80% band"].endswith("%")
    assert "nan" not in " ".join(cards.values())
