"""Every metric against a plain loop, and M4's published naive scores on the real hourly data."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from forecasting.models import metrics
from forecasting.models.simple import Naive, SeasonalNaive


def _loop_smape(a: list[float], f: list[float]) -> float:
    total = 0.0
    for x, y in zip(a, f, strict=True):
        denom = abs(x) + abs(y)
        total += 0.0 if denom == 0 else abs(x - y) / denom
    return 200.0 * total / len(a)


def _loop_mase(a: list[float], f: list[float], insample: list[float], m: int) -> float:
    diffs = [abs(insample[t] - insample[t - m]) for t in range(m, len(insample))]
    scale = sum(diffs) / len(diffs)
    return sum(abs(x - y) for x, y in zip(a, f, strict=True)) / len(a) / scale


def _loop_mape(a: list[float], f: list[float]) -> float:
    terms = [abs(x - y) / abs(x) for x, y in zip(a, f, strict=True) if x != 0]
    return 100.0 * sum(terms) / len(terms)


def _loop_coverage(a: list[float], lo: list[float], hi: list[float]) -> float:
    inside = sum(1 for x, low, high in zip(a, lo, hi, strict=True) if low <= x <= high)
    return 100.0 * inside / len(a)


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_plain_loops(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(100, 30, 24)
    a[3] = 0.0  # a zero actual: MAPE skips it, sMAPE does not
    f = a + rng.normal(0, 10, 24)
    f[5] = -a[5]  # opposite signs, the sMAPE worst case
    insample = rng.normal(100, 30, 60)
    lo, hi = f - 15, f + 15
    al, fl = a.tolist(), f.tolist()
    assert metrics.smape(a, f) == pytest.approx(_loop_smape(al, fl), rel=1e-12)
    assert metrics.mase(a, f, insample, 12) == pytest.approx(
        _loop_mase(al, fl, insample.tolist(), 12), rel=1e-12
    )
    assert metrics.mape(a, f) == pytest.approx(_loop_mape(al, fl), rel=1e-12)
    assert metrics.bias(a, f) == pytest.approx(
        sum(y - x for x, y in zip(al, fl, strict=True)) / 24, rel=1e-12
    )
    assert metrics.coverage(a, lo, hi) == pytest.approx(
        _loop_coverage(al, lo.tolist(), hi.tolist()), rel=1e-12
    )


def test_smape_is_bounded_and_zero_over_zero_counts_as_zero() -> None:
    assert metrics.smape([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert metrics.smape([1.0], [-1.0]) == 200.0
    assert metrics.smape([5.0], [0.0]) == 200.0


def test_undefined_metrics_are_nan_not_errors() -> None:
    assert math.isnan(metrics.mape([0.0, 0.0], [1.0, 2.0]))
    assert math.isnan(metrics.mase([1.0], [2.0], [3.0, 3.0, 3.0], 1))
    assert math.isnan(metrics.bias_pct([0.0], [1.0]))


def test_mase_falls_back_to_lag_one_for_short_history() -> None:
    assert metrics.mase_scale([1.0, 3.0, 4.0], m=12) == pytest.approx(1.5)


def test_mismatched_shapes_raise() -> None:
    with pytest.raises(ValueError, match="actual has 2 values"):
        metrics.smape([1.0, 2.0], [1.0])


def _read_m4(path: Path) -> list[np.ndarray]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return [np.array([float(v) for v in row[1:] if v != ""]) for row in rows]


def test_m4_hourly_published_naive_scores(shared_data: Path) -> None:
    """M4's official results: seasonal naive sMAPE 13.912, MASE 1.193; naive 43.003, 11.608."""
    train = _read_m4(shared_data / "m4" / "Hourly-train.csv")
    test = _read_m4(shared_data / "m4" / "Hourly-test.csv")
    assert len(train) == len(test) == 414
    scores: dict[str, tuple[list[float], list[float]]] = {"snaive": ([], []), "naive": ([], [])}
    for y, actual in zip(train, test, strict=True):
        for key, model in (("snaive", SeasonalNaive(24)), ("naive", Naive(24))):
            f = model.fit(y).forecast(48).mean
            scores[key][0].append(metrics.smape(actual, f))
            scores[key][1].append(metrics.mase(actual, f, y, 24))
    assert round(float(np.mean(scores["snaive"][0])), 3) == 13.912
    assert round(float(np.mean(scores["snaive"][1])), 3) == 1.193
    assert round(float(np.mean(scores["naive"][0])), 3) == 43.003
    assert round(float(np.mean(scores["naive"][1])), 3) == 11.608
