"""Reconcile a stated savings plan with the spend it claims to act on, without double counting."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.presentation.figures import format_amount
from forecasting.savings.stacking import LEVER_ORDER

STATED_COLUMNS = ("initiative", "category", "percent", "monthly_savings")
# Where a stated category is looked for, in this order (first dimension that has it wins).
SPEND_DIMENSIONS = ("cost_group", "ServiceCategory", "ServiceName")
OUTPUT_COLUMNS = (
    "initiative",
    "category",
    "stated_percent",
    "stated_monthly",
    "base_monthly",
    "implied_base",
    "modelled_monthly",
    "flags",
)

# Which lever an initiative's wording names; unrecognised lines stack after the database lever
# and before commitments, in file order.
_LEVER_WORDS = {
    "right-size": r"right[- ]?siz|downsiz|idle",
    "cdn": r"\bcdn\b|cach",
    "database": r"database|quer|\bdb\b|index",
    "commitments": r"reserv|savings plan|commit|\bri\b|\bsp\b",
}


def lever_of(initiative: str) -> str | None:
    text = initiative.lower()
    for lever, pattern in _LEVER_WORDS.items():
        if re.search(pattern, text):
            return lever
    return None


# Which usage a commitment line can act on, by its wording: RIs and EC2 Instance Savings Plans
# cover EC2 only; a Compute Savings Plan (or an unnamed commitment) EC2, Fargate and Lambda.
_RI_WORDS = r"reserv|\bri\b|\bris\b|instance savings"
_EC2 = ("amazon elastic compute cloud",)
_COMPUTE_SP = (*_EC2, "amazon elastic container service", "aws fargate", "aws lambda")


def _committable(spend: pd.DataFrame, initiative: str) -> tuple[np.ndarray, str]:
    """Rows a commitment line can act on: compute usage no commitment covers yet, of the
    services its offering covers; and the offering's reach in words."""
    ri = re.search(_RI_WORDS, initiative.lower()) is not None
    services, reach = (_EC2, "EC2") if ri else (_COMPUTE_SP, "EC2, Fargate and Lambda")
    n = len(spend)

    def column(name: str, default: str) -> pd.Series:
        if name in spend.columns:
            return spend[name].fillna("").astype(str)
        return pd.Series([default] * n, index=spend.index)

    usage = column("ChargeCategory", "Usage") == "Usage"
    open_ = column("PricingCategory", "Standard") != "Committed"
    compute = column("ServiceCategory", "Compute") == "Compute"
    service = column("ServiceName", services[0]).str.casefold().isin(services)
    return (usage & open_ & compute & service).to_numpy(), reach


def _stack_rank(initiative: str) -> float:
    lever = lever_of(initiative)
    if lever is None:
        return LEVER_ORDER.index("commitments") - 0.5
    return float(LEVER_ORDER.index(lever))


def validate_stated(lines: pd.DataFrame, source: str = "stated plan") -> pd.DataFrame:
    """Columns present, numbers numeric and non-negative, each line with a percent or dollars."""
    missing = [c for c in STATED_COLUMNS if c not in lines.columns]
    if missing:
        raise InputError(f"missing columns {missing}", file=source)
    out = lines[list(STATED_COLUMNS)].copy()
    for col in ("percent", "monthly_savings"):
        text = out[col].astype(str).str.strip()
        blank = out[col].isna() | text.isin(["", "nan", "NaN", "<NA>", "None"])
        values = pd.to_numeric(text.where(~blank), errors="coerce")
        bad = ~blank & (values.isna() | (values < 0))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{out[col].iloc[row]!r} is not a non-negative number",
                file=source,
                row=row + 2,
                column=col,
            )
        out[col] = values.astype(float)
    for col in ("initiative", "category"):
        blank = out[col].isna() | (out[col].astype(str).str.strip() == "")
        if blank.any():
            row = int(np.flatnonzero(blank.to_numpy())[0])
            raise InputError("is empty", file=source, row=row + 2, column=col)
        out[col] = out[col].astype(str).str.strip()
    neither = out["percent"].isna() & out["monthly_savings"].isna()
    if neither.any():
        row = int(np.flatnonzero(neither.to_numpy())[0])
        raise InputError("needs a percent or monthly_savings", file=source, row=row + 2)
    if (out["percent"] > 100).any():
        row = int(np.flatnonzero((out["percent"] > 100).to_numpy())[0])
        raise InputError("percent above 100", file=source, row=row + 2, column="percent")
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Reconciliation:
    lines: pd.DataFrame
    """One row per stated line (``OUTPUT_COLUMNS`` plus ``order``, ``matched``, ``lever``)."""
    total_spend: float
    stated_total: float
    stacked_total: float
    naive_total: float
    """Each line's percent of its whole base, summed: what a spreadsheet would add up."""
    currency: str = "USD"
    """The spend's currency, which every amount in the flags is written in."""

    def table(self) -> pd.DataFrame:
        """The lines then a total row, in the CLI's columns."""
        pct = 100 / self.total_spend if self.total_spend else math.nan

        def money(value: float) -> str:
            return format_amount(value, self.currency)

        total = {
            "initiative": "Total",
            "category": "all spend",
            "stated_percent": self.stated_total * pct,
            "stated_monthly": self.stated_total,
            "base_monthly": self.total_spend,
            "implied_base": math.nan,
            "modelled_monthly": self.stacked_total,
            "flags": (
                f"stacked {money(self.stacked_total)} ({self.stacked_total * pct:.1f}%) vs "
                f"stated {money(self.stated_total)} ({self.stated_total * pct:.1f}%); naive sum "
                f"{money(self.naive_total)}"
            ),
        }
        body = self.lines[list(OUTPUT_COLUMNS)]
        return pd.concat([body, pd.DataFrame([total])], ignore_index=True)


def _match(spend: pd.DataFrame, category: str) -> tuple[np.ndarray, str | None]:
    wanted = category.casefold()
    for dim in SPEND_DIMENSIONS:
        if dim in spend.columns:
            hit = spend[dim].astype(str).str.casefold().to_numpy() == wanted
            if hit.any():
                return hit, dim
    return np.zeros(len(spend), dtype=bool), None


def _implied_base(dollars: float, percent: float) -> float:
    """The base a line implies: its dollars over its percent (NaN when either is missing)."""
    if math.isnan(dollars) or math.isnan(percent) or percent <= 0:
        return math.nan
    try:
        implied = float(dollars) / (float(percent) / 100)
    except (ZeroDivisionError, OverflowError):  # a percent so small it is no claim at all
        return math.nan
    return implied if math.isfinite(implied) else math.nan


def _line_flags(
    stated: pd.Series,
    base: float,
    implied: float,
    matched: str | None,
    tolerance: float,
    currency: str,
) -> list[str]:
    def money(value: float) -> str:
        return format_amount(value, currency)

    flags = []
    if matched is None:
        flags.append(f"no spend found for category {stated['category']!r}")
    elif not math.isnan(implied) and abs(implied - base) > tolerance * base:
        flags.append(
            f"implied base {money(implied)} vs {money(base)} spend "
            f"({implied / base - 1:+.0%}, tolerance {tolerance:.0%})"
            if base
            else f"implied base {money(implied)} vs no spend"
        )
    if not math.isnan(stated["monthly_savings"]) and stated["monthly_savings"] > base:
        flags.append(f"stated saving exceeds the {money(base)} it acts on")
    return flags


PLAN_MONTH_TOLERANCE = 0.10
"""How close an implied base must be to a month's spend to say the plan describes it; fixed,
so that the flag tolerance changes the flags, never the month they are checked against."""


def plan_month(
    stated: pd.DataFrame,
    spend_by_month: dict[str, pd.DataFrame],
    tolerance: float = PLAN_MONTH_TOLERANCE,
) -> tuple[str, str] | None:
    """The month a stated plan describes, read off its own figures, and why.

    A line giving both dollars and a percent implies its base (dollars over percent); a plan
    is written about one month's spend, so that month is the one where most implied bases are
    within ``tolerance`` of the data (ties: the closest in log distance, then the latest).
    Checking every line against that month is what catches the line that does not fit it.
    None when no line gives both.
    """
    lines = validate_stated(stated)
    stated_pairs = zip(lines["monthly_savings"], lines["percent"], strict=True)
    implied = [_implied_base(d, p) for d, p in stated_pairs]
    claims = [
        (str(c), b) for c, b in zip(lines["category"], implied, strict=True) if not math.isnan(b)
    ]
    if not claims or not spend_by_month:
        return None
    scored = []
    for order, (month, spend) in enumerate(sorted(spend_by_month.items())):
        cost = spend["cost"].to_numpy(float)
        bases = [float(cost[_match(spend, category)[0]].sum()) for category, _ in claims]
        pairs = [(i, b) for (_, i), b in zip(claims, bases, strict=True)]
        fits = sum(b > 0 and abs(i - b) <= tolerance * b for i, b in pairs)
        distance = sum(abs(math.log(i / b)) if b > 0 else 10.0 for i, b in pairs)
        scored.append((-fits, distance, -order, month))
    fits, _, _, month = min(scored)
    return month, (
        f"the month the plan's figures describe: {-fits} of {len(claims)} implied bases within "
        f"{tolerance:.0%} of its spend"
    )


def reconcile(
    stated: pd.DataFrame, spend: pd.DataFrame, *, tolerance: float = 0.10, currency: str = "USD"
) -> Reconciliation:
    """Check a stated plan against one month's spend and stack it without double counting.

    ``spend`` has a ``cost`` column and any of ``cost_group``, ``ServiceCategory``,
    ``ServiceName``; a line's ``category`` matches the first of those that has it. Lines act
    in lever order (right-size, CDN, database, commitments) on what earlier lines left of
    their spend, tracked row by row, so a service inside a cost group is not saved twice.
    """
    if not 0 <= tolerance < 1:
        raise InputError("tolerance must be in [0, 1)", parameter="tolerance")
    lines = validate_stated(stated)
    if "cost" not in spend.columns:
        raise InputError("spend lacks a cost column", parameter="spend")
    cost = spend["cost"].to_numpy(float)
    remaining = cost.copy()
    names = [str(x) for x in lines["initiative"]]
    found = [_match(spend, str(c)) for c in lines["category"]]
    rows = []
    order = sorted(range(len(lines)), key=lambda i: (_stack_rank(names[i]), i))
    for rank, i in enumerate(order, start=1):
        line = lines.iloc[i]
        mask, matched = found[i]
        base = float(cost[mask].sum())
        pct = (
            line["percent"]
            if not math.isnan(line["percent"])
            else (100 * line["monthly_savings"] / base if base else 0.0)
        )
        implied = _implied_base(line["monthly_savings"], line["percent"])
        acts, flags = mask, _line_flags(line, base, implied, matched, tolerance, currency)
        if lever_of(names[i]) == "commitments" and matched is not None:
            # A commitment discounts only on-demand usage it is eligible for: spend already
            # under a Savings Plan or RI (and its fee) cannot be discounted again.
            eligible, reach = _committable(spend, names[i])
            acts = mask & eligible
            flags.append(
                f"acts on {format_amount(remaining[acts].sum(), currency)} of on-demand {reach} "
                f"usage left (not the {format_amount(base - cost[acts].sum(), currency)} "
                "already committed or not eligible)"
            )
        modelled = float(remaining[acts].sum()) * min(pct, 100) / 100
        remaining[acts] *= 1 - min(pct, 100) / 100
        flags += [
            f"same spend as line {j + 1} ({names[j]})"
            for j, (other, _) in enumerate(found)
            if j != i and (other & mask).any()
        ]
        rows.append(
            {
                "line": i + 1,
                "initiative": line["initiative"],
                "category": line["category"],
                "stated_percent": line["percent"],
                "stated_monthly": line["monthly_savings"],
                "base_monthly": base,
                "implied_base": implied,
                "modelled_monthly": modelled,
                "flags": "; ".join(flags),
                "order": rank,
                "matched": matched or "",
                "lever": lever_of(names[i]) or "",
                "naive_monthly": base * pct / 100,
                "stated_dollars": (
                    line["monthly_savings"]
                    if not math.isnan(line["monthly_savings"])
                    else base * pct / 100
                ),
            }
        )
    frame = pd.DataFrame(rows).sort_values("line").reset_index(drop=True)
    return Reconciliation(
        lines=frame,
        total_spend=float(cost.sum()),
        # A percent-only line states dollars too (its percent of its base): every total
        # counts dollar-only and percent-only lines alike.
        stated_total=float(frame["stated_dollars"].sum()) if len(frame) else 0.0,
        stacked_total=float(frame["modelled_monthly"].sum()) if len(frame) else 0.0,
        naive_total=float(frame["naive_monthly"].sum()) if len(frame) else 0.0,
        currency=currency,
    )
