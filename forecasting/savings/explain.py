"""How each savings number is computed, in words and with the values used (Markdown)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forecasting.capacity.explain import forecast_text, settings_text

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
            "- **Eligible usage**, on-demand-equivalent $/h (FOCUS ListCost): a Compute Savings "
            "Plan covers EC2 instance hours, Fargate and Lambda duration anywhere; an RI covers "
            "EC2 of one family in one region (one row per scope), never Fargate, transfer or EBS.",
            "- **AWS's look-back** (the lookback_ columns): every hour of the last N days is a "
            "candidate level; the commitment that would have saved most over those hours, scored "
            "on them as AWS reports it: hourly commitment, estimated monthly savings (saving per "
            "hour x hours per month), utilisation, coverage, break-even if the window repeats. "
            "The forecast's commitment is scored the same way on the last 30 days.",
            "- **Forecast method**: total eligible usage, covered and not: "
            f"{forecast_text(result.options, 'its monthly mean')}, over the "
            f"{t.term_months}-month term; what commitments owned "
            f"cover (${t.existing_covered_usd_per_hour:,.2f}/h) comes off hour by hour, so the "
            "step down when they started is not read as a trend. The c with the highest "
            "expected saving over every path and hour (the d-quantile of what is left); each "
            "look-back's c is scored on the same paths beside it.",
            f"- A commitment of c $/h at {t.discount:.1%} off covers up to c / (1 - d) of usage "
            "each hour: **covered** = min(usage, c / (1 - d)); **saving** = covered - c; "
            "**coverage** = covered / usage; **utilisation** = covered x (1 - d) / c. Usage within "
            f"the day: {result.label.split('usage within the day: ')[-1].split(';')[0]}.",
            "- **Break-even month**: the first month from which the cumulative cash saving (any "
            "upfront paid at purchase) stays at least 0. **Downside**: the commitment if usage "
            "followed the P10 of the paths every month.",
            "- **Effective savings rate today** = 1 - EffectiveCost / ListCost of Compute usage.",
            f"- Prices: {result.label.split(' on ')[0]}.",
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
            "service by service so a service inside a group is not saved twice. A commitment "
            "line acts only on on-demand usage it can cover (RIs: EC2; Savings Plans: EC2, "
            "Fargate, Lambda), never on spend a commitment already covers.",
            f"- **Base month** {result.base_month}: {result.base_month_reason}.",
            "- A line with only a percent states percent x its base in dollars; every total "
            "counts it like a line with dollars.",
            f"- **Totals**: stacked {result.stacked_total:,.0f} vs stated "
            f"{result.stated_total:,.0f} vs naive sum {result.naive_total:,.0f} {result.currency} "
            f"a month, of {result.total_spend:,.0f} spend.",
        ]
    )
