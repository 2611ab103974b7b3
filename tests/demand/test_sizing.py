"""Peak requests/s to instances: hand calculations, bad demand, and more demand never fewer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.demand.sizing import instances_needed
from forecasting.errors import InputError
from forecasting.scenario.assumptions import CapacityAssumptions, Redundancy

DOC = CapacityAssumptions()  # 150 req/s per instance at 100% CPU, target 70%, N+1, floor 3
DEMAND = st.one_of(st.just(0.0), st.floats(1e-6, 1e6))


@pytest.mark.parametrize(
    ("peak", "redundancy", "expected"),
    [
        (1000.0, Redundancy.NONE, 10),  # 1000 / 105 = 9.52 -> 10
        (1000.0, Redundancy.N_PLUS_1, 11),
        (1000.0, Redundancy.PER_ZONE, 12),  # 10 -> 4 per zone x 3 zones
        (315.0, Redundancy.N_PLUS_1, 4),  # exactly 3 x 105: no extra instance from rounding
        (0.0, Redundancy.N_PLUS_1, 3),  # the floor
        (2550.0, Redundancy.N_PLUS_1, 26),  # 2550 / 105 = 24.29 -> 25, +1
        (4500 * 1.7, Redundancy.PER_ZONE, 75),  # 7650 / 105 = 72.86 -> 73 -> 25 x 3
    ],
)
def test_instances_match_hand_calculation(
    peak: float, redundancy: Redundancy, expected: int
) -> None:
    a = CapacityAssumptions(redundancy=redundancy)
    assert instances_needed(peak, a) == expected


def test_instances_reject_negative_or_missing_demand() -> None:
    with pytest.raises(InputError, match="peak_rps"):
        instances_needed(np.array([100.0, -1.0]), DOC)
    with pytest.raises(InputError, match="peak_rps"):
        instances_needed(np.array([np.nan]), DOC)


@settings(deadline=None)
@given(
    DEMAND,
    DEMAND,
    st.sampled_from(list(Redundancy)),
    st.integers(1, 5),
)
def test_more_demand_never_means_fewer_instances(
    a: float, b: float, redundancy: Redundancy, zones: int
) -> None:
    assumptions = CapacityAssumptions(redundancy=redundancy, zones=zones, min_instances=0)
    low, high = sorted((a, b))
    n_low, n_high = instances_needed(np.array([low, high]), assumptions)
    assert n_low <= n_high
    # Whatever the redundancy, the instances serve the peak at the target utilisation.
    assert n_high * assumptions.capacity_per_instance >= high * (1 - 1e-9)
