"""Calibrated bands hold their level on simulated series whose noise is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models.api import forecast, series_frame

N_SERIES, HISTORY, H = 60, 48, 12


def _simulate(kind: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(HISTORY + H)
    if kind == "seasonal":  # level + season + iid noise
        return 50 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, len(t))
    return 100 + np.cumsum(rng.normal(0, 1, len(t)))  # a random walk


@pytest.mark.parametrize(("kind", "model"), [("seasonal", "theta"), ("random_walk", "naive")])
def test_bands_hold_their_level(kind: str, model: str) -> None:
    series = {f"s{i}": _simulate(kind, 1000 + i) for i in range(N_SERIES)}
    frame = pd.concat([series_frame(y[:HISTORY], unique_id=uid) for uid, y in series.items()])
    result = forecast(frame, h=H, level=(50, 80, 95), model=model, n_jobs=1)
    for level, part in result.forecast.groupby("level"):
        inside = [
            (series[uid][HISTORY:] >= p["lower"].to_numpy())
            & (series[uid][HISTORY:] <= p["upper"].to_numpy())
            for uid, p in part.groupby("unique_id")
        ]
        coverage = 100 * float(np.mean(np.concatenate(inside)))
        assert abs(coverage - level) <= 5, (
            f"{kind}/{model}: {coverage:.1f}% inside the {level}% band"
        )
