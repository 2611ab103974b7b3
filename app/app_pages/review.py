"""Cost review: the monthly meeting's variance, plan vs actual, anomalies and unit economics."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import charts, downloads, memo, state, widgets
from forecasting.export import zip_csvs
from forecasting.interface import Excuse
from forecasting.presentation import format_month, running_label
from forecasting.variance import PlanVariance
from forecasting.views.review import ANOMALY_LEVEL, PLAN_COLUMNS, reviewed_month


def unit_figure(unit: pd.DataFrame, cur: str) -> go.Figure:
    """Cost per user and per million requests, a panel each."""
    names = {"cost_per_user": "Cost per user", "cost_per_million_requests": "Per M requests"}
    per_user = charts.lines(unit, "ds", ["cost_per_user"], "Cost per user", f"{cur}/user", names)
    per_million = ["cost_per_million_requests"]
    per_requests = charts.lines(
        unit, "ds", per_million, "Cost per million requests", f"{cur}/M requests", names
    )
    return charts.panels([per_user, per_requests])


st.title("Cost review")
months = state.review_months()
if widgets.excused(months):
    st.stop()

data_to = state.cost_data_to()
if st.session_state.get("review_month") not in months:
    # Opens on the month just ended, as the meeting reviews it (the running month is first on
    # the list), or on the month a link names: /review?month=2026-11.
    asked = st.query_params.get("month")
    st.session_state["review_month"] = (
        asked
        if asked in months
        else reviewed_month(months, None if isinstance(data_to, Excuse) else data_to)
    )
month = st.selectbox(
    "Month",
    months,
    key="review_month",
    # The running month reads "Nov 2026 (to 26 Nov)", as in the tables.
    format_func=lambda m: running_label(
        m, "month", None if isinstance(data_to, Excuse) else data_to, whole=False
    ),
    help="Calendar month of ChargePeriodStart (UTC). The page opens on the month just ended. "
    "The running month (first on the list) is compared day for day with the same days of the "
    "month before, and with the plan prorated to those days.",
)
review = state.review(month)
if widgets.excused(review):
    st.stop()

cur = review.currency
compared = review.variance_labels()  # the months compared, and the days while one runs
changed = " vs ".join(reversed(review.compared_months))
widgets.cards(review.cards, columns=3)
widgets.explained(review.notes)

st.subheader("Month-over-month variance")
# Beside its chart only when every column fits half the page (a running month's cents and
# day-for-day headers do not): a column scrolled out of sight is a figure nobody reads.
beside = widgets.fits(review.by_group, widgets.HALF_PX, currency=cur, labels=compared)
left, right = st.columns(2) if beside else (st.container(), st.container())
with left:
    # The same budget as the check above, so the table is prepared once (memo), not twice.
    budget = widgets.HALF_PX if beside else 0
    widgets.readable(review.by_group, currency=cur, labels=compared, budget=budget)
with right:
    title = f"Change by group, {changed}"
    bars = memo.made(charts.bars, review.by_group, "group", "change", title, cur)
    st.plotly_chart(bars, width="stretch")
# Full width: service names are long, and the change columns are what the meeting reads.
st.caption("Top movers by service")
widgets.readable(review.movers, currency=cur, labels=compared)
with st.expander("All services"):
    widgets.readable(review.by_service, currency=cur, labels=compared)

st.subheader("Actual vs plan of record")
if isinstance(review.plan, PlanVariance):
    plan = review.plan
    st.caption(f"Plan: {plan.plan_name} (id {plan.plan_id})")
    text = st.column_config.TextColumn
    right = {c: text(c, alignment="right") for c in PLAN_COLUMNS.values()}
    st.dataframe(review.plan_rows(), hide_index=True, column_config=right)
    if review.split_cards:
        widgets.cards(review.split_cards)
else:
    widgets.excused(review.plan)

st.subheader("Anomalous days")
found = state.anomalies(month)
if widgets.excused(found):
    pass
elif found.empty:
    st.success(
        f"No day of {format_month(month)} fell outside the {ANOMALY_LEVEL}% forecast band.",
        icon=":material/check:",
    )
else:
    moved = f"Service vs its 28-day median ({cur}/day)"
    widgets.readable(found, currency=cur, freq="day", labels={"ds": "Day", "service_change": moved})

st.subheader("Unit economics")
if not widgets.excused(review.unit_economics):
    st.caption("Complete months only: a running month's part cost over its users would dip.")
    st.plotly_chart(memo.made(unit_figure, review.unit_economics, cur), width="stretch")

st.subheader("Plans of record")
if st.button(
    "Freeze the forecast as the plan of record",
    icon=":material/lock:",
    help="Forecasts cost and users for the next 12 months from complete months (automatic "
    "model, 80% band) and stores both, so later reviews compare actuals with this plan.",
):
    frozen = state.freeze_plan_of_record()
    if isinstance(frozen, Excuse):
        st.error(frozen.reason, icon=":material/error:")
    else:
        st.success(f"Frozen as plans {', '.join(map(str, frozen))}.", icon=":material/check:")
stored_plans = state.plans()
if not widgets.excused(stored_plans):
    periods = {"month": "Monthly", "quarter": "Quarterly", "day": "Daily"}
    widgets.readable(
        stored_plans.assign(freq=stored_plans["freq"].map(lambda f: periods.get(str(f), str(f)))),
        labels={"freq": "Per"},
    )

z, x = st.columns(2)
downloads.button(
    "Download the review (zip of CSVs)",
    lambda: zip_csvs(review.tables()),  # written when clicked, not on every run
    f"cost_review_{month}.zip",
    "application/zip",
    z,
    icon=":material/download:",
)
downloads.button(
    "Download the review pack (Excel)",
    lambda: state.review_pack(review),
    f"cost_review_{month}.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    x,
    icon=":material/table_view:",
    help="The same tables as the zip, one sheet each, with a cover sheet saying as of when "
    "and how fresh each source is.",
)
