"""The Capacity page: the quarterly plan and the runway, their notes, the assumption editors."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from forecasting.capacity.service import CapacityOptions, PlanResult, RunwayResult, plan, runway
from forecasting.demand.chain import FIT_MONTHS, USERS
from forecasting.errors import InputError
from forecasting.interface import Excuse, or_excuse
from forecasting.models.options import PathForecaster, run_models
from forecasting.presentation import (
    format_date,
    format_number,
    format_percent,
    format_quarter,
    header,
)
from forecasting.presentation.figures import is_missing
from forecasting.presentation.gap import explain_gap
from forecasting.scenario.assumptions import CapacityAssumptions, Redundancy, changes
from forecasting.store import Store
from forecasting.views.assumptions import forecast_text, settings_text
from forecasting.views.display import Card, Column, Tone

REDUNDANCY_OPTIONS = [r.value for r in Redundancy]
"""What the sizing editor's redundancy column offers."""
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class CapacityView:
    """The plan and the runway for one set of options; a part that cannot be computed is an
    Excuse. Money is in the billing currency, per month (730 hours unless the set says)."""

    plan: PlanResult | Excuse | None
    """Quarterly demand -> instances -> cost, P50 with the band from ``band_labels``; None
    when not asked for (the page builds the section it shows)."""
    runway: RunwayResult | Excuse | None
    """Days until each utilisation metric reaches its alert threshold; None when not asked
    for."""
    band_labels: tuple[str, str]
    """The band's lower and upper quantile as labels, ``("P10", "P90")`` at level 80."""
    data_to: date | None = None
    """The last full day of the data the plan reads: the quarter it stops inside is running."""

    @property
    def plan_notes(self) -> str:
        """How the plan is computed (Markdown; "" without a plan)."""
        return explain_plan(self.plan) if isinstance(self.plan, PlanResult) else ""

    @property
    def runway_notes(self) -> str:
        """How the runway is computed (Markdown; "" without a runway)."""
        return explain_runway(self.runway) if isinstance(self.runway, RunwayResult) else ""


SECTIONS = {"plan": "Quarterly plan", "runway": "Runway"}
"""The page's sections, one shown at a time: code -> title (the link names it by its title:
``?cap_section=Runway``)."""


def build_capacity(
    store: Store,
    options: CapacityOptions,
    forecaster: PathForecaster = run_models,
    sections: tuple[str, ...] = tuple(SECTIONS),
) -> CapacityView:
    """The Capacity page's plan and runway, those of ``sections`` only (``forecaster``: the
    app passes a cached one)."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise InputError(
            f"unknown section {sorted(unknown)[0]!r}; try: {', '.join(SECTIONS)}",
            parameter="sections",
        )
    return CapacityView(
        plan=or_excuse(lambda: plan(store, options, forecaster)) if "plan" in sections else None,
        runway=or_excuse(lambda: runway(store, options, forecaster))
        if "runway" in sections
        else None,
        band_labels=options.band_labels,
        data_to=store.last_full_day(USERS),
    )


def plan_cards(result: PlanResult, cur: str) -> list[Card]:
    """The last planned quarter's instances, cost and peak at P50, against the latest
    observed quarter (the first quarter when none is observed yet), the band as a tooltip."""
    t, (lo, hi) = result.table, result.options.band_labels
    observed = t[t["source"] != "forecast"]  # empty when the year's first month is forecast
    last, now = t.iloc[-1], observed.iloc[-1] if len(observed) else t.iloc[0]
    # A running quarter is its observed months plus a forecast of the rest (a whole
    # quarter's figure per month, not a part), and the note says so.
    since = format_quarter(now["quarter"])
    if now["source"] not in ("actual", "forecast"):
        since += " (observed + forecast)"
    cards = []
    for label, name, fmt in [
        ("Instances", "instances", "{:,.0f}"),
        ("Infrastructure cost / month", "cost_per_month", "{:,.0f} " + cur),
        ("Peak req/s", "requests_per_second_peak", "{:,.0f}"),
    ]:
        band = f"{fmt.format(last[f'{name}_lower'])} to {fmt.format(last[f'{name}_upper'])}"
        change = fmt.format(last[name] - now[name])
        cards.append(
            Card(
                f"{label}, {format_quarter(last['quarter'])} (P50)",
                fmt.format(last[name]),
                f"{'' if change.startswith('-') else '+'}{change} vs {since}",
                Tone.CHANGE,
                help=f"{lo}–{hi}: {band}",
            )
        )
    return cards


PLAN_CHARTS = [
    ("users", "Users (quarterly mean)", "users", "plan_users"),
    ("requests_per_second", "Requests/s (quarterly mean)", "req/s", "plan_requests_per_second"),
    ("instances", "Instances (from the quarter's peak req/s)", "instances", None),
    ("cost_per_month", "Infrastructure cost per month", "", "plan_cost_per_month"),
]
"""Per banded chart: column, title, unit ("": the currency) and the plan-of-record column."""


def plan_chart_frame(
    result: PlanResult, data_to: date | None
) -> tuple[pd.DataFrame, str | None, str]:
    """The plan with quarters labelled as people read them ("2026 Q4"); the label of the
    running quarter (the one ``data_to`` falls in; None when the data ends with a quarter)
    and what its figures are made of, for the chart to say."""
    t = result.table
    labelled = t.assign(quarter=t["quarter"].map(format_quarter))
    if data_to is None:
        return labelled, None, ""
    starts = pd.PeriodIndex(t["quarter"], freq="Q").start_time
    running = t[~t["complete"].astype(bool) & (starts <= pd.Timestamp(data_to))]
    if running.empty:
        return labelled, None, ""
    row = running.iloc[0]
    forecast = row["source"] == "forecast"
    made = "forecast, no full month yet" if forecast else "observed months + forecast"
    return labelled, format_quarter(row["quarter"]), made


def plan_table(result: PlanResult) -> pd.DataFrame:
    """The plan with each band as one "low–high" cell too, which keeps the document's shape
    within a projector's width. A quarter that happened has no band: its cell is the figure
    alone (it read "34–34")."""
    t = result.table

    def cells(column: str) -> list[str]:
        lows, highs = t[f"{column}_lower"], t[f"{column}_upper"]
        return [
            f"{a:,.0f}" if f"{a:,.0f}" == f"{b:,.0f}" else f"{a:,.0f}–{b:,.0f}"
            for a, b in zip(lows, highs, strict=True)
        ]

    return t.assign(instances_band=cells("instances"), cost_band=cells("cost_per_month"))


def plan_columns(cur: str, lo: str, hi: str) -> dict[str, Column]:
    """The plan table's columns, in the order shown."""
    return {
        "quarter": Column("Quarter"),
        "source": Column("Source"),
        "users": Column("Users"),
        "requests_per_second": Column("Req/s"),
        "requests_per_second_peak": Column("Peak req/s"),
        "peak_to_average": Column("Peak/average"),
        "instances": Column("Instances"),
        "instances_band": Column(f"Instances {lo}–{hi}"),
        "cost_per_month": Column(f"Cost/month ({cur})"),
        "cost_band": Column(f"Cost {lo}–{hi}"),
        "chain_cost_per_month": Column(f"Demand chain cost ({cur})"),
        "direct_cost_per_month": Column(f"Direct cost forecast ({cur})"),
        "plan_users": Column("Plan: users"),
        "plan_requests_per_second": Column("Plan: req/s"),
        "plan_cost_per_month": Column(f"Plan: cost/month ({cur})"),
    }


def runway_table(result: RunwayResult) -> pd.DataFrame:
    """The runway as people read it: dates as "25 Mar 2027"; dates share a
    column with "not within the horizon", dollars with the reason there are none: such
    columns are text, their numbers rounded as the column's figures are."""
    table = result.table.copy()  # its metric reads in words as every table's does
    for column in [c for c in table if table[c].dtype == object]:
        table[column] = table[column].astype(str).map(_runway_cell)
    return table


def _runway_cell(value: str) -> str:
    if ISO_DAY.fullmatch(value):
        return format_date(value)
    try:
        return format_number(float(value), 0)
    except ValueError:
        return value


def runway_chart_frame(result: RunwayResult) -> pd.DataFrame:
    """The runway's timeline with each row named in words: "CPU utilization ≥ 70%"."""
    t, frame = result.table, result.timeline()
    names = [f"{header(m)} ≥ {v:g}%" for m, v in zip(t["metric"], t["threshold_pct"], strict=True)]
    return frame.assign(label=names)


def runway_columns(cur: str, early: str, hi: str) -> dict[str, Column]:
    """The runway table's columns, in the order shown: the early warning (one path in ten
    has crossed, at level 80) before the median first crossing."""
    return {
        "metric": Column("Metric"),
        "threshold_pct": Column("Threshold %"),
        "current_pct": Column("Now % (daily peak)"),
        f"date_{early.lower()}": Column(f"Early warning ({early})"),
        "date_p50": Column("Half the paths (P50)"),
        "probability_within_horizon": Column("Chance within horizon"),
        f"max_{hi.lower()}_pct": Column(f"Peak {hi} %"),
        "headroom_factor": Column("Headroom x"),
        "headroom_monthly_usd": Column(f"Headroom {cur}/month"),
        "cost_group": Column("Paid by"),
    }


_REDUNDANCY = {
    Redundancy.NONE: "no spare instance",
    Redundancy.N_PLUS_1: "plus one instance, so losing any one still serves the peak",
    Redundancy.PER_ZONE: "rounded up to a multiple of the zones, so every zone runs the same "
    "number",
}


def instances_formula(a: CapacityAssumptions) -> str:
    return (
        f"**Instances** = ceil(peak req/s / (rps_per_instance {a.rps_per_instance:g} x target "
        f"CPU {a.target_utilisation:.0%})) = ceil(peak req/s / {a.capacity_per_instance:g}), "
        f"then redundancy `{a.redundancy.value}` ({_REDUNDANCY[a.redundancy]}"
        f"{f', {a.zones} zones' if a.redundancy is Redundancy.PER_ZONE else ''}), at least "
        f"{a.min_instances}. Peak CPU = peak req/s / (instances x {a.rps_per_instance:g})."
    )


def chain_text(result: PlanResult) -> str:
    """The fitted links of the demand chain, with their values."""
    chain, a = result.chain, result.assumptions
    groups = "; ".join(
        f"{f.group} ${f.fixed:,.0f} + ${max(f.per_unit, 0):,.4f} x "
        + ("instance-hours" if f.driver == "instance_hours" else "users")
        for f in chain.costs
    )
    rpu, peak = chain.requests_per_user, chain.peak_to_average
    return (
        f"**Req/s** = users x {rpu.median * 1000:,.2f} req/s per 1,000 users (the last "
        f"{rpu.months} months' median ratio; each path draws its own level, spread "
        f"{rpu.log_sd:.1%}). **Peak req/s** = req/s x the month's peak/average ratio, drawn "
        f"per month (median {peak.median:.2f}, spread {peak.log_sd:.1%} over {peak.months} "
        f"months). **Cost per month** = sum over cost groups of fixed + per-unit x driver, "
        f"fitted (Huber) on the last {FIT_MONTHS} months of the bill: {groups}. Compute is "
        f"priced by the instance-hours it sizes: instances x {chain.running_share:.0%}"
        f"{f' {chain.running_offset:+.1f}' if chain.running_offset else ''} (the running "
        f"instances per sized one, from the running-instance count) x "
        f"{a.hours_per_month:g} hours."
    )


def backtest_text(result: PlanResult) -> str:
    rows = result.cost_backtest.to_dict("records")
    scores = "; ".join(
        f"{r['method']} sMAPE {format_percent(r['smape'])}, bias {r['bias_pct']:+.1f}%"
        + (" (chosen)" if r["selected"] else "")
        for r in rows
    )
    return f"{scores}; {rows[0]['windows']} origins x {rows[0]['horizon']} months"


def plan_gap(result: PlanResult, currency: str) -> str:
    """Why the table's two cost columns part ways by its last quarter ("" if they do not)."""
    t = result.table
    if not {"chain_cost_per_month", "direct_cost_per_month"} <= set(t):
        return ""
    rows = pd.DataFrame(
        {
            "ds": pd.PeriodIndex(t["quarter"], freq="Q").start_time,
            "chain": t["chain_cost_per_month"],
            "direct": t["direct_cost_per_month"],
            "users": t["users"],
        }
    )
    return explain_gap(rows, result.cost_backtest, currency)


def explain_plan(result: PlanResult) -> str:
    lo, hi = result.options.band_labels
    scenario = "" if result.demand == "base" else f" under the **{result.demand}** scenario"
    return "\n".join(
        [
            f"- {forecast_text(result.options, 'Users')}, month by month{scenario}. Every "
            "other column follows from the same users paths, path by path: one demand chain "
            "users -> req/s -> peak req/s -> instances -> cost.",
            f"- {chain_text(result)}",
            f"- {instances_formula(result.assumptions)}",
            "- A quarter is each path's mean of its months (the peak: their maximum; "
            f"instances: sized for that peak); {lo} and {hi} are the paths' quantiles, and "
            "instances are sized from the peak's quantiles, so those rows check by hand. "
            "**Peak/average** is the quarter's peak over its average, as shown.",
            "- **Cost per month** shows whichever of the demand chain's cost and the direct "
            f"forecast of the bill scored better on past origins ({backtest_text(result)}); "
            "under a users scenario the chain's, which follows it. Both P50s are in the table.",
            "- Quarters already observed show actuals and the bill (EffectiveCost); a quarter "
            "in progress adds its observed months to each path's remaining ones.",
            "- **Plan of record**: the newest frozen plan per metric (cost averaged per quarter).",
            f"- {settings_text(result.scenario, result.options)}.",
        ]
    )


def explain_runway(result: RunwayResult) -> str:
    early, hi = result.early_label, result.options.band_labels[1]
    share = f"{100 * result.options.quantiles[0]:g}"
    thresholds = ", ".join(f"{m} {v:g}%" for m, v in result.assumptions.alert_thresholds.items())
    return "\n".join(
        [
            f"- {forecast_text(result.options, 'Each utilisation metric')}, day by day on its "
            f"daily peaks for {result.options.days} days after {format_date(result.as_of)} "
            f"(to {format_date(result.horizon_end)}): alerts fire on minutes, not on daily means.",
            "- Each path's **first crossing** is the first day it reaches the threshold "
            f"({thresholds}). **Half the paths (P50)**: the day by which half the paths have "
            f"crossed. **Early warning ({early})**: the day by which {share} in 100 have: act "
            "before it. Otherwise *not within the horizon*.",
            "- **Probability within the horizon**: the share of paths that reach the threshold "
            "on any day.",
            f"- **Peak {hi}**: the {hi} of the paths' highest days within the horizon. "
            f"**Headroom** = peak {hi} / threshold: the capacity multiplier that keeps that share "
            "of the paths under the threshold on every day. **Its cost per month**: CPU and "
            "memory add whole pods at today's Compute cost per pod (last full month's Compute "
            "spend / pods); the connection pool moves to the cheapest database tier with enough "
            "pooled connections; disk is priced per GB once the assumption set says the disk's "
            "size (Savings page, Database, Disk size).",
            f"- {settings_text(result.scenario, result.options)}.",
        ]
    )


# -- the assumption editors: one sizing row, one row per alert threshold --------------------
def sizing_frame(a: CapacityAssumptions) -> pd.DataFrame:
    """The sizing assumptions as one row to edit; utilisations in % as the document states them."""
    return pd.DataFrame(
        [
            {
                "rps_per_instance": a.rps_per_instance,
                "target_cpu_pct": round(100 * a.target_utilisation, 6),
                "scale_down_cpu_pct": round(100 * a.scale_down_utilisation, 6),
                "redundancy": a.redundancy.value,
                "zones": a.zones,
                "min_instances": a.min_instances,
                "instance_type": a.instance_type,
                "hours_per_month": a.hours_per_month,
            }
        ]
    )


def thresholds_frame(a: CapacityAssumptions) -> pd.DataFrame:
    """Alert threshold per utilisation metric, % (one row each); ``name`` is the metric in
    words, for the editor to show in its place."""
    rows = [
        {"metric": m, "name": header(m), "threshold_pct": v} for m, v in a.alert_thresholds.items()
    ]
    return pd.DataFrame(rows, columns=["metric", "name", "threshold_pct"])


def _cell(row: Mapping[Any, Any], column: str, kind: type) -> Any:
    value = row.get(column)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        raise InputError("is empty", column=column)
    try:
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a {kind.__name__}", column=column) from None


def edited_settings(
    a: CapacityAssumptions, sizing: pd.DataFrame, thresholds: pd.DataFrame
) -> tuple[tuple[str, Any], ...]:
    """What the edited frames change against ``a``, as settings (``--set`` pairs)."""
    row = sizing.iloc[0].to_dict()
    values = {
        "rps_per_instance": _cell(row, "rps_per_instance", float),
        "target_utilisation": _cell(row, "target_cpu_pct", float) / 100,
        "scale_down_utilisation": _cell(row, "scale_down_cpu_pct", float) / 100,
        "redundancy": _cell(row, "redundancy", str),
        "zones": _cell(row, "zones", int),
        "min_instances": _cell(row, "min_instances", int),
        "instance_type": _cell(row, "instance_type", str),
        "hours_per_month": _cell(row, "hours_per_month", float),
    }
    found = changes(a, values)
    edited = {
        str(r["metric"]): _cell(r, "threshold_pct", float) for r in thresholds.to_dict("records")
    }
    if edited != a.alert_thresholds:
        found += (("alert_thresholds", edited),)
    return found


def assumptions_line(sizing: pd.DataFrame, thresholds: pd.DataFrame) -> str:
    """The sizing and alert thresholds the page uses (the editors' frames, edited or not) in
    one sentence, shown in the editors' place while they are closed."""
    row = sizing.iloc[0]

    def pct(value: Any) -> str:  # 70% and 72.5%, as the editor shows them
        whole = not is_missing(value) and float(value).is_integer()
        return f"{format_number(value, 0 if whole else None)}%"

    pods = format_number(row["min_instances"], 0)
    alerts = ", ".join(
        f"{r['name']} {pct(r['threshold_pct'])}" for r in thresholds.to_dict("records")
    )
    return (
        f"{format_number(row['rps_per_instance'])} req/s per pod at "
        f"{pct(row['target_cpu_pct'])} CPU (scale down below "
        f"{pct(row['scale_down_cpu_pct'])}), {row['redundancy']} over "
        f"{format_number(row['zones'], 0)} zones, at least {pods} pods of "
        f"{row['instance_type']}, {format_number(row['hours_per_month'])} hours a month; "
        f"alerts at: {alerts}."
    )
