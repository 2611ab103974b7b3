"""Savings: levers stacked without double counting, commitments on the forecast, a stated plan."""

from __future__ import annotations

import contextlib
import json
import zlib
from typing import Any

import streamlit as st

from app import charts, state
from forecasting.capacity.choices import Choices
from forecasting.export import to_csv_bytes
from forecasting.interface import DEFAULT_SCENARIO, Excuse
from forecasting.models.registry import model_names
from forecasting.savings.explain import (
    explain_commitments,
    explain_levers,
    explain_reconciliation,
)
from forecasting.savings.service import (
    CommitmentResult,
    LeverResult,
    ReconcileResult,
    SavingsOptions,
)
from forecasting.scenario.assumptions import canonical, changes

DEFAULTS: dict[str, Any] = {
    "assumption_set": DEFAULT_SCENARIO,
    "sv_level": 80,
    "sv_model": "auto",
    "sv_paths": 1000,
    "sv_seed": 0,
    "sv_lookback": [7, 30, 60],
}
for key, value in DEFAULTS.items():
    st.session_state.setdefault(key, value)
# A link such as ?model=drift&paths=200&seed=1 opens the page with those forecast settings
# (once per session: a later widget change wins).
if not st.session_state.get("sv_from_url"):
    st.session_state["sv_from_url"] = True
    for name, parse in {"model": str, "paths": int, "seed": int}.items():
        with contextlib.suppress(ValueError):
            value = parse(st.query_params.get(name, ""))
            if name != "model" or value in ["auto", *model_names()]:
                st.session_state[f"sv_{name}"] = value
Num = st.column_config.NumberColumn


def download(label: str, frame: Any, name: str) -> None:
    st.download_button(
        label, to_csv_bytes(frame), file_name=name, mime="text/csv", icon=":material/download:"
    )


def save_set(name: str, payload: dict[str, Any]) -> None:
    saved = state.save_assumptions(name, payload, note="edited on the Savings page")
    if isinstance(saved, Excuse):
        st.session_state["sv_notice"] = ("info", f"Not saved: {saved.reason}")
        return
    st.session_state.update(assumption_set=name, sv_set=name)
    st.session_state["sv_notice"] = ("success", f"Saved **{name}** version {saved}.")


# Lever -> (scenario field, label, kind); "pct" fields are fractions shown in %.
INPUTS = {
    "Right-size": [("instance_type", "Instance type", "instance"),
                   ("cpu_percentile", "CPU percentile", "num"),
                   ("cpu_headroom", "CPU headroom %", "pct"),
                   ("memory_headroom", "Memory headroom %", "pct")],
    "CDN caching": [("cdn_provider", "CDN", "cdn"), ("origin_in_aws", "Origin in AWS", "check"),
                    ("request_hit_ratio", "Request hit ratio now %", "pct"),
                    ("target_request_hit_ratio", "Target request hit ratio %", "pct"),
                    ("edge_gb_per_month", "Edge GB/month", "num")],
    "Database": [("database_provider", "Provider", "provider"), ("database_tier", "Tier", "tier"),
                 ("query_cpu_reduction", "Less CPU per query %", "pct"),
                 ("iops_reduction", "Fewer IOPS %", "pct"), ("database_disk_gb", "Disk GB", "num")],
    "Commitments": [("commitment_offering", "Offering", "offering"),
                    ("commitment_term_years", "Term, years", "term"),
                    ("commitment_payment", "Payment", "payment")],
}  # fmt: skip


LEVER_NAMES = {"Right-size": "right-size", "CDN caching": "cdn", "Database": "database",
               "Commitments": "commitments"}  # fmt: skip


def _options(kind: str, base: Choices, values: dict[str, Any]) -> list[Any]:
    return {
        "instance": list(base.instance_types),
        "cdn": list(base.cdn_providers),
        "provider": list(base.database_tiers),
        "tier": list(base.database_tiers.get(values.get("database_provider", ""), ())),
        "offering": ["compute_sp", "ri_standard"],
        "term": [1, 3],
        "payment": ["no_upfront", "partial_upfront", "all_upfront"],
    }.get(kind, [])


def lever_input(label: str, kind: str, value: Any, key: str, choices: list[Any]) -> Any:
    if kind == "check":
        return st.checkbox(label, value, key=key)
    if kind == "pct":
        shown = None if value is None else round(100 * value, 6)
        out = st.number_input(label, 0.0, 100.0, shown, 5.0, "%g", key, placeholder="not set")
        return None if out is None else out / 100
    if kind == "num":
        number = None if value is None else float(value)
        return st.number_input(label, 0.0, None, number, key=key, placeholder="not set")
    return st.selectbox(label, choices, choices.index(value) if value in choices else 0, key=key)


def lever_inputs(base: Choices, digest: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """One bordered column per lever, prefilled from the assumption set; returns the values
    and, per lever, a slot for what the data said once the levers are modelled."""
    values: dict[str, Any] = {}
    slots: dict[str, Any] = {}
    for column, (lever, fields) in zip(st.columns(4, border=True), INPUTS.items(), strict=True):
        column.markdown(f"**{lever}**")
        for field, label, kind in fields:
            # The tier list depends on the provider: a new provider gets a fresh tier box.
            key = f"sv_{field}_{digest}" + (
                f"_{values['database_provider']}" if kind == "tier" else ""
            )
            with column:
                values[field] = lever_input(label, kind, getattr(base.savings, field), key,
                                             _options(kind, base, values))  # fmt: skip
        slots[LEVER_NAMES[lever]] = column.empty()
    return values, slots


def pair(label: str, value: float, share: str, cur: str) -> tuple[str, str, str]:
    return label, f"{value:,.0f} {cur}", share


def metrics(items: list[tuple[str, str, str]]) -> None:
    for column, (label, value, delta) in zip(st.columns(len(items)), items, strict=True):
        column.metric(label, value, delta=delta or None, delta_color="off", delta_arrow="off")


def explained(text: str) -> None:
    with st.expander("How is this computed", icon=":material/help:"):
        st.markdown(text)


def show_levers(r: LeverResult) -> None:
    # The commitment lever's bounds are the P10 and P90 of its savings across paths.
    cur, (lo, hi), esr = r.currency, ("P10", "P90"), r.effective_savings_rate
    metrics([
        pair(f"Spend {r.base_month}", r.spend, "", cur),
        pair("Stacked savings / month", r.stacked_total,
             f"{100 * r.stacked_total / r.spend:.1f}% of spend", cur),
        pair("Naive sum / month", r.naive_total,
             f"{r.naive_total - r.stacked_total:+,.0f} counted twice", cur),
        ("Effective savings rate today (Compute)",
         f"{esr:.1%}" if isinstance(esr, float) else str(esr or "n/a"), ""),
    ])  # fmt: skip
    st.plotly_chart(charts.waterfall(r.table, "lever", "monthly_savings", "naive_monthly",
                                     f"Savings per month, stacked in order ({r.base_month})",
                                     f"{cur}/month"), width="stretch")  # fmt: skip
    config = {"order": "Order", "lever": "Lever", "category": "Acts on",
              "base_monthly": Num(f"Base {cur}/month", format="%.0f"),
              "monthly_savings": Num(f"Saving {cur}/month", format="%.0f"),
              "lower": Num(lo, format="%.0f"), "upper": Num(hi, format="%.0f"),
              "percent_of_base": Num("% of base", format="%.1f"),
              "naive_monthly": Num("Naive", format="%.0f"),
              "assumptions": st.column_config.TextColumn("Assumptions", width="large")}  # fmt: skip
    st.dataframe(r.table, hide_index=True, column_order=list(config), column_config=config)
    download("Download the levers (CSV)", r.export(), f"savings_levers_{r.base_month}.csv")
    explained(explain_levers(r))


def show_commitments(r: CommitmentResult, cur: str) -> None:
    best = r.table.iloc[0]
    if isinstance(r.by_demand, Excuse) or isinstance(r.cumulative, Excuse):
        st.info(str(best["note"]), icon=":material/info:")
    else:
        metrics([("Recommended commitment", f"{best['hourly_commitment_usd']:,.2f} {cur}/h", ""),
                 ("Coverage", f"{best['coverage']:.0%}", ""),
                 ("Utilisation", f"{best['utilisation']:.0%}", ""),
                 ("Break-even month", str(best["break_even_month"]), "")])  # fmt: skip
        st.caption(r.label)
        left, right = st.columns(2)
        demand = [c for c in r.cumulative.columns if c != "month"]
        cumulative = charts.lines(
            r.cumulative,
            "month",
            demand,
            f"Cumulative cash savings if demand follows {' / '.join(demand)}",
            cur,
        )
        left.plotly_chart(cumulative, width="stretch")
        by_method = charts.bars(
            r.table,
            "method",
            "expected_monthly_savings_usd",
            "Expected savings per month: forecast vs look-back",
            cur,
        )
        right.plotly_chart(by_method, width="stretch")
        st.caption("The recommendation if demand follows each quantile of the forecast")
        st.dataframe(r.by_demand, hide_index=True, column_config={
            "coverage": Num("Coverage", format="percent"),
            "utilisation": Num("Utilisation", format="percent"),
            "usage_usd_per_hour": Num(f"Usage {cur}/h", format="%.2f"),
            "monthly_savings_usd": Num(f"Savings {cur}/month", format="%.0f")})  # fmt: skip
    st.caption("The forecast's recommendation beside AWS's look-back method, on the same paths")
    lo, hi = "P10", "P90"  # evaluate() reports these quantiles of the paths' savings
    config = {"method": "Method", "hourly_commitment_usd": Num(f"Commit {cur}/h", format="%.2f"),
              "covered_usd_per_hour": Num(f"Covers {cur}/h", format="%.2f"),
              "upfront_usd": Num(f"Upfront {cur}", format="%.0f"),
              "coverage": Num("Coverage", format="percent"),
              "utilisation": Num("Utilisation", format="percent"),
              "expected_monthly_savings_usd": Num(f"Savings {cur}/month", format="%.0f"),
              "savings_lower_usd": Num(lo, format="%.0f"),
              "savings_upper_usd": Num(hi, format="%.0f"),
              "break_even_month": "Break-even month",
              # The downside is the P10 of demand whatever the band's level.
              "downside_monthly_savings_usd": Num(f"At P10 demand {cur}/month", format="%.0f"),
              "downside_utilisation": Num("Utilisation at P10", format="percent"),
              "downside_break_even_month": "Break-even at P10", "note": "Note"}  # fmt: skip
    st.dataframe(r.table, hide_index=True, column_config=config)
    download("Download the commitments (CSV)", r.export(), "commitments.csv")
    explained(explain_commitments(r))


def show_reconciliation(r: ReconcileResult) -> None:
    cur, pct = r.currency, 100 / r.total_spend if r.total_spend else 0.0
    metrics([
        pair("Stated savings / month", r.stated_total,
             f"{r.stated_total * pct:.1f}% of spend", cur),
        pair("Modelled, stacked", r.stacked_total, f"{r.stacked_total * pct:.1f}% of spend", cur),
        pair("Naive sum of the lines", r.naive_total,
             f"{r.naive_total - r.stacked_total:+,.0f} counted twice", cur),
    ])  # fmt: skip
    flagged = int(r.lines["flags"].astype(str).str.len().gt(0).sum())
    (st.warning if flagged else st.success)(f"{flagged} of {len(r.lines)} lines flagged; "
                                            f"{r.summary()}")  # fmt: skip
    st.dataframe(r.table, hide_index=True, column_config={"flags": st.column_config.TextColumn(
        "Flags", width="large")})  # fmt: skip
    left, right = st.columns(2)
    ordered = r.lines.sort_values("order")
    left.plotly_chart(charts.waterfall(ordered, "initiative", "modelled_monthly", "naive_monthly",
                                       f"The stated plan stacked ({r.base_month})", f"{cur}/month"),
                      width="stretch")  # fmt: skip
    right.plotly_chart(charts.grouped_bars(ordered, "initiative", {"stated_monthly": "stated",
                       "modelled_monthly": "modelled (stacked)"}, "Stated vs modelled, per line",
                       f"{cur}/month"), width="stretch")  # fmt: skip
    download("Download the reconciliation (CSV)", r.export(), f"stated_plan_{r.base_month}.csv")
    explained(explain_reconciliation(r))


st.title("Savings")
if notice := st.session_state.pop("sv_notice", None):
    getattr(st, notice[0])(notice[1])
selected = st.session_state["assumption_set"]
scenario = None if selected == DEFAULT_SCENARIO else selected
base = state.choices(scenario)
if isinstance(base, Excuse):
    st.info(base.reason, icon=":material/info:")
    st.stop()
if not base.full_months:
    st.info(
        "No full month of cost data yet: ingest a billing export (Data page).",
        icon=":material/info:",
    )
    st.stop()

c = st.columns([2, 1, 1, 1])
sets = list(base.sets) or [DEFAULT_SCENARIO]
c[0].selectbox(
    "Assumption set",
    sets,
    index=sets.index(selected) if selected in sets else 0,
    key="sv_set",
    on_change=lambda: st.session_state.update(assumption_set=st.session_state["sv_set"]),
)
month = c[1].selectbox(
    "Base month", base.full_months, key="sv_month", help="Its spend is the base of every lever."
)
c[2].select_slider("Interval level %", [50, 80, 90, 95], key="sv_level")
c[3].selectbox("Model", ["auto", *model_names()], key="sv_model")
with st.expander("Simulation settings", icon=":material/tune:"):
    s1, s2, s3 = st.columns(3)
    s1.number_input("Sample paths", 1, 5000, key="sv_paths")
    s2.number_input("Random seed", 0, 2**31 - 1, key="sv_seed")
    s3.multiselect("Look-back windows, days", [7, 14, 30, 60, 90], key="sv_lookback")
top, recon, bottom = st.container(), st.container(), st.container()

with bottom:
    st.subheader("Lever inputs")
    st.caption(f"Prefilled from **{base.scenario}**; a change recomputes the levers above.")
    digest = zlib.crc32(json.dumps(base.payload, sort_keys=True, default=str).encode())
    values, found = lever_inputs(base, digest)
    settings = changes(base.savings, values)
    n1, n2 = st.columns([3, 1], vertical_alignment="bottom")
    name = n1.text_input("Save lever inputs to assumption set", value=selected).strip()
    n2.button(
        "Save",
        icon=":material/save:",
        on_click=save_set,
        disabled=not name,
        args=(name, canonical({**base.payload, **dict(settings)})),
    )

with recon:
    st.subheader("Stated plan reconciliation")
    r1, r2, r3 = st.columns([1, 2, 1])
    source = r1.radio("Plan", ["Stored plan", "Upload a CSV"], key="sv_source")
    if source == "Stored plan":
        stated: str | bytes | None = r2.text_input("Stored plan name", "apex-2026", key="sv_plan")
        label = str(stated)
    else:
        upload = r2.file_uploader("CSV: initiative,category,percent,monthly_savings", type=["csv"])
        stated, label = (upload.getvalue(), upload.name) if upload else (None, "")
    tolerance = r3.number_input("Tolerance %", 0.0, 99.0, 10.0, 1.0, key="sv_tol")

options = SavingsOptions(
    scenario=scenario,
    settings=settings,
    level=st.session_state["sv_level"],
    model=st.session_state["sv_model"],
    paths=int(st.session_state["sv_paths"]),
    seed=int(st.session_state["sv_seed"]),
    base_month=month,
    tolerance=tolerance / 100,
    lookback=tuple(sorted(st.session_state["sv_lookback"])),
)
report = state.savings(options, stated or None, label)
with top:
    if isinstance(report, Excuse):
        st.info(report.reason, icon=":material/info:")
        st.stop()
    st.subheader("Levers, stacked without double counting")
    if isinstance(report.levers, Excuse):
        st.info(f"The levers cannot be modelled: {report.levers.reason}", icon=":material/info:")
    else:
        show_levers(report.levers)
        for row in report.levers.table.itertuples():
            found[str(row.lever)].caption(f"Result: {row.assumptions}")
    st.subheader("Commitments sized on the forecast")
    if isinstance(report.commitments, Excuse):
        st.info(f"No commitment can be sized: {report.commitments.reason}", icon=":material/info:")
    else:
        show_commitments(report.commitments, base.currency)
with recon:
    if report.reconciliation is None:
        st.info("Choose a stored plan or upload one to reconcile it.", icon=":material/info:")
    elif isinstance(report.reconciliation, Excuse):
        st.info(report.reconciliation.reason, icon=":material/info:")
    else:
        show_reconciliation(report.reconciliation)
