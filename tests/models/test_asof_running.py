"""`capcost backtest --as-of`: a mid-month date nowcasts its month from its days; bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.cli import main
from forecasting.store import Store

from .conftest import AsOfTable


def test_as_of_mid_month_nowcasts_that_month_from_its_days(
    demo_db: Path, as_of_table: AsOfTable
) -> None:
    both, err = as_of_table(demo_db, "cost", "2026-05-15", 3)
    # The cost forecast of record as it stood then, the other method beside it: both
    # nowcast May from the same days.
    mid = both[both["of_record"]]
    other = both[~both["of_record"]]
    assert other["forecast"].iloc[0] == pytest.approx(mid["forecast"].iloc[0])
    assert mid["ds"].tolist() == ["2026-05-01", "2026-06-01", "2026-07-01"]
    assert mid["partial"].tolist() == [True, False, False]
    assert "May 2026 is running (15 of 31 days observed)" in err
    with Store.reader(demo_db) as store:
        days, _ = store.read_series("cost", "day", start=pd.Timestamp("2026-05-01").date())
    seen = days[days["ds"] <= "2026-05-15"]["y"].sum()
    assert mid["lower"].iloc[0] > seen  # the 15 known days are in it, 16 are forecast
    assert abs(mid["error_pct"].iloc[0]) < 5  # half the month known: close to what happened
    end, _ = as_of_table(demo_db, "cost", "2026-05-31", 3)
    assert (end.groupby("method")["ds"].first() == "2026-06-01").all()
    assert not end["partial"].any()


def test_as_of_input_errors_name_file_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("ds,y\n2024-01-01,1\n2024-02-01,x\n")
    assert main(["backtest", "--input", str(bad), "--as-of", "2024-02-28"]) != 0
    err = capsys.readouterr().err.strip()
    assert err == f"capcost: error: file {bad}, row 2, column 'y': not a finite number: 'x'"
