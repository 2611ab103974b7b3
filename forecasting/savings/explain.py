"""How each savings number is computed, in words and with the values used (Markdown)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forecasting.models.options import forecast_text, settings_text

if TYPE_CHECKING:
    from forecasting.savings.service import CommitmentResult, LeverResult, ReconcileResult


def explain_levers(result: LeverResult) -> str:
    s, cur = result.scenario, result.currency
    return "\n".join(
        [
            f"- **Base**: spend per cost group in {result.base_month} (FOCUS EffectiveCost), "
            f"{result.spend:,.0f} {cur} in all.",
            "- **Stacking**: levers act in this order, each on what the levers before it left "
            "of its cost group: right-size, CDN, database, then commitments (a commitment bought "
            "first would cover capacity the others remove). Saving = lever rate x remaining base.",
            "- **Naive sum** = each lever's rate x its untouched base, added up (what a "
            f"spreadsheet does): {result.naive_total:,.0f} vs {result.stacked_total:,.0f} {cur} "
            "stacked.",
            f"- **Right-size**: CPU at P{s.cpu_percentile:g} of daily means +{s.cpu_headroom:.0%} "
            f"and max memory +{s.memory_headroom:.0%} to the cheapest catalogue type that fits "
            "(Compute Optimizer's defaults); an under-provisioned fleet saves nothing.",
            "- **CDN**: origin req/s = edge req/s x (1 - hit ratio), now and at the target, to "
            "pods at the peak, plus origin requests and egress (free from AWS origins to "
            "CloudFront). Claimed only from stated hit ratios.",
            f"- **Database**: {s.query_cpu_reduction:.0%} less CPU per query and "
            f"{s.iops_reduction:.0%} fewer IOPS to the cheapest {s.database_provider} tier that "
            "still fits; the upgrade it defers is stated, not counted.",
            "- **Commitments**: see the commitment section; the expected monthly saving "
            "(P10-P90 across paths) as a share of Compute, applied to what is left.",
            f"- {settings_text(result.scenario_name, result.options)}.",
            "",
            "**What each lever assumed here**",
            "",
            *(f"- *{r.lever}*: {r.assumptions}" for r in result.table.itertuples()),
        ]
    )


def explain_commitments(result: CommitmentResult) -> str:
    t = result.terms
    return "\n".join(
        [
            f"- **Usage**: on-demand compute no commitment covers yet, $/h per day; "
            f"{forecast_text(result.options, 'its monthly mean')}, over the "
            f"{t.term_months}-month term. Within a day it follows {result.label.split('; ')[-1]}.",
            f"- A commitment of c $/h at {t.discount:.1%} off covers up to c / (1 - d) of usage "
            "each hour: **covered** = min(usage, c / (1 - d)); **saving** = covered - c; "
            "**coverage** = covered / usage; **utilisation** = covered x (1 - d) / c.",
            "- **Forecast recommendation**: the c with the highest expected saving over every "
            "path and hour (the d-quantile of usage). **Look-back**: AWS's method, the c that "
            "would have saved most over the last N days assumed to repeat, scored on the same "
            "paths.",
            "- **Break-even month**: the first month whose cumulative cash saving (any upfront "
            "paid at purchase) is at least 0. **Under P10/P50/P90 demand**: the recommended c "
            "if usage followed that quantile of the paths every month.",
            "- **Effective savings rate today** = 1 - EffectiveCost / ListCost of Compute usage.",
            f"- Prices: {result.label.split('; ')[0]}.",
        ]
    )


def explain_reconciliation(result: ReconcileResult) -> str:
    return "\n".join(
        [
            f"- **Base in the data**: {result.base_month} spend (EffectiveCost) of the line's "
            "category, matched as a cost group, then a FOCUS ServiceCategory, then a service.",
            "- **Implied base** = stated dollars / stated percent; flagged when it differs from "
            f"the base in the data by more than {result.tolerance:.0%}.",
            "- **Same spend**: flagged when two lines act on any of the same spend.",
            "- **Modelled** = the line's percent x what is left of its base after the lines "
            "stacked before it (right-size, CDN, database, others, then commitments), tracked "
            "service by service so a service inside a group is not saved twice.",
            f"- **Totals**: stacked {result.stacked_total:,.0f} vs stated "
            f"{result.stated_total:,.0f} vs naive sum {result.naive_total:,.0f} {result.currency} "
            f"a month, of {result.total_spend:,.0f} spend.",
        ]
    )
