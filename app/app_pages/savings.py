"""Savings: levers stacked without double counting, commitments on the forecast, a stated plan."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import charts, memo, state, widgets
from forecasting.interface import DEFAULT_SCENARIO, Excuse
from forecasting.presentation import format_month, readable_text
from forecasting.savings.service import (
    CommitmentResult,
    LeverResult,
    ReconcileResult,
    SavingsOptions,
)
from forecasting.scenario.assumptions import canonical, changes
from forecasting.scenario.catalogue import choice_label
from forecasting.views import savings as views
from forecasting.views.assumptions import Choices
from forecasting.views.display import Column
from forecasting.views.savings import (
    LEVER_INPUTS,
    InputKind,
    LeverInput,
    SavingsView,
    input_options,
)

widgets.forecast_defaults("sv", DEFAULT_SCENARIO, lookback=[7, 30, 60])


def lever_input(spec: LeverInput, value: Any, key: str, choices: list[Any]) -> Any:
    if spec.kind is InputKind.CHECK:
        return st.checkbox(spec.label, value, key=key)
    if spec.kind is InputKind.PERCENT:
        shown = None if value is None else round(100 * value, 6)
        out = st.number_input(spec.label, 0.0, 100.0, shown, 5.0, "%g", key, placeholder="not set")
        return None if out is None else out / 100
    if spec.kind is InputKind.NUMBER:
        if isinstance(value, int) and not isinstance(value, bool):  # days, a count: whole
            return st.number_input(spec.label, 0, None, value, 1, key=key, placeholder="not set")
        number = None if value is None else float(value)
        return st.number_input(
            spec.label, 0.0, None, number, format="%g", key=key, placeholder="not set"
        )
    index = choices.index(value) if value in choices else 0
    return st.selectbox(spec.label, choices, index, key=key, format_func=choice_label)


def lever_inputs(
    base: Choices, digest: int, kept: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One bordered column per lever, prefilled from ``kept`` (the values edited before the
    inputs were last closed) or else the assumption set; returns the values and, per lever, a
    slot for what the data said once the levers are modelled."""
    values: dict[str, Any] = {}
    slots: dict[str, Any] = {}
    for column, (lever, (title, specs)) in zip(
        st.columns(4, border=True), LEVER_INPUTS.items(), strict=True
    ):
        column.markdown(f"**{title}**")
        for spec in specs:
            # The tier list depends on the provider: a new provider gets a fresh tier box.
            key = f"sv_{spec.field}_{digest}"
            if spec.field == "database_tier":
                key += f"_{values['database_provider']}"
            with column:
                choices = input_options(spec.field, base, values)
                value = kept.get(spec.field, getattr(base.savings, spec.field))
                values[spec.field] = lever_input(spec, value, key, choices)
        slots[lever] = column.empty()
    return values, slots


def show_levers(r: LeverResult, lo: str, hi: str) -> None:
    widgets.cards(views.lever_cards(r))
    month, unit = format_month(r.base_month), f"{r.currency}/month"
    named = views.lever_rows(r.table)
    title = f"Savings per month, stacked in order ({month})"
    chart = memo.made(
        charts.waterfall, named, "lever", "monthly_savings", "naive_monthly", title, unit
    )
    st.plotly_chart(chart, width="stretch")
    widgets.table(named, views.lever_columns(r.currency, lo, hi), only=True)
    widgets.download("Download the levers (CSV)", r.export, f"savings_levers_{r.base_month}.csv")
    widgets.explained(views.explain_levers(r))


def commitment_figure(cumulative: pd.DataFrame | None, frame: pd.DataFrame, cur: str) -> go.Figure:
    figures = []
    if cumulative is not None:
        demand = [c for c in cumulative.columns if c != "month"]
        title = f"Cumulative cash savings if demand follows {' / '.join(demand)}"
        figures.append(
            charts.lines(
                cumulative,
                "month",
                demand,
                title,
                cur,
                x_title="Month of the term",
                on_top="P50" if "P50" in demand else None,
            )
        )
    pairs = {
        "lookback_monthly_savings_usd": "on its look-back window",
        "expected_monthly_savings_usd": "on the forecast",
    }
    title = "Commitment savings / month: past window vs forecast"
    bars = charts.grouped_bars(frame, "label", pairs, title, f"{cur}/month", first_colour=4)
    figures.append(bars)
    return charts.panels(figures)


def show_commitments(r: CommitmentResult, cur: str, lo: str, hi: str) -> None:
    if isinstance(r.by_demand, Excuse) or isinstance(r.cumulative, Excuse):
        widgets.excused(Excuse(str(r.table.iloc[0]["note"])))
    else:
        st.caption("**Forecast method**: sized on the forecast's sample paths over the term")
        widgets.cards(views.commitment_cards(r, cur))
    if aws := views.aws_cards(r, cur):
        st.caption("**AWS's look-back**: the past window's own hourly usage, assumed to repeat")
        widgets.cards(aws)
    st.caption(readable_text(r.label))
    cumulative = None if isinstance(r.cumulative, Excuse) else r.cumulative
    frame = views.commitment_chart_frame(r)
    st.plotly_chart(memo.made(commitment_figure, cumulative, frame, cur), width="stretch")
    if not isinstance(r.by_demand, Excuse):
        st.caption(views.demand_story(r, cur))
        widgets.table(r.by_demand, views.demand_columns(cur))
    st.caption(views.lookback_caption(r))
    widgets.table(r.table, views.lookback_columns(cur, r.table), only=True)
    st.caption(views.commitment_caption(r, lo, hi))
    shown = views.commitment_table(r, cur)
    widgets.table(shown, views.commitment_columns(cur, lo, hi, r.table), only=True)
    widgets.download("Download the commitments (CSV)", r.export, "commitments.csv")
    widgets.explained(views.explain_commitments(r))


def stated_figure(ordered: pd.DataFrame, title: str, unit: str) -> go.Figure:
    stacked = charts.waterfall(
        ordered, "initiative", "modelled_monthly", "naive_monthly", title, unit
    )
    pairs = {"stated_monthly": "stated", "modelled_monthly": "modelled (stacked)"}
    per_line = charts.grouped_bars(
        ordered, "initiative", pairs, "Stated vs modelled, per line", unit
    )
    return charts.panels([stacked, per_line])


def show_reconciliation(r: ReconcileResult) -> None:
    widgets.cards(views.reconciliation_cards(r))
    flagged, summary = views.flagged_summary(r)
    (st.warning if flagged else st.success)(summary)
    widgets.table(r.table, {"flags": Column("Flags", "wide")}, currency=r.currency)
    ordered, unit = r.lines.sort_values("order"), f"{r.currency}/month"
    title = f"The stated plan stacked ({format_month(r.base_month)})"
    st.plotly_chart(memo.made(stated_figure, ordered, title, unit), width="stretch")
    name = f"stated_plan_{r.base_month}.csv"
    widgets.download("Download the reconciliation (CSV)", r.export, name)
    widgets.explained(views.explain_reconciliation(r))


st.title("Savings")
widgets.notice("sv")
selected = st.session_state["assumption_set"]
scenario = None if selected == DEFAULT_SCENARIO else selected
base = state.choices(scenario)
if widgets.excused(base):
    st.stop()
if not base.full_months:
    widgets.note("No full month of cost data yet: ingest a billing export (Data page).")
    st.stop()

c = st.columns([2, 1, 1, 1])
widgets.set_picker(c[0], base.sets, DEFAULT_SCENARIO, "sv")
month = c[1].selectbox(
    "Base month",
    base.full_months,
    key="sv_month",
    format_func=format_month,
    help="A full month: its spend is the base of every lever (the running month is not "
    "offered, as part of a month would understate every saving).",
)
widgets.forecast_settings(c[2], c[3], "sv")
(lookback,) = widgets.simulation_settings("sv", extra=1)
lookback.multiselect("Look-back windows, days", [7, 14, 30, 60, 90], key="sv_lookback")
section = widgets.section(views.SECTIONS, "sv_section")
top, bottom = st.container(), st.container()

with bottom:
    st.subheader("Lever inputs")
    digest = widgets.digest(base.payload)
    # Drawn when asked for (17 inputs in four bordered columns were ~13% of the browser's
    # work on each warm load); what was edited is kept while they are closed, and used.
    kept_key = f"sv_levers_{digest}"
    kept: dict[str, Any] = st.session_state.get(kept_key, {})
    editing = st.toggle(
        "Edit the lever inputs",
        key="sv_editing",
        help="A change recomputes the section above; save to keep it.",
    )
    found: dict[str, Any] = {}
    if editing:
        st.caption(f"Prefilled from **{base.scenario}**; a change recomputes the section above.")
        values, found = lever_inputs(base, digest, kept)
        st.session_state[kept_key] = values
    else:
        fields = [spec.field for _, specs in LEVER_INPUTS.values() for spec in specs]
        values = {f: kept.get(f, getattr(base.savings, f)) for f in fields}
    settings = changes(base.savings, values)
    if not editing:
        edited = (
            f" **Edited here, not saved:** {views.edited_inputs(settings)}." if settings else ""
        )
        st.caption(f"From **{base.scenario}**: open them to read or change them.{edited}")
    payload = canonical({**base.payload, **dict(settings)})
    widgets.save_row("Save lever inputs to assumption set", selected, payload, "sv", "Savings")

stated: str | bytes | None = None
label, tolerance = "", 10.0
if section == "stated":
    with top:
        st.subheader("Stated plan reconciliation")
        r1, r2, r3 = st.columns([1, 2, 1])
        source = r1.radio("Plan", ["Stored plan", "Upload a CSV"], key="sv_source")
        if source == "Stored plan":
            stated = r2.text_input("Stored plan name", "apex-2026", key="sv_plan")
            label = str(stated)
        else:
            upload = r2.file_uploader(
                "CSV: initiative,category,percent,monthly_savings", type=["csv"]
            )
            stated, label = (upload.getvalue(), upload.name) if upload else (None, "")
        tolerance = r3.number_input("Tolerance %", 0.0, 99.0, 10.0, 1.0, key="sv_tol")

options = SavingsOptions(
    scenario=scenario,
    settings=settings,
    **widgets.forecast_values("sv"),
    base_month=month,
    tolerance=tolerance / 100,
    lookback=tuple(sorted(st.session_state["sv_lookback"])),
)
view: SavingsView | Excuse = state.savings(options, section, stated or None, label)
with top:
    if widgets.excused(view):
        st.stop()
    lo, hi = view.band_labels
    if settings:  # kept edits outlive the page visit: say so where the figures are
        st.caption(
            ":material/edit: Sized on lever inputs edited below, not saved: "
            f"{views.edited_inputs(settings)}."
        )
    if view.levers is not None:
        st.subheader("Levers, stacked without double counting")
        if not widgets.excused(view.levers, "The levers cannot be modelled: "):
            show_levers(view.levers, lo, hi)
            evidence = view.lever_evidence
            for lever, result in view.lever_results.items():
                if lever not in found:  # the inputs are closed: the notes above say it
                    continue
                with found[lever].container():
                    st.caption(f"Result: {readable_text(result)}")
                    if lever in evidence:
                        st.caption(f"Evidence: {readable_text(evidence[lever])}")
    if view.commitments is not None:
        st.subheader("Commitments: the forecast beside AWS's look-back")
        if not widgets.excused(view.commitments, "No commitment can be sized: "):
            show_commitments(view.commitments, base.currency, lo, hi)
    if section == "stated":
        if view.reconciliation is None:
            widgets.note("Choose a stored plan or upload one to reconcile it.")
        elif not widgets.excused(view.reconciliation):
            show_reconciliation(view.reconciliation)
