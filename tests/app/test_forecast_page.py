"""The Forecast page: chart of actuals, backtests and forecast; tables; widgets recompute."""

from __future__ import annotations

import json
from collections.abc import Callable

from streamlit.testing.v1 import AppTest


def _chart(at: AppTest) -> dict[str, object]:
    spec: dict[str, object] = json.loads(at.get("plotly_chart")[0].proto.spec)
    return spec


def test_forecast_page_renders_cost_with_backtests(app_at: Callable[[str | None], AppTest]) -> None:
    at = app_at("app_pages/forecast.py")
    assert not at.exception
    assert at.title[0].value == "Forecast"
    names = [trace["name"] for trace in _chart(at)["data"]]  # type: ignore[index]
    assert names[0] == "actual" and "backtest forecasts" in names and names[-1] == "forecast"
    labels = [m.label for m in at.metric]
    # Total cost: the forecast of record and both methods' backtest errors, in words.
    assert labels[0] == "Cost forecast of record"
    assert at.metric[0].value in ("Demand chain", "Direct cost forecast")
    assert sum(label.endswith("(of record)") for label in labels) == 1
    assert "The cost forecast of record is the" in at.caption[0].value
    quarterly, backtest, methods, scores, monthly = (df.value for df in at.dataframe)
    assert set(methods["method"]) == {"demand chain", "direct cost forecast"}
    assert methods["of_record"].sum() == len(quarterly)
    assert scores["selected"].sum() == 1
    assert list(monthly.columns) == [
        "unique_id",
        "ds",
        "forecast",
        "lower",
        "upper",
        "level",
        "model",
        "complete",
    ]
    assert len(monthly) == 12
    assert not monthly["complete"].any()
    assert backtest["selected"].sum() == 1
    assert (quarterly["lower"] <= quarterly["forecast"]).all()


def test_changing_the_horizon_and_series_recomputes(
    app_at: Callable[[str | None], AppTest],
) -> None:
    at = app_at("app_pages/forecast.py")
    at.slider[0].set_value(6).run()
    assert not at.exception
    assert len(at.dataframe[-1].value) == 6
    at.selectbox[0].select("Cost by cost group").run()
    assert not at.exception
    assert at.selectbox[2].value == "Compute"  # the largest group is shown first
    forecast = _chart(at)["data"][-1]  # type: ignore[index]
    assert len(forecast["x"]) == 6  # type: ignore[index]


def test_no_data_is_an_info(empty_app_at: Callable[[str], AppTest]) -> None:
    at = empty_app_at("app_pages/forecast.py")
    assert "no cost data stored yet" in at.info[0].value
    assert not at.get("plotly_chart") and not at.dataframe
    at.selectbox[0].select("Users").run()
    assert not at.exception
    assert "no users stored: ingest it with `capcost ingest metrics FILE`" in at.info[0].value
