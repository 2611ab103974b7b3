"""Capacity: req/s to instances per quarter with bands, runway to alert thresholds, assumptions."""

from __future__ import annotations

import contextlib
import json
import zlib
from typing import Any

import streamlit as st

from app import charts, state
from forecasting.capacity.assumptions import edited_settings, sizing_frame, thresholds_frame
from forecasting.capacity.explain import explain_plan, explain_runway
from forecasting.capacity.service import CapacityOptions, PlanResult, RunwayResult
from forecasting.errors import CapcostError
from forecasting.export import to_csv_bytes
from forecasting.interface import DEFAULT_SCENARIO, Excuse
from forecasting.models.registry import model_names
from forecasting.scenario.assumptions import canonical

DEFAULTS: dict[str, Any] = {
    "assumption_set": DEFAULT_SCENARIO,
    "cap_quarters": 4,
    "cap_level": 80,
    "cap_model": "auto",
    "cap_days": 365,
    "cap_paths": 1000,
    "cap_seed": 0,
}
for key, value in DEFAULTS.items():
    st.session_state.setdefault(key, value)
# A link such as ?model=drift&paths=200&seed=1 opens the page with those forecast settings
# (once per session: a later widget change wins).
if not st.session_state.get("cap_from_url"):
    st.session_state["cap_from_url"] = True
    for name, parse in {"model": str, "paths": int, "seed": int}.items():
        with contextlib.suppress(ValueError):
            value = parse(st.query_params.get(name, ""))
            if name != "model" or value in ["auto", *model_names()]:
                st.session_state[f"cap_{name}"] = value
Num = st.column_config.NumberColumn


def save_set(name: str, payload: dict[str, Any]) -> None:
    """Button callback: runs before the rerun, so it may set the set selector's own state."""
    saved = state.save_assumptions(name.strip(), payload, note="edited on the Capacity page")
    if isinstance(saved, Excuse):
        st.session_state["cap_notice"] = ("info", f"Not saved: {saved.reason}")
        return
    st.session_state.update(assumption_set=name.strip(), cap_set=name.strip())
    st.session_state["cap_notice"] = ("success", f"Saved **{name.strip()}** version {saved}.")


def show_plan(plan: PlanResult, cur: str) -> None:
    t, (lo, hi) = plan.table, plan.options.band_labels
    observed = t[t["source"] != "forecast"]  # empty when the year's first month is forecast
    last, now = t.iloc[-1], observed.iloc[-1] if len(observed) else t.iloc[0]
    k = st.columns(3)
    for col, (label, name, fmt) in zip(
        k,
        [
            ("Instances", "instances", "{:,.0f}"),
            ("Infrastructure cost / month", "cost_per_month", "{:,.0f} " + cur),
            ("Peak req/s", "requests_per_second_peak", "{:,.0f}"),
        ],
        strict=True,
    ):
        col.metric(
            f"{label}, {last['quarter']} (P50)",
            fmt.format(last[name]),
            delta=f"{last[name] - now[name]:+,.0f} vs {now['quarter']}",
            delta_color="off",
            help=f"{lo}–{hi}: {fmt.format(last[f'{name}_lower'])} to "
            f"{fmt.format(last[f'{name}_upper'])}",
        )
    left, right = st.columns(2)
    specs = [
        ("users", "Users (quarterly mean)", "users", "plan_users"),
        ("requests_per_second", "Requests/s (quarterly mean)", "req/s", "plan_requests_per_second"),
        ("instances", "Instances (from the quarter's peak req/s)", "instances", None),
        ("cost_per_month", "Infrastructure cost per month", cur, "plan_cost_per_month"),
    ]
    for i, (col, title, unit, ref) in enumerate(specs):
        (left if i % 2 == 0 else right).plotly_chart(
            charts.band(
                t,
                "quarter",
                col,
                f"{col}_lower",
                f"{col}_upper",
                title,
                unit,
                labels=(lo, "P50", hi),
                reference=ref,
            ),
            width="stretch",
        )
    # A band as one "low–high" cell keeps the document's shape within a projector's width.
    shown = t.assign(
        instances_band=[f"{a:,.0f}–{b:,.0f}" for a, b in zip(t["instances_lower"],
                        t["instances_upper"], strict=True)],
        cost_band=[f"{a:,.0f}–{b:,.0f}" for a, b in zip(t["cost_per_month_lower"],
                   t["cost_per_month_upper"], strict=True)],
    )  # fmt: skip
    config = {
        "quarter": "Quarter",
        "source": "Source",
        "users": Num("Users", format="%.0f"),
        "requests_per_second": Num("Req/s", format="%.0f"),
        "requests_per_second_peak": Num("Peak req/s", format="%.0f"),
        "instances": Num("Instances"),
        "instances_band": f"Instances {lo}–{hi}",
        "cost_per_month": Num(f"Cost/month ({cur})", format="%.0f"),
        "cost_band": f"Cost {lo}–{hi}",
        "plan_users": Num("Plan: users", format="%.0f"),
        "plan_requests_per_second": Num("Plan: req/s", format="%.0f"),
        "plan_cost_per_month": Num(f"Plan: cost/month ({cur})", format="%.0f"),
    }
    st.dataframe(shown, hide_index=True, column_order=list(config), column_config=config)
    st.download_button(
        "Download the plan (CSV)",
        to_csv_bytes(plan.export()),
        file_name="capacity_plan.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    with st.expander("How is this computed", icon=":material/help:"):
        st.markdown(explain_plan(plan))


def show_runway(runway: RunwayResult, cur: str) -> None:
    hi = runway.upper_label
    frame = runway.timeline()
    st.plotly_chart(
        charts.timeline(
            frame,
            "label",
            "start",
            "end",
            {"upper": f"reached at {hi}", "p50": "reached at P50"},
            f"Runway from {runway.as_of} to the horizon ({runway.horizon_end})",
        ),
        width="stretch",
    )
    config = {
        "metric": "Metric",
        "threshold_pct": Num("Threshold %"),
        "current_pct": Num("Now %", format="%.1f"),
        "date_p50": "Date at P50",
        f"date_{hi.lower()}": f"Date at {hi}",
        "probability_within_horizon": Num("Chance within horizon", format="percent"),
        f"max_{hi.lower()}_pct": Num(f"Max {hi} %", format="%.1f"),
        "headroom_factor": Num("Headroom x", format="%.2f"),
        "headroom_monthly_usd": f"Headroom {cur}/month",
        "cost_group": "Paid by",
    }
    # Dates share a column with "not within the horizon", dollars with the reason there are
    # none: show such columns as text.
    mixed = {c: str for c in runway.table if runway.table[c].dtype == object}
    st.dataframe(
        runway.table.astype(mixed), hide_index=True, column_order=list(config), column_config=config
    )
    st.download_button(
        "Download the runway (CSV)",
        to_csv_bytes(runway.export()),
        file_name="runway.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    with st.expander("How is this computed", icon=":material/help:"):
        st.markdown(explain_runway(runway))


st.title("Capacity")
if notice := st.session_state.pop("cap_notice", None):
    getattr(st, notice[0])(notice[1])
selected = st.session_state["assumption_set"]
scenario = None if selected == DEFAULT_SCENARIO else selected
base = state.choices(scenario)
if isinstance(base, Excuse):
    st.info(base.reason, icon=":material/info:")
    st.stop()

c = st.columns([2, 1, 1, 1, 1])
sets = list(base.sets) or [DEFAULT_SCENARIO]
c[0].selectbox(
    "Assumption set",
    sets,
    index=sets.index(selected) if selected in sets else 0,
    key="cap_set",
    help="Used by every page; edit it below and save.",
    on_change=lambda: st.session_state.update(assumption_set=st.session_state["cap_set"]),
)
c[1].number_input("Quarters ahead", 1, 12, key="cap_quarters")
c[2].select_slider("Interval level %", [50, 80, 90, 95], key="cap_level")
c[3].selectbox("Model", ["auto", *model_names()], key="cap_model")
c[4].number_input("Runway days", 7, 1000, key="cap_days")
with st.expander("Simulation settings", icon=":material/tune:"):
    s1, s2 = st.columns(2)
    s1.number_input("Sample paths", 1, 5000, key="cap_paths")
    s2.number_input("Random seed", 0, 2**31 - 1, key="cap_seed")
results = st.container()

st.subheader("Capacity assumptions")
st.caption(f"From **{base.scenario}**. Edit a cell to see its effect above; save to keep it.")
digest = zlib.crc32(json.dumps(base.payload, sort_keys=True, default=str).encode())
sizing = st.data_editor(
    sizing_frame(base.capacity),
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
            "Redundancy", options=["none", "n+1", "per-zone"]
        ),
        "zones": Num("Zones", min_value=1, step=1),
        "min_instances": Num("Min pods", min_value=0, step=1),
        "instance_type": st.column_config.SelectboxColumn(
            "Instance type", options=list(base.instance_types)
        ),
        "hours_per_month": Num(
            "Hours/month", help="Billing hours in a month (AWS: 730)", min_value=1
        ),
    },
)
thresholds = st.data_editor(
    thresholds_frame(base.capacity),
    hide_index=True,
    key=f"cap_thresholds_{digest}",
    disabled=["metric"],
    column_config={
        "metric": "Metric",
        "threshold_pct": Num("Alert threshold %", min_value=1, max_value=100),
    },
)
try:
    settings = edited_settings(base.capacity, sizing, thresholds)
except CapcostError as exc:
    st.info(f"That edit is not used: {exc}", icon=":material/info:")
    settings = ()
n1, n2 = st.columns([3, 1], vertical_alignment="bottom")
name = n1.text_input("Save as assumption set", value=base.scenario if base.sets else selected)
n2.button(
    "Save",
    icon=":material/save:",
    on_click=save_set,
    disabled=not name.strip(),
    args=(name, canonical({**base.payload, **dict(settings)})),
)

options = CapacityOptions(
    scenario=scenario,
    settings=settings,
    level=st.session_state["cap_level"],
    model=st.session_state["cap_model"],
    paths=int(st.session_state["cap_paths"]),
    seed=int(st.session_state["cap_seed"]),
    quarters=int(st.session_state["cap_quarters"]),
    days=int(st.session_state["cap_days"]),
)
with results:
    report = state.capacity(options)
    if isinstance(report, Excuse):
        st.info(report.reason, icon=":material/info:")
        st.stop()
    cur = base.currency
    st.subheader("Quarterly plan: demand to instances to dollars")
    if isinstance(report.plan, Excuse):
        st.info(f"The plan cannot be computed: {report.plan.reason}", icon=":material/info:")
    else:
        show_plan(report.plan, cur)
    st.subheader("Runway to alert thresholds")
    if isinstance(report.runway, Excuse):
        st.info(f"The runway cannot be computed: {report.runway.reason}", icon=":material/info:")
    else:
        show_runway(report.runway, cur)
