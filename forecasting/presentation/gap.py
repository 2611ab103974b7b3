"""Why the demand chain's cost and the direct forecast of the bill part ways, in words and
from the figures shown beside it (the Forecast page and the Capacity plan show both)."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import pandas as pd

from forecasting.presentation.figures import (
    format_money,
    format_number,
    format_percent,
    format_quarter,
)

CHAIN, DIRECT = "demand chain", "direct cost forecast"
# Two cost forecasts within this share of each other are the same figure: the quarters the
# bill has already paid (actuals, and a running quarter's observed days) read alike in both.
SAME = 0.005


def _times(a: float, b: float) -> str:
    return f"{a / b:.2f}x"


def _span(start: float, end: float, unit: str) -> str:
    return f"{_times(end, start)} ({format_number(start, 0)} to {format_number(end, 0)} {unit})"


def _scores(scores: pd.DataFrame | None) -> str:
    """The backtest's verdict: each method's bias (its sign says short or over) and sMAPE."""
    if scores is None or scores.empty or not {"method", "smape", "bias_pct"} <= set(scores):
        return ""
    rows = {str(r["method"]): r for r in scores.to_dict("records")}
    if CHAIN not in rows or DIRECT not in rows:
        return ""
    chain, direct = rows[CHAIN], rows[DIRECT]
    windows = int(chain.get("windows") or 0)
    origins = f"{windows} past origins" if windows else "past origins"

    def bias(r: dict[Hashable, Any]) -> str:
        b = float(r["bias_pct"])
        if math.isnan(b):
            return "no bias measured"
        return f"{format_percent(abs(b))} {'short of' if b < 0 else 'over'} the bill"

    chosen = next((m for m, r in rows.items() if r.get("selected")), CHAIN)
    return (
        f" On {origins} the direct forecast came out {bias(direct)} on average and the chain "
        f"{bias(chain)} (sMAPE {format_percent(direct['smape'])} against "
        f"{format_percent(chain['smape'])}): the {chosen} is of record."
    )


def explain_gap(
    rows: pd.DataFrame, scores: pd.DataFrame | None, currency: str, per: str = "month"
) -> str:
    """One paragraph on the two forecasts' gap at the last period of ``rows``.

    ``rows``: one row per quarter, in order: ``ds`` (its first day), ``chain`` and ``direct``
    (the two P50s, in ``currency`` per ``per``) and optionally ``users`` (the users forecast
    the chain ran on). Growth is counted from the last quarter where the two agree (the bill
    both already hold), else from the first. "" when there is nothing to compare.
    """
    rows = rows.dropna(subset=["chain", "direct"]).reset_index(drop=True)
    if len(rows) < 2:
        return ""
    end = rows.iloc[-1]
    agree = (rows["chain"] / rows["direct"] - 1).abs() <= SAME
    start = rows[agree].iloc[-1] if agree.any() and not agree.iloc[-1] else rows.iloc[0]
    if start.name == end.name or min(start["chain"], start["direct"], end["direct"]) <= 0:
        return ""
    when, since = format_quarter(end["ds"]), format_quarter(start["ds"])
    money = {k: format_money(end[k], currency, cents=False) for k in ("chain", "direct")}
    if abs(end["chain"] / end["direct"] - 1) <= SAME:
        return f"By {when} the demand chain and the direct forecast agree ({money['chain']}/{per})."
    high, low = ("chain", "direct") if end["chain"] > end["direct"] else ("direct", "chain")
    names = {"chain": "the demand chain's", "direct": "the direct forecast's"}
    text = (
        f"**Why the two differ by {when}**: {names[high]} {money[high]}/{per} is "
        f"{_times(end[high], end[low])} {names[low]} {money[low]}. "
    )
    chain_growth = _times(end["chain"], start["chain"])
    if "users" in rows and not (math.isnan(start["users"]) or math.isnan(end["users"])):
        slower = end["chain"] / start["chain"] < end["users"] / start["users"]
        text += (
            f"From {since} the chain follows users, forecast to grow "
            f"{_span(start['users'], end['users'], 'users')}, through the cost per user the "
            f"history shows: its cost grows {chain_growth}"
            + (" (fixed costs do not grow with users). " if slower else ". ")
        )
    else:
        text += (
            f"From {since} the chain follows the users forecast through the cost per user the "
            f"history shows: its cost grows {chain_growth}. "
        )
    text += (
        "The direct forecast extrapolates the bill's own past, knowing nothing of users: "
        f"{_times(end['direct'], start['direct'])} over the same quarters."
    )
    return text + _scores(scores)
