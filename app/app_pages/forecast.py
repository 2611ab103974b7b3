"""Forecast: a stored series forecast month by month and per quarter, with its backtests."""

from __future__ import annotations

import streamlit as st

from app import charts, state
from forecasting.export import to_csv_bytes
from forecasting.forecast_view import SERIES_CHOICES
from forecasting.interface import Excuse

st.title("Forecast")
c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
choice = c1.selectbox("Series", list(SERIES_CHOICES), index=3)
model = c2.selectbox("Model", state.model_choices(), help="auto: chosen by rolling-origin backtest")
horizon = c3.slider("Horizon (months)", 3, 24, 12, step=3)
level = c4.select_slider("Interval (%)", [50, 80, 95], value=80)

view = state.forecast_view(choice, horizon, float(level), model)
if isinstance(view, Excuse):
    st.info(view.reason, icon=":material/info:")
    st.stop()

series = sorted(view.table["unique_id"].unique())
shown = series[0]
if len(series) > 1:
    totals = view.history.groupby("unique_id")["y"].sum()
    shown = st.selectbox("Show", series, index=series.index(str(totals.idxmax())))
history = view.history[view.history["unique_id"] == shown]
table = view.table[view.table["unique_id"] == shown]
fits = view.fits[view.fits["unique_id"] == shown]
chosen = view.backtest[(view.backtest["unique_id"] == shown) & view.backtest["selected"]]

k1, k2, k3 = st.columns(3)
k1.metric("Model", str(table["model"].iloc[0]))
if not chosen.empty:
    k2.metric("Backtest MASE", f"{chosen['mase'].iloc[0]:.2f}", help="< 1 beats the seasonal naive")
    k3.metric(f"Backtest coverage of the {level}% band", f"{chosen['coverage'].iloc[0]:.0f}%")

st.plotly_chart(
    charts.forecast_chart(
        history, table, fits, f"{shown}: actuals, backtests and forecast", view.unit, level
    ),
    width="stretch",
)
with st.expander("How is this computed", icon=":material/help:"):
    st.markdown(
        f"""
- Fitted on complete months only (the running month would look like a drop), in {view.unit}.
- **auto** fits seasonal naive, naive, drift, Theta, ETS and ARIMA, scores each on
  rolling-origin backtests at this horizon, and takes the median of those that backtest well
  (or a single model when it is clearly better).
- The **{level}% band** is calibrated on the backtest errors, so about {level}% of actuals
  should fall inside; the coverage above is what the backtests measured.
- **MASE** is the mean absolute error over that of a seasonal naive forecast in-sample; **sMAPE**
  is the M-competition definition (0-200).
- Dotted lines: what the same pipeline forecast from earlier months, beside what happened.
- Quarters sum monthly sample paths, so a quarter's band is the band of its total (narrower
  than adding three monthly bands); the running quarter includes its observed months.
"""
    )
for excuse in view.excuses:
    st.caption(f":material/warning: {excuse}")

left, right = st.columns(2)
with left:
    st.subheader("Per quarter")
    st.dataframe(view.quarters[view.quarters["unique_id"] == shown], hide_index=True)
    st.download_button(
        "Download quarterly CSV",
        to_csv_bytes(view.quarters),
        file_name=f"forecast_quarterly_{view.metric}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
with right:
    st.subheader("Backtest accuracy")
    st.dataframe(view.backtest[view.backtest["unique_id"] == shown], hide_index=True)
    st.download_button(
        "Download backtest CSV",
        to_csv_bytes(view.backtest),
        file_name=f"backtest_{view.metric}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
st.subheader("Per month")
st.dataframe(table, hide_index=True)
st.download_button(
    "Download monthly CSV",
    to_csv_bytes(view.table),
    file_name=f"forecast_monthly_{view.metric}.csv",
    mime="text/csv",
    icon=":material/download:",
)
