"""Savings levers, commitments and stated-plan reconciliation read from a Store: the one entry
both `capcost savings/commitments` and the Savings page call."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecasting.capacity.service import (
    Forecaster,
    ForecastOptions,
    load_catalogue,
    load_savings_scenario,
    notes_of,
    run_models,
    scenario_label,
)
from forecasting.errors import InputError
from forecasting.interface import Excuse
from forecasting.savings.store_inputs import (
    base_month,
    commitment_terms,
    compute_savings_rate,
    cost_rows,
    eligible_usage,
    pd_min,
    savings_rate_text,
    usage_paths,
)

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.models import ForecastResult
    from forecasting.savings.commitments import Outcome, Terms
    from forecasting.savings.scenario import SavingsScenario
    from forecasting.store import Store

LEVER_COLUMNS = [
    "lever", "category", "base_monthly", "monthly_savings", "lower", "upper", "percent_of_base",
    "order", "assumptions", "evidence",
]  # fmt: skip
COMMITMENT_COLUMNS = [
    "method", "hourly_commitment_usd", "covered_usd_per_hour", "upfront_usd", "coverage",
    "utilisation", "expected_monthly_savings_usd", "savings_lower_usd", "savings_upper_usd",
    "break_even_month", "downside_monthly_savings_usd", "downside_utilisation",
    "downside_break_even_month", "note",
]  # fmt: skip
LOOKBACK_DAYS = (7, 30, 60)


@dataclass(frozen=True)
class SavingsOptions(ForecastOptions):
    base_month: str | None = None
    """``YYYY-MM`` whose spend is the base; None: the last full month."""
    tolerance: float = 0.10
    """How far a stated line's implied base may stray from the data unflagged (0.10 = 10%)."""
    offering: str | None = None
    """Commitment type overriding the scenario's (``compute_sp``, ``ri_standard``)."""
    term_years: int | None = None
    payment: str | None = None
    lookback: tuple[int, ...] = LOOKBACK_DAYS
    """Look-back windows, days, beside the forecast's recommendation."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.tolerance < 1:
            raise InputError("tolerance must be in [0, 1)", parameter="tolerance")
        if self.lookback and min(self.lookback) < 1:
            raise InputError("look-back days must be whole numbers >= 1", parameter="lookback")


class _Noting:
    """A forecaster that keeps what each forecast had to adjust, for the result's notes."""

    def __init__(self, forecaster: Forecaster) -> None:
        self.forecaster = forecaster
        self.notes: list[str] = []

    def __call__(
        self, frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions
    ) -> ForecastResult:
        result = self.forecaster(frame, h, freq, options)
        self.notes.extend(n for n in notes_of(result) if n not in self.notes)
        return result


# -- levers -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LeverResult:
    """The levers stacked in order on the base month's spend, with the naive sum beside."""

    table: pd.DataFrame
    """``LEVER_COLUMNS`` plus ``naive_monthly`` (the same rate on the untouched base)."""
    bases: dict[str, float]
    """Spend per cost group in the base month."""
    base_month: str
    currency: str
    effective_savings_rate: float | Excuse | None
    """What commitments already save on Compute (None: no Compute spend)."""
    scenario: SavingsScenario
    scenario_name: str
    options: SavingsOptions
    notes: tuple[str, ...] = ()

    @property
    def spend(self) -> float:
        return sum(self.bases.values())

    @property
    def stacked_total(self) -> float:
        return float(self.table["monthly_savings"].sum())

    @property
    def naive_total(self) -> float:
        return float(self.table["naive_monthly"].sum())

    def summary(self) -> str:
        total, spend = self.stacked_total, self.spend
        return (
            f"stacked ${total:,.0f}/month ({100 * total / spend:.1f}% of ${spend:,.0f} in "
            f"{self.base_month}); naive sum ${self.naive_total:,.0f}"
        )

    def export(self) -> pd.DataFrame:
        """Exactly what `capcost savings --csv` writes."""
        return self.table[LEVER_COLUMNS].round(2)


def levers(
    store: Store, options: SavingsOptions, forecaster: Forecaster = run_models
) -> LeverResult:
    """Model each lever on the base month, then stack them in order on that month's spend."""
    from forecasting.savings.commitments import recommend
    from forecasting.savings.levers import commitment_lever
    from forecasting.savings.stacking import stack
    from forecasting.savings.store_inputs import (
        cdn_lever_from,
        database_lever_from,
        rightsize_lever_from,
    )

    noting = _Noting(forecaster)
    start, end = base_month(store, options.base_month)
    spend = cost_rows(store, start, end)
    scenario = load_savings_scenario(store, options)
    catalogue = load_catalogue()
    bases = {str(k): float(v) for k, v in spend.groupby("cost_group")["cost"].sum().items()}
    found, esr = [], None
    if "Compute" in bases:
        compute = bases["Compute"]
        found.append(rightsize_lever_from(store, scenario, catalogue, compute, start, end))
        found.append(cdn_lever_from(store, scenario, catalogue, compute, start, end, options))
        history = eligible_usage(cost_rows(store, pd_min(), end))
        terms, label = commitment_terms(store, scenario, catalogue, start, end)
        outcome = recommend(usage_paths(history, terms, options, noting), terms)
        found.append(commitment_lever(outcome, terms, compute, label))
        esr = compute_savings_rate(spend)
    if "Database" in bases:
        found.append(database_lever_from(store, scenario, catalogue, bases["Database"], start,
                                         end, options, noting))  # fmt: skip
    stacked = stack(found, bases)
    return LeverResult(stacked, bases, f"{start:%Y-%m}",
                       store.currencies()[0], esr, scenario, scenario_label(store, options),
                       options, tuple(noting.notes))  # fmt: skip


# -- commitments ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CommitmentResult:
    """The forecast's recommendation beside each look-back window, all scored on the paths."""

    table: pd.DataFrame
    """``COMMITMENT_COLUMNS``; savings bounds and the downside are per month."""
    by_demand: pd.DataFrame | Excuse
    """The recommendation if demand follows its P10, P50 or P90 (coverage, utilisation,
    monthly savings, break-even month)."""
    cumulative: pd.DataFrame | Excuse
    """month and cumulative cash savings under each of those demands."""
    label: str
    """Offering, term, payment, catalogue and how usage moves within the day."""
    terms: Terms
    effective_savings_rate: float | Excuse
    options: SavingsOptions
    notes: tuple[str, ...] = ()

    def export(self) -> pd.DataFrame:
        """Exactly what `capcost commitments --csv` writes."""
        return self.table.round(4)


def _row(method: str, out: Outcome | Excuse, months: int, label: str) -> dict[str, Any]:
    if isinstance(out, Excuse):
        return {"method": method, "note": str(out)}
    row = dataclasses.asdict(out)
    return row | {
        "method": method,
        "savings_lower_usd": out.savings_lower_usd / months,
        "savings_upper_usd": out.savings_upper_usd / months,
        "downside_monthly_savings_usd": out.downside_savings_usd / months,
        "break_even_month": str(out.break_even_month),
        "downside_break_even_month": str(out.downside_break_even_month),
        "note": label,
    }


def commitments(
    store: Store, options: SavingsOptions, forecaster: Forecaster = run_models
) -> CommitmentResult:
    """Size a commitment on the forecast paths of uncovered compute; look-back beside it."""
    import pandas as pd

    from forecasting.savings.commitments import look_back, recommend, under_demand

    noting = _Noting(forecaster)
    scenario = load_savings_scenario(store, options)
    overrides: dict[str, Any] = {
        "commitment_offering": options.offering,
        "commitment_term_years": options.term_years,
        "commitment_payment": options.payment,
    }
    scenario = dataclasses.replace(
        scenario, **{k: v for k, v in overrides.items() if v is not None}
    )
    start, end = base_month(store, options.base_month)
    history = eligible_usage(cost_rows(store, pd_min(), end))
    terms, label = commitment_terms(store, scenario, load_catalogue(), start, end)
    paths = usage_paths(history, terms, options, noting)
    best = recommend(paths, terms)
    outcomes = [best] + [look_back(history, d, paths, terms) for d in options.lookback]
    methods = ["forecast"] + [f"look-back {d} days" for d in options.lookback]
    rows = [_row(m, o, terms.term_months, label) for m, o in zip(methods, outcomes, strict=True)]
    # P10/P50/P90 whatever the level: the Outcome's bounds and downside are those quantiles.
    demand = (
        best if isinstance(best, Excuse) else under_demand(paths, best.hourly_commitment_usd, terms)
    )
    return CommitmentResult(
        pd.DataFrame(rows).reindex(columns=COMMITMENT_COLUMNS),
        demand if isinstance(demand, Excuse) else demand[0],
        demand if isinstance(demand, Excuse) else demand[1],
        label, terms, compute_savings_rate(cost_rows(store, start, end)), options,
        tuple(noting.notes),
    )  # fmt: skip


# -- a stated plan ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReconcileResult:
    """A stated plan checked against the base month's spend and stacked without double counting."""

    table: pd.DataFrame
    """The CLI's columns, one row per line, then a total row."""
    lines: pd.DataFrame
    """Per line, also ``order`` (stacking order), ``matched`` (dimension), ``lever``,
    ``naive_monthly``."""
    source: str
    base_month: str
    currency: str
    total_spend: float
    stated_total: float
    stacked_total: float
    naive_total: float
    tolerance: float

    def summary(self) -> str:
        return str(self.table.iloc[-1]["flags"])

    def export(self) -> pd.DataFrame:
        """Exactly what `capcost savings --stated FILE --csv` writes."""
        return self.table.round(2)


def read_stated(content: str | Path | bytes, name: str | None = None) -> pd.DataFrame:
    """A stated plan CSV (``initiative,category,percent,monthly_savings``) from a path or bytes."""
    import pandas as pd

    from forecasting.savings.reconcile import validate_stated

    source = name or str(content)
    data: Any = io.BytesIO(content) if isinstance(content, bytes) else content
    try:
        frame = pd.read_csv(data, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError("no such file", file=source) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV: {exc}", file=source) from None
    return validate_stated(frame, source)


def stored_stated(store: Store, name: str) -> pd.DataFrame:
    """A stated plan kept in the store (the demo's ``apex-2026``), in the billing currency."""
    lines = store.stated_savings(name)
    billed = store.currencies()
    other = sorted(set(lines["currency"].astype(str)) - set(billed))
    if other:
        raise InputError(f"stated plan {name!r} is in {', '.join(other)}, the bill in "
                         f"{', '.join(billed) or 'nothing yet'}", parameter="stated")  # fmt: skip
    return lines.drop(columns="currency")


def reconcile_stated(
    store: Store, options: SavingsOptions, stated: pd.DataFrame, source: str
) -> ReconcileResult:
    from forecasting.savings.reconcile import reconcile

    start, end = base_month(store, options.base_month)
    spend = cost_rows(store, start, end)
    keys = ["cost_group", "ServiceCategory", "ServiceName"]
    by_row = spend.groupby(keys, dropna=False, as_index=False)[["cost"]].sum()
    result = reconcile(stated, by_row, tolerance=options.tolerance)
    return ReconcileResult(
        result.table(), result.lines, source, f"{start:%Y-%m}", store.currencies()[0],
        result.total_spend, result.stated_total, result.stacked_total, result.naive_total,
        options.tolerance,
    )  # fmt: skip


__all__ = [
    "COMMITMENT_COLUMNS",
    "LEVER_COLUMNS",
    "CommitmentResult",
    "LeverResult",
    "ReconcileResult",
    "SavingsOptions",
    "commitments",
    "levers",
    "read_stated",
    "reconcile_stated",
    "savings_rate_text",
    "stored_stated",
]
