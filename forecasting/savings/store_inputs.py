"""Reading the store into the savings models' inputs: with commands.py, the I/O edge of savings."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from forecasting.errors import InputError
from forecasting.interface import Freq
from forecasting.scenario import load_capacity
from forecasting.scenario.catalogue import CURRENCY

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from forecasting.interface import Excuse
    from forecasting.models.options import ForecastOptions, PathForecaster
    from forecasting.savings.stacking import Lever
    from forecasting.scenario.assumptions import SavingsScenario
    from forecasting.scenario.catalogue import Catalogue
    from forecasting.store import Store


def cost_rows(
    store: Store, start: pd.Timestamp, end: pd.Timestamp, *, priced: bool = True
) -> pd.DataFrame:
    """Daily spend by cost group, FOCUS category, service and pricing category in [start, end).

    The Store's series API groups by one dimension at a time; reconciling nested categories
    and separating committed from on-demand usage needs them together. ``priced``: the rows
    meet the catalogue's prices (levers, commitments), so the bill must be in the catalogue's
    currency; a stated plan's reconciliation (``priced=False``) works in any one currency.
    """
    currencies = store.currencies()
    if len(currencies) != 1:
        raise InputError(
            f"savings need one billing currency, found {', '.join(currencies) or 'none'}",
            parameter="--db",
        )
    if priced and currencies[0] != CURRENCY:
        raise InputError(
            f"the bill is in {currencies[0]} but the savings levers and commitments are priced "
            f"from the catalogue in {CURRENCY}, and no exchange rate is kept; a stated plan "
            f"(--stated) is still checked against the bill in {currencies[0]}",
            parameter="--db",
        )
    frame, _ = store.daily_cost_detail(start.date(), end.date())
    return frame


def base_month(store: Store, text: str | None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the base month: the one asked for, or the last full month of cost."""
    import pandas as pd

    last_full, _ = store.last_full_month_costs()
    start = pd.Timestamp(f"{text}-01") if text else pd.Timestamp(last_full)
    if start > last_full:
        raise InputError(
            f"{start:%Y-%m} is not a full month of cost data (last: {last_full:%Y-%m})",
            parameter="--base-month",
        )
    return start, start + pd.offsets.MonthBegin(1)


def compute_savings_rate(rows: pd.DataFrame, group: str) -> float | Excuse:
    """What commitments already save on ``group``'s usage: 1 - EffectiveCost / ListCost."""
    from forecasting.savings.commitments import effective_savings_rate

    usage = rows[(rows["cost_group"] == group) & (rows["ChargeCategory"] == "Usage")]
    return effective_savings_rate(float(usage["list_cost"].sum()), float(usage["cost"].sum()))


def savings_rate_text(esr: float | Excuse, group: str) -> str:
    return (
        f"effective savings rate of {group} today: {esr:.1%}"
        if isinstance(esr, float)
        else str(esr)
    )


def _daily(store: Store, metric: str, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray | None:

    if metric not in store.stored_metrics():
        return None
    values: np.ndarray = store.read_series(metric, Freq.DAY, start=start, end=end)[0]["y"].to_numpy(
        float
    )
    return values if len(values) else None


def rightsize_lever_from(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    base: float,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> Lever:
    from forecasting.savings.evidence_inputs import rightsizing_from_evidence
    from forecasting.savings.levers import rightsize_lever
    from forecasting.savings.rightsizing import Preferences, rightsize
    from forecasting.savings.stacking import Lever

    measured = rightsizing_from_evidence(
        store, scenario, catalogue, scenario.compute_group, base, start, end
    )
    if measured is not None:
        return measured[0]
    cpu = _daily(store, "cpu_utilization", start, end)
    if cpu is None:
        return Lever(
            "right-size", scenario.compute_group, 0, 0, 0, "not modelled: no cpu_utilization stored"
        )
    pods = _daily(store, "instances", start, end)
    prefs = Preferences(
        cpu_percentile=scenario.cpu_percentile,
        cpu_headroom=scenario.cpu_headroom,
        memory_headroom=scenario.memory_headroom,
        hours_per_month=scenario.hours_per_month,
    )
    rec = rightsize(
        "fleet",
        scenario.instance_type,
        cpu,
        catalogue,
        count=float(pods.mean()) if pods is not None else 1.0,
        memory_pct=_daily(store, "memory_utilization", start, end),
        prefs=prefs,
    )
    text = f"P{scenario.cpu_percentile:g} of daily means +{scenario.cpu_headroom:.0%}"
    lever = rightsize_lever(rec, base, text, scenario.compute_group)
    return dataclasses.replace(
        lever,
        evidence=f"daily means of cpu_utilization {start:%Y-%m} (no "
        "5-minute maxima or inventory stored): a coarse stand-in",
    )


def cdn_lever_from(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    base: float,
    start: pd.Timestamp,
    end: pd.Timestamp,
    options: ForecastOptions,
) -> Lever:
    from forecasting.savings.cdn import CdnScenario, cdn_saving
    from forecasting.savings.evidence_inputs import cdn_bill, cdn_from_evidence
    from forecasting.savings.levers import cdn_lever
    from forecasting.savings.stacking import Lever

    measured = cdn_from_evidence(
        store,
        scenario,
        scenario.compute_group,
        base,
        cdn_bill(store, scenario, start, end),
        start,
        end,
    )
    if measured is not None:
        return measured
    now, target = scenario.request_hit_ratio, scenario.target_request_hit_ratio
    if now is None or target is None:
        return Lever(
            "cdn",
            scenario.compute_group,
            0,
            0,
            0,
            "not modelled: no CDN hit ratio is stored; set "
            "request_hit_ratio and target_request_hit_ratio in the scenario",
        )
    rps = _daily(store, "requests_per_second", start, end)
    peak = _daily(store, "requests_per_second_peak", start, end)
    pods = _daily(store, "instances", start, end)
    if rps is None or pods is None:
        return Lever(
            "cdn",
            scenario.compute_group,
            0,
            0,
            0,
            "not modelled: no requests_per_second or instances",
        )
    capacity = load_capacity(store, options.scenario, options.settings)
    # The stored req/s is what the origin serves: the edge sees it over the miss ratio.
    edge = float(rps.mean()) / max(1e-9, 1 - now)
    ratio = float(peak.mean() / rps.mean()) if peak is not None else 1.0
    bytes_now = now if scenario.byte_hit_ratio is None else scenario.byte_hit_ratio
    bytes_target = (
        target if scenario.target_byte_hit_ratio is None else scenario.target_byte_hit_ratio
    )
    s = CdnScenario(
        edge_requests_per_second=edge,
        edge_gb_per_month=scenario.edge_gb_per_month,
        request_hit_ratio=now,
        byte_hit_ratio=bytes_now,
        target_request_hit_ratio=target,
        target_byte_hit_ratio=bytes_target,
        cdn_provider=scenario.cdn_provider,
        origin_in_aws=scenario.origin_in_aws,
        peak_to_average=max(1.0, ratio),
        origin_usd_per_million_requests=scenario.origin_usd_per_million_requests,
    )
    per_pod = base / float(pods.mean())
    return cdn_lever(cdn_saving(s, capacity, per_pod, catalogue), scenario, base)


def database_lever_from(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    base: float,
    start: pd.Timestamp,
    end: pd.Timestamp,
    options: ForecastOptions,
    forecaster: PathForecaster,
) -> Lever:
    import pandas as pd

    from forecasting.savings.database import DatabaseLoad, database_saving
    from forecasting.savings.evidence_inputs import billed_tier, database_evidence, database_text
    from forecasting.savings.levers import database_lever

    pool = _daily(store, "db_connection_pool_utilization", start, end)
    billed = billed_tier(store, scenario.database_provider, start, end, catalogue)
    tier = scenario.database_tier if billed is None else billed[0]
    ev = database_evidence(store, scenario, tier)
    cpu_reduction, iops_reduction = scenario.query_cpu_reduction, scenario.iops_reduction
    if ev is not None:
        cpu_reduction, iops_reduction = ev.cpu_reduction, ev.iops_reduction
    load = DatabaseLoad(
        scenario.database_provider,
        tier,
        cpu_pct=None if ev is None else ev.cpu_pct,
        iops=None if ev is None else ev.iops,
        pool_pct=None if pool is None else float(pool.max()),
    )
    paths = ds = None
    if pool is not None:
        history, _ = store.read_series("db_connection_pool_utilization", Freq.DAY)
        result = forecaster(history, 365, Freq.DAY, options)
        paths = result.paths["db_connection_pool_utilization"]
        ds = pd.DatetimeIndex(result.series["db_connection_pool_utilization"].ds)
    saving = database_saving(
        load,
        catalogue,
        cpu_reduction=cpu_reduction,
        iops_reduction=iops_reduction,
        pool_paths=paths,
        ds=ds,
    )
    evidence = ""
    if ev is not None:
        current = catalogue.database_tier(scenario.database_provider, tier)
        evidence = database_text(
            ev,
            scenario,
            current.vcpu,
            saving.requirement.vcpu,
            current.hourly_usd,
            saving.recommended_tier,
            saving.recommended_monthly_usd,
        )
    return database_lever(saving, scenario, base, cpu_reduction, iops_reduction, evidence)
