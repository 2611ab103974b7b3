"""Seeded series for the model tests: seasonal with trend, with credits, short, stepwise;
the `capcost backtest --as-of` table as a test reads it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

AsOfTable = Callable[[Path, str, str, int], tuple[pd.DataFrame, str]]


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


@pytest.fixture
def as_of_table(capsys: pytest.CaptureFixture[str]) -> AsOfTable:
    """``as_of_table(db, metric, date, horizon)``: runs ``capcost backtest METRIC --db DB
    --horizon H --as-of DATE``, requires it to succeed, and returns the CSV it printed as a
    frame and what it said on stderr."""
    from forecasting.cli import main

    def run(db: Path, metric: str, date: str, horizon: int) -> tuple[pd.DataFrame, str]:
        argv = ["backtest", metric, "--db", str(db), "--horizon", str(horizon), "--as-of", date]
        assert main(argv) == 0
        out = capsys.readouterr()
        return pd.read_csv(io.StringIO(out.out)), out.err

    return run
