"""Forecast: a stored series forecast month by month and per quarter, with its backtests."""

from __future__ import annotations

import streamlit as st

from app import charts, state, widgets
from forecasting.presentation import format_date, format_month, model_label, series_label
from forecasting.views.forecast import SERIES_CHOICES, ForecastRequest

st.title("Forecast")
c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
choice = c1.selectbox("Series", list(SERIES_CHOICES), index=3)
model = c2.selectbox(
    "Model",
    state.model_choices(),
    format_func=model_label,
    help="Automatic: chosen by rolling-origin backtest",
)
horizon = c3.slider("Horizon (months)", 3, 24, 12, step=3)
level = c4.select_slider("Interval (%)", [50, 80, 95], value=80)

view = state.forecast(ForecastRequest(choice, horizon, float(level), model))
if widgets.excused(view):
    st.stop()

shown = view.largest if len(view.series) > 1 else view.series[0]
if len(view.series) > 1:
    shown = st.selectbox(
        "Show", view.series, index=view.series.index(shown), format_func=series_label
    )
one = view.only(shown)
money = view.unit if view.metric == "cost" else None  # a cost series' unit is its currency

widgets.cards(one.cards, columns=3)
if view.record:
    st.caption(view.record)

running = view.running_month
data_to = f"data to {format_date(view.data_to)}" if view.data_to else ""
st.plotly_chart(
    charts.forecast_chart(
        one.history,
        one.table,
        one.fits,
        f"{series_label(shown)}: actuals, backtests and forecast",
        view.unit,
        level,
        running=running,
        running_name=f"{format_month(running)}: nowcast",
        running_note=f"running, {data_to}: observed days + forecast",
    ),
    width="stretch",
)
widgets.explained(view.notes)
for excuse in view.excuses:
    st.caption(f":material/warning: {excuse}")

left, right = st.columns(2)
with left:
    st.subheader("Per quarter")
    widgets.readable(one.quarters, currency=money, freq="quarter", data_to=view.data_to, whole=True)
    widgets.download(
        "Download quarterly CSV", view.quarters, f"forecast_quarterly_{view.metric}.csv"
    )
with right:
    st.subheader(
        "Backtest accuracy" + (", the direct forecast's models" if view.methods is not None else "")
    )
    widgets.readable(one.backtest)
    widgets.download("Download backtest CSV", view.backtest, f"backtest_{view.metric}.csv")
if view.methods is not None:
    st.subheader("Demand chain against the direct forecast")
    st.caption(
        "Both forecasts of the bill per quarter; *of record* marks the one the Overview, the "
        "Capacity plan and `capcost forecast cost` show."
    )
    widgets.readable(view.methods, currency=money, freq="quarter", data_to=view.data_to, whole=True)
    if view.method_scores is not None:
        widgets.readable(view.method_scores)
st.subheader("Per month")
widgets.readable(one.table, currency=money, freq="month", data_to=view.data_to, whole=True)
widgets.download("Download monthly CSV", view.table, f"forecast_monthly_{view.metric}.csv")
