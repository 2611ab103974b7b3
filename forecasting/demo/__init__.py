"""The APEX OmniHub demo company: a deterministic, realistic database for a seed."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.demo import billing, evidence, usage
from forecasting.demo.settings import (
    CAPACITY_SET_NAME,
    PLAN_OF_RECORD_NAME,
    STATED_PLAN_NAME,
    company,
)
from forecasting.store import Store

# A day on which the metrics pipeline was down: every metric is missing, costs are not.
MISSING_METRICS_DAY = pd.Timestamp("2025-03-14")
# Every demo is drawn to this day (or to --until, if later) and then cut at --until, so a demo
# built to an earlier date is exactly the first part of one built later with the same seed.
DRAWN_UNTIL = date(2030, 12, 31)

__all__ = ["CAPACITY_SET_NAME", "PLAN_OF_RECORD_NAME", "STATED_PLAN_NAME", "build_demo", "generate"]


def generate(until: date, seed: int) -> dict[str, pd.DataFrame]:
    """The demo's data as frames, up to ``until``: ``metrics`` (long), ``costs`` (FOCUS line
    items), ``inventory`` (the instances and tasks behind the compute line items), ``cdn``
    (daily CDN analytics) and ``queries`` (pg_stat_statements over the last days)."""
    from forecasting.scenario.catalogue import load_catalogue

    cfg = company()
    rng = np.random.default_rng(seed)
    users = usage.daily_users(cfg, max(until, DRAWN_UNTIL), rng)
    rps = usage.traffic(users, cfg, rng)
    pods = usage.autoscale(rps, cfg, rng)
    util = usage.utilisation(users, rng)
    wide = pd.DataFrame(
        {
            "users": users,
            "requests_per_second": rps["avg"].round(2),
            "requests_per_second_peak": rps["peak"].round(2),
            "instances": pods["instances"].round(2),
            "cpu_utilization": pods["cpu"].round(2),
            **{name: util[name].round(2) for name in util.columns},
        }
    ).drop(index=MISSING_METRICS_DAY, errors="ignore")
    wide = wide[wide.index <= pd.Timestamp(until)]
    units = {
        "users": "users",
        "requests_per_second": "req/s",
        "requests_per_second_peak": "req/s",
        "instances": "instances",
    }
    metrics = wide.rename_axis("ts").reset_index().melt("ts", var_name="metric")
    metrics["unit"] = metrics["metric"].map(units).fillna("%")
    metrics["dimensions"] = "{}"
    catalogue = load_catalogue()
    costs, inventory = billing.line_items(users, cfg, rng, catalogue)
    costs = pd.concat([costs, evidence.database_bill(cfg, users, catalogue, rng)])
    cdn = evidence.cdn_analytics(cfg, rps["avg"].round(2), costs, rng)
    costs = _bill_cdn_bytes(costs, cdn)
    cut = pd.Timestamp(until)
    db = evidence.database_metrics(cfg, users, cut, seed, catalogue)
    db = db[
        (db["ts"] < cut + pd.Timedelta(days=1)) & (db["ts"].dt.normalize() != MISSING_METRICS_DAY)
    ]
    tier = evidence.database_tiers(cfg, users, catalogue).loc[cut]
    vcpu = catalogue.database_tier("Supabase", tier).vcpu
    return {
        "metrics": pd.concat(
            [metrics, evidence.utilisation(cfg, cut, seed), db], ignore_index=True
        ),
        "costs": costs[costs["ChargePeriodStart"] <= cut].reset_index(drop=True),
        "inventory": inventory[inventory["day"] <= cut].reset_index(drop=True),
        "cdn": cdn[cdn["day"] <= cut].reset_index(drop=True),
        "queries": evidence.query_stats(cfg, db, cut, seed, vcpu),
    }


def _bill_cdn_bytes(costs: pd.DataFrame, cdn: pd.DataFrame) -> pd.DataFrame:
    """The CDN line's quantity is the GB its analytics say the edge served that day."""
    costs = costs.reset_index(drop=True)
    is_cdn = (costs["SkuId"] == "bandwidth").to_numpy()
    gb = cdn.set_index("day")["bytes"] / 1e9
    costs.loc[is_cdn, "ConsumedQuantity"] = (
        gb.reindex(costs.loc[is_cdn, "ChargePeriodStart"]).round(3).to_numpy()
    )
    return costs


def build_demo(path: Path, *, until: date, seed: int = 7) -> dict[str, Any]:
    """Write the demo database to ``path``, replacing any file there atomically.

    The file is built beside the target and swapped in with os.replace, so an app reading
    the old file keeps working and then sees the new one whole.
    """
    frames = generate(until, seed)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        with Store(tmp) as store:
            _write(store, frames, until, seed)
            store.con.execute("CHECKPOINT")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return {
        "days": frames["metrics"]["ts"].dt.normalize().nunique(),
        "cost_rows": len(frames["costs"]),
        "metric_rows": len(frames["metrics"]),
    }


def _write(store: Store, frames: dict[str, pd.DataFrame], until: date, seed: int) -> None:
    cfg = company()
    store.set_cost_group_rules(cfg["cost_groups"])
    with store.ingest_run("demo", {"until": until.isoformat(), "seed": seed}) as run:
        store.replace_cost_periods(run, frames["costs"])
        store.replace_metrics(run, frames["metrics"])
        store.replace_inventory(run, frames["inventory"])
        store.replace_cdn_analytics(run, frames["cdn"])
        store.replace_query_stats(run, frames["queries"])
        run.watermark = until.isoformat()
    store.save_assumptions(
        CAPACITY_SET_NAME,
        {**cfg["capacity"], **cfg["savings"], "alert_thresholds": cfg["alert_thresholds"]},
        note="APEX OmniHub scaling triggers, alert thresholds and savings targets",
    )
    store.save_stated_savings(
        STATED_PLAN_NAME, pd.DataFrame(cfg["stated_savings"]), cfg["company"]["currency"]
    )
    _freeze_document_plan(store, cfg)


def _freeze_document_plan(store: Store, cfg: dict[str, Any]) -> None:
    """The document's growth projections, stored as the 2026 plan of record."""
    plan = pd.DataFrame(cfg["plan_2026"])
    quarters = pd.PeriodIndex(plan["quarter"], freq="Q").start_time
    months = pd.date_range("2026-01-01", "2026-12-01", freq="MS")
    per_month = plan.set_index(quarters)["infrastructure_cost_per_month"]
    series = {
        ("users", "quarter", "users"): pd.Series(plan["users"].to_numpy(), index=quarters),
        ("requests_per_second", "quarter", "req/s"): pd.Series(
            plan["requests_per_second"].to_numpy(), index=quarters
        ),
        ("cost", "month", cfg["company"]["currency"]): per_month.reindex(months, method="ffill"),
    }
    for (metric, freq, unit), values in series.items():
        store.freeze_plan(
            name=PLAN_OF_RECORD_NAME,
            metric=metric,
            freq=freq,
            unit=unit,
            as_of=date(2026, 1, 1),
            model="stated",
            values=pd.DataFrame(
                {
                    "unique_id": "total" if metric == "cost" else metric,
                    "ds": values.index,
                    "forecast": values.to_numpy(dtype=float),
                }
            ),
            assumptions={"source": "Operational Excellence Framework, Capacity Planning"},
        )
