"""Anomalous days: a month's daily cost against a band forecast from the days before it."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from forecasting.interface import COST_METRIC, Excuse, Freq, GroupBy
from forecasting.models.api import forecast
from forecasting.store import Store
from forecasting.variance import days_covered, month_bounds

ANOMALY_LEVEL = 95
# Half a year of daily history: enough weeks for the weekly shape, recent enough for the level.
ANOMALY_HISTORY_DAYS = 182
ANOMALY_MIN_HISTORY_DAYS = 56


def anomalies(store: Store, month: str) -> pd.DataFrame | Excuse:
    """Days of ``month`` whose cost falls outside the 95% band forecast from the days before.

    Each flagged day names the service that moved most against its own median of the 28
    days before the month. Columns: ``ds, actual, expected, lower, upper, service,
    service_change``.
    """
    start, _, _ = month_bounds(month)
    days = days_covered(store, month)
    history, _ = store.read_series(
        COST_METRIC, Freq.DAY, start=start - timedelta(days=ANOMALY_HISTORY_DAYS), end=start
    )
    if len(history) < ANOMALY_MIN_HISTORY_DAYS or days == 0:
        return Excuse(
            f"anomaly detection needs {ANOMALY_MIN_HISTORY_DAYS} days of daily cost before "
            f"{month}; there are {len(history)}",
            {"month": month},
        )
    result = forecast(history, h=days, freq=Freq.DAY, level=(ANOMALY_LEVEL,))
    band = result.forecast[["ds", "forecast", "lower", "upper"]]
    actual, _ = store.read_series(
        COST_METRIC, Freq.DAY, start=start, end=start + timedelta(days=days)
    )
    merged = band.merge(actual[["ds", "y"]], on="ds")
    merged = merged.rename(columns={"y": "actual", "forecast": "expected"})
    flagged = merged[(merged["actual"] > merged["upper"]) | (merged["actual"] < merged["lower"])]
    out = flagged[["ds", "actual", "expected", "lower", "upper"]].copy()
    movers = _day_movers(store, start, days)
    picks = [movers.get(pd.Timestamp(d), ("", 0.0)) for d in out["ds"]]
    out["service"] = pd.Series([p[0] for p in picks], index=out.index, dtype=object)
    out["service_change"] = pd.Series([p[1] for p in picks], index=out.index, dtype=float)
    money = ["actual", "expected", "lower", "upper", "service_change"]
    out[money] = out[money].astype(float).round(2)
    return out.reset_index(drop=True)


def _day_movers(store: Store, start: date, days: int) -> dict[pd.Timestamp, tuple[str, float]]:
    """Per day of the month: the service furthest from its median of the 28 days before."""
    frame, _ = store.read_series(
        COST_METRIC,
        Freq.DAY,
        GroupBy.SERVICE,
        start=start - timedelta(days=28),
        end=start + timedelta(days=days),
    )
    wide = frame.pivot_table(index="ds", columns="unique_id", values="y", aggfunc="sum").fillna(0)
    baseline = wide[wide.index < pd.Timestamp(start)].median()
    change = wide[wide.index >= pd.Timestamp(start)] - baseline
    movers: dict[pd.Timestamp, tuple[str, float]] = {}
    for ds, row in change.iterrows():
        if len(row):
            service = str(row.abs().idxmax())
            movers[pd.Timestamp(str(ds))] = (service, float(row.loc[service]))
    return movers
