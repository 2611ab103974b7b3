"""Database query optimisation: less CPU per query, fewer IOPS -> tier, pool runway -> dollars."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.demand.runway import Runway, estimate_runway
from forecasting.errors import InputError
from forecasting.interface import Excuse
from forecasting.scenario.catalogue import Catalogue, DatabaseTier


@dataclass(frozen=True)
class DatabaseLoad:
    """What the database uses at its peak; an unmeasured resource is kept as it is."""

    provider: str
    tier: str
    cpu_pct: float | None = None
    """Peak CPU utilisation, %."""
    iops: float | None = None
    """Peak IOPS."""
    pool_pct: float | None = None
    """Peak connection pool utilisation, % of the tier's pooler connections."""
    memory_pct: float | None = None
    """Maximum memory used, %; None keeps today's memory (caches fill whatever they get)."""


@dataclass(frozen=True)
class DatabaseTargets:
    cpu_target_pct: float = 70.0
    """CPU a tier may reach at the peak (the scale-up trigger)."""
    pool_threshold_pct: float = 90.0
    """Pool alert threshold (the document's: connections > 90%)."""
    iops_headroom: float = 0.2
    memory_headroom: float = 0.2
    hours_per_month: float = 730.0


@dataclass(frozen=True)
class Requirement:
    vcpu: float
    iops: float
    connections: float
    memory_gib: float

    def met_by(self, tier: DatabaseTier) -> bool:
        # A database runs its peak for hours, not minutes: the tier must sustain it, so a
        # burstable tier counts only its baseline share of each vCPU.
        return (
            tier.sustained_vcpu >= self.vcpu - 1e-9
            and tier.baseline_iops >= self.iops - 1e-9
            and tier.pooler_connections >= self.connections - 1e-9
            and tier.memory_gib >= self.memory_gib - 1e-9
        )


@dataclass(frozen=True)
class DatabaseSaving:
    current_tier: str
    recommended_tier: str | Excuse
    requirement: Requirement
    current_monthly_usd: float
    recommended_monthly_usd: float
    monthly_savings_usd: float
    """Steady-state saving of moving to the recommended tier (negative: it must grow)."""
    pool_before: Runway | None = None
    pool_after: Runway | None = None
    deferred_days: int = 0
    """How much later the pool reaches its threshold at P50 (within the horizon)."""
    deferred_upgrade_usd: float = 0.0
    """Cost avoided by upgrading that much later: the next tier's extra $/month x months."""


def _check_fraction(name: str, value: float) -> None:
    if not 0 <= value < 1:
        raise InputError(f"{name} must be in [0, 1), a fraction", parameter=name)


def requirement(
    load: DatabaseLoad,
    tier: DatabaseTier,
    cpu_reduction: float,
    iops_reduction: float,
    targets: DatabaseTargets,
) -> Requirement:
    """Capacity needed after the optimisation.

    Connections are held for as long as queries run, so by Little's law the pool in use falls
    with CPU per query (query time assumed proportional to its CPU time).
    """
    vcpu = tier.sustained_vcpu
    if load.cpu_pct is not None:
        vcpu = tier.vcpu * load.cpu_pct * (1 - cpu_reduction) / targets.cpu_target_pct
    iops = tier.baseline_iops
    if load.iops is not None:
        iops = load.iops * (1 - iops_reduction) * (1 + targets.iops_headroom)
    connections = tier.pooler_connections
    if load.pool_pct is not None:
        in_use = tier.pooler_connections * load.pool_pct / 100 * (1 - cpu_reduction)
        connections = in_use / (targets.pool_threshold_pct / 100)
    # Unmeasured memory stays in proportion to the CPU the tier must give (tiers scale memory
    # with vCPU): requiring today's memory whatever the load would forbid any step down.
    memory = tier.memory_gib
    if load.memory_pct is None and load.cpu_pct is not None and tier.sustained_vcpu > 0:
        memory = tier.memory_gib * vcpu / tier.sustained_vcpu
    if load.memory_pct is not None:
        memory = tier.memory_gib * load.memory_pct / 100 * (1 + targets.memory_headroom)
    return Requirement(vcpu, iops, connections, memory)


def _next_tier(tiers: list[DatabaseTier], current: DatabaseTier) -> DatabaseTier | None:
    bigger = [t for t in tiers if t.pooler_connections > current.pooler_connections]
    return bigger[0] if bigger else None


def database_saving(
    load: DatabaseLoad,
    catalogue: Catalogue,
    *,
    cpu_reduction: float = 0.0,
    iops_reduction: float = 0.0,
    targets: DatabaseTargets | None = None,
    pool_paths: np.ndarray | None = None,
    ds: pd.DatetimeIndex | None = None,
) -> DatabaseSaving:
    """The cheapest tier that still fits after the optimisation, and the pool's runway.

    ``pool_paths`` (n_paths x len(ds), %) is the pool utilisation forecast; with it the saving
    also reports how much later the pool reaches its threshold and the upgrade cost avoided.
    """
    targets = targets or DatabaseTargets()
    _check_fraction("cpu_reduction", cpu_reduction)
    _check_fraction("iops_reduction", iops_reduction)
    tiers = catalogue.database_tiers(load.provider)
    current = catalogue.database_tier(load.provider, load.tier)
    need = requirement(load, current, cpu_reduction, iops_reduction, targets)
    fitting = [t for t in tiers if need.met_by(t)]
    now = current.monthly_usd(targets.hours_per_month)
    if not fitting:
        chosen: str | Excuse = Excuse("no tier of this provider is large enough", {"need": need})
        new = now
    else:
        # Tiers come cheapest first; at equal price, staying put beats a migration.
        best = (
            current
            if need.met_by(current) and fitting[0].hourly_usd >= current.hourly_usd
            else fitting[0]
        )
        chosen, new = best.tier, best.monthly_usd(targets.hours_per_month)
    saving = DatabaseSaving(load.tier, chosen, need, now, new, now - new)
    if pool_paths is None or ds is None:
        return saving
    return _with_runway(saving, current, tiers, pool_paths, ds, cpu_reduction, targets)


def _with_runway(
    saving: DatabaseSaving,
    current: DatabaseTier,
    tiers: list[DatabaseTier],
    paths: np.ndarray,
    ds: pd.DatetimeIndex,
    cpu_reduction: float,
    targets: DatabaseTargets,
) -> DatabaseSaving:
    threshold = targets.pool_threshold_pct
    metric = "db_connection_pool_utilization"
    before = estimate_runway(metric, ds, paths, threshold)
    after = estimate_runway(metric, ds, np.asarray(paths, float) * (1 - cpu_reduction), threshold)
    days = 0
    if not isinstance(before.p50, Excuse):
        end = ds[-1].date() if isinstance(after.p50, Excuse) else after.p50
        days = max(0, (end - before.p50).days)
    upgrade = _next_tier(tiers, current)
    hours = targets.hours_per_month
    extra = 0.0 if upgrade is None else upgrade.monthly_usd(hours) - current.monthly_usd(hours)
    months = days * 12 / 365.25  # an average calendar month
    return DatabaseSaving(
        saving.current_tier,
        saving.recommended_tier,
        saving.requirement,
        saving.current_monthly_usd,
        saving.recommended_monthly_usd,
        saving.monthly_savings_usd,
        before,
        after,
        days,
        extra * months,
    )


@dataclass(frozen=True)
class QueryOptimisation:
    """What optimising the top queries takes off the database, from pg_stat_statements."""

    top: pd.DataFrame
    """The optimised queries: ``queryid, calls, total_exec_time, rows, share_of_time``."""
    share_of_time: float
    """Their share of all execution time: their share of the database's CPU."""
    share_of_reads: float | None
    """Their share of blocks read from disk (IOPS); None when the export has no block counts."""
    time_reduction: float

    @property
    def cpu_reduction(self) -> float:
        return self.share_of_time * self.time_reduction

    @property
    def iops_reduction(self) -> float:
        return 0.0 if self.share_of_reads is None else self.share_of_reads * self.time_reduction


def optimise_top_queries(
    stats: pd.DataFrame, top_n: int, time_reduction: float
) -> QueryOptimisation:
    """The ``top_n`` queries by total execution time, each made ``time_reduction`` faster.

    Execution time is CPU (and I/O wait) the database spends; a query that reads fewer blocks
    (an index instead of a scan) saves IOPS in the same proportion as time.
    """
    _check_fraction("query_time_reduction", time_reduction)
    if top_n < 1:
        raise InputError(
            "top_queries_optimised must be at least 1", parameter="top_queries_optimised"
        )
    total = float(stats["total_exec_time"].sum())
    if stats.empty or total <= 0:
        raise InputError("pg_stat_statements holds no execution time", parameter="query_stats")
    top = stats.nlargest(top_n, "total_exec_time").copy()
    top["share_of_time"] = top["total_exec_time"] / total
    reads = stats.get("shared_blks_read")
    share_reads = None
    if reads is not None and reads.notna().all() and float(reads.sum()) > 0:
        share_reads = float(top["shared_blks_read"].sum() / reads.sum())
    columns = ["queryid", "calls", "total_exec_time", "rows", "share_of_time"]
    return QueryOptimisation(
        top[columns].reset_index(drop=True),
        float(top["share_of_time"].sum()),
        share_reads,
        time_reduction,
    )
