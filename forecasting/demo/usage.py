"""Daily usage of the demo company: users, requests/s, pods and utilisation."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

START = date(2024, 1, 1)
# Weekday shape of users (Mon..Sun): a B2B product dips at weekends; mean 1.
WEEKLY = np.array([1.03, 1.045, 1.045, 1.035, 1.005, 0.92, 0.92])
WEEKLY = WEEKLY / WEEKLY.mean()
# Hourly shape of traffic: a diurnal sine whose peak is peak_to_average times the mean.
HOURS = np.arange(24)


def quarter_midpoint(label: str) -> pd.Timestamp:
    start = pd.Period(label, freq="Q").start_time
    return start + (pd.Period(label, freq="Q").end_time - start) / 2


def user_anchors(cfg: dict[str, Any], until: date) -> dict[str, float]:
    """Quarterly average users: history, the 2026 plan, then the plan's growth continued."""
    anchors = {q: float(v) for q, v in cfg["history"]["users_by_quarter"].items()}
    anchors |= {row["quarter"]: float(row["users"]) for row in cfg["plan_2026"]}
    growth = 1 + cfg["history"]["growth_after_plan_per_quarter"]
    period = pd.Period(max(anchors), freq="Q")
    value = anchors[max(anchors)]
    while period.start_time.date() <= until:
        period, value = period + 1, value * growth
        anchors[str(period)] = value
    return dict(sorted(anchors.items()))


def plan_deviation(
    quarters: pd.PeriodIndex, cfg: dict[str, Any], rng: np.random.Generator
) -> pd.Series:
    """Per quarter, how far actuals land from the plan: a few percent, either way."""
    top = cfg["history"]["max_plan_deviation"]
    size = rng.uniform(0.02, top, len(quarters)) * rng.choice([-1, 1], len(quarters))
    return pd.Series(1 + size, index=quarters)


def _day_numbers(stamps: pd.DatetimeIndex) -> np.ndarray:
    # Day numbers, not asi8: pandas 3 indexes may carry different resolutions (s, us, ns).
    return np.asarray((stamps - pd.Timestamp(START)) / pd.Timedelta(days=1), dtype=float)


def daily_users(cfg: dict[str, Any], until: date, rng: np.random.Generator) -> pd.Series:
    days = pd.date_range(START, until, freq="D")
    anchors = user_anchors(cfg, until)
    # Log-linear between quarter midpoints, so growth is smooth and compounding.
    mids = pd.DatetimeIndex([quarter_midpoint(q) for q in anchors])
    log_users = np.log(np.array(list(anchors.values())))
    trend = pd.Series(
        np.exp(np.interp(_day_numbers(days), _day_numbers(mids), log_users)), index=days
    )
    quarters = days.to_period("Q")
    # Compounding growth makes a quarter's mean exceed its midpoint value: rescale each quarter
    # so the trend averages exactly the anchor, and only the drawn deviation separates actuals
    # from the plan.
    targets = pd.Series(list(anchors.values()), index=pd.PeriodIndex(list(anchors), freq="Q"))
    rescale = (targets / trend.groupby(quarters).mean()).reindex(quarters).to_numpy()
    deviation = plan_deviation(quarters.unique(), cfg, rng).reindex(quarters).to_numpy()
    # Smooth the quarterly steps over a month so growth has no jump on the 1st of a quarter.
    multiplier = pd.Series(rescale * deviation).rolling(31, center=True, min_periods=1).mean()
    noise = np.exp(_ar1(len(days), 0.6, 0.012, rng))
    users = trend.to_numpy() * multiplier.to_numpy() * WEEKLY[days.day_of_week] * noise
    return pd.Series(users, index=days).round()


def _ar1(n: int, phi: float, sd: float, rng: np.random.Generator) -> np.ndarray:
    shocks = rng.normal(0, sd * np.sqrt(1 - phi**2), n)
    out = np.empty(n)
    out[0] = rng.normal(0, sd)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def traffic(users: pd.Series, cfg: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """Daily average and peak requests/s from users, with a diurnal shape."""
    hist = cfg["history"]
    n = len(users)
    avg = users.to_numpy() * hist["requests_per_second_per_user"] * rng.lognormal(0, 0.02, n)
    peak = avg * hist["peak_to_average"] * rng.lognormal(0, 0.03, n)
    return pd.DataFrame({"avg": avg, "peak": np.maximum(peak, avg)}, index=users.index)


def autoscale(rps: pd.DataFrame, cfg: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """Hour by hour, pods follow the document's triggers: up above 70% CPU, down below 30%.

    Returns daily average pods and average CPU %, which therefore mostly sits at 40-65%.
    """
    cap = cfg["capacity"]
    per_pod = cap["rps_per_instance"]
    up, down = cap["target_cpu_utilisation"], cap["scale_down_cpu"]
    amplitude = cfg["history"]["peak_to_average"] - 1
    shape = 1 + amplitude * np.sin((HOURS - 9) / 24 * 2 * np.pi).clip(-1 / amplitude, None)
    shape = shape / shape.mean()
    pods = max(cap["min_instances"], int(np.ceil(rps["avg"].iloc[0] / (per_pod * 0.5))))
    out_pods, out_cpu = [], []
    for avg in rps["avg"].to_numpy():
        load = avg * shape * rng.lognormal(0, 0.05, 24)
        day_pods, day_cpu = [], []
        for hour_load in load:
            cpu = hour_load / (pods * per_pod)
            if cpu > up:
                pods = int(np.ceil(hour_load / (per_pod * 0.55)))
            elif cpu < down and pods > cap["min_instances"]:
                pods = max(cap["min_instances"], int(np.ceil(hour_load / (per_pod * 0.55))))
            day_pods.append(pods)
            day_cpu.append(min(hour_load / (pods * per_pod), 0.98))
        out_pods.append(np.mean(day_pods))
        out_cpu.append(100 * np.mean(day_cpu))
    return pd.DataFrame({"instances": out_pods, "cpu": out_cpu}, index=rps.index)


def utilisation(users: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """Memory, DB connection pool and disk, %.

    The pool tracks users (40% + 30% per 150K users) and disk grows with the data users
    create, so both head for their alert thresholds (90%, 75%) as growth continues.
    """
    n = len(users)
    t = np.arange(n)
    memory = 65 + 5 * np.sin(t / 45) + rng.normal(0, 2.0, n)
    pool = 40 + 30 * users.to_numpy() / 150_000 + rng.normal(0, 1.5, n)
    data_growth = np.cumsum(users.to_numpy()) / 1_000_000
    disk = 22 + 0.75 * data_growth + rng.normal(0, 0.3, n)
    return pd.DataFrame(
        {
            "memory_utilization": memory.clip(40, 79),
            "db_connection_pool_utilization": pool.clip(0, 100),
            "disk_utilization": disk.clip(0, 100),
        },
        index=users.index,
    )
