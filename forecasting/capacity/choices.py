"""What a user can choose from: stored assumption sets, their values, months, catalogue names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from forecasting.capacity.service import (
    ForecastOptions,
    load_catalogue,
    scenario_label,
    stored_payload,
)

if TYPE_CHECKING:
    from forecasting.capacity.assumptions import CapacityAssumptions
    from forecasting.savings.scenario import SavingsScenario
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
    currency: str
    """The billing currency ("" before any cost is stored)."""


def choices(store: Store, scenario: str | None) -> Choices:
    from forecasting.capacity.assumptions import canonical
    from forecasting.capacity.assumptions import from_payload as capacity_from
    from forecasting.interface import Freq
    from forecasting.savings.scenario import from_payload as savings_from

    options = ForecastOptions(scenario=scenario)
    payload = canonical(stored_payload(store, options))
    catalogue = load_catalogue()
    months: list[str] = []
    if store.currencies():  # the assumptions are editable before any bill is stored
        cost, _ = store.read_series("cost", Freq.MONTH, complete_only=True)
        months = sorted(cost["ds"].dt.strftime("%Y-%m").unique().tolist(), reverse=True)
    providers = catalogue.database["provider"].astype(str).unique().tolist()
    tiers = {p: tuple(t.tier for t in catalogue.database_tiers(p)) for p in providers}
    metered = catalogue.metered
    # A CDN prices requests at its edge; origins (AWS, Supabase) only price egress.
    cdn = metered.loc[metered["item"] == "requests_https", "provider"].astype(str).unique()
    return Choices(
        sets=tuple(store.assumption_set_names()),
        scenario=scenario_label(store, options),
        payload=payload,
        capacity=capacity_from(payload, ignore_unknown=True),
        savings=savings_from(payload),
        full_months=tuple(months),
        instance_types=tuple(t.name for t in catalogue.instance_types()),
        database_tiers=tiers,
        cdn_providers=tuple(sorted(cdn)),
        currency=", ".join(store.currencies()),
    )
