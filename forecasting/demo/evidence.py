"""What the savings levers read in the demo: 5-minute utilisation per group, CDN analytics,
the database's bill, metrics and pg_stat_statements, all consistent with the bill.

Sub-daily series are drawn from a generator seeded by (seed, day, stream), so a day's values do
not depend on how far the demo runs: an earlier demo stays the first part of a later one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecasting.demo.billing import Line, _frame
from forecasting.scenario.catalogue import Catalogue

FIVE_MINUTES = pd.Timedelta(minutes=5)
STEPS_PER_DAY = 288
# pg_stat_statements' normalised texts (constants are $n), cycled over the demo's queries.
QUERY_TEXTS = (
    "SELECT m.* FROM messages m JOIN channels c ON c.id = m.channel_id WHERE c.tenant_id = $1 "
    "ORDER BY m.created_at DESC LIMIT $2",
    "SELECT count(*) FROM events WHERE tenant_id = $1 AND created_at > $2",
    "UPDATE sessions SET last_seen = $1 WHERE user_id = $2",
    "SELECT * FROM accounts WHERE id = $1",
    "INSERT INTO audit_log (tenant_id, actor, action, at) VALUES ($1, $2, $3, $4)",
    "SELECT id, name FROM channels WHERE tenant_id = $1",
)
# Streams of the per-day generators (any distinct numbers).
_CPU, _MEMORY, _DB = 11, 12, 13


def _diurnal(day: pd.Timestamp) -> np.ndarray:
    """0..1 over the day's 5-minute steps: quiet at night (UTC), busiest mid-afternoon."""
    hours = np.arange(STEPS_PER_DAY) / 12
    shape = 0.5 + 0.5 * np.sin((hours - 9) / 24 * 2 * np.pi)
    return shape * (0.85 if day.day_of_week >= 5 else 1.0)


def _day_rng(seed: int, day: pd.Timestamp, stream: int, k: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, day.toordinal(), stream, k])


def _maxima(peak: float, mean: float, day: pd.Timestamp, rng: np.random.Generator) -> np.ndarray:
    """5-minute maxima whose P99.5 lands near ``peak`` and whose mean is near ``mean`` (%)."""
    shape = _diurnal(day)
    low = max(0.0, 2 * mean - 0.92 * peak)  # a line from ``low`` to 0.92 peak averages ``mean``
    values = (low + (0.92 * peak - low) * shape) * rng.lognormal(0, 0.035, STEPS_PER_DAY)
    return np.clip(values, 0.0, 100.0)


def utilisation(cfg: dict[str, Any], until: pd.Timestamp, seed: int) -> pd.DataFrame:
    """CPU and memory maxima per group, 5-minute steps, for the configured last days."""
    ev = cfg["evidence"]
    days = pd.date_range(end=until, periods=ev["utilisation_days"], freq="D")
    frames = []
    for k, (group, p) in enumerate(ev["groups"].items()):
        dims = f'{{"group":"{group}"}}'
        for day in days:
            ts = pd.date_range(day, periods=STEPS_PER_DAY, freq=FIVE_MINUTES)
            cpu = _maxima(p["cpu_peak"], p["cpu_mean"], day, _day_rng(seed, day, _CPU, k))
            mem_rng = _day_rng(seed, day, _MEMORY, k)
            memory = (
                p["memory_peak"]
                * (0.9 + 0.07 * _diurnal(day))
                * mem_rng.lognormal(0, 0.01, STEPS_PER_DAY)
            )
            for metric, values in (
                ("cpu_utilization_max", cpu),
                ("memory_utilization_max", np.clip(memory, 0, 100)),
            ):
                frames.append(
                    pd.DataFrame(
                        {
                            "ts": ts,
                            "metric": metric,
                            "dimensions": dims,
                            "value": values.round(2),
                            "unit": "%",
                        }
                    )
                )
    return pd.concat(frames, ignore_index=True)


def cdn_analytics(
    cfg: dict[str, Any], rps: pd.Series, costs: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Requests and bytes per day at the edge: what missed the cache is the origin's load.

    Origin requests are the stored average req/s (the ALB's count) and origin bytes are the EC2
    data transfer out on the bill, so the analytics, the metrics and the bill agree.
    """
    ev = cfg["evidence"]["cdn"]
    egress = (
        costs[costs["SkuId"] == "DataTransfer-Out-Bytes"]
        .groupby("ChargePeriodStart")["ConsumedQuantity"]
        .sum()
        .astype(float)
    )
    days = pd.DatetimeIndex(rps.index)
    n = len(days)
    request_hit = np.clip(ev["request_hit_ratio"] + rng.normal(0, 0.008, n), 0.01, 0.99)
    byte_hit = np.clip(ev["byte_hit_ratio"] + rng.normal(0, 0.004, n), 0.01, 0.99)
    origin = rps.to_numpy() * 86_400
    origin_bytes = egress.reindex(days).fillna(0.0).to_numpy() * 1e9
    requests = np.round(origin / (1 - request_hit))
    total_bytes = np.round(origin_bytes / (1 - byte_hit))
    return pd.DataFrame(
        {
            "day": days,
            "provider": ev["provider"],
            "zone": ev["zone"],
            "requests": requests,
            "cached_requests": requests - np.round(origin),
            "bytes": total_bytes,
            "cached_bytes": total_bytes - np.round(origin_bytes),
        }
    )


def _budget(cfg: dict[str, Any], users: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per day: the database's cost-model dollars and its egress dollars."""
    model, ev = cfg["cost_model"]["Database"], cfg["evidence"]["database"]
    days_in_month = pd.DatetimeIndex(users.index).days_in_month.to_numpy()
    budget = (model["fixed"] + model["per_user"] * users.to_numpy()) / days_in_month
    egress = ev["egress_usd_per_gb"] * ev["egress_gb_per_user_month"] * users.to_numpy()
    return budget, egress / days_in_month


def database_tiers(cfg: dict[str, Any], users: pd.Series, catalogue: Catalogue) -> pd.Series:
    """The primary's Supabase tier each day: the largest whose price fits the budget share of
    the 28-day mean of what the database may cost, never downgraded (a causal rule, so a day's
    tier does not depend on how far the demo runs)."""
    ev = cfg["evidence"]["database"]
    smooth = users.rolling(28, min_periods=1).mean()
    budget, egress = _budget(cfg, smooth)
    fee = ev["plan_fee_per_month"] / pd.DatetimeIndex(users.index).days_in_month.to_numpy()
    room = (budget - egress - fee) * ev["tier_budget_share"]
    tiers = catalogue.database_tiers("Supabase")  # cheapest first
    prices = np.array([t.hourly_usd * 24 for t in tiers])
    index = np.maximum(np.searchsorted(prices, room, side="right") - 1, 0)
    index = np.maximum.accumulate(index)
    return pd.Series([tiers[i].tier for i in index], index=users.index)


def database_bill(
    cfg: dict[str, Any], users: pd.Series, catalogue: Catalogue, rng: np.random.Generator
) -> pd.DataFrame:
    """Supabase as it bills: the primary's compute hours at its tier's price, read replicas'
    hours for the rest of the database's cost model, egress and the Pro plan fee."""
    ev = cfg["evidence"]["database"]
    days = pd.DatetimeIndex(users.index)
    tiers = database_tiers(cfg, users, catalogue)
    price = {t: catalogue.database_tier("Supabase", t).hourly_usd for t in tiers.unique()}
    rate = tiers.map(price).to_numpy(float)
    budget, egress_usd = _budget(cfg, users)
    budget = budget * rng.lognormal(0, 0.02, len(days))
    fee = ev["plan_fee_per_month"] / days.days_in_month.to_numpy()
    acct, frames = "org_apex", []
    for tier in tiers.unique():
        on = (tiers == tier).to_numpy()
        line = Line(
            "Database",
            1.0,
            "Supabase",
            "Supabase Pro",
            "Databases",
            ev["resource"],
            f"compute-{tier}",
            "Hours",
            acct,
            price[tier],
        )
        frames.append(_frame(line, days[on], 24 * rate[on], cfg))
    replica = catalogue.database_tier("Supabase", ev["replica_tier"])
    spare = np.maximum(budget - 24 * rate - egress_usd - fee, 0.0)
    replicas = Line(
        "Database",
        1.0,
        "Supabase",
        "Supabase Pro",
        "Databases",
        f"{ev['resource']}-replicas",
        f"read-replica-{replica.tier}",
        "Hours",
        acct,
        replica.hourly_usd,
    )
    frames.append(_frame(replicas, days, spare, cfg))
    egress = Line(
        "Database",
        1.0,
        "Supabase",
        "Supabase Pro",
        "Networking",
        ev["resource"],
        "egress",
        "GB",
        acct,
        ev["egress_usd_per_gb"],
    )
    frames.append(_frame(egress, days, egress_usd, cfg))
    months = days.to_period("M").unique().start_time
    plan = Line(
        "Database",
        1.0,
        "Supabase",
        "Supabase Pro",
        "Databases",
        "org_apex",
        "pro-plan",
        "Months",
        acct,
        ev["plan_fee_per_month"],
    )
    monthly = _frame(plan, months, np.full(len(months), ev["plan_fee_per_month"]), cfg)
    frames.append(
        monthly.assign(
            ChargePeriodEnd=(months.to_period("M") + 1).start_time,
            ChargeCategory="Purchase",
            ChargeDescription="Supabase Pro plan",
        )
    )
    return pd.concat(frames, ignore_index=True)


def database_metrics(
    cfg: dict[str, Any], users: pd.Series, until: pd.Timestamp, seed: int, catalogue: Catalogue
) -> pd.DataFrame:
    """5-minute maxima of CPU %, IOPS and connections for the last days, from the load users
    put on the tier that runs that day; and each day's peak CPU % over the whole history."""
    ev = cfg["evidence"]["database"]
    tiers = database_tiers(cfg, users, catalogue)
    size = {t: catalogue.database_tier("Supabase", t).vcpu for t in tiers.unique()}
    vcpu = tiers.map(size).to_numpy(float)
    dims = f'{{"database":"{ev["resource"]}"}}'
    peak_cpu = 100 * users.to_numpy() / 1000 * ev["peak_vcpu_per_1000_users"] / vcpu
    daily = pd.DataFrame(
        {
            "ts": users.index,
            "metric": "db_cpu_utilization_peak",
            "dimensions": dims,
            "value": np.clip(peak_cpu, 0, 100).round(2),
            "unit": "%",
        }
    )
    days = pd.date_range(end=until, periods=cfg["evidence"]["utilisation_days"], freq="D")
    frames = [daily]
    for day in days:
        u = float(users.loc[day]) / 1000
        peak = float(np.clip(peak_cpu[users.index.get_loc(day)], 0, 100))
        rng = _day_rng(seed, day, _DB)
        ts = pd.date_range(day, periods=STEPS_PER_DAY, freq=FIVE_MINUTES)
        load = _maxima(peak, peak * ev["mean_to_peak"], day, rng) / max(peak, 1e-9)
        series = {
            "db_cpu_utilization_max": ("%", load * peak),
            "db_iops_max": ("IOPS", load * u * ev["iops_per_1000_users"]),
            "db_connections_max": ("connections", load * u * ev["connections_per_1000_users"]),
        }
        for metric, (unit, values) in series.items():
            frames.append(
                pd.DataFrame(
                    {
                        "ts": ts,
                        "metric": metric,
                        "dimensions": dims,
                        "value": np.round(values, 2),
                        "unit": unit,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def query_stats(
    cfg: dict[str, Any], metrics: pd.DataFrame, until: pd.Timestamp, seed: int, tier_vcpu: float
) -> pd.DataFrame:
    """pg_stat_statements over the utilisation window: a few queries take most of the time.

    Execution time adds up to the CPU the database spent (busy vCPU-ms, 5-minute maxima as the
    load), so the top queries' share of time is their share of the CPU.
    """
    ev = cfg["evidence"]["database"]
    cpu = metrics[metrics["metric"] == "db_cpu_utilization_max"]
    start = pd.Timestamp(cpu["ts"].min()).normalize()
    end = until + pd.Timedelta(days=1)
    rng = np.random.default_rng([seed, until.toordinal(), _DB])
    busy_ms = float(cpu["value"].mean()) / 100 * tier_vcpu * (end - start).total_seconds() * 1000
    n, top = ev["queries"], ev["top_queries"]
    rest = rng.dirichlet(np.full(n - top, 0.6)) * (1 - ev["top_share"])
    head = np.array([0.5, 0.3, 0.2])[:top] * ev["top_share"]
    share = np.concatenate([head, np.sort(rest)[::-1]])
    total = share * busy_ms
    mean_ms = np.concatenate([rng.uniform(40, 180, top), rng.uniform(0.2, 8, n - top)])
    calls = np.maximum(1, np.round(total / mean_ms))
    rows = np.round(calls * rng.uniform(1, 50, n))
    blocks = np.round(total * rng.uniform(0.5, 2.0, n))
    text = [QUERY_TEXTS[i % len(QUERY_TEXTS)] for i in range(n)]
    return pd.DataFrame(
        {
            "period_start": start,
            "period_end": end,
            "database": ev["resource"],
            "queryid": rng.integers(-(2**62), 2**62, n),
            "query": text,
            "calls": calls,
            "total_exec_time": total.round(3),
            "rows": rows,
            "shared_blks_read": blocks,
        }
    )
