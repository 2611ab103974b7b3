"""Overview: this month's spend, run-rate, cost by cost group, users and req/s, freshness."""

from __future__ import annotations

import streamlit as st

from app import charts, state, widgets

st.title("Overview")
view = state.overview()
if widgets.excused(view):
    st.stop()

cur = view.currency
widgets.cards(view.cards, columns=4)
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
