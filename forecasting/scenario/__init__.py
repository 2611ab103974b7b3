"""The assumption set capacity and savings both read: load a stored set, merge settings, validate.

A stored assumption set is one flat payload: capacity keys (``scenario.assumptions.
CapacityAssumptions``) and savings keys (``SavingsScenario``) side by side. The price catalogue
they price against is ``scenario.catalogue``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from forecasting.errors import InputError
from forecasting.interface import BUILT_IN, DEFAULT_SCENARIO
from forecasting.scenario.assumptions import (
    ALIASES,
    CapacityAssumptions,
    SavingsScenario,
    capacity_from_payload,
    savings_from_payload,
)
from forecasting.store import Store

__all__ = [
    "BUILT_IN",
    "DEFAULT_SCENARIO",
    "known_keys",
    "load_capacity",
    "load_savings",
    "merged_payload",
    "scenario_label",
]


def scenario_label(store: Store, scenario: str | None) -> str:
    """The assumption set ``scenario`` resolves to, or "built-in defaults"."""
    name = scenario or DEFAULT_SCENARIO
    return name if scenario or name in store.assumption_set_names() else BUILT_IN


def known_keys() -> list[str]:
    """Every key an assumption set or a setting may hold, sorted."""
    classes = (CapacityAssumptions, SavingsScenario)
    return sorted({f.name for cls in classes for f in dataclasses.fields(cls)})


def merged_payload(
    store: Store, scenario: str | None, settings: Iterable[tuple[str, Any]] = ()
) -> dict[str, Any]:
    """The named assumption set's payload ({} for the defaults), then the settings on top.

    Every key is checked against both halves, whichever one runs, so a bad setting never
    passes silently.
    """
    label = scenario_label(store, scenario)
    stored = {} if label == BUILT_IN else store.load_assumptions(label)
    overrides = dict(settings)
    known = known_keys()
    unknown = sorted(set(overrides) - set(known) - set(ALIASES))
    if unknown:
        raise InputError(
            f"unknown assumption {unknown[0]!r}; known: {', '.join(known)}", parameter="--set"
        )
    merged = {**stored, **overrides}
    capacity_from_payload(merged, ignore_unknown=True)
    savings_from_payload(merged)
    return merged


def load_capacity(
    store: Store, scenario: str | None, settings: Iterable[tuple[str, Any]] = ()
) -> CapacityAssumptions:
    """The capacity half of the merged assumption set."""
    return capacity_from_payload(merged_payload(store, scenario, settings), ignore_unknown=True)


def load_savings(
    store: Store, scenario: str | None, settings: Iterable[tuple[str, Any]] = ()
) -> SavingsScenario:
    """The savings half of the merged assumption set."""
    return savings_from_payload(merged_payload(store, scenario, settings))
