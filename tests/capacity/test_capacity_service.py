"""The capacity service the CLI and the Capacity page share: options, assumptions edits, parts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from forecasting.capacity.service import CapacityOptions, plan
from forecasting.errors import InputError
from forecasting.models.options import ForecastOptions, run_models
from forecasting.scenario.assumptions import canonical
from forecasting.store import Store

FAST = {"model": "drift", "paths": 200, "seed": 1}


def test_canonical_puts_aliases_under_field_names_and_later_keys_win() -> None:
    stored = {"target_cpu_utilisation": 0.7, "scale_down_cpu": 0.3, "zones": 3}
    merged = canonical({**stored, "target_utilisation": 0.6})
    assert merged == {"target_utilisation": 0.6, "scale_down_utilisation": 0.3, "zones": 3}
    assert canonical({"target_utilisation": 0.6, "target_cpu_utilisation": 0.5}) == {
        "target_utilisation": 0.5
    }


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


def test_the_forecaster_is_injected_and_called_once_per_part(demo_store: Store) -> None:
    calls: list[tuple[int, str]] = []

    def counting(frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions) -> Any:
        calls.append((h, freq))
        return run_models(frame, h, freq, options)

    options = CapacityOptions(**FAST)
    injected = plan(demo_store, options, counting)
    assert calls == [(14, "month")]  # Nov 2026 to Dec 2027
    pd.testing.assert_frame_equal(injected.table, plan(demo_store, options).table)


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
