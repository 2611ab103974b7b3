"""The Overview and Forecast views: headline cards as people read them, and their no-data path."""

from __future__ import annotations

from forecasting.interface import Excuse
from forecasting.store import Store
from forecasting.views import ForecastRequest, build_forecast, build_overview
from forecasting.views.display import Tone


def test_overview_cards_on_the_demo(demo_store: Store) -> None:
    view = build_overview(demo_store)
    assert not isinstance(view, Excuse)
    labels = [c.label for c in view.cards]
    assert labels == [
        "Spend November to date",
        "Run-rate this month",
        "Spend Oct 2026",
        "Users (7-day average)",
    ]
    month = view.cards[2]
    assert month.value == f"{view.last_month_cost:,.0f} USD" and month.tone is Tone.RISE_IS_BAD
    assert month.note.endswith("USD vs previous month")
    assert view.run_rate_cost > view.month_to_date_cost  # 26 of 30 days scaled up
    assert "Data runs to **2026-11-26**" in view.notes


def test_an_empty_store_is_an_excuse(fresh_store: Store) -> None:
    assert isinstance(build_overview(fresh_store), Excuse)


def test_forecast_cards_name_the_level(demo_store: Store) -> None:
    view = build_forecast(demo_store, ForecastRequest("Users", 6, 95.0, "drift"))
    assert not isinstance(view, Excuse)
    one = view.only(view.largest)
    assert [c.label for c in one.cards] == [
        "Model",
        "Backtest MASE",
        "Backtest coverage of the 95% band",
    ]
    assert one.cards[0].value == "Drift"
    assert one.cards[0].help == "Full spec: drift"
    assert set(one.table["unique_id"]) == {view.largest}
