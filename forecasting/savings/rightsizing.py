"""Right-sizing: utilisation to the cheapest catalogue type that fits, as Compute Optimizer does."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import Excuse
from forecasting.scenario.catalogue import Catalogue, InstanceType


class Finding(StrEnum):
    IDLE = "idle"
    OVER_PROVISIONED = "over-provisioned"
    OPTIMISED = "optimised"
    UNDER_PROVISIONED = "under-provisioned"


@dataclass(frozen=True)
class Preferences:
    """Compute Optimizer's defaults: CPU at P99.5 plus 20% headroom, max memory plus 20%."""

    cpu_percentile: float = 99.5
    """Which percentile of CPU utilisation must fit (AWS offers P90, P95, P99.5)."""
    cpu_headroom: float = 0.20
    """Added to that CPU: the new type must serve (1 + headroom) x the percentile."""
    memory_headroom: float = 0.20
    """Added to the maximum memory used."""
    idle_max_cpu_pct: float = 1.0
    """A group whose CPU never exceeds this (max, %) is idle: stop it rather than resize it."""
    same_architecture: bool = True
    """Graviton (arm64) needs arm64 builds: only recommend the current architecture."""
    families: tuple[str, ...] | None = None
    """Restrict candidates to these families (None: every family in the catalogue)."""
    hours_per_month: float = 730.0

    def __post_init__(self) -> None:
        if not 0 < self.cpu_percentile <= 100:
            raise ValueError("cpu_percentile must be in (0, 100]")
        if self.cpu_headroom < 0 or self.memory_headroom < 0:
            raise ValueError("headroom must not be negative")


@dataclass(frozen=True)
class Recommendation:
    """One instance group (same type, same load) and the type it should run on."""

    group: str
    current_type: str
    count: float
    """Instances in the group (may be an average, e.g. autoscaled pods)."""
    cpu_pct: float
    """CPU utilisation at the preference's percentile, %."""
    mean_cpu_pct: float
    max_memory_pct: float | None
    """None when memory is not measured (it then stays as it is)."""
    required_vcpu: float
    required_memory_gib: float
    finding: Finding
    recommended_type: str | Excuse
    current_monthly_usd: float
    recommended_monthly_usd: float
    monthly_savings_usd: float
    """Positive when the recommendation is cheaper; negative when the group needs more."""


def _fits(t: InstanceType, vcpu: float, sustained: float, memory: float) -> bool:
    # A burstable type may spike to all its vCPUs but sustain only its baseline share, so the
    # percentile must fit its vCPUs and the mean its baseline.
    return t.vcpu >= vcpu and t.sustained_vcpu >= sustained and t.memory_gib >= memory


def candidates(
    catalogue: Catalogue, current: InstanceType, prefs: Preferences
) -> list[InstanceType]:
    types = catalogue.instance_types()
    if prefs.same_architecture:
        types = [t for t in types if t.arch == current.arch]
    if prefs.families is not None:
        types = [t for t in types if t.family in prefs.families]
    return sorted(types, key=lambda t: (t.on_demand_hourly_usd, t.name))


def _clean(values: np.ndarray | None, name: str) -> np.ndarray | None:
    if values is None:
        return None
    v: np.ndarray = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        raise InputError(f"no {name} observations", parameter=name)
    if (v < 0).any() or (v > 100).any():
        raise InputError(f"{name} must be percentages in [0, 100]", parameter=name)
    return v


def rightsize(
    group: str,
    current_type: str,
    cpu_pct: np.ndarray,
    catalogue: Catalogue,
    *,
    count: float = 1.0,
    memory_pct: np.ndarray | None = None,
    prefs: Preferences | None = None,
) -> Recommendation:
    """The cheapest catalogue type that fits the group's CPU and memory, or ``stop`` if idle."""
    prefs = prefs or Preferences()
    if count <= 0:
        raise InputError("count must be positive", parameter="count")
    cpu = _clean(cpu_pct, "cpu_pct")
    assert cpu is not None
    memory = _clean(memory_pct, "memory_pct")
    current = catalogue.instance(current_type)
    at_pct = float(np.percentile(cpu, prefs.cpu_percentile))
    mean = float(cpu.mean())
    need_vcpu = current.vcpu * at_pct / 100 * (1 + prefs.cpu_headroom)
    need_sustained = current.vcpu * mean / 100 * (1 + prefs.cpu_headroom)
    max_mem = None if memory is None else float(memory.max())
    need_mem = (
        current.memory_gib
        if max_mem is None
        else current.memory_gib * max_mem / 100 * (1 + prefs.memory_headroom)
    )
    monthly = current.on_demand_hourly_usd * prefs.hours_per_month * count
    base: dict[str, Any] = {
        "group": group,
        "current_type": current_type,
        "count": count,
        "cpu_pct": at_pct,
        "mean_cpu_pct": mean,
        "max_memory_pct": max_mem,
        "required_vcpu": need_vcpu,
        "required_memory_gib": need_mem,
        "current_monthly_usd": monthly,
    }
    if float(cpu.max()) <= prefs.idle_max_cpu_pct:
        return Recommendation(
            **base,
            finding=Finding.IDLE,
            recommended_type="stop",
            recommended_monthly_usd=0.0,
            monthly_savings_usd=monthly,
        )
    fitting = [
        t
        for t in candidates(catalogue, current, prefs)
        if _fits(t, need_vcpu, need_sustained, need_mem)
    ]
    if not fitting:
        return Recommendation(
            **base,
            finding=Finding.UNDER_PROVISIONED,
            recommended_type=Excuse(
                "no catalogue type is large enough", {"vcpu": need_vcpu, "memory_gib": need_mem}
            ),
            recommended_monthly_usd=monthly,
            monthly_savings_usd=0.0,
        )
    best = fitting[0]
    new_monthly = best.on_demand_hourly_usd * prefs.hours_per_month * count
    if _fits(current, need_vcpu, need_sustained, need_mem):
        finding = Finding.OPTIMISED if best.name == current.name else Finding.OVER_PROVISIONED
    else:
        finding = Finding.UNDER_PROVISIONED
    if finding is Finding.OVER_PROVISIONED and new_monthly >= monthly:
        best, new_monthly, finding = current, monthly, Finding.OPTIMISED
    return Recommendation(
        **base,
        finding=finding,
        recommended_type=best.name,
        recommended_monthly_usd=new_monthly,
        monthly_savings_usd=monthly - new_monthly,
    )


def recommendations_table(recommendations: list[Recommendation]) -> pd.DataFrame:
    """One row per group; a type that cannot be recommended reads as its reason."""
    rows = []
    for r in recommendations:
        row = dataclasses.asdict(r)
        row["finding"] = r.finding.value
        row["recommended_type"] = str(r.recommended_type)
        rows.append(row)
    return pd.DataFrame(rows)


# Fargate's task sizes: vCPU -> the memory (GB) it may be given (AWS Fargate task definitions).
FARGATE_SIZES: dict[float, tuple[float, ...]] = {
    0.25: (0.5, 1, 2),
    0.5: (1, 2, 3, 4),
    1: tuple(float(g) for g in range(2, 9)),
    2: tuple(float(g) for g in range(4, 17)),
    4: tuple(float(g) for g in range(8, 31)),
    8: tuple(float(g) for g in range(16, 61, 4)),
    16: tuple(float(g) for g in range(32, 121, 8)),
}


def task_label(vcpu: float, memory_gb: float) -> str:
    return f"{vcpu:g} vCPU / {memory_gb:g} GB"


def rightsize_task(
    group: str,
    vcpu: float,
    memory_gb: float,
    cpu_pct: np.ndarray,
    memory_pct: np.ndarray | None,
    *,
    tasks: float,
    vcpu_hour_usd: float,
    gb_hour_usd: float,
    prefs: Preferences | None = None,
) -> Recommendation:
    """The cheapest Fargate task size that fits, priced per vCPU-hour and GB-hour.

    CPU and memory are % of what the task reserves (as ECS reports them), so the need is the
    reservation times the percentile, plus headroom; Fargate tasks do not burst, so the mean
    needs no separate check.
    """
    prefs = prefs or Preferences()
    if tasks <= 0:
        raise InputError("tasks must be positive", parameter="tasks")
    cpu = _clean(cpu_pct, "cpu_pct")
    assert cpu is not None
    memory = _clean(memory_pct, "memory_pct")
    at_pct = float(np.percentile(cpu, prefs.cpu_percentile))
    need_vcpu = vcpu * at_pct / 100 * (1 + prefs.cpu_headroom)
    max_mem = None if memory is None else float(memory.max())
    need_gb = (
        memory_gb if max_mem is None else memory_gb * max_mem / 100 * (1 + prefs.memory_headroom)
    )

    def monthly(v: float, g: float) -> float:
        return (v * vcpu_hour_usd + g * gb_hour_usd) * prefs.hours_per_month * tasks

    sizes = [(v, g) for v, gs in FARGATE_SIZES.items() for g in gs]
    fitting = sorted(
        ((monthly(v, g), v, g) for v, g in sizes if v >= need_vcpu and g >= need_gb),
    )
    now = monthly(vcpu, memory_gb)
    base: dict[str, Any] = {
        "group": group,
        "current_type": task_label(vcpu, memory_gb),
        "count": tasks,
        "cpu_pct": at_pct,
        "mean_cpu_pct": float(cpu.mean()),
        "max_memory_pct": max_mem,
        "required_vcpu": need_vcpu,
        "required_memory_gib": need_gb,
        "current_monthly_usd": now,
    }
    if not fitting:
        return Recommendation(
            **base,
            finding=Finding.UNDER_PROVISIONED,
            recommended_type=Excuse(
                "no Fargate task size is large enough", {"vcpu": need_vcpu, "memory_gb": need_gb}
            ),
            recommended_monthly_usd=now,
            monthly_savings_usd=0.0,
        )
    cost, v, g = fitting[0]
    if vcpu < need_vcpu or memory_gb < need_gb:
        finding = Finding.UNDER_PROVISIONED
    elif cost < now:
        finding = Finding.OVER_PROVISIONED
    else:
        finding, cost, v, g = Finding.OPTIMISED, now, vcpu, memory_gb
    return Recommendation(
        **base,
        finding=finding,
        recommended_type=task_label(v, g),
        recommended_monthly_usd=cost,
        monthly_savings_usd=now - cost,
    )


def look_back(
    ts: pd.Series, values: pd.Series, days: int
) -> tuple[np.ndarray, pd.Timestamp, pd.Timestamp]:
    """The values of the last ``days`` days up to the newest observation, and that window."""
    stamps = pd.to_datetime(ts)
    if stamps.empty:
        raise InputError("no observations to look back over", parameter="lookback_days")
    end = stamps.max()
    start = end - pd.Timedelta(days=days)
    keep = (stamps > start).to_numpy()
    return values.to_numpy(float)[keep], stamps[keep].min(), end
