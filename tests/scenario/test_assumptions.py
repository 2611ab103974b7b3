"""The assumption set's payloads: the demo's stored set loads, a bad value names its parameter."""

from __future__ import annotations

import pytest

from forecasting.errors import InputError
from forecasting.scenario.assumptions import Redundancy
from forecasting.scenario.assumptions import capacity_from_payload as from_payload


def test_assumptions_load_the_demo_payload() -> None:
    payload = {
        "target_cpu_utilisation": 0.7,
        "scale_down_cpu": 0.3,
        "scale_down_memory": 0.5,
        "scale_up_memory": 0.8,
        "rps_per_instance": 150.0,
        "min_instances": 3,
        "redundancy": "n+1",
        "zones": 3,
        "hours_per_month": 730,
        "alert_thresholds": {"cpu_utilization": 70, "disk_utilization": 75},
    }
    a = from_payload(payload)
    assert a.target_utilisation == 0.7 and a.scale_down_utilisation == 0.3
    assert a.redundancy is Redundancy.N_PLUS_1
    assert a.alert_thresholds == {"cpu_utilization": 70.0, "disk_utilization": 75.0}
    assert from_payload(payload, rps_per_instance=200.0).capacity_per_instance == pytest.approx(140)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"rps_per_instnce": 10}, "unknown capacity assumption 'rps_per_instnce'"),
        ({"target_cpu_utilisation": 70}, "target_utilisation must be in"),
        ({"scale_down_cpu": 0.8}, "scale_down_utilisation"),
        ({"redundancy": "n+2"}, "n\\+2"),
        ({"alert_thresholds": {"cpu_utilization": 0.7e3}}, "alert_thresholds"),
    ],
)
def test_bad_assumptions_name_the_parameter(payload: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        from_payload(payload)
