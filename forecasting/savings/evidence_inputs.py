"""Reading the savings evidence (inventory, 5-minute maxima, CDN analytics, pg_stat_statements,
the bill's own rates) into levers that say what they read: with store_inputs.py, the I/O edge.

Each reader returns None when its evidence is not stored, so the caller can fall back to the
coarser model (daily means, a stated hit ratio) and say so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import Excuse
from forecasting.savings.stacking import Lever

if TYPE_CHECKING:
    from forecasting.savings.rightsizing import Preferences, Recommendation
    from forecasting.scenario.assumptions import SavingsScenario
    from forecasting.scenario.catalogue import Catalogue
    from forecasting.store import Store

CPU_MAX, MEMORY_MAX = "cpu_utilization_max", "memory_utilization_max"
DB_CPU_MAX, DB_IOPS_MAX = "db_cpu_utilization_max", "db_iops_max"
EGRESS_SKU = "DataTransfer-Out-Bytes"


@dataclass(frozen=True)
class Window:
    """The 5-minute maxima of one series over the look-back."""

    values: np.ndarray
    start: pd.Timestamp
    end: pd.Timestamp

    def text(self, days: int) -> str:
        return f"{days} days of 5-minute maxima ({self.start:%Y-%m-%d} to {self.end:%Y-%m-%d})"


def _series_of(store: Store, metric: str, key: str, days: int) -> Window | None:
    """The look-back of the series whose dimension values name ``key`` (a resource on the bill)."""
    from forecasting.savings.rightsizing import look_back

    if metric not in store.stored_metrics():
        return None
    obs = store.read_observations(metric)
    # A few distinct dimension sets over tens of thousands of 5-minute rows: parse each once.
    named = {d: key in json.loads(d).values() for d in obs["dimensions"].unique()}
    mine = obs[obs["dimensions"].map(named).astype(bool)]
    if mine.empty:
        return None
    values, start, end = look_back(mine["ts"], mine["value"], days)
    return Window(values, start, end)


def prefs_of(scenario: SavingsScenario) -> Preferences:
    from forecasting.savings.rightsizing import Preferences

    return Preferences(
        cpu_percentile=scenario.cpu_percentile,
        cpu_headroom=scenario.cpu_headroom,
        memory_headroom=scenario.memory_headroom,
        hours_per_month=scenario.hours_per_month,
    )


def _rate(costs: pd.DataFrame, resource: str, sku: str) -> float:
    """$ per unit on the bill: on-demand (list) cost over the quantity billed."""
    rows = costs[(costs["resource_id"] == resource) & (costs["sku"] == sku)]
    quantity = float(rows["quantity"].sum())
    if quantity <= 0:
        raise InputError(f"no {sku} hours billed for {resource}", parameter="inventory")
    return float(rows["list"].sum()) / quantity


def _recommend(
    group: pd.DataFrame,
    cpu: Window,
    memory: Window | None,
    costs: pd.DataFrame,
    catalogue: Catalogue,
    prefs: Preferences,
) -> Recommendation:
    from forecasting.savings.rightsizing import rightsize, rightsize_task

    first = group.iloc[0]
    resource, count = str(first["resource_id"]), float(group["instances"].mean())
    mem = None if memory is None else memory.values
    if first["platform"] == "Fargate":
        return rightsize_task(
            resource,
            float(first["vcpu"]),
            float(first["memory_gib"]),
            cpu.values,
            mem,
            tasks=count,
            vcpu_hour_usd=_rate(costs, resource, "Fargate-vCPU-Hours"),
            gb_hour_usd=_rate(costs, resource, "Fargate-GB-Hours"),
            prefs=prefs,
        )
    return rightsize(
        resource,
        str(first["instance_type"]),
        cpu.values,
        catalogue,
        count=count,
        memory_pct=mem,
        prefs=prefs,
    )


def rightsizing_from_evidence(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    group: str,
    base: float,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[Lever, pd.DataFrame] | None:
    """Per fleet of the inventory, Compute Optimizer's rule on its 5-minute maxima, the saving
    priced on the fleet's own bill (its effective cost times the share the new size saves)."""
    from forecasting.savings.rightsizing import Finding, recommendations_table

    inventory = store.read_inventory(start.date(), end.date())
    if inventory.empty or CPU_MAX not in store.stored_metrics():
        return None
    costs = store.resource_costs(start.date(), end.date())
    days, prefs = scenario.lookback_days, prefs_of(scenario)
    recs, saved, parts, window = [], [], [], None
    for resource, fleet in inventory.groupby("resource_id", sort=True):
        cpu = _series_of(store, CPU_MAX, str(resource), days)
        if cpu is None:
            continue
        window = cpu
        rec = _recommend(
            fleet, cpu, _series_of(store, MEMORY_MAX, str(resource), days), costs, catalogue, prefs
        )
        billed = float(costs.loc[costs["resource_id"] == resource, "effective"].sum())
        share = rec.monthly_savings_usd / rec.current_monthly_usd if rec.current_monthly_usd else 0
        usd = billed * share if rec.finding in (Finding.OVER_PROVISIONED, Finding.IDLE) else 0.0
        recs.append(rec)
        saved.append(usd)
        parts.append(_fleet_text(rec, usd, scenario))
    if not recs or window is None:
        return None
    table = recommendations_table(recs).assign(billed_monthly_savings_usd=saved)
    evidence = f"{window.text(days)}, per fleet of the inventory on the bill: " + "; ".join(parts)
    assumptions = (
        f"P{scenario.cpu_percentile:g} CPU +{scenario.cpu_headroom:.0%} headroom, max memory "
        f"+{scenario.memory_headroom:.0%}, cheapest catalogue type (or Fargate size) that fits; "
        "saving = the fleet's bill x the share the new size saves"
    )
    lever = Lever.from_dollars(
        "right-size", group, sum(saved), base, assumptions=assumptions, evidence=evidence
    )
    return lever, table


def _fleet_text(rec: Recommendation, usd: float, scenario: SavingsScenario) -> str:
    memory = (
        "memory not measured"
        if rec.max_memory_pct is None
        else (f"max memory {rec.max_memory_pct:.0f}%")
    )
    head = (
        f"{rec.group}: P{scenario.cpu_percentile:g} CPU {rec.cpu_pct:.0f}%, {memory}, "
        f"{rec.count:,.1f} x {rec.current_type}"
    )
    target = (
        rec.recommended_type
        if isinstance(rec.recommended_type, str)
        else (str(rec.recommended_type))
    )
    if usd > 0:
        return f"{head} -> {target}, ${usd:,.0f}/month"
    return f"{head}: {rec.finding.value}"


def _monthly_usage(store: Store, group: str, start: pd.Timestamp, months: int) -> pd.Series:
    """Compute usage at on-demand prices per month (Usage rows of the group's compute services:
    no fees, credits, tax or data transfer)."""
    first = start - pd.DateOffset(months=months)
    rows, _ = store.daily_cost_detail(first.date(), start.date())
    usage = rows[
        (rows["cost_group"] == group)
        & (rows["ChargeCategory"] == "Usage")
        & (rows["ServiceCategory"] == "Compute")
    ]
    by_month = usage.groupby(usage["day"].dt.to_period("M"))["list_cost"].sum()
    return by_month


def cdn_from_evidence(
    store: Store,
    scenario: SavingsScenario,
    group: str,
    base: float,
    cdn_bill: float | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> Lever | None:
    """Hit ratios measured in the CDN analytics, origin requests avoided at the target times the
    marginal compute cost of a request, plus the origin's egress where it pays for it."""
    from forecasting.savings.cdn import MeasuredCdn, marginal_cost

    month = store.read_cdn_analytics(start.date(), end.date())
    if month.empty:
        return None
    # Measured, not assumed: a stored request_hit_ratio is ignored when analytics exist.
    target = scenario.target_request_hit_ratio
    target_bytes = scenario.target_byte_hit_ratio
    if target is None:
        return Lever(
            "cdn",
            group,
            0,
            0,
            0,
            "not modelled: set target_request_hit_ratio in the assumption set",
            evidence=_hit_text(month),
        )
    history = store.read_cdn_analytics(None, end.date())
    history = history.assign(month=pd.to_datetime(history["day"]).dt.to_period("M"))
    origin = (history["requests"] - history["cached_requests"]).groupby(history["month"]).sum()
    usage = _monthly_usage(store, group, end, 12)
    both = pd.concat({"usage": usage, "origin": origin}, axis=1, join="inner").dropna()
    marginal = marginal_cost(both["usage"].to_numpy(), both["origin"].to_numpy())
    costs = store.resource_costs(start.date(), end.date())
    egress = costs[costs["sku"] == EGRESS_SKU]
    pays = not (scenario.origin_in_aws and scenario.cdn_provider == "CloudFront")
    gb = float(egress["quantity"].sum())
    rate = float(egress["effective"].sum()) / gb if pays and gb > 0 else 0.0
    m = MeasuredCdn(
        requests=float(month["requests"].sum()),
        cached_requests=float(month["cached_requests"].sum()),
        bytes=float(month["bytes"].sum()),
        cached_bytes=float(month["cached_bytes"].sum()),
        target_request_hit_ratio=target,
        target_byte_hit_ratio=target_bytes if target_bytes is not None else 0.0,
        usd_per_request=marginal.usd_per_request,
        egress_usd_per_gb=rate,
    )
    egress_text = (
        "AWS origin behind CloudFront: origin fetches are free, no egress saved"
        if not pays
        else (
            f"byte hit ratio {m.byte_hit_ratio:.1%} -> {m.target_byte_hit_ratio:.0%}: "
            f"{m.origin_gb_avoided:,.0f} GB of origin egress x ${rate:.3f}/GB (the bill's "
            f"rate) = ${m.egress_savings_usd:,.0f}"
        )
        if gb > 0 and target_bytes is not None
        else "no origin egress on the bill: none saved"
    )
    bill = "" if cdn_bill is None else f"; the {scenario.cdn_provider} bill (${cdn_bill:,.0f} in "
    bill += "" if cdn_bill is None else f"{start:%Y-%m}) does not change"
    evidence = (
        f"{_hit_text(month)} -> target {target:.0%}: {m.origin_requests_avoided / 1e6:,.0f}M "
        f"origin requests avoided x ${marginal.usd_per_million:.3f} per million (slope of "
        f"compute usage on origin requests over {marginal.months} months; the fixed "
        f"${marginal.fixed_usd_per_month:,.0f}/month and commitment fees excluded) = "
        f"${m.compute_savings_usd:,.0f}; {egress_text}{bill}"
    )
    assumptions = (
        f"request hit ratio target {target:.0%} (assumption set); a request avoided saves its "
        "marginal compute cost, never fixed costs or the commitment fee"
    )
    return Lever.from_dollars(
        "cdn", group, m.monthly_savings_usd, base, assumptions=assumptions, evidence=evidence
    )


def _hit_text(month: pd.DataFrame) -> str:
    ratio = float(month["cached_requests"].sum() / month["requests"].sum())
    days = pd.to_datetime(month["day"])
    zones = ", ".join(sorted(month["zone"].astype(str).unique()))
    return (
        f"request hit ratio {ratio:.1%} over {days.nunique()} days of "
        f"{month['provider'].iloc[0]} analytics ({days.min():%Y-%m-%d} to {days.max():%Y-%m-%d}, "
        f"{zones}, {month['requests'].sum() / 1e9:,.1f}B requests)"
    )


@dataclass(frozen=True)
class DatabaseEvidence:
    """What the database lever read: the tier on the bill, its peaks, the top queries."""

    tier: str
    cpu_pct: float | None
    iops: float | None
    window: Window | None
    optimisation: object
    """A savings.database.QueryOptimisation."""
    stats_period: tuple[pd.Timestamp, pd.Timestamp]
    queries: int

    @property
    def cpu_reduction(self) -> float:
        from forecasting.savings.database import QueryOptimisation

        assert isinstance(self.optimisation, QueryOptimisation)
        return self.optimisation.cpu_reduction

    @property
    def iops_reduction(self) -> float:
        from forecasting.savings.database import QueryOptimisation

        assert isinstance(self.optimisation, QueryOptimisation)
        return self.optimisation.iops_reduction


def billed_tier(
    store: Store, provider: str, start: pd.Timestamp, end: pd.Timestamp, catalogue: Catalogue
) -> tuple[str, float] | None:
    """The provider's compute tier billed last in the month (SKU ``compute-<tier>``) and the
    month's compute cost on the bill."""
    costs = store.resource_costs(start.date(), end.date())
    rows = costs[
        (costs["provider"] == provider) & costs["sku"].astype(str).str.startswith("compute-")
    ]
    if rows.empty:
        return None
    known = {t.tier for t in catalogue.database_tiers(provider)}
    last = rows.sort_values("last_charged").iloc[-1]
    tier = str(last["sku"]).removeprefix("compute-")
    return (tier, float(rows["effective"].sum())) if tier in known else None


def database_evidence(
    store: Store, scenario: SavingsScenario, tier: str
) -> DatabaseEvidence | None:
    from forecasting.savings.database import optimise_top_queries

    stats = store.read_query_stats()
    if stats.empty:
        return None
    latest = stats[stats["period_end"] == stats["period_end"].max()]
    opt = optimise_top_queries(
        latest, scenario.top_queries_optimised, scenario.query_time_reduction
    )
    days = scenario.lookback_days
    cpu = iops = window = None
    names = set(store.stored_metrics())
    if DB_CPU_MAX in names:
        window = _any_series(store, DB_CPU_MAX, days)
        cpu = float(np.percentile(window.values, scenario.cpu_percentile))
    if DB_IOPS_MAX in names:
        iops = float(
            np.percentile(_any_series(store, DB_IOPS_MAX, days).values, scenario.cpu_percentile)
        )
    period = (pd.Timestamp(latest["period_start"].min()), pd.Timestamp(latest["period_end"].max()))
    return DatabaseEvidence(tier, cpu, iops, window, opt, period, len(latest))


def _any_series(store: Store, metric: str, days: int) -> Window:
    from forecasting.savings.rightsizing import look_back

    obs = store.read_observations(metric)
    values, start, end = look_back(obs["ts"], obs["value"], days)
    return Window(values, start, end)


def database_text(
    ev: DatabaseEvidence,
    scenario: SavingsScenario,
    vcpu: float,
    need_vcpu: float,
    billed: float,
    chosen: str | Excuse,
    new_monthly: float,
) -> str:
    from forecasting.savings.database import QueryOptimisation

    opt = ev.optimisation
    assert isinstance(opt, QueryOptimisation)
    start, end = ev.stats_period
    reads = (
        ""
        if opt.share_of_reads is None
        else (f", {opt.share_of_reads:.0%} of blocks read (-{opt.iops_reduction:.0%} IOPS)")
    )
    text = (
        f"top {len(opt.top)} of {ev.queries} queries take {opt.share_of_time:.0%} of execution "
        f"time{reads} (pg_stat_statements {start:%Y-%m-%d} to {end:%Y-%m-%d}); "
        f"{opt.time_reduction:.0%} faster -> {opt.cpu_reduction:.0%} less CPU"
    )
    if ev.cpu_pct is not None and ev.window is not None:
        text += (
            f"; P{scenario.cpu_percentile:g} CPU {ev.cpu_pct:.0f}% of {vcpu:g} vCPU over "
            f"{ev.window.text(scenario.lookback_days)} -> {need_vcpu:.1f} vCPU needed at 70%"
        )
    if ev.iops is not None:
        text += f", P{scenario.cpu_percentile:g} IOPS {ev.iops:,.0f}"
    text += (
        f": {scenario.database_provider} {ev.tier} (${billed:.3f}/h on the bill, "
        f"${billed * scenario.hours_per_month:,.0f}/month) -> {chosen}"
        + ("" if isinstance(chosen, Excuse) else f" (${new_monthly:,.0f}/month)")
    )
    return text


def cdn_bill(
    store: Store, scenario: SavingsScenario, start: pd.Timestamp, end: pd.Timestamp
) -> float | None:
    """The CDN provider's charges in the month, from the bill (None: it bills nothing here)."""
    costs = store.resource_costs(start.date(), end.date())
    rows = costs[costs["provider"] == scenario.cdn_provider]
    return float(rows["effective"].sum()) if not rows.empty else None


def commitment_evidence(spend: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """What the commitment lever rests on in the base month's bill: the on-demand compute no
    commitment covers and what the owned commitments cover, $/h at on-demand prices."""
    hours = (end - start) / pd.Timedelta(hours=1)
    usage = spend[
        (spend["cost_group"] == "Compute")
        & (spend["ChargeCategory"] == "Usage")
        & (spend["ServiceCategory"] == "Compute")
    ]
    committed = usage["PricingCategory"].fillna("") == "Committed"
    on_demand = float(usage.loc[~committed, "cost"].sum()) / hours
    covered = float(usage.loc[committed, "list_cost"].sum()) / hours
    return (
        f"compute usage rows of the bill, {start:%Y-%m} ({hours / 24:.0f} days): on demand "
        f"${on_demand:,.2f}/h beyond the commitments owned, which cover ${covered:,.2f}/h at "
        "on-demand prices; sized on the forecast of that uncovered usage over the term"
    )
