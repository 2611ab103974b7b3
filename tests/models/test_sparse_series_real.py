"""Issue 12 item 3: on the demo plus the real FOCUS and CUR samples, `forecast cost --by`
forecasts every series it can and gives each sparse one its reason."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from forecasting.cli import main


@pytest.fixture(scope="module")
def mixed_db(demo_db: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("mixed") / "capcost.duckdb"
    shutil.copyfile(demo_db, db)
    for export in ("focus/focus_sample.csv", "cur/cur-legacy-sample.csv"):
        assert main(["ingest", "focus", str(shared_data / export), "--db", str(db)]) == 0
    return db


@pytest.mark.parametrize("by", ["service", "category"])
def test_sparse_series_get_a_reason_and_the_rest_are_forecast(
    mixed_db: Path, by: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["forecast", "cost", "--by", by, "--db", str(mixed_db), "--csv", "-"]) == 0
    out, err = capsys.readouterr()
    forecast = pd.read_csv(io.StringIO(out))
    assert "Traceback" not in err and "capcost: error" not in err, err
    notes = [line for line in err.splitlines() if line.startswith("capcost: note: ")]
    assert all(line.startswith("capcost: note: series '") for line in notes), notes
    # The real samples add series seen in one month (too short: the last value, with its
    # reason) or in two months ten apart (too sparse: no forecast, with its reason).
    assert any("observation(s)" in n for n in notes)
    sparse = [n.split("'")[1] for n in notes if "too sparse to forecast" in n]
    assert sparse
    forecast_ids = set(forecast[forecast.columns[0]])
    assert len(forecast_ids - set(sparse)) >= 3  # the demo's own services or categories
    assert not forecast_ids & set(sparse)
