"""How each capacity number is computed, in words and with the values used (Markdown)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forecasting.demand import FIT_MONTHS

if TYPE_CHECKING:
    from forecasting.capacity.assumptions import CapacityAssumptions
    from forecasting.capacity.service import ForecastOptions, PlanResult, RunwayResult

_REDUNDANCY = {
    "none": "no spare instance",
    "n+1": "plus one instance, so losing any one still serves the peak",
    "per-zone": "rounded up to a multiple of the zones, so every zone runs the same number",
}


def forecast_text(options: ForecastOptions, what: str) -> str:
    lo, hi = options.band_labels
    return (
        f"{what} is forecast with model `{options.model}` ({options.paths:,} sample paths, "
        f"seed {options.seed}); the band runs from {lo} to {hi} of the paths (interval level "
        f"{options.level:g}%), the line is their P50"
    )


def settings_text(scenario: str, options: ForecastOptions) -> str:
    edits = ", ".join(f"`{k}` = {v}" for k, v in options.settings)
    return f"Assumption set **{scenario}**" + (f", edited here: {edits}" if edits else "")


def instances_formula(a: CapacityAssumptions) -> str:
    return (
        f"**Instances** = ceil(peak req/s / (rps_per_instance {a.rps_per_instance:g} x target "
        f"CPU {a.target_utilisation:.0%})) = ceil(peak req/s / {a.capacity_per_instance:g}), "
        f"then redundancy `{a.redundancy.value}` ({_REDUNDANCY[a.redundancy.value]}"
        f"{f', {a.zones} zones' if a.redundancy.value == 'per-zone' else ''}), at least "
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
        f"priced by the instance-hours it sizes: instances x {chain.running_share:.0%} (the "
        f"share of sized instance-hours that ran, from the running-instance count) x "
        f"{a.hours_per_month:g} hours."
    )


def backtest_text(result: PlanResult) -> str:
    rows = result.cost_backtest.to_dict("records")
    return (
        "; ".join(
            f"{r['method']} sMAPE {r['smape']:.1f}, bias {r['bias_pct']:+.1f}%"
            + (" (chosen)" if r["selected"] else "")
            for r in rows
        )
        + f", {rows[0]['windows']} origins x {rows[0]['horizon']} months"
    )


def explain_plan(result: PlanResult) -> str:
    a = result.assumptions
    lo, hi = result.options.band_labels
    return "\n".join(
        [
            f"- {forecast_text(result.options, 'Users')}, month by month. Every other column "
            "follows from the same users paths, path by path: one demand chain users -> req/s "
            "-> peak req/s -> instances -> cost.",
            f"- {chain_text(result)}",
            f"- {instances_formula(a)}",
            "- A quarter is each path's mean of its months (the peak: their maximum; "
            f"instances: sized for that peak); {lo} and {hi} are the paths' quantiles, and "
            "instances are sized from the peak's quantiles, so those rows check by hand. "
            "**Peak/average** is the median path's quarter peak over its quarter average.",
            f"- **Cost per month** shows whichever of the demand chain's cost and the direct "
            f"forecast of the bill scored better on past origins ({backtest_text(result)}); "
            "both P50s are in the table.",
            "- Quarters already observed show actuals and the bill (EffectiveCost); a quarter "
            "in progress adds its observed months to each path's remaining ones.",
            "- **Plan of record**: the newest frozen plan per metric (cost averaged per quarter).",
            f"- {settings_text(result.scenario, result.options)}.",
        ]
    )


def explain_runway(result: RunwayResult) -> str:
    early, hi = result.early_label, result.options.band_labels[1]
    share = round(100 * result.options.quantiles[0])
    thresholds = ", ".join(f"{m} {v:g}%" for m, v in result.assumptions.alert_thresholds.items())
    return "\n".join(
        [
            f"- {forecast_text(result.options, 'Each utilisation metric')}, day by day on its "
            f"daily peaks for {result.options.days} days after {result.as_of} (to "
            f"{result.horizon_end}): alerts fire on minutes, not on daily means.",
            "- Each path's **first crossing** is the first day it reaches the threshold "
            f"({thresholds}). **Half the paths (P50)**: the day by which half the paths have "
            f"crossed. **Early warning ({early})**: the day by which {share} in 100 have: act "
            "before it. Otherwise *not within the horizon*.",
            "- **Probability within the horizon**: the share of paths that reach the threshold "
            "on any day.",
            f"- **Headroom** = highest {hi} within the horizon / threshold: the capacity "
            f"multiplier that keeps the {hi} under the threshold. **Its cost per month**: CPU and "
            "memory add whole pods at today's Compute cost per pod (last full month's Compute "
            "spend / pods); the connection pool moves to the cheapest database tier with enough "
            "pooled connections; disk is priced per GB (needs `database_disk_gb`).",
            f"- {settings_text(result.scenario, result.options)}.",
        ]
    )
