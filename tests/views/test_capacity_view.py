"""The Capacity and Savings pages' shared choices, the Capacity view, its assumption editors."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from forecasting.capacity.service import CapacityOptions
from forecasting.errors import InputError
from forecasting.interface import BUILT_IN, Excuse
from forecasting.scenario.assumptions import CapacityAssumptions, changes
from forecasting.store import Store
from forecasting.views.assumptions import build_choices
from forecasting.views.capacity import (
    build_capacity,
    edited_settings,
    plan_table,
    sizing_frame,
    thresholds_frame,
)

FAST = {"model": "drift", "paths": 200, "seed": 1}


def test_unchanged_frames_are_no_settings() -> None:
    a = CapacityAssumptions()
    assert edited_settings(a, sizing_frame(a), thresholds_frame(a)) == ()
    # 70% shown as 70 and read back as 0.7 is not an edit, whatever float rounding does.
    assert changes(a, {"target_utilisation": 70 / 100, "zones": 3}) == ()


def test_edits_become_settings_in_the_model_units() -> None:
    a = CapacityAssumptions()
    sizing, thresholds = sizing_frame(a), thresholds_frame(a)
    sizing.loc[0, ["target_cpu_pct", "redundancy", "zones"]] = [60.0, "per-zone", 2]
    thresholds.loc[thresholds["metric"] == "cpu_utilization", "threshold_pct"] = 65.0
    found = dict(edited_settings(a, sizing, thresholds))
    assert found["target_utilisation"] == pytest.approx(0.6)
    assert found["redundancy"] == "per-zone" and found["zones"] == 2
    assert found["alert_thresholds"]["cpu_utilization"] == 65.0
    assert set(found) == {"target_utilisation", "redundancy", "zones", "alert_thresholds"}


def test_an_emptied_cell_names_its_column() -> None:
    a = CapacityAssumptions()
    sizing = sizing_frame(a)
    sizing["rps_per_instance"] = sizing["rps_per_instance"].astype(float)
    sizing.loc[0, "rps_per_instance"] = math.nan
    with pytest.raises(InputError, match="column 'rps_per_instance': is empty"):
        edited_settings(a, sizing, thresholds_frame(a))


def test_an_empty_store_gives_reasons_not_exceptions(fresh_store: Store) -> None:
    report = build_capacity(fresh_store, CapacityOptions(**FAST))
    assert isinstance(report.plan, Excuse)
    assert (
        "no users, requests_per_second, requests_per_second_peak stored yet" in report.plan.reason
    )
    assert isinstance(report.runway, Excuse) and "alert thresholds" in report.runway.reason
    made = build_choices(fresh_store, None)
    assert made.scenario == BUILT_IN and made.sets == () and made.full_months == ()


def test_an_invalid_setting_is_a_reason_for_each_part(demo_store: Store) -> None:
    options = CapacityOptions(settings=(("target_utilisation", 0.1),), **FAST)
    report = build_capacity(demo_store, options)
    for part in (report.plan, report.runway):
        assert isinstance(part, Excuse) and "scale_down_utilisation" in part.reason


def test_a_section_builds_only_its_part(fresh_store: Store) -> None:
    """The page shows one section at a time: the other part is not computed (None)."""
    runway = build_capacity(fresh_store, CapacityOptions(**FAST), sections=("runway",))
    assert runway.plan is None and isinstance(runway.runway, Excuse)
    assert runway.plan_notes == ""
    plan = build_capacity(fresh_store, CapacityOptions(**FAST), sections=("plan",))
    assert plan.runway is None and isinstance(plan.plan, Excuse)
    with pytest.raises(InputError, match="unknown section 'costs'; try: plan, runway"):
        build_capacity(fresh_store, CapacityOptions(**FAST), sections=("costs",))


def test_choices_on_the_demo(demo_store: Store) -> None:
    made = build_choices(demo_store, None)
    assert made.sets == ("apex-capacity",) and made.scenario == "apex-capacity"
    assert made.capacity.target_utilisation == 0.7 and made.capacity.rps_per_instance == 150
    assert made.full_months[0] == "2026-10" and list(made.full_months) == sorted(
        made.full_months, reverse=True
    )
    assert made.database_tiers["Supabase"][:2] == ("micro", "small")
    assert made.cdn_providers == ("CloudFront", "Cloudflare")
    assert made.currency == "USD"
    assert "target_cpu_utilisation" not in made.payload  # saved back under field names


def test_a_quarter_that_happened_shows_its_figure_without_a_band() -> None:
    table = pd.DataFrame(
        {
            "instances_lower": [34, 83],
            "instances_upper": [34, 178],
            "cost_per_month_lower": [8174.41, 15566.85],
            "cost_per_month_upper": [8174.41, 25934.68],
        }
    )
    out = plan_table(SimpleNamespace(table=table))  # type: ignore[arg-type]
    assert out["instances_band"].tolist() == ["34", "83–178"]
    assert out["cost_band"].tolist() == ["8,174", "15,567–25,935"]
