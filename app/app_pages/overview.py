"""Overview: this month's spend, run-rate, cost by cost group, users and req/s, freshness."""

from __future__ import annotations

import streamlit as st

from app import charts, state, widgets

st.title("Overview")
view = state.overview()
if widgets.excused(view):
    st.stop()

cur = view.currency
change = view.last_month_cost - view.previous_month_cost
k1, k2, k3, k4 = st.columns(4)
k1.metric(f"Spend {view.as_of:%B} to date", f"{view.month_to_date_cost:,.0f} {cur}")
k2.metric("Run-rate this month", f"{view.run_rate_cost:,.0f} {cur}")
k3.metric(
    f"Spend {view.last_month}",
    f"{view.last_month_cost:,.0f} {cur}",
    delta=f"{change:+,.0f} {cur} vs previous month",
    delta_color="inverse",
)
if view.users_week_average is not None:
    k4.metric("Users (7-day average)", f"{view.users_week_average:,.0f}")
widgets.explained(view.notes)

left, right = st.columns([2, 3])
with left:
    st.subheader(f"Cost by group, {view.last_month}")
    st.dataframe(
        view.by_group,
        hide_index=True,
        column_config={
            "monthly_cost": st.column_config.NumberColumn(f"{cur}/month", format="%.2f"),
            "percent": st.column_config.NumberColumn("%", format="%.1f"),
        },
    )
    widgets.download("Download CSV", view.by_group, f"cost_by_group_{view.last_month}.csv")
with right:
    st.plotly_chart(
        charts.stacked_bars(
            view.monthly_by_group, "ds", "value", "group", "Monthly cost by group", cur
        ),
        width="stretch",
    )

if not view.trends.empty:
    a, b = st.columns(2)
    a.plotly_chart(charts.lines(view.trends, "ds", ["users"], "Users (daily)"), width="stretch")
    b.plotly_chart(
        charts.lines(view.trends, "ds", view.traffic_columns, "Requests/s (daily)", "req/s"),
        width="stretch",
    )

st.subheader("Data freshness")
st.dataframe(view.freshness, hide_index=True)
