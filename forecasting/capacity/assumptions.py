"""The capacity assumptions as frames the Capacity page edits, and the settings an edit makes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from forecasting.errors import InputError
from forecasting.scenario.assumptions import CapacityAssumptions, changes


def sizing_frame(a: CapacityAssumptions) -> pd.DataFrame:
    """The sizing assumptions as one row to edit; utilisations in % as the document states them."""
    return pd.DataFrame(
        [
            {
                "rps_per_instance": a.rps_per_instance,
                "target_cpu_pct": round(100 * a.target_utilisation, 6),
                "scale_down_cpu_pct": round(100 * a.scale_down_utilisation, 6),
                "redundancy": a.redundancy.value,
                "zones": a.zones,
                "min_instances": a.min_instances,
                "instance_type": a.instance_type,
                "hours_per_month": a.hours_per_month,
            }
        ]
    )


def thresholds_frame(a: CapacityAssumptions) -> pd.DataFrame:
    """Alert threshold per utilisation metric, % (one row each)."""
    rows = [{"metric": m, "threshold_pct": v} for m, v in a.alert_thresholds.items()]
    return pd.DataFrame(rows, columns=["metric", "threshold_pct"])


def _cell(row: Mapping[Any, Any], column: str, kind: type) -> Any:
    value = row.get(column)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        raise InputError("is empty", column=column)
    try:
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a {kind.__name__}", column=column) from None


def edited_settings(
    a: CapacityAssumptions, sizing: pd.DataFrame, thresholds: pd.DataFrame
) -> tuple[tuple[str, Any], ...]:
    """What the edited frames change against ``a``, as settings (``--set`` pairs)."""
    row = sizing.iloc[0].to_dict()
    values = {
        "rps_per_instance": _cell(row, "rps_per_instance", float),
        "target_utilisation": _cell(row, "target_cpu_pct", float) / 100,
        "scale_down_utilisation": _cell(row, "scale_down_cpu_pct", float) / 100,
        "redundancy": _cell(row, "redundancy", str),
        "zones": _cell(row, "zones", int),
        "min_instances": _cell(row, "min_instances", int),
        "instance_type": _cell(row, "instance_type", str),
        "hours_per_month": _cell(row, "hours_per_month", float),
    }
    found = changes(a, values)
    edited = {
        str(r["metric"]): _cell(r, "threshold_pct", float) for r in thresholds.to_dict("records")
    }
    if edited != a.alert_thresholds:
        found += (("alert_thresholds", edited),)
    return found
