"""Cost review: the monthly meeting's variance, plan vs actual, anomalies and unit economics."""

from __future__ import annotations

import streamlit as st

from app import charts, state, widgets
from forecasting.export import zip_csvs
from forecasting.interface import Excuse
from forecasting.variance import PlanVariance
from forecasting.views.review import ANOMALY_LEVEL

st.title("Cost review")
months = state.review_months()
if widgets.excused(months):
    st.stop()

month = st.selectbox(
    "Month",
    months,
    index=0,
    help="Calendar month of ChargePeriodStart (UTC). The running month is compared day for day "
    "with the same days of the month before, and with the plan prorated to those days.",
)
review = state.review(month)
if widgets.excused(review):
    st.stop()

cur, total, previous = review.currency, review.total, review.previous_total
running = "" if review.complete else " (month to date)"
k1, k2, k3 = st.columns(3)
k1.metric(f"Spend {month}{running}", f"{total:,.0f} {cur}")
k2.metric(
    "Previous month" + (", same days" if running else ""),
    f"{previous:,.0f} {cur}",
    delta=f"{total - previous:+,.0f} {cur}",
    delta_color="inverse",
)
if isinstance(review.plan, PlanVariance):
    k3.metric(
        "Plan of record",
        f"{review.plan.planned_cost:,.0f} {cur}",
        delta=f"{review.plan.variance:+,.0f} {cur} actual vs plan",
        delta_color="inverse",
    )

widgets.explained(review.notes)

st.subheader("Month-over-month variance")
left, right = st.columns(2)
with left:
    st.dataframe(review.by_group, hide_index=True)
    st.plotly_chart(
        charts.bars(review.by_group, "group", "change", "Change by group vs previous month", cur),
        width="stretch",
    )
with right:
    st.caption("Top movers by service")
    st.dataframe(review.movers, hide_index=True)
    with st.expander("All services"):
        st.dataframe(review.by_service, hide_index=True)

st.subheader("Actual vs plan of record")
if isinstance(review.plan, PlanVariance):
    plan = review.plan
    st.caption(f"Plan: {plan.plan_name} (id {plan.plan_id})")
    st.dataframe(plan.as_frame(), hide_index=True)
    if plan.volume_variance is not None and plan.rate_variance is not None:
        split = {"volume (users)": plan.volume_variance, "rate (cost per user)": plan.rate_variance}
        v1, v2 = st.columns(2)
        for column, (label, value) in zip((v1, v2), split.items(), strict=True):
            column.metric(f"Variance from {label}", f"{value:+,.0f} {cur}")
else:
    widgets.excused(review.plan)

st.subheader("Anomalous days")
found = state.anomalies(month)
if widgets.excused(found):
    pass
elif found.empty:
    st.success(
        f"No day of {month} fell outside the {ANOMALY_LEVEL}% forecast band.",
        icon=":material/check:",
    )
else:
    st.dataframe(
        found,
        hide_index=True,
        column_config={
            "ds": st.column_config.DateColumn("day"),
            "service_change": st.column_config.NumberColumn(f"service change ({cur})"),
        },
    )

st.subheader("Unit economics")
if not widgets.excused(review.unit_economics):
    unit = review.unit_economics
    per_million = ["cost_per_million_requests"]
    u1, u2 = st.columns(2)
    u1.plotly_chart(
        charts.lines(unit, "ds", ["cost_per_user"], "Cost per user", f"{cur}/user"), width="stretch"
    )
    u2.plotly_chart(
        charts.lines(unit, "ds", per_million, "Cost per million requests", f"{cur}/M requests"),
        width="stretch",
    )

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
    st.dataframe(stored_plans, hide_index=True)

st.download_button(
    "Download the review (zip of CSVs)",
    zip_csvs(review.tables()),
    file_name=f"cost_review_{month}.zip",
    mime="application/zip",
    icon=":material/download:",
)
