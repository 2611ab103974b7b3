"""Savings levers, commitments and stated-plan reconciliation read from a Store: the one entry
both `capcost savings/commitments` and the Savings page call."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.errors import InputError, UnknownNameError
from forecasting.interface import LOOKBACK_DAYS, Excuse
from forecasting.models import stored, stored_fits
from forecasting.models.options import ForecastOptions, PathForecaster, notes_of, run_models
from forecasting.models.result import ForecastResult
from forecasting.savings import (
    cdn,
    commitment_inputs,
    database,
    eligibility,
    evidence_inputs,
    rightsizing,
    stacking,
    store_inputs,
)
from forecasting.savings import (
    commitments as commitment_maths,
)
from forecasting.savings import (
    levers as lever_maths,
)
from forecasting.savings.commitment_inputs import (
    COMMITMENT_COLUMNS,
    commitment_lever_from,
    commitment_rows,
)
from forecasting.savings.commitments import Terms, under_demand
from forecasting.savings.evidence_inputs import commitment_evidence
from forecasting.savings.reconcile import plan_month, reconcile, validate_stated
from forecasting.savings.stacking import LEVER_COLUMNS, Lever, stack
from forecasting.savings.store_inputs import (
    base_month,
    cdn_lever_from,
    compute_savings_rate,
    cost_rows,
    database_lever_from,
    rightsize_lever_from,
    savings_rate_text,
)
from forecasting.scenario import catalogue as catalogue_maths
from forecasting.scenario import load_savings, scenario_label
from forecasting.scenario.assumptions import SavingsScenario
from forecasting.scenario.catalogue import Catalogue, load_catalogue
from forecasting.store import Store


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

    def __init__(self, forecaster: PathForecaster) -> None:
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
    def compute_group(self) -> str:
        """The cost group the compute levers and the savings rate act on."""
        return self.scenario.compute_group

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
    store: Store, options: SavingsOptions, forecaster: PathForecaster = run_models
) -> LeverResult:
    """Model each lever on the base month, then stack them in order on that month's spend."""

    start, end = base_month(store, options.base_month)
    spend = cost_rows(store, start, end)
    scenario = load_savings(store, options.scenario, options.settings)
    bases = {str(k): float(v) for k, v in spend.groupby("cost_group")["cost"].sum().items()}
    found = evidence_levers(
        store,
        scenario,
        load_catalogue(),
        bases,
        start,
        end,
        stored_fits.forecast_part(options),
        forecaster,
    )
    made, esr = list(found.levers), None
    if scenario.compute_group in bases:
        # The commitment's evidence is the base month's bill, read for the stack anyway.
        i = next(i for i, lever in enumerate(made) if lever.name == "commitments")
        made[i] = dataclasses.replace(made[i], evidence=commitment_evidence(spend, start, end))
        esr = compute_savings_rate(spend, scenario.compute_group)
    stacked = stack(made, bases)
    return LeverResult(
        stacked,
        bases,
        f"{start:%Y-%m}",
        store.currencies()[0],
        esr,
        scenario,
        scenario_label(store, options.scenario),
        options,
        found.notes,
    )


@dataclass(frozen=True)
class EvidenceLevers:
    """The levers modelled on the evidence in the data, in stacking order, and what the
    forecasts behind them had to adjust."""

    levers: tuple[Lever, ...]
    notes: tuple[str, ...]


def _levers_key(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    bases: dict[str, float],
    start: pd.Timestamp,
    end: pd.Timestamp,
    options: ForecastOptions,
    forecaster: PathForecaster,
) -> tuple[object, ...] | None:
    # ``bases`` are the base month's spend per group: the data's (in the store's version)
    # over [start, end), grouped by the scenario's groups, so they key nothing more (and a
    # parallel sum's last bits would key noise); the engine's forecasts, cached or not, are one.
    return _sized_key(store, scenario, catalogue, forecaster, start, end, options)


def _sized_key(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    forecaster: PathForecaster,
    *rest: object,
) -> tuple[object, ...] | None:
    """A stored savings result's key: the store's data, the assumption set, the catalogue's
    tables and ``rest``; None (not stored) for a stand-in forecaster, whose results are its own."""
    if not stored.is_engine(forecaster):
        return None
    tables = stored_fits.catalogue_part(catalogue)
    return (stored_fits.store_part(store), scenario, *tables, *rest)


@stored_fits.fitted(
    "savings levers",
    catalogue_maths,
    cdn,
    commitment_inputs,
    commitment_maths,
    database,
    eligibility,
    evidence_inputs,
    lever_maths,
    rightsizing,
    stacking,
    store_inputs,
    keyed=_levers_key,
    engine=True,
)
def evidence_levers(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    bases: dict[str, float],
    start: pd.Timestamp,
    end: pd.Timestamp,
    options: ForecastOptions,
    forecaster: PathForecaster,
) -> EvidenceLevers:
    """Right-size, CDN, database and commitments on the base month ``[start, end)``: what
    no widget but the assumption set, the forecast's options and the base month changes,
    stored by the refresh (``stored_fits``) and read by the page."""
    noting = _Noting(forecaster)
    found = []
    compute_group, database_group = scenario.compute_group, scenario.database_group
    if compute_group in bases:
        compute = bases[compute_group]
        found.append(rightsize_lever_from(store, scenario, catalogue, compute, start, end))
        found.append(cdn_lever_from(store, scenario, catalogue, compute, start, end, options))
        found.append(
            commitment_lever_from(store, scenario, catalogue, compute, end, options, noting)
        )
    if database_group in bases:
        found.append(
            database_lever_from(
                store, scenario, catalogue, bases[database_group], start, end, options, noting
            )
        )
    return EvidenceLevers(tuple(found), tuple(noting.notes))


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
    cost_group: str
    """The cost group the commitment covers (the assumption set's ``compute_group``)."""
    options: SavingsOptions
    notes: tuple[str, ...] = ()

    def export(self) -> pd.DataFrame:
        """Exactly what `capcost commitments --csv` writes."""
        return self.table.round(4)


@dataclass(frozen=True)
class CommitmentSizing:
    """What the forecast sizes for the Commitments section: stored by the refresh and read
    by the page (``stored_fits``), so opening it scans no hourly usage and fits nothing."""

    table: pd.DataFrame
    by_demand: pd.DataFrame | Excuse
    cumulative: pd.DataFrame | Excuse
    label: str
    terms: Terms
    notes: tuple[str, ...]


def _commitments_key(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    end: pd.Timestamp,
    options: ForecastOptions,
    forecaster: PathForecaster,
    lookback: tuple[int, ...],
) -> tuple[object, ...] | None:
    return _sized_key(store, scenario, catalogue, forecaster, end, options, lookback)


@stored_fits.fitted(
    "commitments",
    catalogue_maths,
    commitment_inputs,
    commitment_maths,
    eligibility,
    keyed=_commitments_key,
    engine=True,
)
def sized_commitments(
    store: Store,
    scenario: SavingsScenario,
    catalogue: Catalogue,
    end: pd.Timestamp,
    options: ForecastOptions,
    forecaster: PathForecaster,
    lookback: tuple[int, ...],
) -> CommitmentSizing:
    """The forecast's commitment and each look-back window's, scored on the paths up to
    ``end`` (the base month's end), and the recommendation under P10/P50/P90 demand: what
    only the assumption set, the commitment's terms, the forecast's options, the base month
    and the windows change."""
    noting = _Noting(forecaster)
    found = commitment_rows(store, scenario, catalogue, end, options, noting, lookback)
    best, paths = found.best, found.paths
    demand: tuple[pd.DataFrame, pd.DataFrame] | Excuse = (
        best
        if isinstance(best, Excuse)
        else paths
        if isinstance(paths, Excuse)
        else under_demand(paths, best.hourly_commitment_usd, found.terms)
    )
    return CommitmentSizing(
        table=found.table,
        by_demand=demand if isinstance(demand, Excuse) else demand[0],
        cumulative=demand if isinstance(demand, Excuse) else demand[1],
        label=found.label,
        terms=found.terms,
        notes=tuple(noting.notes),
    )


def commitments(
    store: Store, options: SavingsOptions, forecaster: PathForecaster = run_models
) -> CommitmentResult:
    """AWS's look-back on past hourly usage and the forecast method on sample paths of total
    eligible usage less what commitments owned cover; each scored on both."""

    scenario = _commitment_scenario(
        load_savings(store, options.scenario, options.settings), options
    )
    start, end = base_month(store, options.base_month)
    spend = cost_rows(store, start, end)  # first: refuses a bill the catalogue cannot price
    found = sized_commitments(
        store,
        scenario,
        load_catalogue(),
        end,
        stored_fits.forecast_part(options),
        forecaster,
        options.lookback,
    )
    return CommitmentResult(
        table=found.table,
        by_demand=found.by_demand,
        cumulative=found.cumulative,
        label=found.label,
        terms=found.terms,
        effective_savings_rate=compute_savings_rate(spend, scenario.compute_group),
        cost_group=scenario.compute_group,
        options=options,
        notes=found.notes,
    )


def _commitment_scenario(scenario: SavingsScenario, options: SavingsOptions) -> SavingsScenario:
    overrides: dict[str, Any] = {
        "commitment_offering": options.offering,
        "commitment_term_years": options.term_years,
        "commitment_payment": options.payment,
    }
    return dataclasses.replace(scenario, **{k: v for k, v in overrides.items() if v is not None})


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
    base_month_reason: str = "asked for"
    """Why this base month: asked for, or the month the plan's own figures describe."""

    def summary(self) -> str:
        return f"base month {self.base_month} ({self.base_month_reason}); " + str(
            self.table.iloc[-1]["flags"]
        )

    def export(self) -> pd.DataFrame:
        """Exactly what `capcost savings --stated FILE --csv` writes."""
        return self.table.round(2)


def read_stated(content: str | Path | bytes, name: str | None = None) -> pd.DataFrame:
    """A stated plan CSV (``initiative,category,percent,monthly_savings``) from a path or bytes."""

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
        raise InputError(
            f"stated plan {name!r} is in {', '.join(other)}, the bill in "
            f"{', '.join(billed) or 'nothing yet'}",
            parameter="stated",
        )
    return lines.drop(columns="currency")


_SPEND_KEYS = ["cost_group", "ServiceCategory", "ServiceName", "PricingCategory", "ChargeCategory"]


def find_stated(store: Store, name: str) -> pd.DataFrame:
    """A stated plan by ``--stated``: a CSV file if one is there, else a plan in the store.

    A name that is neither says both, with the stored plans to choose from.
    """

    if Path(name).is_file():
        return read_stated(Path(name), name)
    try:
        return stored_stated(store, name)
    except UnknownNameError as exc:
        stored = ", ".join(sorted(exc.valid)) or "none stored yet"
        raise InputError(
            f"no such file, nor a stored plan of that name (stored plans: {stored})", file=name
        ) from None


def reconcile_stated(
    store: Store, options: SavingsOptions, stated: pd.DataFrame, source: str
) -> ReconcileResult:
    """The plan against its base month: ``--base-month``, or else the month its figures
    describe (a plan written about February's spend is checked against February's)."""

    reason = "asked for"
    if options.base_month is None:
        last, _ = base_month(store, None)
        rows = cost_rows(
            store, pd.Timestamp("1900-01-01"), last + pd.offsets.MonthBegin(1), priced=False
        )
        months = rows["day"].dt.strftime("%Y-%m")
        by_month = {
            str(m): part.groupby(_SPEND_KEYS, dropna=False, as_index=False)[["cost"]].sum()
            for m, part in rows.groupby(months)
        }
        found = plan_month(stated, by_month)
        month, reason = found or (f"{last:%Y-%m}", "the last full month")
        options = dataclasses.replace(options, base_month=month)
    start, end = base_month(store, options.base_month)
    spend = cost_rows(store, start, end, priced=False)
    by_row = spend.groupby(_SPEND_KEYS, dropna=False, as_index=False)[["cost"]].sum()
    result = reconcile(stated, by_row, tolerance=options.tolerance, currency=store.currencies()[0])
    return ReconcileResult(
        result.table(),
        result.lines,
        source,
        f"{start:%Y-%m}",
        store.currencies()[0],
        result.total_spend,
        result.stated_total,
        result.stacked_total,
        result.naive_total,
        options.tolerance,
        reason,
    )


__all__ = [
    "COMMITMENT_COLUMNS",
    "LEVER_COLUMNS",
    "CommitmentResult",
    "LeverResult",
    "ReconcileResult",
    "SavingsOptions",
    "commitments",
    "find_stated",
    "levers",
    "read_stated",
    "reconcile_stated",
    "savings_rate_text",
    "stored_stated",
]
