"""The capacity service the CLI and the Capacity page share: options, assumptions edits, parts."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from forecasting.capacity.assumptions import edited_settings, sizing_frame, thresholds_frame
from forecasting.capacity.choices import choices
from forecasting.capacity.service import CapacityOptions, capacity_report, plan
from forecasting.errors import InputError
from forecasting.interface import BUILT_IN, Excuse
from forecasting.models.options import ForecastOptions, run_models
from forecasting.scenario.assumptions import CapacityAssumptions, canonical, changes
from forecasting.store import Store

FAST = {"model": "drift", "paths": 200, "seed": 1}


def test_canonical_puts_aliases_under_field_names_and_later_keys_win() -> None:
    stored = {"target_cpu_utilisation": 0.7, "scale_down_cpu": 0.3, "zones": 3}
    merged = canonical({**stored, "target_utilisation": 0.6})
    assert merged == {"target_utilisation": 0.6, "scale_down_utilisation": 0.3, "zones": 3}
    assert canonical({"target_utilisation": 0.6, "target_cpu_utilisation": 0.5}) == {
        "target_utilisation": 0.5
    }


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


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"level": 100.0}, "parameter level"),
        ({"paths": 0}, "parameter paths"),
        ({"quarters": 0}, "parameter quarters"),
    ],
)
def test_options_out_of_range_are_input_errors(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        CapacityOptions(**fields)


def test_band_labels_follow_the_level() -> None:
    assert ForecastOptions().band_labels == ("P10", "P90")
    assert ForecastOptions(level=50).band_labels == ("P25", "P75")
    assert ForecastOptions(level=95).band_labels == ("P2.5", "P97.5")


def test_an_empty_store_gives_reasons_not_exceptions(fresh_store: Store) -> None:
    report = capacity_report(fresh_store, CapacityOptions(**FAST))
    assert isinstance(report.plan, Excuse)
    assert (
        "no users, requests_per_second, requests_per_second_peak stored yet" in report.plan.reason
    )
    assert isinstance(report.runway, Excuse) and "alert thresholds" in report.runway.reason
    made = choices(fresh_store, None)
    assert made.scenario == BUILT_IN and made.sets == () and made.full_months == ()


def test_an_invalid_setting_is_a_reason_for_each_part(demo_store: Store) -> None:
    options = CapacityOptions(settings=(("target_utilisation", 0.1),), **FAST)
    report = capacity_report(demo_store, options)
    for part in (report.plan, report.runway):
        assert isinstance(part, Excuse) and "scale_down_utilisation" in part.reason


def test_the_forecaster_is_injected_and_called_once_per_part(demo_store: Store) -> None:
    calls: list[tuple[int, str]] = []

    def counting(frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions) -> Any:
        calls.append((h, freq))
        return run_models(frame, h, freq, options)

    options = CapacityOptions(**FAST)
    injected = plan(demo_store, options, counting)
    assert calls == [(14, "month")]  # Nov 2026 to Dec 2027
    pd.testing.assert_frame_equal(injected.table, plan(demo_store, options).table)


def test_choices_on_the_demo(demo_store: Store) -> None:
    made = choices(demo_store, None)
    assert made.sets == ("apex-capacity",) and made.scenario == "apex-capacity"
    assert made.capacity.target_utilisation == 0.7 and made.capacity.rps_per_instance == 150
    assert made.full_months[0] == "2026-10" and list(made.full_months) == sorted(
        made.full_months, reverse=True
    )
    assert made.database_tiers["Supabase"][:2] == ("micro", "small")
    assert made.cdn_providers == ("CloudFront", "Cloudflare")
    assert made.currency == "USD"
    assert "target_cpu_utilisation" not in made.payload  # saved back under field names


def test_the_exports_are_the_cli_csv_byte_for_byte(
    demo_db: Path, demo_store: Store, tmp_path: Path
) -> None:
    from forecasting.capacity.service import runway
    from forecasting.cli import main
    from forecasting.export import to_csv_bytes

    options = CapacityOptions(**FAST, quarters=2)
    cli = ["--db", str(demo_db), "--model", "drift", "--paths", "200", "--seed", "1"]
    assert main(["plan", *cli, "--quarters", "2", "--csv", str(tmp_path / "plan.csv")]) == 0
    assert to_csv_bytes(plan(demo_store, options).export()) == (tmp_path / "plan.csv").read_bytes()
    assert main(["runway", *cli, "--csv", str(tmp_path / "runway.csv")]) == 0
    exported = to_csv_bytes(runway(demo_store, options).export())
    assert exported == (tmp_path / "runway.csv").read_bytes()
