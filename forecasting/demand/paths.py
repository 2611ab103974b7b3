"""Demand sample paths per period, with the observed periods before them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

PLAN_METRICS = ("users", "requests_per_second", "requests_per_second_peak")


@dataclass(frozen=True)
class DemandPaths:
    """Demand sample paths per period (the plan's months): every array is n_paths x len(ds).

    ``actuals`` (a DatetimeIndex of periods, a column per metric) precede them. Besides the
    demand metrics, ``paths`` may hold ``cost_per_month`` (total $/month of each path).
    """

    ds: pd.DatetimeIndex
    paths: Mapping[str, np.ndarray]
    """Per metric (users, requests_per_second, requests_per_second_peak), n_paths x h."""
    actuals: pd.DataFrame
    """Observed days (DatetimeIndex) with a column per metric; may be empty."""

    def __post_init__(self) -> None:
        shapes = {name: np.shape(p) for name, p in self.paths.items()}
        missing = [m for m in PLAN_METRICS if m not in self.paths]
        if missing:
            raise ValueError(f"paths lack {missing}")
        if len({s for s in shapes.values()}) != 1 or next(iter(shapes.values()))[1:] != (
            len(self.ds),
        ):
            raise ValueError(f"paths must all be n_paths x {len(self.ds)}, got {shapes}")

    @property
    def n_paths(self) -> int:
        return int(np.shape(self.paths[PLAN_METRICS[0]])[0])

    def daily_matrix(self, metric: str) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
        """Periods, n_paths x periods values and a per-period flag ``is_forecast``.

        An observed period is the same in every path; forecast periods after the last
        observed one follow the paths (a forecast period the actuals already cover is dropped).
        """
        observed = self.actuals[metric].dropna() if metric in self.actuals else pd.Series()
        keep = self.ds > observed.index.max() if len(observed) else np.ones(len(self.ds), bool)
        days = observed.index.append(self.ds[keep])
        values = np.hstack(
            [
                np.broadcast_to(observed.to_numpy(float), (self.n_paths, len(observed))),
                np.asarray(self.paths[metric], dtype=float)[:, keep],
            ]
        )
        flag = np.r_[np.zeros(len(observed), bool), np.ones(int(keep.sum()), bool)]
        return pd.DatetimeIndex(days), values, flag
