"""Forecast: a stored series forecast month by month and per quarter, with its backtests."""

from __future__ import annotations

from datetime import date

import streamlit as st

from app import charts, state, widgets
from forecasting.interface import Excuse
from forecasting.presentation import (
    format_date,
    format_month,
    model_label,
    readable_notes,
    series_label,
)
from forecasting.views.forecast import MAX_HORIZON, SERIES_CHOICES, ForecastRequest, as_of_dates

st.title("Forecast")
c1, c2, c3, c4, c5 = st.columns([3, 2, 2, 2, 2])
choice = c1.selectbox("Series", list(SERIES_CHOICES), index=3)
model = c2.selectbox(
    "Model",
    state.model_choices(),
    format_func=model_label,
    help="Automatic: chosen by rolling-origin backtest",
)
horizon = c3.slider("Horizon (months)", 3, MAX_HORIZON, 12, step=3)
level = c4.select_slider("Interval (%)", [50, 80, 95], value=80)
months = state.review_months()
last_day = state.cost_data_to()  # an as-of choice needs a whole month after it to compare
last_day = last_day if isinstance(last_day, date) else None
ends = [] if isinstance(months, Excuse) else as_of_dates(months, data_to=last_day)
as_of = c5.selectbox(
    "As of",
    [None, *ends],
    format_func=lambda d: "Latest data" if d is None else f"End of {format_month(d)}",
    help="The forecast made from the data up to then, beside what happened after it",
)

# Built at the longest horizon and sliced: a horizon change recomputes nothing. A forecast
# as of a past day is built as far as asked (its table holds what happened after it).
asked = ForecastRequest(choice, horizon if as_of else MAX_HORIZON, float(level), model, as_of)
view = state.forecast(asked)
if widgets.excused(view):
    st.stop()
if as_of is None:
    view = view.upto(horizon)

shown = view.largest if len(view.series) > 1 else view.series[0]
if len(view.series) > 1:
    shown = st.selectbox(
        "Show", view.series, index=view.series.index(shown), format_func=series_label
    )
one = view.only(shown)
money = view.unit if view.metric == "cost" else None  # a cost series' unit is its currency

# Rows of three: a fourth card in the same row cut the Model card's label short.
widgets.cards(one.cards, columns=3)
if view.record:
    st.caption(view.record)

running = view.running_month
data_to = f"data to {format_date(view.data_to)}" if view.data_to else ""
title = f"{series_label(shown)}: actuals, backtests and forecast"
if view.as_of is not None:
    title = (
        f"{series_label(shown)}: the forecast made on {format_date(view.as_of)} and what happened"
    )
st.plotly_chart(
    charts.forecast_chart(
        one.history,
        one.table,
        one.fits,
        title,
        view.unit,
        level,
        running=running,
        running_name=f"{format_month(running)}: nowcast",
        running_note=f"running, {data_to}: observed days + forecast",
        fits_name=view.fits_label,
        made_on=view.as_of,
    ),
    width="stretch",
)
if note := one.band_note:
    st.caption(note)
widgets.explained(view.notes)
for excuse in readable_notes(view.excuses):
    st.caption(f":material/warning: {excuse}")

bias = {"bias": f"Bias, mean error ({view.unit})"}  # in the series' unit, not a %
if view.as_of is None:
    # One table per row: side by side, the bands and the backtest's windows and errors were
    # cut off at the right edge of each half.
    st.subheader("Per quarter")
    # A quarter's band per month is its band / 3: on the page those two columns pushed the
    # table onto a second grid that repeated Series and Period. The CSV keeps them.
    shown_quarters = one.quarters.drop(
        columns=["lower_per_month", "upper_per_month"], errors="ignore"
    )
    widgets.readable(
        shown_quarters, currency=money, freq="quarter", data_to=view.data_to, whole=True
    )
    widgets.download(
        "Download quarterly CSV", view.quarters, f"forecast_quarterly_{view.metric}.csv"
    )
    st.subheader(
        "Backtest accuracy" + (", the direct forecast's models" if view.methods is not None else "")
    )
    widgets.readable(one.backtest, labels=bias)
    widgets.download("Download backtest CSV", view.backtest, f"backtest_{view.metric}.csv")
else:
    st.subheader(f"Backtest on the data to {format_date(view.as_of)}")
    widgets.readable(one.backtest, labels=bias)
if view.methods is not None:
    per = "quarter" if view.as_of is None else "month"
    st.subheader("Demand chain against the direct forecast")
    st.caption(
        f"Both forecasts of the bill per {per}; *of record* marks the one the Overview, the "
        "Capacity plan and `capcost forecast cost` show"
        + ("." if view.as_of is None else f" (as of {format_date(view.as_of)}), beside the bill.")
    )
    widgets.readable(view.methods, currency=money, freq=per, data_to=view.data_to, whole=True)
    if view.method_scores is not None:
        widgets.readable(view.method_scores)
    if gap := view.method_gap:
        st.caption(gap)
st.subheader("Per month")
widgets.readable(one.table, currency=money, freq="month", data_to=view.data_to, whole=True)
widgets.download("Download monthly CSV", view.table, f"forecast_monthly_{view.metric}.csv")
