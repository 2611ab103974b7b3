"""Overview: this month's spend, run-rate, cost by cost group, users and req/s, freshness."""

from __future__ import annotations

import streamlit as st

from app import charts, state
from forecasting.export import to_csv_bytes
from forecasting.interface import Excuse
from forecasting.overview import cost_basis_note

st.title("Overview")
data = state.overview()
if isinstance(data, Excuse):
    st.info(data.reason, icon=":material/info:")
    st.stop()

cur = data.currency
change = data.last_month_usd - data.previous_month_usd
k1, k2, k3, k4 = st.columns(4)
k1.metric(f"Spend {data.as_of:%B} to date", f"{data.month_to_date_usd:,.0f} {cur}")
k2.metric("Run-rate this month", f"{data.run_rate_usd:,.0f} {cur}")
k3.metric(
    f"Spend {data.last_month}",
    f"{data.last_month_usd:,.0f} {cur}",
    delta=f"{change:+,.0f} {cur} vs previous month",
    delta_color="inverse",
)
if not data.trends.empty and "users" in data.trends:
    latest = data.trends.dropna(subset=["users"]).tail(7)["users"].mean()
    k4.metric("Users (7-day average)", f"{latest:,.0f}")

with st.expander("How is this computed", icon=":material/help:"):
    st.markdown(
        f"""
- Cost is FOCUS **{cost_basis_note()}**, summed per calendar month of ChargePeriodStart (UTC),
  in {cur}. Data runs to **{data.as_of}**.
- **Run-rate** = spend this month to date / days elapsed ({data.as_of.day}) x days in the month.
- **Cost groups** map provider, service, ServiceCategory or tags to budget categories by rules
  (first match wins); spend no rule matches shows as *Unallocated*.
- Users and requests/s are daily values; gaps are days with no data, never zeros.
"""
    )

left, right = st.columns([2, 3])
with left:
    st.subheader(f"Cost by group, {data.last_month}")
    st.dataframe(
        data.by_group,
        hide_index=True,
        column_config={
            "monthly_cost": st.column_config.NumberColumn(f"{cur}/month", format="%.2f"),
            "percent": st.column_config.NumberColumn("%", format="%.1f"),
        },
    )
    st.download_button(
        "Download CSV",
        to_csv_bytes(data.by_group),
        file_name=f"cost_by_group_{data.last_month}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
with right:
    st.plotly_chart(
        charts.stacked_bars(
            data.monthly_by_group, "ds", "value", "group", "Monthly cost by group", cur
        ),
        width="stretch",
    )

if not data.trends.empty:
    a, b = st.columns(2)
    with a:
        st.plotly_chart(
            charts.lines(data.trends, "ds", ["users"], "Users (daily)"), width="stretch"
        )
    with b:
        traffic = [
            c for c in ("requests_per_second", "requests_per_second_peak") if c in data.trends
        ]
        st.plotly_chart(
            charts.lines(data.trends, "ds", traffic, "Requests/s (daily)", "req/s"), width="stretch"
        )

st.subheader("Data freshness")
st.dataframe(data.freshness, hide_index=True)
