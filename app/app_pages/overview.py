"""Overview: last month against the month before and the plan, the year to date, the running
month day for day with its nowcast, next quarter's forecast, cost by group, users, freshness."""

from __future__ import annotations

import streamlit as st

from app import charts, state, widgets
from forecasting.presentation import format_date, format_month, header

st.title("Overview")
view = state.overview()
if widgets.excused(view):
    st.stop()

cur = view.currency
widgets.cards(view.cards, columns=4)
running, nowcast, next_quarter, _ = st.columns(4)
widgets.card(view.running_card, running)
widgets.explained(view.notes)

left, right = st.columns([2, 3])
with left:
    st.subheader(f"Cost by group, {format_month(view.last_month)}")
    widgets.readable(view.by_group, currency=cur)
    widgets.download("Download CSV", view.by_group, f"cost_by_group_{view.last_month}.csv")
with right:
    st.plotly_chart(
        charts.stacked_bars(
            view.monthly_by_group,
            "ds",
            "value",
            "group",
            "Monthly cost by group",
            cur,
            partial_note=f"partial: to {format_date(view.as_of)}",
        ),
        width="stretch",
    )

if not view.trends.empty:
    users = charts.lines(view.trends, "ds", ["users"], "Users (daily)", "users", {"users": "Users"})
    traffic = charts.lines(
        view.trends,
        "ds",
        view.traffic_columns,
        "Requests/s (daily)",
        "req/s",
        {c: header(c) for c in view.traffic_columns},
    )
    st.plotly_chart(charts.panels([users, traffic]), width="stretch")

st.subheader("Data freshness")
widgets.readable(view.freshness)

# The forecasts last: every figure above is on screen while they run (first visit only).
with nowcast, st.spinner("Forecasting..."):
    outlook = state.outlook()
with nowcast:
    if not widgets.excused(outlook):
        widgets.card(outlook.cards[0])
        widgets.card(outlook.cards[1], next_quarter)
