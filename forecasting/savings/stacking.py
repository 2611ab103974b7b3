"""Stacking savings levers in a stated order so that no dollar is saved twice."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecasting.errors import InputError

# Cheapest-to-reverse first, commitments last: a commitment bought before right-sizing would
# cover capacity that right-sizing then removes.
LEVER_ORDER = ("right-size", "cdn", "database", "commitments")


@dataclass(frozen=True)
class Lever:
    """A saving expressed as a share of the spend it acts on (so it can act on what is left)."""

    name: str
    category: str
    """The cost group (or category) whose spend it reduces."""
    rate: float
    """Share of that spend saved, 0-1 (the modelled dollars over the spend they came from)."""
    lower_rate: float
    upper_rate: float
    assumptions: str = ""
    evidence: str = ""
    """Which data the lever read, over which period, and the figures it read there."""

    def __post_init__(self) -> None:
        if not 0 <= self.lower_rate <= self.rate <= self.upper_rate <= 1:
            raise ValueError(
                f"{self.name}: rates must satisfy 0 <= lower <= rate <= upper <= 1, got "
                f"{self.lower_rate}, {self.rate}, {self.upper_rate}"
            )

    @classmethod
    def from_dollars(
        cls,
        name: str,
        category: str,
        monthly: float,
        base: float,
        *,
        lower: float | None = None,
        upper: float | None = None,
        assumptions: str = "",
        evidence: str = "",
    ) -> Lever:
        """A lever modelled in dollars on ``base``; capped at the whole base, floored at 0."""
        if base <= 0:
            return cls(name, category, 0.0, 0.0, 0.0, assumptions, evidence)

        def share(x: float) -> float:
            return min(1.0, max(0.0, x / base))

        mid = share(monthly)
        lo = share(monthly if lower is None else lower)
        hi = share(monthly if upper is None else upper)
        return cls(name, category, mid, min(lo, mid), max(hi, mid), assumptions, evidence)

    @property
    def order(self) -> int:
        return LEVER_ORDER.index(self.name) + 1 if self.name in LEVER_ORDER else len(LEVER_ORDER)


# The lever table's columns, as the CLI's CSV writes them (the stacked frame adds naive_monthly).
LEVER_COLUMNS = [
    "lever",
    "category",
    "base_monthly",
    "monthly_savings",
    "lower",
    "upper",
    "percent_of_base",
    "order",
    "assumptions",
    "evidence",
]


def _apply(levers: list[Lever], bases: dict[str, float], attr: str) -> list[tuple[float, float]]:
    """(base before, saving) per lever, each on what the levers before it left."""
    remaining = dict(bases)
    out = []
    for lever in levers:
        base = remaining[lever.category]
        saving = getattr(lever, attr) * base
        remaining[lever.category] = base - saving
        out.append((base, saving))
    return out


def stack(levers: list[Lever], bases: dict[str, float]) -> pd.DataFrame:
    """One row per lever in stacking order: the base it acted on and what it saved.

    Columns: ``lever, category, base_monthly, monthly_savings, lower, upper, percent_of_base,
    order, assumptions, naive_monthly`` (naive: the same rate on the untouched base).
    """
    unknown = sorted({lv.category for lv in levers} - set(bases))
    if unknown:
        raise InputError(f"no spend for categories {unknown}", parameter="levers")
    if any(v < 0 for v in bases.values()):
        raise InputError("spend bases must not be negative", parameter="bases")
    ordered = sorted(levers, key=lambda lv: lv.order)
    mid, low, high = (_apply(ordered, bases, a) for a in ("rate", "lower_rate", "upper_rate"))
    rows = [
        {
            "lever": lv.name,
            "category": lv.category,
            "base_monthly": m[0],
            "monthly_savings": m[1],
            "lower": lo[1],
            "upper": hi[1],
            "percent_of_base": 100 * lv.rate,
            "order": i + 1,
            "assumptions": lv.assumptions,
            "evidence": lv.evidence,
            "naive_monthly": lv.rate * bases[lv.category],
        }
        for i, (lv, m, lo, hi) in enumerate(zip(ordered, mid, low, high, strict=True))
    ]
    return pd.DataFrame(rows, columns=[*LEVER_COLUMNS, "naive_monthly"])


def waterfall(stacked: pd.DataFrame, bases: dict[str, float]) -> pd.DataFrame:
    """Waterfall bars: total spend, minus each lever, to what is left; naive sum beside it."""
    total = sum(bases.values())
    rows = [{"step": "spend", "amount": total, "running_total": total, "naive_sum": None}]
    running = total
    for r in stacked.to_dict("records"):
        saved = float(r["monthly_savings"])
        running -= saved
        rows.append(
            {"step": str(r["lever"]), "amount": -saved, "running_total": running, "naive_sum": None}
        )
    naive = float(stacked["naive_monthly"].sum()) if len(stacked) else 0.0
    rows.append(
        {
            "step": "after savings",
            "amount": running,
            "running_total": running,
            "naive_sum": total - naive,
        }
    )
    return pd.DataFrame(rows)
