"""The explanation beside the two cost forecasts: computed from the figures it sits beside."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.demand import chain
from forecasting.presentation.gap import CHAIN, DIRECT, explain_gap

QUARTERS = pd.to_datetime(["2026-07-01", "2026-10-01", "2027-01-01", "2027-04-01"])
SCORES = pd.DataFrame(
    [
        {"method": CHAIN, "windows": 12, "smape": 9.95, "bias_pct": -10.1, "selected": True},
        {"method": DIRECT, "windows": 12, "smape": 25.7, "bias_pct": 23.5, "selected": False},
    ]
)


def rows(
    chain_cost: list[float], direct: list[float], users: list[float] | None = None
) -> pd.DataFrame:
    frame = pd.DataFrame({"ds": QUARTERS, "chain": chain_cost, "direct": direct})
    return frame if users is None else frame.assign(users=users)


def test_the_method_names_are_the_engines() -> None:
    assert (CHAIN, DIRECT) == (chain.CHAIN, chain.DIRECT)


def test_the_gap_is_explained_from_the_figures() -> None:
    text = explain_gap(
        rows(
            [11_800, 16_000, 20_000, 33_125],
            [11_800, 16_000, 17_000, 18_261],
            [97e3, 146e3, 200e3, 400e3],
        ),
        SCORES,
        "USD",
    )
    assert text.startswith("**Why the two differ by 2027 Q2**: the demand chain's 33,125 USD/month")
    assert "is 1.81x the direct forecast's 18,261 USD" in text
    # Counted from the last quarter both hold alike (2026 Q4), not from the first.
    assert (
        "From 2026 Q4 the chain follows users, forecast to grow 2.74x (146,000 to 400,000 users)"
        in text
    )
    assert "its cost grows 2.07x (fixed costs do not grow with users)" in text
    assert "knowing nothing of users: 1.14x over the same quarters" in text
    assert (
        "the direct forecast came out 23.5% over the bill on average and the chain 10.1% short"
        in text
    )
    assert "(sMAPE 25.7% against 10.0%): the demand chain is of record." in text


def test_the_other_way_round_and_without_users() -> None:
    text = explain_gap(rows([100, 100, 110, 120], [100, 100, 130, 180]), None, "EUR", "quarter")
    assert text.startswith(
        "**Why the two differ by 2027 Q2**: the direct forecast's 180 EUR/quarter is 1.50x"
    )
    assert "the chain follows the users forecast" in text and "sMAPE" not in text
    assert "fixed costs" not in text


@pytest.mark.parametrize(
    ("chain_cost", "direct", "expected"),
    [
        (
            [100, 100, 101, 102],
            [100, 100, 101, 102.2],
            "By 2027 Q2 the demand chain and the direct forecast agree",
        ),
        (
            [100, 100, 100, 100],
            [100, 100, 100, 100],
            "By 2027 Q2 the demand chain and the direct forecast agree",
        ),
    ],
)
def test_forecasts_that_agree_say_so(
    chain_cost: list[float], direct: list[float], expected: str
) -> None:
    assert explain_gap(rows(chain_cost, direct), SCORES, "USD").startswith(expected)


def test_nothing_to_compare_is_nothing_said() -> None:
    assert explain_gap(rows([1, 2, 3, 4], [1, 2, 3, 4]).head(1), SCORES, "USD") == ""
