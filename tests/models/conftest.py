"""Seeded series for the model tests: seasonal with trend, with credits, short, stepwise."""

from __future__ import annotations

import numpy as np
import pytest


def seasonal_series(n: int = 48, seed: int = 0, noise: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.8 * t + 12 * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise, n)


@pytest.fixture
def monthly() -> np.ndarray:
    return seasonal_series()


@pytest.fixture
def with_credits() -> np.ndarray:
    """Net spend that dips below zero when credits exceed usage."""
    y = seasonal_series(seed=3) - 105.0
    return y
