"""The assumption set a Capacity or Savings page edits: stored sets, values, valid names, notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forecasting.interface import COST_METRIC, Freq
from forecasting.models.options import ForecastOptions
from forecasting.scenario import merged_payload, scenario_label
from forecasting.scenario.assumptions import (
    CapacityAssumptions,
    SavingsScenario,
    canonical,
    capacity_from_payload,
    savings_from_payload,
)
from forecasting.scenario.catalogue import Offering, Payment, load_catalogue
from forecasting.store import Store


@dataclass(frozen=True)
class Choices:
    """An assumption set's values (to prefill editors) and the names valid for each input."""

    sets: tuple[str, ...]
    """Stored assumption sets."""
    scenario: str
    """The set these values come from, or "built-in defaults"."""
    payload: dict[str, Any]
    """The set's stored payload, every key under its field's name."""
    capacity: CapacityAssumptions
    savings: SavingsScenario
    full_months: tuple[str, ...]
    """Months (``YYYY-MM``) with a full month of cost, newest first."""
    instance_types: tuple[str, ...]
    database_tiers: dict[str, tuple[str, ...]]
    """Catalogue tiers per database provider, cheapest first."""
    cdn_providers: tuple[str, ...]
    commitment_offerings: tuple[str, ...]
    """Commitment types the catalogue prices (``Offering`` values but on-demand)."""
    commitment_terms: tuple[int, ...]
    """Commitment terms the catalogue prices, years."""
    commitment_payments: tuple[str, ...]
    """Payment options the catalogue prices (``Payment`` values, in that order)."""
    currency: str
    """The billing currency ("" before any cost is stored)."""


def build_choices(store: Store, scenario: str | None) -> Choices:
    """What the pages' pickers and editors offer, prefilled from ``scenario`` (None: default)."""
    payload = canonical(merged_payload(store, scenario))
    catalogue = load_catalogue()
    months: list[str] = []
    if store.currencies():  # the assumptions are editable before any bill is stored
        cost, _ = store.read_series(COST_METRIC, Freq.MONTH, complete_only=True)
        months = sorted(cost["ds"].dt.strftime("%Y-%m").unique().tolist(), reverse=True)
    providers = catalogue.database["provider"].astype(str).unique().tolist()
    tiers = {p: tuple(t.tier for t in catalogue.database_tiers(p)) for p in providers}
    metered = catalogue.metered
    # A CDN prices requests at its edge; origins (AWS, Supabase) only price egress.
    cdn = metered.loc[metered["item"] == "requests_https", "provider"].astype(str).unique()
    committed = catalogue.compute[catalogue.compute["offering"] != Offering.ON_DEMAND]
    payments = set(committed["payment_option"])
    return Choices(
        sets=tuple(store.assumption_set_names()),
        scenario=scenario_label(store, scenario),
        payload=payload,
        capacity=capacity_from_payload(payload, ignore_unknown=True),
        savings=savings_from_payload(payload),
        full_months=tuple(months),
        instance_types=tuple(t.name for t in catalogue.instance_types()),
        database_tiers=tiers,
        cdn_providers=tuple(sorted(cdn)),
        commitment_offerings=tuple(sorted(map(str, committed["offering"].unique()))),
        commitment_terms=tuple(sorted(int(t) for t in committed["term_years"].unique())),
        commitment_payments=tuple(p.value for p in Payment if p in payments),
        currency=", ".join(store.currencies()),
    )


def forecast_text(options: ForecastOptions, what: str) -> str:
    """One sentence on how ``what`` is forecast: model, paths, seed and the band's quantiles."""
    lo, hi = options.band_labels
    return (
        f"{what} is forecast with model `{options.model}` ({options.paths:,} sample paths, "
        f"seed {options.seed}); the band runs from {lo} to {hi} of the paths (interval level "
        f"{options.level:g}%), the line is their P50"
    )


def settings_text(scenario: str, options: ForecastOptions) -> str:
    """The assumption set used and the single settings edited on top of it."""
    edits = ", ".join(f"`{k}` = {v}" for k, v in options.settings)
    return f"Assumption set **{scenario}**" + (f", edited here: {edits}" if edits else "")
