"""A stored set's aliases land under their field's name; a later key wins."""

from __future__ import annotations

from forecasting.scenario.assumptions import canonical


def test_canonical_puts_aliases_under_field_names_and_later_keys_win() -> None:
    stored = {"target_cpu_utilisation": 0.7, "scale_down_cpu": 0.3, "zones": 3}
    merged = canonical({**stored, "target_utilisation": 0.6})
    assert merged == {"target_utilisation": 0.6, "scale_down_utilisation": 0.3, "zones": 3}
    assert canonical({"target_utilisation": 0.6, "target_cpu_utilisation": 0.5}) == {
        "target_utilisation": 0.5
    }
