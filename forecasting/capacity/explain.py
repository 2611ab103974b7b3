"""How each capacity number is computed, in words and with the values used (Markdown)."""

from __future__ import annotations

from forecasting.capacity.service import PlanResult, RunwayResult
from forecasting.models.options import forecast_text, settings_text
from forecasting.scenario.assumptions import CapacityAssumptions

_REDUNDANCY = {
    "none": "no spare instance",
    "n+1": "plus one instance, so losing any one still serves the peak",
    "per-zone": "rounded up to a multiple of the zones, so every zone runs the same number",
}


def instances_formula(a: CapacityAssumptions) -> str:
    return (
        f"**Instances** = ceil(peak req/s / (rps_per_instance {a.rps_per_instance:g} x target "
        f"CPU {a.target_utilisation:.0%})) = ceil(peak req/s / {a.capacity_per_instance:g}), "
        f"then redundancy `{a.redundancy.value}` ({_REDUNDANCY[a.redundancy.value]}"
        f"{f', {a.zones} zones' if a.redundancy.value == 'per-zone' else ''}), at least "
        f"{a.min_instances}. Peak CPU = peak req/s / (instances x {a.rps_per_instance:g})."
    )


def explain_plan(result: PlanResult) -> str:
    a, costs = result.assumptions, result.unit_costs
    groups = "; ".join(
        f"{g.group} ${g.fixed_usd_per_month:,.0f} + ${g.usd_per_driver_unit:,.4f} x users"
        for g in costs.groups
    )
    return "\n".join(
        [
            f"- {forecast_text(result.options, 'Demand (users, average and peak req/s)')}, "
            "month by month. A quarter is each path's mean of its months (the peak: their "
            "maximum); quarters already observed are actuals and have no band.",
            f"- {instances_formula(a)}",
            f"- The {result.options.band_labels[0]} and {result.options.band_labels[1]} of "
            "instances and cost are sized from that edge of the demand band (both only rise "
            "with demand), so every row can be checked by hand.",
            "- **Infrastructure cost per month** = sum over cost groups of (fixed + per user x "
            "users), fitted by non-negative least squares on the last 12 full months of the "
            f"bill (EffectiveCost): {groups}. Autoscaled pods bill by the hour, so cost follows "
            "users rather than the peak instance count.",
            "- **Plan of record**: the newest frozen plan per metric (cost averaged per quarter).",
            f"- {settings_text(result.scenario, result.options)}.",
        ]
    )


def explain_runway(result: RunwayResult) -> str:
    hi = result.upper_label
    thresholds = ", ".join(f"{m} {v:g}%" for m, v in result.assumptions.alert_thresholds.items())
    return "\n".join(
        [
            f"- {forecast_text(result.options, 'Each utilisation metric')}, day by day for "
            f"{result.options.days} days after {result.as_of} (to {result.horizon_end}).",
            f"- **Date at P50 / {hi}**: the first day the median / the {hi} of the paths reaches "
            f"the threshold ({thresholds}); otherwise *not within the horizon*. The {hi} date "
            "comes first: it is the cautious one.",
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
