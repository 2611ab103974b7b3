"""Overview: last month against the month before and the plan, the year to date, the running
month day for day with its nowcast, next quarter's forecast, cost by group, users, freshness."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import charts, memo, state, widgets
from forecasting.presentation import format_date, format_month, header


def cost_figure(monthly: pd.DataFrame, cur: str, partial: str) -> go.Figure:
    return charts.stacked_bars(
        monthly, "ds", "value", "group", "Monthly cost by group", cur, partial_note=partial
    )


def trends_figure(trends: pd.DataFrame, traffic: list[str]) -> go.Figure:
    """Users and requests/s, a panel each."""
    users = charts.lines(trends, "ds", ["users"], "Users (daily)", "users", {"users": "Users"})
    names = {c: header(c) for c in traffic}
    requests = charts.lines(trends, "ds", traffic, "Requests/s (daily)", "req/s", names)
    return charts.panels([users, requests])


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
    partial = f"partial: to {format_date(view.as_of)}"
    st.plotly_chart(memo.made(cost_figure, view.monthly_by_group, cur, partial), width="stretch")

if not view.trends.empty:
    figure = memo.made(trends_figure, view.trends, view.traffic_columns)
    st.plotly_chart(figure, width="stretch")

st.subheader("Data freshness")
widgets.readable(view.freshness)

# The forecasts last: every figure above is on screen while they run (first visit only; the
# read shows its spinner only then).
with nowcast:
    outlook = state.outlook()
    if not widgets.excused(outlook):
        widgets.card(outlook.cards[0])
        widgets.card(outlook.cards[1], next_quarter)
