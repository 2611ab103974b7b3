"""Each model's result as a lever on a cost group's spend, with the assumptions it rests on."""

from __future__ import annotations

from forecasting.interface import Excuse
from forecasting.savings.cdn import CdnSaving
from forecasting.savings.commitments import Outcome, Terms
from forecasting.savings.database import DatabaseSaving
from forecasting.savings.rightsizing import Finding, Recommendation
from forecasting.savings.stacking import Lever
from forecasting.scenario.assumptions import SavingsScenario


def rightsize_lever(rec: Recommendation, base: float, prefs_text: str, group: str) -> Lever:
    """The fleet's saving rate (catalogue prices) applied to the group's actual spend.

    Under-provisioned groups cost more to fix; that is not a saving and counts as 0 here.
    """
    rate = 0.0
    if rec.current_monthly_usd > 0 and rec.finding in (Finding.IDLE, Finding.OVER_PROVISIONED):
        rate = max(0.0, rec.monthly_savings_usd / rec.current_monthly_usd)
    memory = "not measured" if rec.max_memory_pct is None else f"max {rec.max_memory_pct:.0f}%"
    text = (
        f"{rec.count:.0f} x {rec.current_type} at CPU {rec.cpu_pct:.0f}% ({prefs_text}), "
        f"memory {memory}: {rec.finding.value}, {rec.recommended_type}; saving {rate:.0%} of "
        "the fleet at on-demand prices"
    )
    return Lever.from_dollars("right-size", group, rate * base, base, assumptions=text)


def cdn_lever(s: CdnSaving, scenario: SavingsScenario, base: float) -> Lever:
    """Origin pods, requests and egress saved; the CDN's own bill does not change."""
    egress = (
        "AWS origin behind CloudFront: fetches are free, no egress saving"
        if scenario.origin_in_aws and scenario.cdn_provider == "CloudFront"
        else (
            "bytes not measured: no egress saving claimed"
            if scenario.edge_gb_per_month == 0
            else f"origin egress {s.origin_gb_now:,.0f} -> {s.origin_gb_target:,.0f} GB"
        )
    )
    text = (
        f"request hit ratio {scenario.request_hit_ratio:.0%} -> "
        f"{scenario.target_request_hit_ratio:.0%} (scenario); origin {s.origin_rps_now:,.0f} -> "
        f"{s.origin_rps_target:,.0f} req/s, {s.instances_now} -> {s.instances_target} pods at "
        f"the peak; {egress}; the {scenario.cdn_provider} bill (${s.cdn_monthly_usd:,.0f}/month) "
        "does not change"
    )
    return Lever.from_dollars(
        "cdn", scenario.compute_group, s.monthly_savings_usd, base, assumptions=text
    )


def database_lever(
    s: DatabaseSaving,
    scenario: SavingsScenario,
    base: float,
    cpu_reduction: float,
    iops_reduction: float,
    evidence: str = "",
) -> Lever:
    """The tier the optimisation allows; the upgrade it defers is cost avoided, stated beside."""
    tier = s.recommended_tier if isinstance(s.recommended_tier, str) else str(s.recommended_tier)
    text = (
        f"{cpu_reduction:.0%} less CPU, {iops_reduction:.0%} fewer IOPS: "
        f"{scenario.database_provider} {s.current_tier} -> {tier}"
    )
    before, after = s.pool_before, s.pool_after
    if before is not None and after is not None and isinstance(before.p50, Excuse):
        text += f"; the pool stays under {before.threshold_pct:.0f}% at P50 within the horizon"
    elif before is not None and after is not None:
        text += (
            f"; the pool reaches {before.threshold_pct:.0f}% at P50 on {before.p50} without it, "
            f"{after.p50} with it: the next tier {s.deferred_days} days later "
            f"(${s.deferred_upgrade_usd:,.0f} avoided, not counted as a saving)"
        )
    return Lever.from_dollars(
        "database",
        scenario.database_group,
        max(0.0, s.monthly_savings_usd),
        base,
        assumptions=text,
        evidence=evidence,
    )


def commitment_lever(
    outcome: Outcome | Excuse, terms: Terms, base: float, label: str, group: str
) -> Lever:
    """Expected savings over the term per month, bounded by the interval level's quantiles of
    the sample paths' savings (P10-P90 at 80%)."""
    if isinstance(outcome, Excuse):
        return Lever("commitments", group, 0.0, 0.0, 0.0, f"{label}: {outcome}")
    months = terms.term_months
    text = (
        f"{label}: ${outcome.hourly_commitment_usd:,.2f}/h for {months} months at "
        f"{terms.discount:.0%} off, coverage {outcome.coverage:.0%}, utilisation "
        f"{outcome.utilisation:.0%}, break-even month {outcome.break_even_month}; applied to "
        "what the levers before it left"
    )
    return Lever.from_dollars(
        "commitments",
        group,
        outcome.expected_monthly_savings_usd,
        base,
        lower=outcome.savings_lower_usd / months,
        upper=outcome.savings_upper_usd / months,
        assumptions=text,
    )
