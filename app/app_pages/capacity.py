"""Capacity: req/s to instances per quarter with bands, runway to alert thresholds, assumptions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import charts, memo, state, widgets
from forecasting.capacity.service import CapacityOptions, PlanResult, RunwayResult
from forecasting.errors import CapcostError
from forecasting.interface import DEFAULT_SCENARIO
from forecasting.presentation import format_date
from forecasting.scenario.assumptions import canonical
from forecasting.views import capacity as views

widgets.forecast_defaults("cap", DEFAULT_SCENARIO, quarters=4, days=365)
Num = st.column_config.NumberColumn


def plan_figure(
    frame: pd.DataFrame, running: Any, made: str, to: str, cur: str, lo: str, hi: str
) -> go.Figure:
    return charts.band_panels(
        frame,
        "quarter",
        views.PLAN_CHARTS,
        cur,
        labels=(lo, "P50", hi),
        running=running,
        running_name=f"{running}: running",
        running_note=f"running{to}: {made}",
    )


def show_plan(plan: PlanResult, cur: str, lo: str, hi: str, data_to: date | None) -> None:
    widgets.cards(views.plan_cards(plan, cur))
    frame, running, made = views.plan_chart_frame(plan, data_to)
    to = f", data to {format_date(data_to)}" if data_to else ""
    figure = memo.made(plan_figure, frame, running, made, to, cur, lo, hi)
    st.plotly_chart(figure, width="stretch")
    columns = views.plan_columns(cur, lo, hi)
    widgets.table(views.plan_table(plan), columns, only=True, data_to=data_to, whole=True)
    if gap := views.plan_gap(plan, cur):
        st.caption(gap)
    widgets.download("Download the plan (CSV)", plan.export, "capacity_plan.csv")
    widgets.explained(views.explain_plan(plan))


def show_runway(runway: RunwayResult, cur: str, lo: str, hi: str) -> None:
    legend = {
        "early": f"early warning ({lo}: 1 path in 10 crossed)",
        "p50": "P50: half the paths crossed",
    }
    title = (
        f"Runway from {format_date(runway.as_of)} to the horizon "
        f"({format_date(runway.horizon_end)})"
    )
    frame = views.runway_chart_frame(runway)
    chart = memo.made(charts.timeline, frame, "label", "start", "end", legend, title)
    st.plotly_chart(chart, width="stretch")
    widgets.table(views.runway_table(runway), views.runway_columns(cur, lo, hi), only=True)
    widgets.download("Download the runway (CSV)", runway.export, "runway.csv")
    widgets.explained(views.explain_runway(runway))


def edit_assumptions(
    sizing: pd.DataFrame, thresholds: pd.DataFrame, digest: int, instance_types: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sizing and alert-threshold editors, filled with ``sizing`` and ``thresholds``
    (the set's values, or those edited before the editors were last closed)."""
    sizing = st.data_editor(
        sizing,
        hide_index=True,
        key=f"cap_sizing_{digest}",
        column_config={
            "rps_per_instance": Num(
                "Req/s per pod", help="Requests/s one instance serves at 100% CPU", min_value=1
            ),
            "target_cpu_pct": Num(
                "Target CPU %",
                help="Scale-up trigger: the peak may use this much CPU",
                min_value=1,
                max_value=100,
            ),
            "scale_down_cpu_pct": Num(
                "Scale-down CPU %",
                help="The autoscaler removes pods below this",
                min_value=0,
                max_value=99,
            ),
            "redundancy": st.column_config.SelectboxColumn(
                "Redundancy", options=views.REDUNDANCY_OPTIONS
            ),
            # Narrow: at 1400 px the eight columns and their edit marks scrolled the last out of
            # sight (Hours/month read "73"); "small" cut "Min pods" to "Min poc", so that one is
            # given the pixels its header and edit mark need.
            "zones": Num("Zones", min_value=1, step=1, width="small"),
            "min_instances": Num("Min pods", min_value=0, step=1, width=96),
            "instance_type": st.column_config.SelectboxColumn(
                "Instance type", options=list(instance_types)
            ),
            "hours_per_month": Num(
                "Hours/month", help="Billing hours in a month (AWS: 730)", min_value=1
            ),
        },
    )
    thresholds = st.data_editor(
        thresholds,
        hide_index=True,
        key=f"cap_thresholds_{digest}",
        disabled=["metric", "name"],
        column_order=["name", "threshold_pct"],  # the code name stays in the data, for the set
        column_config={
            "name": "Metric",
            "threshold_pct": Num("Alert threshold %", min_value=1, max_value=100),
        },
    )
    return sizing, thresholds


st.title("Capacity")
widgets.notice("cap")
selected = st.session_state["assumption_set"]
scenario = None if selected == DEFAULT_SCENARIO else selected
base = state.choices(scenario)
if widgets.excused(base):
    st.stop()

c = st.columns([2, 1, 1, 1, 1])
help_text = "Used by every page; edit it below and save."
widgets.set_picker(c[0], base.sets, DEFAULT_SCENARIO, "cap", help=help_text)
c[1].number_input("Quarters ahead", 1, 12, key="cap_quarters")
widgets.forecast_settings(c[2], c[3], "cap")
c[4].number_input("Runway days", 7, 1000, key="cap_days")
widgets.simulation_settings("cap")
section = widgets.section(views.SECTIONS, "cap_section")
results = st.container()

st.subheader("Capacity assumptions")
digest = widgets.digest(base.payload)
# The editors are drawn when asked for (their two grids took ~200 ms of the browser's 2.6 s
# on each warm load); their edits are kept while closed, so the plan above still uses them.
kept = f"cap_edits_{digest}"
original = views.sizing_frame(base.capacity), views.thresholds_frame(base.capacity)
sizing, thresholds = st.session_state.get(kept, original)
editing = st.toggle(
    "Edit the assumptions",
    key="cap_editing",
    help="Edit a cell to see its effect above; save to keep it.",
)
if editing:
    st.caption(f"From **{base.scenario}**. Edit a cell to see its effect above; save to keep it.")
    sizing, thresholds = edit_assumptions(sizing, thresholds, digest, base.instance_types)
    st.session_state[kept] = sizing, thresholds
try:
    settings = views.edited_settings(base.capacity, sizing, thresholds)
except CapcostError as exc:
    widgets.note(f"That edit is not used: {exc}")
    settings = ()
if not editing:
    shown = (sizing, thresholds) if settings else original
    edited = " **Edited here, not saved.**" if settings else ""
    st.caption(f"From **{base.scenario}**: {views.assumptions_line(*shown)}{edited}")
payload = canonical({**base.payload, **dict(settings)})
name = base.scenario if base.sets else selected
widgets.save_row("Save as assumption set", name, payload, "cap", "Capacity")

options = CapacityOptions(
    scenario=scenario,
    settings=settings,
    **widgets.forecast_values("cap"),
    quarters=int(st.session_state["cap_quarters"]),
    days=int(st.session_state["cap_days"]),
)
with results:
    view = state.capacity(options, section)
    if widgets.excused(view):
        st.stop()
    lo, hi = view.band_labels
    if settings:  # kept edits outlive the page visit: say so where the figures are
        st.caption(":material/edit: Sized on capacity assumptions edited below, not saved.")
    if view.plan is not None:
        st.subheader("Quarterly plan: demand to instances to dollars")
        if not widgets.excused(view.plan, "The plan cannot be computed: "):
            show_plan(view.plan, base.currency, lo, hi, view.data_to)
    if view.runway is not None:
        st.subheader("Runway to alert thresholds")
        if not widgets.excused(view.runway, "The runway cannot be computed: "):
            show_runway(view.runway, base.currency, lo, hi)
